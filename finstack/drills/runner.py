"""Execute a frozen drill plan: verify-then-act steps, the journal, invariant checks, safe aborts.

Every step handler starts by checking whether its effect is already in place (so a step is
idempotent and a resumed drill re-verifies the step that was in flight), acts only if not, and
then confirms the effect by reading it back. A call whose outcome is unknown (timeout) is never
assumed to have failed or succeeded: the handler reads the state and decides.

After every step the runner checks the one-writer invariant: the regions whose database accepts
writes (the emulator's write model, or on AWS the global cluster's writers plus any cluster the
drill detached) minus the fenced regions must be at most one, and a fence the drill set must still
hold. A broken invariant, an exhausted retry budget or a step timeout aborts the drill into a
safe state (`_make_safe`): the fence is kept whenever the writer may have moved, and is rolled
back only in a planned drill whose writer provably never left the source.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from finstack.drills import errors, preflight
from finstack.drills.clock import DrillClock, iso
from finstack.drills.dataplane import CanaryResult, DataPlane
from finstack.drills.dr import DrDocument
from finstack.drills.gateway import DrillGateway
from finstack.drills.journal import Journal, StepRecord
from finstack.drills.observe import Observer, Scaling, baseline_tag
from finstack.drills.plan import Plan, Step, StepKind

log = logging.getLogger(__name__)

COMPLETED_STATES = ("completed", "completedWithExceptions", "completedMonitoringApplicationHealth")
#: Step tags of API calls made outside a step: the invariant checks and the safe-state actions.
INVARIANT_CALLS = "invariant-check"
SAFE_STATE_CALLS = "safe-state"
#: A fence read back from two ARC cluster endpoints in different regions is not one endpoint's stale view.
CONFIRMING_ENDPOINTS = 2
FAILED_STATES = ("failed", "canceled", "pausedByFailedStep", "planExecutionTimedOut", "pausedByOperator")


@dataclass(frozen=True)
class Timings:
    """How long to wait for AWS, and how often to look. Real AWS: minutes; the emulator: seconds."""

    poll_seconds: float = 10.0
    # Route 53 needs three failed checks 10 s apart before a check turns unhealthy.
    fence_timeout: float = 180.0
    # A large cluster's switchover drains replication first: dr_control allows an hour.
    writer_timeout: float = 3600.0
    # Node groups launch instances and join them to the cluster.
    capacity_timeout: float = 1800.0
    health_timeout: float = 300.0
    region_switch_timeout: float = 7200.0


#: The emulator's operations take seconds (AuroraTimings) and its health checks turn at once.
EMULATOR_TIMINGS = Timings(
    poll_seconds=0.05,
    fence_timeout=30.0,
    writer_timeout=120.0,
    capacity_timeout=60.0,
    health_timeout=30.0,
    region_switch_timeout=300.0,
)


@dataclass
class DrillContext:
    """Everything a run needs; built by the CLI (or a test) and handed to `DrillRunner`."""

    document: DrDocument
    plan: Plan
    gateway: DrillGateway
    data_plane: DataPlane
    journal: Journal
    clock: DrillClock
    timings: Timings = field(default_factory=Timings)
    thresholds: preflight.Thresholds = field(default_factory=preflight.Thresholds)
    override_fence: str | None = None
    #: The operator's recorded reason to end a prod drill as completed although its split-brain
    #: canary could not be verified (`--accept-unverified-canary`); None: such a drill ends unverified.
    accept_unverified_canary: str | None = None
    #: Who started this run (for a resume: who resumed it), as the evidence records it.
    operator: dict[str, Any] | None = None
    #: Progress callback: ("start" | "done" | "skip", step, seconds) for the operator's terminal.
    on_progress: Callable[[str, Step, float], None] | None = None


@dataclass
class RunResult:
    """How a run ended: completed, aborted (safe state described) or refused (nothing changed)."""

    status: str
    reason: str = ""


class DrillRunner:
    """Runs (or resumes) one drill."""

    def __init__(self, context: DrillContext) -> None:
        self.ctx = context
        self.plan = context.plan
        self.journal = context.journal
        self.gateway = context.gateway
        self.clock = context.clock
        self.observer = Observer(context.gateway, context.document, context.data_plane)
        self.arc = context.document.arc
        self._handlers: dict[StepKind, Callable[[Step, StepRecord], dict[str, Any]]] = {
            StepKind.PREFLIGHT: self._preflight,
            StepKind.SCALE_TARGET: self._scale,
            StepKind.AWAIT_CAPACITY: self._await_capacity,
            StepKind.FENCE: self._fence,
            StepKind.CONFIRM_FENCE: self._confirm_fence,
            StepKind.CAPTURE: self._capture,
            StepKind.PROMOTE: self._promote,
            StepKind.REGION_SWITCH: self._region_switch,
            StepKind.CONFIRM_WRITER: self._confirm_writer,
            StepKind.VERIFY_WRITES: self._verify_writes,
            StepKind.MOVE_TRAFFIC: self._admit,
            StepKind.VERIFY_HEALTH: self._verify_health,
            StepKind.READMIT: self._admit,
            StepKind.RESTORE_CAPACITY: self._restore_capacity,
        }

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run every step not yet completed; abort into a safe state on any drill error."""
        data = self.journal.data
        data["runs"].append(
            {
                "run": len(data["runs"]) + 1,
                "startedAt": iso(self.clock.wall()),
                "resumed": bool(data["runs"]),
                "operator": self.ctx.operator,
            }
        )
        data["status"] = "running"
        self.journal.save()
        current: Step | None = None
        try:
            self._check_invariant("start of run")
            for step in self.plan.steps:
                current = step
                if self.journal.step(step.id)["status"] == "completed":
                    self._progress("skip", step, 0.0)
                    continue
                self._execute(step)
                self._check_invariant(step.id)
        except errors.PreconditionFailed as err:
            # Only the preflight raises this, before its run changes anything. On a first run the
            # drill is refused; on a resume after a rollback, earlier runs did change things (the
            # scale-up stays), so it is an abort, in the safe state the rollback left.
            self._finish_step_failed(current, err)
            changed = any(
                s.kind != StepKind.PREFLIGHT and self.journal.step(s.id)["status"] != "pending" for s in self.plan.steps
            )
            if changed:
                self.journal.event(iso(self.clock.wall()), "aborted", reason=str(err), safeState=self._make_safe(err))
                return self._end("aborted", str(err))
            return self._end("refused", str(err))
        except errors.DrillError as err:
            self._finish_step_failed(current, err)
            safe = self._make_safe(err)
            self.journal.event(iso(self.clock.wall()), "aborted", reason=str(err), safeState=safe)
            return self._end("aborted", str(err))
        finally:
            self._flush_calls()
        unverified = self._unverified_canary()
        if unverified:
            return self._end("unverified", unverified)
        return self._end("completed", "")

    def _unverified_canary(self) -> str:
        """Why a prod drill cannot end completed: its canary did not prove one writer (else "").

        The canary is the only proof that the new writer takes writes and the old one refuses
        them; a prod drill without that proof ends `unverified` (exit 1) unless the operator
        accepted it with a recorded reason. Other environments record the gap and complete.
        """
        canary = self.journal.data["measurements"].get("canary")
        if canary is None:
            return ""
        verdict = self._canary_verdict(canary)
        canary["verdict"] = verdict
        if verdict == "verified" or self.ctx.document.environment != "prod":
            return ""
        gaps = "; ".join(
            f"{side} ({canary[side]['region']}): {canary[side]['detail']}"
            for side in ("target", "source")
            if not canary[side]["verified"]
        )
        if self.ctx.accept_unverified_canary:
            canary["verdict"] = "unverified-accepted"
            canary["acceptedBecause"] = self.ctx.accept_unverified_canary
            self.journal.event(
                iso(self.clock.wall()),
                "canary not verified; accepted by the operator",
                reason=self.ctx.accept_unverified_canary,
                gaps=gaps,
            )
            return ""
        return (
            f"the split-brain canary could not be verified ({gaps}): nothing proves that only the new writer "
            "accepts writes. Fix what it names (the RDS Data API on every member, the break-glass secret and "
            "the automation role's grants to read it) and drill again, or resume with "
            "--accept-unverified-canary REASON to end it completed on the record"
        )

    @staticmethod
    def _canary_verdict(canary: dict[str, Any]) -> str:
        target, source = canary["target"], canary["source"]
        proven = target["verified"] and target["accepted"] and source["verified"] and not source["accepted"]
        return "verified" if proven else "unverified"

    def _end(self, status: str, reason: str) -> RunResult:
        data = self.journal.data
        data["status"] = status
        data["endedAt"] = iso(self.clock.wall())
        data["reason"] = reason
        data["runs"][-1]["endedAt"] = data["endedAt"]
        data["runs"][-1]["status"] = status
        self._flush_calls()
        self.journal.save()
        return RunResult(status, reason)

    def _flush_calls(self) -> None:
        calls = self.gateway.recorder.calls
        if calls:
            run = self.journal.run_number
            self.journal.data["apiCalls"].extend({**c.to_json(), "run": run} for c in calls)
            calls.clear()
            self.journal.save()

    def _execute(self, step: Step) -> None:
        record = self.journal.step(step.id)
        run = self.journal.run_number
        if record["status"] == "in-flight":
            record.setdefault("notes", []).append(
                f"run {run}: was in flight when the previous run stopped; re-verified"
            )
        if "startedAt" not in record:
            # The first start is what the RTO counts from: a fence is in effect from its first attempt.
            record["startedAt"] = iso(self.clock.wall())
            record["startRun"] = run
            record["startMonotonic"] = self.clock.monotonic()
        record["status"] = "in-flight"
        record["attempts"] = int(record.get("attempts", 0)) + 1
        record["lastStartMonotonic"] = self.clock.monotonic()
        record["lastStartedAt"] = iso(self.clock.wall())
        self.journal.save()
        self.gateway.recorder.step = step.id
        self._progress("start", step, 0.0)
        try:
            details = self._handlers[step.kind](step, record)
        finally:
            self.gateway.recorder.step = None
            self._flush_calls()
        record.update(
            status="completed",
            endedAt=iso(self.clock.wall()),
            endRun=run,
            endMonotonic=self.clock.monotonic(),
            details={**record.get("details", {}), **details},
        )
        self.journal.save()
        self._progress("done", step, self.clock.monotonic() - record["lastStartMonotonic"])

    def _finish_step_failed(self, step: Step | None, err: Exception) -> None:
        if step is None:
            return
        record = self.journal.step(step.id)
        if record["status"] == "in-flight":
            record.update(
                status="failed",
                endedAt=iso(self.clock.wall()),
                endRun=self.journal.run_number,
                endMonotonic=self.clock.monotonic(),
                error=str(err),
                errorType=type(err).__name__,
            )
            self.journal.save()

    # -- helpers ----------------------------------------------------------------------------------

    def _progress(self, event: str, step: Step, seconds: float) -> None:
        if self.ctx.on_progress is not None:
            self.ctx.on_progress(event, step, seconds)

    def _done(self, kind: StepKind) -> bool:
        return any(s.kind == kind and self.journal.step(s.id)["status"] == "completed" for s in self.plan.steps)

    def _token(self, what: str) -> str:
        """An idempotency token stable for this drill and change, across retries, verifications and resumes."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"finstack-drill/{self.journal.data['drillId']}/{what}"))

    def _started(self, kind: StepKind) -> bool:
        return any(s.kind == kind and self.journal.step(s.id)["status"] != "pending" for s in self.plan.steps)

    def _fence_confirmed(self) -> bool:
        return any(
            s.kind == StepKind.CONFIRM_FENCE
            and self.journal.step(s.id)["status"] == "completed"
            and self.journal.step(s.id).get("details", {}).get("confirmed") is True
            for s in self.plan.steps
        )

    def _poll(self, what: str, timeout: float, probe: Callable[[], tuple[bool, Any]]) -> Any:
        """Call `probe` every poll interval until it reports done; `StepTimeout` after `timeout` seconds.

        Not a botocore waiter: waiters sleep on the wall clock (no virtual time for the fault
        matrix), count a throttled poll as a failure, and cannot express "writer is the target
        and no FailoverState" across two calls; the probes here use the gateway's retry policy.
        """
        deadline = self.clock.monotonic() + timeout
        while True:
            done, value = probe()
            if done:
                return value
            if self.clock.monotonic() >= deadline:
                raise errors.StepTimeout(f"{what}: not done after {timeout:g} s (last seen: {value})")
            self.clock.sleep(self.ctx.timings.poll_seconds)

    def _fenced(self, region: str) -> tuple[bool, str]:
        """Whether `region`'s cell is fenced now, read back from ARC or Route 53, and what was seen."""
        if self.arc:
            state = self.observer.routing_state(region)
            return state == "Off", f"routing control {state}"
        health = self.observer.cell_health(region)
        # Without ARC, Route 53 routes on what the check reports: a cell is out of DNS while it reports unhealthy.
        return (
            health.reported_healthy is False,
            f"check reports {'healthy' if health.reported_healthy else 'unhealthy'}"
            + (" (inverted)" if health.inverted else ""),
        )

    def _set_admitted(self, region: str, admitted: bool, override: list[str] | None = None) -> dict[str, Any]:
        """Routing control On/Off, or health-check inversion, made idempotent by reading first."""
        cell = self.ctx.document.cell(region)
        if self.arc:
            assert cell.routing_control_arn is not None
            wanted = "On" if admitted else "Off"
            current = self.observer.routing_state(region)
            if current == wanted:
                return {"change": "none", "routingControl": wanted}
            self.gateway.set_routing_control_state(
                cell.routing_control_arn, wanted, self.observer.arc_endpoints(), override=override or ()
            )
            return {
                "change": f"{current} -> {wanted}",
                "routingControl": wanted,
                "overriddenSafetyRules": override or [],
            }
        health = self.observer.cell_health(region)
        if admitted:
            if not health.inverted:
                return {"change": "none", "inverted": False}
            self.gateway.set_health_check_inverted(cell.health_check_id, False)
            return {"change": "inverted -> not inverted", "inverted": False}
        if health.inverted or health.reported_healthy is False:
            # Inverting a check that already fails would make it report healthy: that would re-admit the cell.
            return {
                "change": "none",
                "inverted": health.inverted,
                "note": ""
                if health.inverted
                else "the endpoint already fails its check: left as is "
                "(not a durable fence; ARC routing controls give one)",
            }
        self.gateway.set_health_check_inverted(cell.health_check_id, True)
        return {"change": "not inverted -> inverted", "inverted": True}

    def _global(self) -> dict[str, Any] | None:
        found, _ = self.observer.global_cluster(prefer=[self.plan.target, self.plan.source])
        return found

    def _writer_arn(self, global_cluster: dict[str, Any] | None) -> str | None:
        writers = [
            m["DBClusterArn"] for m in (global_cluster or {}).get("GlobalClusterMembers", []) if m.get("IsWriter")
        ]
        return writers[0] if len(writers) == 1 else None

    # -- invariant --------------------------------------------------------------------------------

    def _db_writers(self) -> tuple[list[str], str]:
        observed = self.ctx.data_plane.writable_regions()
        if observed is not None:
            return sorted(observed), self.ctx.data_plane.kind
        # AWS: the global cluster's writer (none while a writer change suspends writes), plus a
        # cluster this drill detached and promoted, which is a writer of its own.
        global_cluster = self._global()
        writers: list[str] = []
        if global_cluster is not None and not global_cluster.get("FailoverState"):
            arn = self._writer_arn(global_cluster)
            if arn is not None:
                writers.append(arn.split(":")[3])
        if self.plan.promotion == "detach-and-promote" and self._done(StepKind.PROMOTE):
            writers.append(self.plan.target)
        if global_cluster is None:
            writers.append(self.plan.source)  # unobservable: assume the worst, the fence must cover it
        return sorted(set(writers)), "control-plane"

    def _check_invariant(self, after: str) -> None:
        self.gateway.recorder.step = INVARIANT_CALLS
        try:
            self._check_invariant_now(after)
        finally:
            self.gateway.recorder.step = None

    def _check_invariant_now(self, after: str) -> None:
        writers, source = self._db_writers()
        fenced = {region: self._fenced(region) for region in writers}
        effective = [r for r in writers if not fenced[r][0]]
        problems = []
        if len(effective) > 1:
            problems.append(f"{len(effective)} regions accept writes: {', '.join(effective)}")
        # Once confirmed, a fence must hold until the drill itself lifts it (failback's readmit, which
        # may have happened once it started: a crash can come between the change and the journal).
        # Route 53 needs time to turn, so "set but not yet confirmed" is the confirm step's to judge.
        if self._fence_confirmed() and not self._started(StepKind.READMIT):
            held, seen = fenced.get(self.plan.source) or self._fenced(self.plan.source)
            if not held:
                problems.append(f"the fence on {self.plan.source} no longer holds ({seen})")
        check = {
            "after": after,
            "at": iso(self.clock.wall()),
            "dbWritableRegions": writers,
            "observedThrough": source,
            "fenced": {r: v[0] for r, v in fenced.items()},
            "acceptingWrites": effective,
            "ok": not problems,
            "problems": problems,
        }
        self.journal.data["invariantChecks"].append(check)
        self.journal.save()
        if problems:
            raise errors.InvariantViolated("; ".join(problems))

    # -- safe abort -------------------------------------------------------------------------------

    def _make_safe(self, err: Exception) -> dict[str, Any]:
        """Bring the platform to a state with one writer and its traffic consistent; say which."""
        self.gateway.recorder.step = SAFE_STATE_CALLS
        try:
            return self._make_safe_now(err)
        finally:
            self.gateway.recorder.step = None

    def _make_safe_now(self, err: Exception) -> dict[str, Any]:
        actions: list[str] = []
        try:
            if isinstance(err, errors.InvariantViolated):
                intended = self.plan.target if self._done(StepKind.CONFIRM_WRITER) else self.plan.source
                writers, _ = self._db_writers()
                for region in writers:
                    if region != intended and not self._fenced(region)[0]:
                        self._set_admitted(region, False, override=self._overrides_if_needed(region))
                        actions.append(f"fenced {region} (a second region accepted writes)")
            global_cluster = self._global()
            in_flight = bool(global_cluster and global_cluster.get("FailoverState"))
            writer_arn = self._writer_arn(global_cluster)
            source_arn = self.ctx.document.cell(self.plan.source).aurora_cluster_arn
            fence_in_place = any(
                s.kind == StepKind.FENCE and self.journal.step(s.id)["status"] in ("completed", "in-flight", "failed")
                for s in self.plan.steps
            )
            planned = self.plan.drill in ("switchover", "failback")
            if (
                planned
                and fence_in_place
                and not in_flight
                and writer_arn == source_arn
                and not isinstance(err, errors.InvariantViolated)
            ):
                # The writer never left the source: lifting the fence restores the platform as it was.
                self._set_admitted(self.plan.source, True)
                actions.append(f"lifted the fence on {self.plan.source}: it is still the writer")
                fence = self.journal.data["measurements"].get("fence")
                if fence is not None:
                    fence["liftedAt"] = iso(self.clock.wall())
                for step in self.plan.steps:
                    record = self.journal.step(step.id)
                    if (
                        step.kind
                        in (
                            # The preflight too: a resume after a rollback re-checks the preconditions.
                            StepKind.PREFLIGHT,
                            StepKind.FENCE,
                            StepKind.CONFIRM_FENCE,
                            StepKind.CAPTURE,
                            StepKind.PROMOTE,
                            StepKind.CONFIRM_WRITER,
                        )
                        and record["status"] != "pending"
                    ):
                        record["status"] = "rolled-back"
            elif fence_in_place:
                actions.append(
                    f"kept the fence on {self.plan.source}: "
                    + ("a writer change is in flight" if in_flight else "the writer may have moved")
                    + "; resume the drill to finish"
                )
            writers, _ = self._db_writers()
            fenced = {r: self._fenced(r)[0] for r in writers}
            state = {
                "writerRegion": writer_arn.split(":")[3] if writer_arn else None,
                "writerChangeInFlight": in_flight,
                "dbWritableRegions": writers,
                "acceptingWrites": [r for r in writers if not fenced[r]],
                "actions": actions,
            }
        except errors.DrillError as failure:
            state = {
                "actions": actions,
                "error": f"could not complete the safe-state actions: {failure}",
                "note": "the fence, if set, was left in place (fail closed)",
            }
        self.journal.save()
        return state

    def _overrides_if_needed(self, region: str) -> list[str]:
        """The safety rules to override to switch `region` Off when no other cell is On (else none).

        Taken from the `dr` document, never from the control-config API (ListSafetyRules is served
        from us-west-2 only; a failover must not depend on it).
        """
        if not self.arc:
            return []
        others_on = [r for r in self.ctx.document.cells if r != region and self.observer.routing_state(r) == "On"]
        if others_on:
            return []
        return list(self.ctx.document.arc_safety_rule_arns)

    # -- step handlers ----------------------------------------------------------------------------

    def _preflight(self, step: Step, record: StepRecord) -> dict[str, Any]:
        observed = self.observer.observe(prefer=[self.plan.target, self.plan.source])
        checks = preflight.evaluate(
            self.plan.drill,
            self.ctx.document,
            observed,
            source=self.plan.source,
            target=self.plan.target,
            thresholds=self.ctx.thresholds,
            stack=self.plan.stack,
        )
        measurements = self.journal.data["measurements"]
        measurements.setdefault(
            "writerBefore",
            {
                "region": observed.writer_region,
                "clusterArn": self.ctx.document.cell(observed.writer_region).aurora_cluster_arn
                if observed.writer_region
                else None,
            },
        )
        details = {"preconditions": [c.to_json() for c in checks], "observed": observed.to_json()}
        failed = preflight.blocking_failures(checks)
        if failed:
            record["details"] = details
            raise errors.PreconditionFailed("; ".join(f"{c.name}: {c.reason} (found {c.actual})" for c in failed))
        return details

    def _scale(self, step: Step, record: StepRecord) -> dict[str, Any]:
        changes = []
        for group in step.params["nodegroups"]:
            changes.append(self._scale_one(group, Scaling(**_scaling(group["scaling"])), tag_baseline=True))
        return {"nodegroups": changes}

    def _scale_one(self, group: dict[str, Any], wanted: Scaling, *, tag_baseline: bool) -> dict[str, Any]:
        region, cluster, name = group["region"], group["cluster"], group["nodegroup"]
        for _ in range(3):
            if tag_baseline:
                tags = self.gateway.describe_eks_cluster(cluster, region).get("tags") or {}
                if baseline_tag(name) not in tags:
                    # Recorded before the first change, so a failback (by anyone, from anywhere) can restore it.
                    baseline = Scaling(**_scaling(group["baseline"]))
                    self.gateway.tag_resource(
                        "eks", region, group["clusterArn"], {baseline_tag(name): baseline.to_tag()}
                    )
            current = self.gateway.describe_nodegroup(cluster, name, region)
            now = current.get("scalingConfig", {})
            # The plan froze the sizes it saw; an `up` since (between a drill's runs, or between a
            # switchover and its failback) may have changed min and max, which are `up`'s. A drill
            # owns only the desired size: keep the live min and max, clamp the desired into them.
            wanted = _within_live_bounds(wanted, now)
            if (now.get("minSize"), now.get("desiredSize"), now.get("maxSize")) == (
                wanted.min_size,
                wanted.desired,
                wanted.max_size,
            ):
                return {"nodegroup": name, "region": region, "change": "none", "scaling": wanted.to_json()}
            try:
                self.gateway.update_nodegroup_scaling(
                    cluster,
                    name,
                    region,
                    min_size=wanted.min_size,
                    desired=wanted.desired,
                    max_size=wanted.max_size,
                    token=self._token(f"scale/{region}/{cluster}/{name}/{wanted.to_tag()}"),
                )
                return {
                    "nodegroup": name,
                    "region": region,
                    "change": "updated",
                    "from": _scaling_json(now),
                    "scaling": wanted.to_json(),
                }
            except (errors.OutcomeUnknown, errors.InvalidState):
                # Either it happened (the next read shows it) or an update is still running: look again.
                self._await_active(cluster, name, region)
        raise errors.StepTimeout(f"node group {name} in {region}: scaling did not take after 3 attempts")

    def _await_active(self, cluster: str, name: str, region: str) -> None:
        def probe() -> tuple[bool, Any]:
            status = self.gateway.describe_nodegroup(cluster, name, region).get("status")
            return status == "ACTIVE", status

        self._poll(f"node group {name} in {region} ACTIVE", self.ctx.timings.capacity_timeout, probe)

    def _await_capacity(self, step: Step, record: StepRecord) -> dict[str, Any]:
        for group in step.params["nodegroups"]:
            wanted = _scaling(group["scaling"])

            def probe(group: dict[str, Any] = group, wanted: dict[str, int] = wanted) -> tuple[bool, Any]:
                found = self.gateway.describe_nodegroup(group["cluster"], group["nodegroup"], group["region"])
                config = found.get("scalingConfig", {})
                ok = found.get("status") == "ACTIVE" and config.get("desiredSize") == wanted["desired"]
                return ok, f"{found.get('status')} desired={config.get('desiredSize')}"

            self._poll(
                f"node group {group['nodegroup']} at {wanted['desired']} nodes",
                self.ctx.timings.capacity_timeout,
                probe,
            )
        return {
            "nodegroups": [
                {"nodegroup": g["nodegroup"], "region": g["region"], "status": "ACTIVE"}
                for g in step.params["nodegroups"]
            ]
        }

    def _fence(self, step: Step, record: StepRecord) -> dict[str, Any]:
        region = step.params["region"]
        override: list[str] = []
        if step.params.get("overrideSafetyRules"):
            override = self._overrides_if_needed(region)
        try:
            change = self._set_admitted(region, False, override=override)
        except errors.Conflict:
            # Another cell went Off since the plan was made: the only way to fence is past the rule.
            override = self._overrides_if_needed(region)
            if not override:
                raise
            change = self._set_admitted(region, False, override=override)
        if override:
            self.journal.event(
                iso(self.clock.wall()),
                "ARC safety rules overridden to fence the last cell On",
                region=region,
                safetyRules=override,
            )
        return {"fence": change, "method": step.params["method"], "overriddenSafetyRules": override}

    def _confirm_fence(self, step: Step, record: StepRecord) -> dict[str, Any]:
        region = step.params["region"]

        def probe() -> tuple[bool, Any]:
            if self.arc:
                # Read back from two different cluster endpoints: both must agree the control is Off.
                arn = self.ctx.document.cell(region).routing_control_arn
                assert arn is not None
                states = self.gateway.routing_control_states_by_region(
                    arn, self.observer.arc_endpoints(), CONFIRMING_ENDPOINTS
                )
                held = len(states) == CONFIRMING_ENDPOINTS and all(s == "Off" for s in states.values())
                return held, {"routingControlStates": states}
            held, seen = self._fenced(region)
            return held, {"healthCheck": seen}

        try:
            seen = self._poll(f"fence on {region}", self.ctx.timings.fence_timeout, probe)
        except (errors.StepTimeout, errors.AwsError) as err:
            if step.params.get("failClosed") and self.ctx.override_fence:
                self.journal.event(
                    iso(self.clock.wall()),
                    "fence NOT confirmed; promotion allowed by an explicit override",
                    region=region,
                    overrideReason=self.ctx.override_fence,
                    error=str(err),
                )
                return {"confirmed": False, "override": self.ctx.override_fence, "error": str(err)}
            raise errors.FenceNotConfirmed(
                f"the fence on {region} could not be confirmed ({err}); nothing was promoted"
                + (
                    " — pass --override-fence REASON to promote anyway, on the record"
                    if step.params.get("failClosed")
                    else ""
                )
            ) from err
        confirmed_at = iso(self.clock.wall())
        self.journal.data["measurements"]["fence"] = {
            "region": region,
            "method": step.params["method"],
            "confirmed": True,
            "confirmedAt": confirmed_at,
            "readBack": seen,
        }
        return {"confirmed": True, "confirmedAt": confirmed_at, "readBack": seen}

    def _capture(self, step: Step, record: StepRecord) -> dict[str, Any]:
        target, source = step.params["target"], step.params["source"]
        positions = self.ctx.data_plane.positions()
        lost_before = self.ctx.data_plane.lost_write_ids()
        member = self.observer.member(target, {})
        lag, lag_source = self.observer.replication_lag(target, member)
        capture = {
            "at": iso(self.clock.wall()),
            "positions": {r: p.to_json() for r, p in positions.items()} if positions is not None else None,
            "sourceCommitted": positions[source].count if positions and source in positions else None,
            "targetApplied": positions[target].count if positions and target in positions else None,
            "targetLagSeconds": lag,
            "targetLagSource": lag_source,
            "lostBefore": lost_before,
        }
        self.journal.data["measurements"]["capture"] = capture
        return capture

    def _promote(self, step: Step, record: StepRecord) -> dict[str, Any]:
        strategy = step.params["strategy"]
        gc_id, target_arn = step.params["globalClusterId"], step.params["targetArn"]
        region = self.plan.target
        for attempt in range(1, 4):
            started = self._promotion_started(strategy, target_arn)
            if started:
                return {"strategy": strategy, "state": started, "attempts": attempt - 1}
            try:
                if strategy == "switchover":
                    self.gateway.switchover_global_cluster(gc_id, target_arn, region)
                elif strategy == "managed-failover":
                    try:
                        self.gateway.failover_global_cluster(gc_id, target_arn, region)
                    except (errors.InvalidState, errors.BadRequest, errors.RegionUnreachable) as err:
                        # The managed failover needs the global cluster's control plane; detaching does not.
                        self.journal.event(
                            iso(self.clock.wall()), "managed failover refused; detaching instead", error=str(err)
                        )
                        strategy = "detach-and-promote"
                        record.setdefault("details", {})["fallback"] = {"from": "managed-failover", "reason": str(err)}
                        self.gateway.remove_from_global_cluster(gc_id, target_arn, region)
                else:
                    self.gateway.remove_from_global_cluster(gc_id, target_arn, region)
            except errors.OutcomeUnknown as err:
                log.warning("promotion outcome unknown (%s); verifying", err)
                continue
            except errors.InvalidState:
                # "Already in progress" after a lost answer: the next verification tells.
                continue
        started = self._promotion_started(strategy, target_arn)
        if not started:
            raise errors.StepTimeout(f"the {strategy} to {region} could not be started after 3 attempts")
        return {"strategy": strategy, "state": started}

    def _promotion_started(self, strategy: str, target_arn: str) -> str | None:
        if strategy == "detach-and-promote":
            cluster = self.gateway.describe_db_cluster(target_arn, self.plan.target)
            return "detached" if not cluster.get("GlobalClusterIdentifier") else None
        global_cluster = self._global()
        if global_cluster is None:
            return None
        state = global_cluster.get("FailoverState") or {}
        if state.get("ToDbClusterArn") == target_arn and state.get("Status") != "cancelling":
            return f"in progress ({state.get('Status')})"
        if self._writer_arn(global_cluster) == target_arn:
            return "completed"
        return None

    def _effective_strategy(self, step: Step) -> str:
        promote = next((s for s in self.plan.steps if s.kind == StepKind.PROMOTE), None)
        if promote is not None:
            fallback = self.journal.step(promote.id).get("details", {}).get("fallback")
            if fallback:
                return "detach-and-promote"
        return str(step.params["strategy"])

    def _confirm_writer(self, step: Step, record: StepRecord) -> dict[str, Any]:
        strategy = self._effective_strategy(step)
        target_arn = step.params["targetArn"]

        def probe() -> tuple[bool, Any]:
            if strategy == "detach-and-promote":
                cluster = self.gateway.describe_db_cluster(target_arn, self.plan.target)
                ok = cluster.get("Status") == "available" and not cluster.get("GlobalClusterIdentifier")
                return ok, f"standalone={not cluster.get('GlobalClusterIdentifier')} status={cluster.get('Status')}"
            global_cluster = self._global()
            if global_cluster is None:
                return False, "global cluster not observable"
            state = global_cluster.get("FailoverState")
            writer = self._writer_arn(global_cluster)
            if state is None and writer != target_arn and self._promotion_was_cancelled(writer):
                raise errors.InvalidState(
                    f"the writer change was cancelled by AWS; the writer is still {writer}",
                    operation="DescribeGlobalClusters",
                    region=self.plan.target,
                )
            ok = state is None and writer == target_arn and global_cluster.get("Status") == "available"
            return (
                ok,
                f"status={global_cluster.get('Status')} failoverState={(state or {}).get('Status')} writer={writer}",
            )

        seen = self._poll(f"writer in {self.plan.target}", self.ctx.timings.writer_timeout, probe)
        confirmed_at = iso(self.clock.wall())
        measurements = self.journal.data["measurements"]
        measurements["writerAfter"] = {
            "region": self.plan.target,
            "clusterArn": target_arn,
            "confirmedAt": confirmed_at,
        }
        measurements["rpo"] = self._measure_rpo(strategy)
        return {
            "writer": self.plan.target,
            "confirmedAt": confirmed_at,
            "lastSeen": seen,
            "strategy": strategy,
            "rpo": measurements["rpo"],
        }

    def _promotion_was_cancelled(self, writer: str | None) -> bool:
        source_arn = self.ctx.document.cell(self.plan.source).aurora_cluster_arn
        return writer == source_arn

    def _measure_rpo(self, strategy: str) -> dict[str, Any]:
        capture = self.journal.data["measurements"].get("capture") or {}
        positions = self.ctx.data_plane.positions()
        lost_ids_now = self.ctx.data_plane.lost_write_ids()
        source_committed = capture.get("sourceCommitted")
        target_count = positions[self.plan.target].count if positions and self.plan.target in positions else None
        lost_count: int | None = None
        lost_ids: list[str] | None = None
        if lost_ids_now is not None and capture.get("lostBefore") is not None and strategy != "detach-and-promote":
            lost_ids = lost_ids_now[len(capture["lostBefore"]) :]
            lost_count = len(lost_ids)
        elif source_committed is not None and target_count is not None:
            # Detached: the new writer holds exactly what it had applied; the rest never reached it.
            lost_count = max(0, source_committed - target_count)
        method = (
            f"measured: {self.ctx.data_plane.kind}"
            if lost_count is not None
            else "not measured: AWS does not expose committed-write positions; the window is the replication lag"
        )
        window = capture.get("targetLagSeconds")
        if lost_count == 0:
            window = 0.0
        return {
            "committedWritesLost": lost_count,
            "lostWriteIds": lost_ids,
            "windowSeconds": window,
            "windowSource": capture.get("targetLagSource"),
            "method": method,
            "sourceCommittedAtFence": source_committed,
            "targetCountAfterPromotion": target_count,
        }

    def _verify_writes(self, step: Step, record: StepRecord) -> dict[str, Any]:
        drill_id = str(self.journal.data["drillId"])
        target, source = self.plan.target, step.params["source"]
        target_cluster = self._describe_quietly(step.params["targetArn"], target)
        accepted = self.ctx.data_plane.canary(
            target, step.params["targetArn"], f"canary-{drill_id}-{target}", drill_id, target_cluster
        )
        if source in self._unreachable_regions():
            refused = CanaryResult(source, "", False, None, f"not verified: {source}'s API is unreachable")
        else:
            source_cluster = self._describe_quietly(step.params["sourceArn"], source)
            refused = self.ctx.data_plane.canary(
                source, step.params["sourceArn"], f"canary-{drill_id}-{source}", drill_id, source_cluster
            )
        if accepted.verified and not accepted.accepted:
            raise errors.DrillError(f"the new writer in {target} refused the canary write: {accepted.detail}")
        if refused.verified and refused.accepted:
            raise errors.InvariantViolated(
                f"the old writer in {source} accepted a canary write: two regions accept writes"
            )
        result = {"target": accepted.to_json(), "source": refused.to_json()}
        self.journal.data["measurements"]["canary"] = result
        return result

    def _describe_quietly(self, arn: str, region: str) -> dict[str, Any] | None:
        try:
            return self.gateway.describe_db_cluster(arn, region)
        except errors.AwsError:
            return None

    def _unreachable_regions(self) -> list[str]:
        preflight_step = next((s for s in self.plan.steps if s.kind == StepKind.PREFLIGHT), None)
        if preflight_step is None:
            return []
        observed = self.journal.step(preflight_step.id).get("details", {}).get("observed", {})
        return list(observed.get("unreachableRegions", []))

    def _admit(self, step: Step, record: StepRecord) -> dict[str, Any]:
        return {"admit": self._set_admitted(step.params["region"], True)}

    def _verify_health(self, step: Step, record: StepRecord) -> dict[str, Any]:
        region = step.params["region"]

        def probe() -> tuple[bool, Any]:
            health = self.observer.cell_health(region)
            routing = self.observer.routing_state(region)
            ok = health.reported_healthy is True and not health.inverted and (routing in (None, "On"))
            return ok, {"healthCheck": health.detail, "inverted": health.inverted, "routingControl": routing}

        seen = self._poll(f"{region} healthy and taking traffic", self.ctx.timings.health_timeout, probe)
        self.journal.data["measurements"]["healthyAt"] = iso(self.clock.wall())
        return {"healthy": True, "seen": seen}

    def _restore_capacity(self, step: Step, record: StepRecord) -> dict[str, Any]:
        restored = []
        for group in step.params["nodegroups"]:
            baseline = Scaling(**_scaling(group["scaling"]))
            restored.append(self._scale_one(group, baseline, tag_baseline=False))
            self._await_active(group["cluster"], group["nodegroup"], group["region"])
            self.gateway.untag_resource("eks", group["region"], group["clusterArn"], [baseline_tag(group["nodegroup"])])
        return {"nodegroups": restored}

    def _region_switch(self, step: Step, record: StepRecord) -> dict[str, Any]:
        plan_arn, region = step.params["planArn"], self.plan.target
        details = record.setdefault("details", {})
        execution_id = details.get("executionId")
        if execution_id is None:
            approval = self.journal.data.get("approval", {})
            execution_id = self.gateway.start_plan_execution(
                plan_arn,
                region,
                target_region=step.params["deactivate"],
                action="deactivate",
                mode=step.params["mode"],
                comment=f"finstack drill {self.plan.drill} {self.journal.data['drillId']} started by "
                f"{approval.get('approvedBy', 'unknown')}; the writer switch waits for the plan's approver",
                # Stable across retries and resumes: ARC starts one execution per drill, never two.
                token=self._token(f"region-switch/{plan_arn}/{step.params['deactivate']}"),
            )
            details["executionId"] = execution_id
            self.journal.save()
        # The drill never approves: the plan's approval step names the approver role, which the
        # automation role (this drill's principal) cannot act as. It waits for a person.
        waiting: list[str] = details.setdefault("awaitedApprovals", [])
        last: dict[str, Any] = {}

        def probe() -> tuple[bool, Any]:
            execution = self.gateway.get_plan_execution(plan_arn, execution_id, region)
            last.update(execution)
            state = execution.get("executionState")
            if state in FAILED_STATES:
                raise errors.DrillError(f"the Region switch execution {execution_id} ended {state}")
            for step_state in execution.get("stepStates", []):
                if step_state.get("status") == "pendingApproval" and step_state["name"] not in waiting:
                    waiting.append(step_state["name"])
                    self.journal.event(
                        iso(self.clock.wall()),
                        "waiting for a person to approve the Region switch step (the drill does not approve)",
                        step=step_state["name"],
                        approvalRole=_approval_roles(execution.get("plan")).get(step_state["name"]),
                    )
            return state in COMPLETED_STATES, {"state": state, "steps": execution.get("stepStates", [])}

        seen = self._poll("ARC Region switch execution", self.ctx.timings.region_switch_timeout, probe)
        approvals = self._approvals(plan_arn, execution_id, region, last, waiting)
        return {"executionId": execution_id, "final": _jsonable(seen), "approvals": approvals}

    def _approvals(
        self, plan_arn: str, execution_id: str, region: str, execution: dict[str, Any], awaited: list[str]
    ) -> list[dict[str, Any]]:
        """Who approved each manual step, and when: the evidence that the gate was someone else's.

        ARC's model names no caller: `ExecutionEvent` has a timestamp, type, step name,
        `resources` and `description` (botocore arc-region-switch `ListPlanExecutionEvents`), and
        the execution's plan names the step's `approvalRole`, the role ARC lets approve it. So
        `approvedBy` is a principal an event names when there is one, else the approval role;
        CloudTrail's `ApprovePlanExecutionStep` record names the exact session.
        """
        roles = _approval_roles(execution.get("plan"))
        drill_role = self.ctx.document.automation_role_arn
        evidence = []
        for step_name in sorted(set(awaited) | set(roles)):
            events = self.gateway.plan_execution_events(plan_arn, execution_id, step_name, region)
            done = [e for e in events if e.get("type") == "stepSucceeded"]
            named = [r for e in done for r in e.get("resources", []) if ":iam::" in r or ":sts::" in r]
            role = roles.get(step_name)
            approver = named[0] if named else role
            evidence.append(
                {
                    "step": step_name,
                    "approvalRole": role,
                    "approvedBy": approver,
                    "approvedByFrom": "execution event" if named else "the plan's approval role",
                    "approvedAt": iso(done[0]["timestamp"]) if done and done[0].get("timestamp") else None,
                    "events": _jsonable(events),
                    # The point of the gate: the principal that opened it is not the one the drill runs as.
                    "independentOfDrill": approver is not None and not _same_role(approver, drill_role),
                }
            )
        return evidence


