"""`finstack drill ...`: flags, confirmation, exit status, messages, evidence location."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from finstack.cli import FinstackGroup
from finstack.commands import drill as drill_command
from finstack.emulator.moto_ext import route53_health
from tests.drills import platform as builder
from tests.drills.platform import EAST, WEST


def _cli() -> click.Group:
    """The drill group mounted as the lead mounts it: under finstack's main group."""
    return FinstackGroup(commands={"drill": drill_command.drill})


@pytest.fixture(name="project")
def project_fixture(arc_platform: builder.Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI at the test platform (instead of deploying the stack into a fresh emulator)."""
    monkeypatch.setattr(drill_command, "_setup", lambda stack, emulate: (builder.setup_for(arc_platform), tmp_path))
    return tmp_path


def _invoke(*args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(_cli(), ["drill", *args], input=answer, catch_exceptions=False)


def test_help__states_the_blast_radius() -> None:
    result = _invoke("switchover", "--help")

    assert result.exit_code == 0
    assert "Blast radius with --execute" in result.output and "Aurora global cluster" in result.output


def test_dry_run__prints_plan_and_preconditions_and_changes_nothing(project: Path) -> None:
    before = dict(builder.snapshot())

    result = _invoke("switchover", "--stack", "prod", "--emulate")

    assert result.exit_code == 0, result.output
    assert "us-east-1 -> us-west-2" in result.output
    assert "SwitchoverGlobalCluster" in result.output and "replication-lag" in result.output
    assert "dry run: nothing was changed; the plan is executable" in result.output
    assert dict(builder.snapshot()) == before
    assert not (project / ".finstack").exists(), "a dry run writes no evidence"


def test_dry_run__exits_1_with_the_reason_when_a_precondition_fails(
    arc_platform: builder.Platform, project: Path
) -> None:
    route53_health.set_endpoint_health(arc_platform.cell(WEST)["healthCheckId"], False)

    result = _invoke("switchover", "--stack", "prod", "--emulate")

    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and "not executable" in result.output


def test_execute__with_yes_runs_the_drill_and_writes_evidence_under_the_stack(
    arc_platform: builder.Platform, project: Path
) -> None:
    result = _invoke("switchover", "--stack", "prod", "--emulate", "--execute", "--yes")

    assert result.exit_code == 0, result.output
    assert "07 Switch the Aurora writer over to us-west-2" in result.output, "progress must be shown per step"
    assert (
        "completed; writer us-east-1 -> us-west-2" in result.output and "RPO 0 committed writes lost" in result.output
    )
    (report,) = (project / ".finstack" / "prod" / "drills").glob("switchover-*/report.json")
    assert json.loads(report.read_text())["status"] == "completed"
    assert arc_platform.writer_region() == WEST


def test_execute__echoes_the_targets_and_changes_nothing_when_not_confirmed(
    arc_platform: builder.Platform, project: Path
) -> None:
    result = _invoke("switchover", "--stack", "prod", "--emulate", "--execute", answer="n\n")

    assert result.exit_code == 2, result.output
    assert "account 123456789012" in result.output and "us-east-1 -> us-west-2" in result.output
    assert "not confirmed; nothing was changed" in result.output
    assert arc_platform.writer_region() == EAST


def test_execute__refuses_with_exit_1_when_a_precondition_fails(arc_platform: builder.Platform, project: Path) -> None:
    route53_health.set_endpoint_health(arc_platform.cell(WEST)["healthCheckId"], False)

    result = _invoke("switchover", "--stack", "prod", "--emulate", "--execute", "--yes")

    assert result.exit_code == 1
    assert "refused" in result.output and arc_platform.writer_region() == EAST


def test_via_arc__against_the_emulator_is_a_usage_error(project: Path) -> None:
    result = _invoke("switchover", "--stack", "prod", "--emulate", "--via", "arc")

    assert result.exit_code == 2
    assert "does not implement the ARC Region switch API" in result.output


def test_resume__completes_an_aborted_drill(
    arc_platform: builder.Platform, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: a switchover aborted because AWS throttled SwitchoverGlobalCluster on every attempt
    from tests.drills.faults import _answer

    def throttle(model: Any, **_: Any) -> Any:
        return _answer(400, "Throttling") if model.name == "SwitchoverGlobalCluster" else None

    monkeypatch.setattr(
        drill_command,
        "_setup",
        lambda stack, emulate: (builder.setup_for(arc_platform, hooks=[("before-call", throttle)]), project),
    )
    aborted = _invoke(
        "switchover", "--stack", "prod", "--emulate", "--execute", "--yes", "--report", str(project / "d")
    )
    assert aborted.exit_code == 1 and "aborted" in aborted.output and "--resume" in aborted.output

    # When: throttling has stopped and the operator resumes
    monkeypatch.setattr(drill_command, "_setup", lambda stack, emulate: (builder.setup_for(arc_platform), project))
    resumed = _invoke("switchover", "--stack", "prod", "--emulate", "--resume", str(project / "d"), "--yes")

    # Then
    assert resumed.exit_code == 0, resumed.output
    assert arc_platform.writer_region() == WEST
    assert len(json.loads((project / "d" / "report.json").read_text())["runs"]) == 2


def test_real_mode__without_the_pulumi_cli_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)

    result = _invoke("failover", "--stack", "prod")

    assert result.exit_code == 2
    assert "the Pulumi CLI is not installed" in result.output
