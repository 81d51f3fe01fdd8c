"""Preconditions of each drill, judged purely from an `Observed` (no I/O, hypothesis-testable).

Each `Precondition` carries the expected and the actual value, so the dry run and the evidence
show *why* a drill may or may not run, not just a verdict. Blocking preconditions refuse the
drill (exit status 1, nothing changed); the others are recorded as information (for a failover,
for instance, replication lag is an RPO input, not a reason to stay down).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from finstack.drills.dr import DrDocument
from finstack.drills.observe import Observed, summed_load

DrillKind = Literal["switchover", "failover", "failback"]

#: Twice Aurora's typical sub-second global replication lag. A switchover waits for the target
#: to catch up with writes suspended; beyond this the write outage outgrows a planned window.
DEFAULT_MAX_REPLICATION_LAG_SECONDS = 2.0
#: MSK Replicator's typical latency is a few hundred milliseconds; 5 s means it is falling behind.
DEFAULT_MAX_REPLICATOR_LATENCY_MS = 5000.0


@dataclass(frozen=True)
class Thresholds:
    """Limits a planned drill holds the platform to before it changes anything."""

    max_replication_lag_seconds: float = DEFAULT_MAX_REPLICATION_LAG_SECONDS
    max_replicator_latency_ms: float = DEFAULT_MAX_REPLICATOR_LATENCY_MS


@dataclass(frozen=True)
class Precondition:
    """One check: what it needs, what it found, whether that holds, and whether it blocks."""

    name: str
    expected: str
    actual: str
    ok: bool
    blocking: bool = True
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The evidence form."""
        return {
            "name": self.name,
            "expected": self.expected,
            "actual": self.actual,
            "ok": self.ok,
            "blocking": self.blocking,
            "reason": self.reason,
        }


def _minor(version: str | None, parts: int) -> tuple[str, ...] | None:
    return tuple(version.split(".")[:parts]) if version else None


def _check(name: str, expected: str, actual: Any, ok: bool, reason: str, *, blocking: bool = True) -> Precondition:
    return Precondition(name, expected, str(actual), ok, blocking, "" if ok else reason)