def _approval_roles(plan: dict[str, Any] | None) -> dict[str, str]:
    """Manual approval step name -> its `approvalRole`, from an execution's `plan` (botocore `Plan`)."""
    roles: dict[str, str] = {}
    for workflow in (plan or {}).get("workflows", []):
        for step in workflow.get("steps", []):
            config = step.get("executionBlockConfiguration", {}).get("executionApprovalConfig")
            if step.get("executionBlockType") == "ManualApproval" and config and config.get("approvalRole"):
                roles[step["name"]] = str(config["approvalRole"])
    return roles


def _same_role(principal_arn: str, role_arn: str) -> bool:
    """`principal_arn` is `role_arn` itself or one of its sessions (`sts::<acct>:assumed-role/<name>/...`)."""
    if principal_arn == role_arn:
        return True
    name = role_arn.rsplit("/", 1)[-1]
    return ":assumed-role/" in principal_arn and principal_arn.split(":assumed-role/", 1)[1].split("/", 1)[0] == name


def _within_live_bounds(wanted: Scaling, live: dict[str, Any]) -> Scaling:
    """`wanted`'s desired size inside the node group's live min and max (kept as they are)."""
    if live.get("minSize") is None or live.get("maxSize") is None:
        return wanted
    low, high = int(live["minSize"]), int(live["maxSize"])
    return Scaling(low, min(max(wanted.desired, low), high), high)


def _scaling(data: dict[str, Any]) -> dict[str, int]:
    return {"min_size": int(data["minSize"]), "desired": int(data["desiredSize"]), "max_size": int(data["maxSize"])}


def _scaling_json(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "minSize": config.get("minSize"),
        "desiredSize": config.get("desiredSize"),
        "maxSize": config.get("maxSize"),
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
