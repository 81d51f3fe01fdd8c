"""End to end on the real prod stack: `finstack.emulator.deploy.up` deploys it, the drills move it.

The program, its components and its `dr` output are the ones `pulumi up -s prod` runs, deployed
into the in-process emulator (from a copy of the project folder, so the repo's .finstack/ is left
alone). Slower than the other drill tests (the deploy takes tens of seconds), hence one test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from finstack.drills import arm, dr, session
from finstack.drills.clock import ManualClock
from finstack.emulator.gateway import AwsGateway
from finstack.emulator.moto_ext import AuroraTimings, VirtualClock, restricted_mock_aws, set_aurora_timings, set_clock
from finstack.emulator.session import EmulatorSession
from finstack.project import find_project_dir, load_stack
from tests.drills import helpers
from tests.drills import platform as builder

REPO = find_project_dir(Path(__file__).parent)


@pytest.fixture(name="deployed")
def deployed_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, VirtualClock]]:
    """The prod stack deployed into a fresh in-process emulator on a virtual clock."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "finstack-test")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(REPO / name, project / name)
    (project / "infra").symlink_to(REPO / "infra", target_is_directory=True)
    clock = VirtualClock()
    previous_clock = set_clock(clock)
    previous_timings = set_aurora_timings(AuroraTimings(pending=1.0, promoting=3.0, cancelling=2.0))
    try:
        with restricted_mock_aws():
            from finstack.emulator.deploy import up

            up(load_stack("prod", project), EmulatorSession("in-process", AwsGateway(), in_process=True))
            yield project, clock
    finally:
        set_clock(previous_clock)
        set_aurora_timings(previous_timings)


def _setup(document: dr.DrDocument, clock: VirtualClock) -> session.DrillSetup:
    sessions = {region: builder.fresh_session(region) for region in document.regions}
    return session.emulated(
        "prod", document, sessions=sessions, clock=ManualClock(on_sleep=clock.advance), timings=builder.TEST_TIMINGS
    )


def _run(setup: session.DrillSetup, kind: str, directory: Path) -> helpers.Outcome:
    preview = session.prepare(setup, kind)  # type: ignore[arg-type]
    assert preview.executable, [c for c in preview.checks if c.blocking and not c.ok]
    return helpers.execute(setup, preview, kind, directory)


def test_prod_stack__switchover_and_failback_on_the_deployed_program(
    deployed: tuple[Path, VirtualClock], tmp_path: Path
) -> None:
    from finstack.emulator.moto_ext import aurora

    project, clock = deployed
    # Given: the `dr` document the deploy wrote, valid against the contract's schema
    document = dr.load_file(project / ".finstack" / "prod" / "outputs.json")
    assert document.arc and set(document.regions) == {"us-east-1", "us-west-2"}
    writer, other = document.primary_region, next(r for r in document.regions if r != document.primary_region)

    # And: deployed, not armed (ARC creates routing controls Off), so a drill is refused until it is
    unarmed = session.prepare(_setup(document, clock), "switchover")
    armed_check = next(c for c in unarmed.checks if c.name == "platform-armed")
    assert not unarmed.executable and not armed_check.ok, armed_check
    assert "finstack arm --stack prod --execute" in armed_check.reason
    armed = arm.arm(_setup(document, clock), execute=True)
    assert armed.armed, armed

    # When: a switchover to the secondary, then a failback home
    over = _run(_setup(document, clock), "switchover", tmp_path / "switchover")
    after_switchover = aurora.global_database(document.global_cluster_id).snapshot()["writerRegion"]
    back = _run(_setup(document, clock), "failback", tmp_path / "failback")

    # Then: both completed with the writer where it should be and one writer throughout
    assert over.result.status == "completed", over.result.reason
    assert after_switchover == other
    assert back.result.status == "completed", back.result.reason
    assert aurora.global_database(document.global_cluster_id).snapshot()["writerRegion"] == writer
    for outcome in (over, back):
        assert outcome.report["invariantHeld"] and outcome.report["rpo"]["committedWritesLost"] == 0
        assert outcome.report["rto"]["seconds"] >= 4.0
    assert aurora.writable_regions(document.global_cluster_id) == [writer]