def evaluate(
    kind: DrillKind,
    document: DrDocument,
    observed: Observed,
    *,
    source: str,
    target: str,
    thresholds: Thresholds,
    stack: str = "<stack>",
) -> list[Precondition]:
    """The preconditions of `kind` from `source` to `target`, judged on `observed` (`stack` names the fix)."""
    checks: list[Precondition] = []
    members = observed.members
    src, tgt = members.get(source), members.get(target)
    planned = kind in ("switchover", "failback")

    checks.append(
        _check(
            "distinct-regions",
            "source != target",
            f"{source} -> {target}",
            source != target,
            "the target region must differ from the current writer's region",
        )
    )
    if planned:
        checks.append(
            _check(
                "global-cluster-available",
                "available",
                observed.global_status,
                observed.global_status == "available",
                f"global cluster {observed.global_cluster_id} is {observed.global_status}, not available",
            )
        )
    checks.append(
        _check(
            "no-writer-change-in-progress",
            "no FailoverState",
            (observed.failover_state or {}).get("Status", "none"),
            observed.failover_state is None,
            "a switchover or failover of the global cluster is already in progress",
        )
    )
    checks.append(
        _check(
            "source-is-writer",
            f"writer in {source}",
            observed.writer_region or "no single writer",
            observed.writer_region == source,
            f"the global cluster's writer is in {observed.writer_region}, not {source}",
        )
    )
    checks.append(
        _check(
            "target-is-member",
            "member of the global cluster",
            "member" if tgt and tgt.in_global_cluster else "not a member",
            bool(tgt and tgt.in_global_cluster),
            f"the cluster in {target} is not a member of the global cluster"
            + (" (a standalone writer: resynchronise it as a secondary first)" if tgt and tgt.is_writer else ""),
        )
    )
    checks.append(
        _check(
            "target-not-writer",
            "secondary (read-only)",
            "writer" if tgt and tgt.is_writer else "secondary",
            bool(tgt and not tgt.is_writer),
            f"the cluster in {target} is already a writer",
        )
    )
    checks.append(
        _check(
            "target-cluster-available",
            "available",
            tgt.status if tgt else None,
            bool(tgt and tgt.status == "available"),
            f"the cluster in {target} is not available",
        )
    )
    parts = 2 if planned else 1
    versions = f"{src.engine_version if src else None} / {tgt.engine_version if tgt else None}"
    same = bool(
        src
        and tgt
        and _minor(tgt.engine_version, parts) is not None
        and (not src.reachable or _minor(src.engine_version, parts) == _minor(tgt.engine_version, parts))
    )
    checks.append(
        _check(
            "engine-versions-compatible",
            "same major.minor" if planned else "same major",
            versions,
            same,
            "the source and target engine versions differ",
        )
    )
    lag = observed.replication_lag_seconds.get(target)
    lag_ok = lag is not None and lag <= thresholds.max_replication_lag_seconds
    checks.append(
        _check(
            "replication-lag",
            f"<= {thresholds.max_replication_lag_seconds:g} s",
            "unknown" if lag is None else f"{lag:.3f} s ({observed.lag_source})",
            lag_ok,
            "replication lag of the target is unknown or above the threshold",
            blocking=planned,
        )
    )
    replicator = observed.replicators.get(target)
    if replicator is None:
        checks.append(_check("msk-replicator", "RUNNING", "no replicator into this cell", True, "", blocking=False))
    else:
        latency_ok = replicator.latency_ms is not None and replicator.latency_ms <= thresholds.max_replicator_latency_ms
        actual = f"{replicator.state}, latency {replicator.latency_ms} ms, message lag {replicator.message_lag}"
        checks.append(
            _check(
                "msk-replicator",
                f"RUNNING, latency <= {thresholds.max_replicator_latency_ms:g} ms",
                actual,
                replicator.state == "RUNNING" and latency_ok,
                "the MSK replicator into the target is not RUNNING or lags",
                blocking=planned,
            )
        )
    health = observed.health.get(target)
    endpoint = health.endpoint_healthy if health else None
    checks.append(
        _check(
            "target-healthy",
            "endpoint healthy",
            f"{'healthy' if endpoint else 'unhealthy' if endpoint is False else 'unknown'}"
            + (f" ({health.detail}{', check inverted' if health.inverted else ''})" if health else ""),
            endpoint is True,
            f"the target cell's endpoint ({target}) is not healthy",
        )
    )
    groups = observed.nodegroups.get(target, [])
    checks.append(
        _check(
            "target-capacity",
            "every node group ACTIVE",
            ", ".join(f"{g.name}={g.status}" for g in groups) or "no node groups observed",
            bool(groups) and all(g.status == "ACTIVE" for g in groups),
            "the target's node groups are not all ACTIVE (they must scale to carry the whole load)",
        )
    )
    checks.append(_headroom(observed, target, planned))
    reachable_needed = [target, source] if planned else [target]
    down = [r for r in reachable_needed if r in observed.unreachable]
    checks.append(
        _check(
            "regions-reachable",
            "APIs answer in " + " and ".join(reachable_needed),
            "unreachable: " + ", ".join(down) if down else "all answer",
            not down,
            "a planned drill needs both regions; use `finstack drill failover` for a lost region",
        )
    )
    writable = observed.db_writable_regions
    checks.append(
        _check(
            "single-writer",
            "at most one region accepts writes",
            "not observable" if writable is None else (", ".join(writable) or "none"),
            writable is None or len(writable) <= 1,
            "more than one region accepts writes already: resolve the split brain before any drill",
        )
    )
    if kind == "failback":
        drained = writable is None or set(writable) <= {source}
        checks.append(
            _check(
                "writes-drained",
                f"only {source} accepts writes",
                "not observable" if writable is None else (", ".join(writable) or "none"),
                drained,
                f"{target} still accepts writes of its own; reconcile them before failing back",
            )
        )
    if document.arc:
        checks.append(_armed(kind, document, observed, target=target, stack=stack))
        others_on = [r for r in document.cells if r != source and observed.routing.get(r) == "On"]
        checks.append(
            _check(
                "arc-safety-rule",
                "another cell On while the source is fenced",
                ", ".join(others_on) or "no other cell On",
                bool(others_on),
                "fencing the source leaves no cell On: the fence overrides the control panel's safety "
                "rules, recorded in the evidence",
                blocking=False,
            )
        )
    return checks


