"""Fixtures for drill tests: an in-process emulator on a virtual clock, and platforms built in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from finstack.emulator.moto_ext import AuroraTimings, VirtualClock, restricted_mock_aws, set_aurora_timings, set_clock
from tests.drills import platform as builder

#: Aurora's phases on the virtual clock: 1 s pending, 3 s promoting (the emulator's defaults, pinned).
TIMINGS = AuroraTimings(pending=1.0, promoting=3.0, cancelling=2.0)


@pytest.fixture(name="emulator")
def emulator_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualClock]:
    """moto + finstack's extensions, allow-listed services only, no request can leave; virtual time."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "finstack-test")
    monkeypatch.setenv("USER", "drill-tester")
    # Drills never read IAM; loading AWS's managed policies (the emulator's default, for deploys)
    # would cost about two seconds per test.
    monkeypatch.setattr("moto.iam.models.load_iam_aws_managed_policies", lambda: False)
    clock = VirtualClock()
    previous_clock = set_clock(clock)
    previous_timings = set_aurora_timings(TIMINGS)
    try:
        with restricted_mock_aws():
            yield clock
    finally:
        set_clock(previous_clock)
        set_aurora_timings(previous_timings)


@pytest.fixture(name="arc_platform")
def arc_platform_fixture(emulator: VirtualClock) -> builder.Platform:
    """The prod-like platform: ARC routing controls fence the cells."""
    return builder.build(arc=True)


@pytest.fixture(name="plain_platform")
def plain_platform_fixture(emulator: VirtualClock) -> builder.Platform:
    """A platform without ARC: inverting a Route 53 health check fences a cell."""
    return builder.build(arc=False)


@pytest.fixture(autouse=True)
def _fast_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests write journals to a temporary folder: skip fsync (atomic renames stay)."""
    monkeypatch.setattr("finstack.drills.journal.Journal.durable", False)
