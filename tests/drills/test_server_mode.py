"""A drill against `finstack emulator serve` (AWS_ENDPOINT_URL), as `--emulate` runs it with a server.

Every AWS call goes over HTTP to the loopback server, and the write model is read through its
admin API (`/_finstack/writes/...`), not in-process.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from finstack.drills import session
from finstack.drills.clock import ManualClock
from finstack.emulator.moto_ext import AuroraTimings, VirtualClock, set_aurora_timings, set_clock
from finstack.emulator.server import EmulatorServer, start_server
from tests.drills import helpers
from tests.drills import platform as builder
from tests.drills.platform import WEST


@pytest.fixture(name="server", scope="module")
def server_fixture() -> Iterator[EmulatorServer]:
    """One emulator server on a free loopback port."""
    running = start_server(port=0)
    yield running
    running.stop()


@pytest.fixture(name="served_platform")
def served_platform_fixture(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[builder.Platform]:
    """A clean server on a virtual clock, and the platform built in it through HTTP."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "finstack-test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    monkeypatch.setattr("moto.iam.models.load_iam_aws_managed_policies", lambda: False)
    urllib.request.urlopen(urllib.request.Request(f"{server.endpoint_url}/moto-api/reset", method="POST")).close()
    clock = VirtualClock()
    previous_clock = set_clock(clock)
    previous_timings = set_aurora_timings(AuroraTimings(pending=1.0, promoting=3.0, cancelling=2.0))
    try:
        yield builder.build(arc=True)
    finally:
        set_clock(previous_clock)
        set_aurora_timings(previous_timings)


def test_switchover__through_the_emulator_server_and_its_admin_api(
    server: EmulatorServer, served_platform: builder.Platform, tmp_path: Path
) -> None:
    workload = builder.Workload(served_platform)
    helpers.warm_up(served_platform, workload)
    clock = ManualClock(on_sleep=lambda seconds: (served_platform.clock.advance(seconds), workload.tick()))
    sessions = {region: builder.fresh_session(region) for region in builder.REGIONS}
    setup = session.emulated(
        "prod",
        served_platform.document,
        endpoint_url=server.endpoint_url,
        sessions=sessions,
        clock=clock,
        timings=builder.TEST_TIMINGS,
    )

    outcome = helpers.start(setup, served_platform, "switchover", tmp_path / "drill")

    assert outcome.result.status == "completed", outcome.result.reason
    assert served_platform.writer_region() == WEST
    assert outcome.report["rpo"]["committedWritesLost"] == 0 and workload.lost() == []
    assert {c["observedThrough"] for c in outcome.report["invariantChecks"]} == {"emulator-write-model"}
    assert all(c["ok"] for c in outcome.report["invariantChecks"])