def _headroom(observed: Observed, target: str, planned: bool) -> Precondition:
    """Whether each target node group's maxSize lets it carry the summed load of every cell.

    A drill raises only the desired size and caps it at the live maxSize (`plan.whole_load`): the
    maximum is `up`'s (finstack:eks.nodeMaxSize). A planned move must carry everything, so it waits
    for an `up` that raises the maximum; an emergency proceeds at the maximum it has.
    """
    groups = observed.nodegroups.get(target, [])
    loads = [(g, summed_load(g, observed.nodegroups, i)) for i, g in enumerate(groups)]
    short = [f"{g.name} needs {load}, maxSize {g.scaling.max_size}" for g, load in loads if load > g.scaling.max_size]
    if not groups:
        reason = f"no node groups observed in {target}: their headroom is unknown"
    elif planned:
        reason = (
            f"{target}'s node groups cannot carry the whole load within their maxSize ({'; '.join(short)}); "
            "raise finstack:eks.nodeMaxSize and run `pulumi up` before a planned drill (drills never change maxSize)"
        )
    else:
        reason = (
            f"{target}'s node groups cannot carry the whole load within their maxSize ({'; '.join(short)}); "
            "the failover proceeds at the maxSize it has"
        )
    return _check(
        "target-headroom",
        "every node group's maxSize >= the sum of every cell's baseline desired size",
        ", ".join(f"{g.name}: load {load}, maxSize {g.scaling.max_size}" for g, load in loads)
        or "no node groups observed",
        bool(groups) and not short,
        reason,
        blocking=planned,
    )


def must_be_on(kind: DrillKind, document: DrDocument, *, target: str) -> list[str]:
    """The cells whose routing control must be On before `kind` starts: what "armed" means for it.

    - switchover: every cell. The platform's steady state is every cell serving; a cell left
      Off (as ARC creates routing controls, "Routing control components", ARC Developer Guide)
      means it was never armed.
    - failback: every cell but the target. The failover (or switchover) it undoes fenced the
      target Off; its move-traffic step turns the target On again.
    - failover: the target. Its fence switches the failed source Off; with the target Off too no
      cell is On, and Route 53 then answers as if every record were healthy ("How Amazon Route 53
      chooses records when health checking is configured": if all are unhealthy, all are
      returned), so the fence would not keep clients off the failed region until the move-traffic
      step, which comes only after the promotion. The source's state does not matter: it is
      fenced either way.
    """
    if kind == "switchover":
        return list(document.regions)
    if kind == "failback":
        return [r for r in document.regions if r != target]
    return [target]


def _armed(kind: DrillKind, document: DrDocument, observed: Observed, *, target: str, stack: str) -> Precondition:
    needed = must_be_on(kind, document, target=target)
    off = [r for r in needed if observed.routing.get(r) != "On"]
    return _check(
        "platform-armed",
        "routing control On in " + ", ".join(needed),
        ", ".join(f"{r}={observed.routing.get(r) or 'unknown'}" for r in document.regions),
        not off,
        f"the routing control of {', '.join(off)} is not On: the platform is not armed (ARC creates routing "
        "controls Off; with every cell Off Route 53 fails open and a fence has no effect). Arm it with "
        f"`finstack arm --stack {stack} --execute`, then drill again",
    )


def blocking_failures(checks: list[Precondition]) -> list[Precondition]:
    """The preconditions that refuse the drill."""
    return [c for c in checks if c.blocking and not c.ok]
