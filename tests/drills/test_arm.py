"""`finstack arm`: every cell's routing control On through the ARC data plane, read back; drills refuse until then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from botocore.exceptions import EndpointConnectionError
from click.testing import CliRunner, Result

from finstack.cli import FinstackGroup
from finstack.commands import arm as arm_command
from finstack.commands import drill as drill_command
from finstack.drills import arm, session
from finstack.drills.runner import CONFIRMING_ENDPOINTS
from finstack.emulator.moto_ext.route53recoverycontrolconfig.models import arc_backend
from tests.drills import helpers
from tests.drills import platform as builder
from tests.drills.platform import ACCOUNT, EAST, WEST

CONTROL_CONFIG = "route53-recovery-control-config"


def _disarm(platform: builder.Platform, *regions: str) -> None:
    """Put cells' controls Off as a fresh deploy leaves them (ARC creates routing controls Off)."""
    for region in regions or (EAST, WEST):
        arc_backend(ACCOUNT).routing_controls[platform.cell(region)["routingControlArn"]].state = "Off"


def _unreachable(service: str, region: str | None = None) -> Any:
    def hook(model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.service_model.service_name == service and region in (None, context.get("client_region")):
            raise EndpointConnectionError(endpoint_url=f"https://{service}.{region or 'us-west-2'}.amazonaws.com")

    return hook


# -- the arming logic -------------------------------------------------------------------------------


def test_arm__dry_run_reports_each_cell_off_and_changes_nothing(arc_platform: builder.Platform) -> None:
    _disarm(arc_platform)
    before = dict(builder.snapshot())

    result = arm.arm(builder.setup_for(arc_platform), execute=False)

    assert not result.armed and not result.executed
    assert [(c.region, c.before, c.change) for c in result.cells] == [
        (EAST, "Off", "would turn On"),
        (WEST, "Off", "would turn On"),
    ]
    assert dict(builder.snapshot()) == before


def test_arm__turns_every_control_on_through_the_data_plane_and_reads_each_back_from_two_regions(
    arc_platform: builder.Platform,
) -> None:
    # Given: a fresh deploy's state (both Off) and ARC's control-config API unreachable
    _disarm(arc_platform)
    setup = builder.setup_for(arc_platform, hooks=[("before-call", _unreachable(CONTROL_CONFIG))])

    # When
    result = arm.arm(setup, execute=True)

    # Then: both On, each confirmed by two endpoints in different Regions, one transaction, data plane only
    assert result.armed, result
    assert (arc_platform.routing(EAST), arc_platform.routing(WEST)) == ("On", "On")
    for cell in result.cells:
        regions = [region for region, _ in cell.read_back]
        assert len(set(regions)) == CONFIRMING_ENDPOINTS and cell.change == "Off -> On", cell
    calls = setup.gateway.recorder.calls
    assert [c.operation for c in calls if c.operation.startswith("Update")] == ["UpdateRoutingControlStates"]
    assert {c.service for c in calls} == {"route53-recovery-cluster"}, "arming uses the ARC data plane only"
    assert {c.step for c in calls} == {arm.ARM_CALLS}


def test_arm__rotates_past_a_data_plane_endpoint_that_is_down(arc_platform: builder.Platform) -> None:
    _disarm(arc_platform, WEST)
    setup = builder.setup_for(arc_platform, hooks=[("before-call", _unreachable("route53-recovery-cluster", EAST))])

    result = arm.arm(setup, execute=True)

    assert result.armed, result
    assert all(EAST not in dict(c.read_back) for c in result.cells), "the us-east-1 endpoint never answered"
    assert [(c.region, c.change) for c in result.cells] == [(EAST, "none"), (WEST, "Off -> On")]


def test_arm__not_armed_when_the_read_back_cannot_reach_two_regions(arc_platform: builder.Platform) -> None:
    # Only one cluster endpoint answers: a single endpoint's view is no confirmation.
    document = arc_platform.document
    answering = document.arc_cluster_endpoints[1].region
    down = [e.region for e in document.arc_cluster_endpoints if e.region != answering]

    def only_one(model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.service_model.service_name == "route53-recovery-cluster" and context.get("client_region") in down:
            raise EndpointConnectionError(endpoint_url="https://route53-recovery-cluster.invalid")

    result = arm.arm(builder.setup_for(arc_platform, hooks=[("before-call", only_one)]), execute=True)

    assert not result.armed
    assert all(c.read_back == ((answering, "On"),) for c in result.cells), result


def test_arm__a_stack_without_arc_has_nothing_to_arm(plain_platform: builder.Platform) -> None:
    result = arm.arm(builder.setup_for(plain_platform), execute=True)

    assert result.armed and not result.arc and result.cells == ()


# -- drills refuse an unarmed platform ----------------------------------------------------------------


def _armed_check(preview: session.Preview) -> Any:
    return next(c for c in preview.checks if c.name == "platform-armed")


def test_switchover__refused_while_the_platform_is_not_armed(arc_platform: builder.Platform, tmp_path: Path) -> None:
    _disarm(arc_platform)
    setup = builder.setup_for(arc_platform)

    preview = session.prepare(setup, "switchover")

    check = _armed_check(preview)
    assert not preview.executable and check.blocking and not check.ok
    assert check.actual == "us-east-1=Off, us-west-2=Off"
    assert "`finstack arm --stack prod --execute`" in check.reason
    # Armed, the same drill is executable.
    assert arm.arm(setup, execute=True).armed
    assert session.prepare(builder.setup_for(arc_platform), "switchover").executable


def test_switchover__refused_while_the_target_cell_is_off(arc_platform: builder.Platform) -> None:
    _disarm(arc_platform, WEST)

    check = _armed_check(session.prepare(builder.setup_for(arc_platform), "switchover"))

    assert not check.ok and "us-west-2" in check.reason
    assert check.expected == "routing control On in us-east-1, us-west-2"


def test_failover__refused_while_its_target_is_off(arc_platform: builder.Platform) -> None:
    # With the target Off, the fence would leave no cell On: Route 53 fails open to the failed region.
    arc_platform.lose_region(EAST)
    _disarm(arc_platform, WEST)

    preview = session.prepare(builder.setup_for(arc_platform), "failover")

    check = _armed_check(preview)
    assert not preview.executable and not check.ok and check.expected == "routing control On in us-west-2"


def test_failover__runs_with_the_failed_source_already_off(arc_platform: builder.Platform, tmp_path: Path) -> None:
    arc_platform.lose_region(EAST)
    _disarm(arc_platform, EAST)

    outcome = helpers.run(arc_platform, "failover", tmp_path / "drill")

    assert outcome.result.status == "completed", outcome.result.reason
    assert (arc_platform.routing(EAST), arc_platform.routing(WEST)) == ("Off", "On")


def test_failback__needs_only_the_serving_cell_on(arc_platform: builder.Platform, tmp_path: Path) -> None:
    # After a switchover the old source stays fenced (Off): the failback turns it On itself.
    first = helpers.run(arc_platform, "switchover", tmp_path / "switchover")
    assert first.result.status == "completed", first.result.reason
    assert arc_platform.routing(EAST) == "Off"

    check = _armed_check(session.prepare(builder.setup_for(arc_platform), "failback"))

    assert check.ok and check.expected == "routing control On in us-west-2", check


# -- the command line ---------------------------------------------------------------------------------


def _invoke(*args: str, answer: str | None = None) -> Result:
    group: click.Group = FinstackGroup(commands={"arm": arm_command.arm})
    return CliRunner().invoke(group, ["arm", *args], input=answer, catch_exceptions=False)


@pytest.fixture(name="cli_platform")
def cli_platform_fixture(arc_platform: builder.Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI pointed at the test platform (instead of deploying the stack into a fresh emulator)."""
    monkeypatch.setattr(
        drill_command, "stack_setup", lambda stack, emulate, **_: (builder.setup_for(arc_platform), tmp_path)
    )
    return arc_platform


def test_cli__dry_run_prints_each_cell_and_exits_1_when_not_armed(cli_platform: builder.Platform) -> None:
    _disarm(cli_platform)

    result = _invoke("--stack", "prod", "--emulate")

    assert result.exit_code == 1, result.output
    assert "would turn On" in result.output and "NOT ARMED" in result.output
    assert "finstack arm --stack prod --execute" in result.output
    assert (cli_platform.routing(EAST), cli_platform.routing(WEST)) == ("Off", "Off")


def test_cli__execute_with_yes_arms_and_exits_0(cli_platform: builder.Platform) -> None:
    _disarm(cli_platform)

    result = _invoke("--stack", "prod", "--emulate", "--execute", "--yes")

    assert result.exit_code == 0, result.output
    assert result.output.count("ARMED") == 2 and "NOT ARMED" not in result.output
    assert "stack prod: armed" in result.output
    assert (cli_platform.routing(EAST), cli_platform.routing(WEST)) == ("On", "On")


def test_cli__execute_changes_nothing_when_not_confirmed(cli_platform: builder.Platform) -> None:
    _disarm(cli_platform)

    result = _invoke("--stack", "prod", "--emulate", "--execute", answer="n\n")

    assert result.exit_code == 2, result.output
    assert "About to turn every routing control of stack prod On" in result.output
    assert (cli_platform.routing(EAST), cli_platform.routing(WEST)) == ("Off", "Off")


def test_cli__a_stack_without_arc_has_nothing_to_arm(
    plain_platform: builder.Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        drill_command, "stack_setup", lambda stack, emulate, **_: (builder.setup_for(plain_platform), tmp_path)
    )

    result = _invoke("--stack", "dev", "--emulate", "--execute", "--yes")

    assert result.exit_code == 0, result.output
    assert "has no ARC routing controls: nothing to arm" in result.output


def test_cli__help_states_the_blast_radius() -> None:
    result = _invoke("--help")

    assert result.exit_code == 0
    assert "Blast radius with --execute" in result.output and "routing controls" in result.output
