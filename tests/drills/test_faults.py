"""The fault matrix: throttling, 5xx, timeouts and crashes at every AWS API call of every drill.

Each run must end completed after retries, or stop (a crash) in a state where at most one region
accepts writes and from which `--resume` completes the drill; a planned switchover never loses a
committed write. Time is virtual (the drill's sleeps advance the emulator's clock), so backoff and
polling cost nothing.

Crashes are chained through resumes: one drill is crashed before (or after) every distinct request
it makes, once each, and resumed every time until it completes; re-verification reads of the
resumed runs are crashed at too. The opt-in fresh-state matrix (FINSTACK_FULL_FAULT_MATRIX=1)
crashes a fresh switchover at each request index instead, resetting with a clean failback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from finstack.drills import session
from finstack.emulator.moto_ext import route53_health
from tests.drills import helpers
from tests.drills import platform as builder
from tests.drills.faults import KINDS, MUTATING, Crash, CrashAt, CrashChain, EveryCallFails, Recorder
from tests.drills.platform import EAST, WEST


def _start(
    platform: builder.Platform,
    kind: str,
    directory: Path,
    workload: builder.Workload,
    hooks: list[tuple[str, Callable[..., Any]]],
    on_setup: Callable[[session.DrillSetup], None] | None = None,
) -> helpers.Outcome:
    """Plan on a clean setup (the dry run the operator approved), execute on one with `hooks`."""
    preview = session.prepare(builder.setup_for(platform, workload), kind)  # type: ignore[arg-type]
    setup = builder.setup_for(platform, workload, hooks=hooks)
    if on_setup is not None:
        on_setup(setup)
    return helpers.execute(setup, preview, kind, directory)


def _assert_safe(platform: builder.Platform, workload: builder.Workload, where: str) -> None:
    accepting = platform.accepting_writes()
    assert len(accepting) <= 1, f"{where}: {accepting} accept writes at once"
    assert workload.violations == [], f"{where}: two writers seen by clients: {workload.violations}"


def _assert_completed(outcome: helpers.Outcome, where: str) -> None:
    assert outcome.result.status == "completed", f"{where}: {outcome.result}"
    broken = [c for c in outcome.report["invariantChecks"] if not c["ok"]]
    assert not broken, f"{where}: invariant broken: {broken}"


def _recover(platform: builder.Platform) -> None:
    """The lost region comes back: endpoint healthy, clients and APIs return."""
    platform.outages.clear()
    platform.api_down.clear()
    route53_health.set_endpoint_health(platform.cell(EAST)["healthCheckId"], True)


def _count_requests(platform: builder.Platform, kind: str, directory: Path, workload: builder.Workload) -> list[str]:
    recorder = Recorder()
    outcome = _start(platform, kind, directory, workload, recorder.hooks())
    _assert_completed(outcome, f"fault-free {kind}")
    return recorder.operations


# -- transient faults: every call's first attempt fails ---------------------------------------------


@pytest.mark.parametrize("fault", KINDS)
@pytest.mark.parametrize("kind", ["switchover", "failover", "failback"])
def test_transient_faults__at_every_call_are_retried_to_completion(
    arc_platform: builder.Platform, tmp_path: Path, kind: str, fault: str
) -> None:
    # Given: writes in flight; for a failback, a completed switchover first; for a failover, a lost region
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    if kind == "failback":
        _assert_completed(helpers.run(arc_platform, "switchover", tmp_path / "before", workload=workload), "setup")
        helpers.warm_up(arc_platform, workload)
    if kind == "failover":
        arc_platform.lose_region(EAST)
    injector = EveryCallFails(fault)

    # When: the first attempt of every request fails
    outcome = _start(arc_platform, kind, tmp_path / "drill", workload, injector.hooks())

    # Then: completed, each fault visible in the evidence as a failed attempt followed by a retry
    _assert_completed(outcome, f"{kind} with {fault} at every call")
    assert injector.injected >= 20, f"only {injector.injected} faults injected"
    retried = [c for s in outcome.report["steps"] for c in s["apiCalls"] if c["attempt"] > 1]
    if fault != "read-timeout-after":
        assert len(retried) >= injector.injected // 2, "retries must be recorded in the evidence"
    _assert_safe(arc_platform, workload, kind)
    if kind != "failover":
        assert workload.lost() == [], f"{kind} lost committed writes under {fault}"
    expected_writer = EAST if kind == "failback" else WEST
    assert arc_platform.writer_region() == expected_writer


def test_transient_faults__persistent_throttling_aborts_safely_and_resume_completes(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given: SwitchoverGlobalCluster is throttled on every attempt
    def throttle_switchover(model: Any, **_: Any) -> Any:
        from tests.drills.faults import _answer

        return _answer(400, "Throttling") if model.name == "SwitchoverGlobalCluster" else None

    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)

    # When
    aborted = _start(arc_platform, "switchover", tmp_path / "drill", workload, [("before-call", throttle_switchover)])

    # Then: aborted; the writer never left us-east-1, so the fence was lifted and service restored
    assert aborted.result.status == "aborted", aborted.result
    assert "Throttling" in aborted.result.reason
    assert arc_platform.writer_region() == EAST and arc_platform.routing(EAST) == "On"
    assert len(aborted.calls("SwitchoverGlobalCluster")) >= 6, "the retry budget must be spent first"
    assert aborted.step("fence-source")["status"] == "rolled-back"
    assert any(
        "lifted the fence" in a for e in aborted.report["events"] for a in e.get("safeState", {}).get("actions", [])
    )
    _assert_safe(arc_platform, workload, "after abort")
    assert "## Why the drill stopped" in aborted.markdown and "lifted the fence" in aborted.markdown

    # And: once AWS stops throttling, resume completes the same drill
    resumed = helpers.resume(arc_platform, tmp_path / "drill", workload=workload)
    _assert_completed(resumed, "resume")
    assert arc_platform.writer_region() == WEST
    assert len(resumed.report["runs"]) == 2
    assert workload.lost() == []


# -- crashes at every call: chained through resumes ------------------------------------------------

#: A chain that has not completed after this many runs is looping, not progressing.
MAX_RUNS = 400


def _crash_chain(
    platform: builder.Platform, kind: str, directory: Path, workload: builder.Workload, chain: CrashChain
) -> helpers.Outcome:
    """Start the drill, then resume it after every crash, until it completes; check safety at each stop."""
    hooks = chain.hooks()

    def bind(setup: session.DrillSetup) -> None:
        chain.new_run(lambda: setup.gateway.recorder.step)

    try:
        chain.between_runs()
        return _start(platform, kind, directory, workload, hooks, bind)
    except Crash:
        pass
    for run in range(2, MAX_RUNS):
        where = f"{kind}, run {run}, after crashing at {chain.crashed[-1][1]} in step {chain.crashed[-1][0]}"
        _assert_safe(platform, workload, where)
        helpers.warm_up(platform, workload, ticks=1)  # time passes while the operator restarts the drill
        try:
            chain.between_runs()
            return helpers.resume(platform, directory, workload=workload, hooks=hooks, seed=run, on_setup=bind)
        except Crash:
            continue
    raise AssertionError(f"{kind}: still crashing after {MAX_RUNS} runs")


def _assert_chain_completed(outcome: helpers.Outcome, chain: CrashChain, kind: str) -> None:
    _assert_completed(outcome, f"{kind} after {len(chain.crashed)} crashes")
    assert len(outcome.report["runs"]) == len(chain.crashed) + 1, "every crash must have left a resumable journal"
    crashed_ops = {key[1] for key in chain.crashed}
    made = {c["operation"] for s in outcome.report["steps"] for c in s["apiCalls"]}
    if chain.only is not None:
        made &= chain.only
    assert made <= crashed_ops, f"never crashed at: {made - crashed_ops}"


@pytest.mark.parametrize("after_send", [False, True], ids=["before-send", "after-send"])
def test_crash__at_every_request_of_a_switchover_resumes_to_completion_without_loss(
    arc_platform: builder.Platform, tmp_path: Path, after_send: bool
) -> None:
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    chain = CrashChain(after_send=after_send, only=MUTATING if after_send else None)

    outcome = _crash_chain(arc_platform, "switchover", tmp_path / "drill", workload, chain)

    _assert_chain_completed(outcome, chain, "switchover")
    assert len(chain.crashed) >= (8 if after_send else 40), f"only {len(chain.crashed)} crash points"
    assert arc_platform.writer_region() == WEST and arc_platform.accepting_writes() == [WEST]
    assert workload.lost() == [], f"a crashed and resumed switchover lost committed writes: {workload.lost()}"


@pytest.mark.parametrize("after_send", [False, True], ids=["before-send", "after-send"])
def test_crash__at_every_request_of_a_failback_resumes_to_completion_without_loss(
    arc_platform: builder.Platform, tmp_path: Path, after_send: bool
) -> None:
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    _assert_completed(helpers.run(arc_platform, "switchover", tmp_path / "over", workload=workload), "setup")
    chain = CrashChain(after_send=after_send, only=MUTATING if after_send else None)

    outcome = _crash_chain(arc_platform, "failback", tmp_path / "drill", workload, chain)

    _assert_chain_completed(outcome, chain, "failback")
    assert arc_platform.writer_region() == EAST
    assert (arc_platform.routing(EAST), arc_platform.routing(WEST)) == ("On", "On")
    assert arc_platform.scaling(WEST, "general") == (3, 6, 12), "capacity must be restored after the crashes too"
    assert workload.lost() == []


@pytest.mark.parametrize("after_send", [False, True], ids=["before-send", "after-send"])
def test_crash__at_every_request_of_a_failover_resumes_to_completion(
    arc_platform: builder.Platform, tmp_path: Path, after_send: bool
) -> None:
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    arc_platform.lose_region(EAST)
    chain = CrashChain(after_send=after_send, only=MUTATING if after_send else None)

    outcome = _crash_chain(arc_platform, "failover", tmp_path / "drill", workload, chain)

    _assert_chain_completed(outcome, chain, "failover")
    assert arc_platform.writer_region() == WEST and arc_platform.accepting_writes() == [WEST]
    assert outcome.report["rpo"]["committedWritesLost"] == len(workload.lost())


# -- crashes at every call, each from a fresh drill (opt-in: minutes, not seconds) --------------------

FULL_MATRIX = bool(os.environ.get("FINSTACK_FULL_FAULT_MATRIX"))


def _crash_points(operations: list[str]) -> list[tuple[int, bool]]:
    """(request index, after send) for every request, and also after every mutating one."""
    points = [(i, False) for i in range(1, len(operations) + 1)]
    points += [(i, True) for i, op in enumerate(operations, start=1) if op in MUTATING]
    return sorted(points)


def _crash_once_and_resume(
    platform: builder.Platform, kind: str, directory: Path, workload: builder.Workload, index: int, after: bool
) -> None:
    where = f"{kind}: crash {'after' if after else 'before'} request {index}"
    crash = CrashAt(index, after_send=after)
    with pytest.raises(Crash):
        _start(platform, kind, directory, workload, crash.hooks())
    where += f" ({crash.crashed_on})"
    _assert_safe(platform, workload, where)
    outcome = helpers.resume(platform, directory, workload=workload)
    _assert_completed(outcome, where)
    assert len(outcome.report["runs"]) == 2, where
    _assert_safe(platform, workload, where + " after resume")


@pytest.mark.skipif(not FULL_MATRIX, reason="set FINSTACK_FULL_FAULT_MATRIX=1 (about 4 minutes)")
def test_crash__at_each_request_of_a_fresh_switchover_resumes_to_completion(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Each case starts from the same state: a clean failback after every crashed switchover restores it.
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    operations = _count_requests(arc_platform, "switchover", tmp_path / "count", workload)
    _assert_completed(helpers.run(arc_platform, "failback", tmp_path / "count-back", workload=workload), "reset")

    for n, (index, after) in enumerate(_crash_points(operations)):
        helpers.warm_up(arc_platform, workload, ticks=4)
        _crash_once_and_resume(arc_platform, "switchover", tmp_path / f"s{n}", workload, index, after)
        assert workload.lost() == [], f"switchover crash at {index} lost committed writes"
        _assert_completed(helpers.run(arc_platform, "failback", tmp_path / f"b{n}", workload=workload), "reset")


def test_resume__after_a_rollback_rechecks_the_preconditions(arc_platform: builder.Platform, tmp_path: Path) -> None:
    # Given: a switchover rolled back (SwitchoverGlobalCluster throttled throughout), then the target fails
    def throttle_switchover(model: Any, **_: Any) -> Any:
        from tests.drills.faults import _answer

        return _answer(400, "Throttling") if model.name == "SwitchoverGlobalCluster" else None

    workload = builder.Workload(arc_platform)
    aborted = _start(arc_platform, "switchover", tmp_path / "drill", workload, [("before-call", throttle_switchover)])
    assert aborted.result.status == "aborted"
    route53_health.set_endpoint_health(arc_platform.cell(WEST)["healthCheckId"], False)

    # When: the operator resumes
    resumed = helpers.resume(arc_platform, tmp_path / "drill", workload=workload)

    # Then: the preflight runs again and stops the drill before any change (an abort: the scale-up stays)
    assert resumed.result.status == "aborted", resumed.result
    assert "target-healthy" in resumed.result.reason
    assert arc_platform.writer_region() == EAST and arc_platform.routing(EAST) == "On"

    # And: once the target is healthy again, the same drill completes
    route53_health.set_endpoint_health(arc_platform.cell(WEST)["healthCheckId"], True)
    done = helpers.resume(arc_platform, tmp_path / "drill", workload=workload)
    assert done.result.status == "completed", done.result
    assert arc_platform.writer_region() == WEST and len(done.report["runs"]) == 3
