"""The step list of each drill, computed purely from the `dr` document and an observed state.

The plan is frozen into the journal when a drill starts, so a resumed drill continues the plan it
began with, not one re-derived from a half-changed platform. Properties every plan holds (tested
with hypothesis in tests/drills/test_plan.py):

- the source is fenced, and the fence confirmed, before any promotion;
- traffic moves to the target only after the target is confirmed as the writer;
- the target is scaled to carry the whole load (up to the maximum `up` gave it) before it takes it;
- a drill changes only node groups' desired sizes, never their min or max;
- a failback restores every node group a drill scaled to its recorded baseline desired size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from finstack.drills.dr import DrDocument
from finstack.drills.observe import Nodegroup, Observed, Scaling, summed_load
from finstack.drills.preflight import DrillKind

Via = Literal["direct", "arc"]
FenceMethod = Literal["routing-control", "health-check-inversion"]
Promotion = Literal["switchover", "managed-failover", "detach-and-promote", "arc-region-switch"]


class StepKind(StrEnum):
    """What a step does; the runner has one handler per kind."""

    PREFLIGHT = "preflight"
    SCALE_TARGET = "scale-target"
    AWAIT_CAPACITY = "await-capacity"
    FENCE = "fence-source"
    CONFIRM_FENCE = "confirm-fence"
    CAPTURE = "capture-positions"
    PROMOTE = "promote"
    REGION_SWITCH = "region-switch"
    CONFIRM_WRITER = "confirm-writer"
    VERIFY_WRITES = "verify-writes"
    MOVE_TRAFFIC = "move-traffic"
    VERIFY_HEALTH = "verify-health"
    READMIT = "readmit-source"
    RESTORE_CAPACITY = "restore-capacity"


@dataclass(frozen=True)
class Step:
    """One step: what, where, through which API calls, and why it is at this place in the order."""

    id: str
    kind: StepKind
    title: str
    region: str
    api_calls: tuple[str, ...]
    why: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_json(self) -> dict[str, Any]:
        """The journal and evidence form."""
        return {
            "id": self.id,
            "kind": str(self.kind),
            "title": self.title,
            "region": self.region,
            "apiCalls": list(self.api_calls),
            "why": self.why,
            "params": dict(self.params),
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Step:
        """Rebuild a step from its journal form."""
        return Step(
            id=data["id"],
            kind=StepKind(data["kind"]),
            title=data["title"],
            region=data["region"],
            api_calls=tuple(data["apiCalls"]),
            why=data["why"],
            params=dict(data.get("params", {})),
        )


@dataclass(frozen=True)
class Plan:
    """The ordered steps of one drill."""

    drill: DrillKind
    stack: str
    source: str
    target: str
    via: Via
    fence_method: FenceMethod
    promotion: Promotion
    steps: tuple[Step, ...]

    def index(self, kind: StepKind) -> int:
        """Position of the first step of `kind` (ValueError if absent)."""
        return next(i for i, s in enumerate(self.steps) if s.kind == kind)

    def has(self, kind: StepKind) -> bool:
        """Whether the plan has a step of `kind`."""
        return any(s.kind == kind for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        """The journal and evidence form."""
        return {
            "drill": self.drill,
            "stack": self.stack,
            "source": self.source,
            "target": self.target,
            "via": self.via,
            "fenceMethod": self.fence_method,
            "promotion": self.promotion,
            "steps": [s.to_json() for s in self.steps],
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from its journal form."""
        return Plan(
            drill=data["drill"],
            stack=data["stack"],
            source=data["source"],
            target=data["target"],
            via=data["via"],
            fence_method=data["fenceMethod"],
            promotion=data["promotion"],
            steps=tuple(Step.from_json(s) for s in data["steps"]),
        )


def whole_load(target: Nodegroup, everyone: Mapping[str, list[Nodegroup]], index: int) -> Scaling:
    """The scaling `target` needs to carry every cell's share: only the desired size changes.

    The desired size is the sum of every cell's baseline at `target`'s position (`summed_load`),
    capped at the node group's current maximum. Min and max stay the live values: `pulumi up` owns
    them (finstack:eks.nodeMinSize / nodeMaxSize; the node group ignores only
    scalingConfig.desiredSize), so a maximum a drill raised would be pushed back by a `pulumi
    refresh` + `pulumi up` mid-incident, below the desired size, and EKS refuses a scaling config
    with desiredSize > maxSize. Config guarantees the headroom (nodeMaxSize >= nodeDesiredSize x
    regions); preflight's target-headroom check refuses a planned drill whose target lacks it.
    """
    return _within_live_limits(target, summed_load(target, everyone, index))


def baseline_desired(group: Nodegroup) -> Scaling:
    """What a failback restores: the baseline desired size, within the node group's live min and max.

    Min and max are kept as they are now, so a config change `up` applied between the drills is
    not reverted (the baseline tag's min and max are only a record of the time it was written).
    """
    return _within_live_limits(group, group.base.desired)


def _within_live_limits(group: Nodegroup, desired: int) -> Scaling:
    live = group.scaling
    return Scaling(live.min_size, min(max(desired, live.min_size), live.max_size), live.max_size)


def _nodegroup_params(group: Nodegroup, scaling: Scaling) -> dict[str, Any]:
    return {
        "region": group.region,
        "cluster": group.cluster,
        "nodegroup": group.name,
        "clusterArn": group.cluster_arn,
        "baseline": group.base.to_json(),
        "scaling": scaling.to_json(),
    }


def _fence_calls(document: DrDocument) -> tuple[str, ...]:
    if document.arc:
        return ("route53-recovery-cluster:UpdateRoutingControlState",)
    return ("route53:UpdateHealthCheck(Inverted=true)",)


def _fence_params(document: DrDocument, observed: Observed, region: str) -> dict[str, Any]:
    cell = document.cell(region)
    others_on = [r for r in document.cells if r != region and observed.routing.get(r) == "On"]
    return {
        "region": region,
        "method": "routing-control" if document.arc else "health-check-inversion",
        "routingControlArn": cell.routing_control_arn,
        "healthCheckId": cell.health_check_id,
        # ARC's "at least one cell On" rule refuses to switch the last cell Off; the fence then
        # overrides it on purpose (no cell takes traffic while the writer changes), and says so.
        "overrideSafetyRules": bool(document.arc and not others_on),
    }


def _admit_params(document: DrDocument, region: str) -> dict[str, Any]:
    cell = document.cell(region)
    return {
        "region": region,
        "method": "routing-control" if document.arc else "health-check-inversion",
        "routingControlArn": cell.routing_control_arn,
        "healthCheckId": cell.health_check_id,
    }


class _Builder:
    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(self, kind: StepKind, title: str, where: str, calls: tuple[str, ...], why: str, /, **params: Any) -> None:
        self.steps.append(Step(f"{len(self.steps) + 1:02d}-{kind}", kind, title, where, calls, why, params))


def build(
    drill: DrillKind,
    stack: str,
    document: DrDocument,
    observed: Observed,
    *,
    source: str,
    target: str,
    via: Via = "direct",
) -> Plan:
    """The plan of `drill` moving the writer and traffic from `source` to `target`."""
    b = _Builder()
    arc = document.arc
    fence_method: FenceMethod = "routing-control" if arc else "health-check-inversion"
    if drill in ("switchover", "failback"):
        promotion: Promotion = "switchover"
    elif source in observed.unreachable:
        # FailoverGlobalCluster coordinates with the old primary's region; when that region's API
        # does not answer, detaching the target is the only promotion that does not wait for it.
        promotion = "detach-and-promote"
    else:
        promotion = "managed-failover"
    if via == "arc":
        promotion = "arc-region-switch"
    target_arn = document.cell(target).aurora_cluster_arn
    source_arn = document.cell(source).aurora_cluster_arn
    # What the promotion and its confirmation both act on.
    writer_move = {
        "strategy": promotion,
        "globalClusterId": document.global_cluster_id,
        "targetArn": target_arn,
        "sourceArn": source_arn,
    }
    target_groups = observed.nodegroups.get(target, [])
    scale = [_nodegroup_params(g, whole_load(g, observed.nodegroups, i)) for i, g in enumerate(target_groups)]

    b.add(
        StepKind.PREFLIGHT,
        "Re-check every precondition right before the first change",
        target,
        (
            "rds:DescribeGlobalClusters",
            "rds:DescribeDBClusters",
            "eks:DescribeNodegroup",
            "route53:GetHealthCheckStatus",
            "kafka:DescribeReplicator",
            "cloudwatch:GetMetricData",
        ),
        "the state may have changed since the dry run; nothing changes unless every blocking check holds",
    )

    def scale_steps() -> None:
        b.add(
            StepKind.SCALE_TARGET,
            f"Scale {target}'s node groups to carry the whole load",
            target,
            ("eks:TagResource", "eks:UpdateNodegroupConfig"),
            "the target takes every request once traffic moves; the baseline is tagged for failback",
            nodegroups=scale,
        )
        b.add(
            StepKind.AWAIT_CAPACITY,
            f"Wait until {target}'s node groups are ACTIVE at the new size",
            target,
            ("eks:DescribeNodegroup",),
            "traffic must not reach a cell that cannot carry it",
            nodegroups=scale,
        )

    def fence_steps(fail_closed: bool) -> None:
        b.add(
            StepKind.FENCE,
            f"Fence {source}: stop traffic (and so writes) reaching it",
            source,
            _fence_calls(document),
            "the fence comes before any promotion: two regions must never accept writes",
            **_fence_params(document, observed, source),
        )
        b.add(
            StepKind.CONFIRM_FENCE,
            f"Confirm the fence on {source} by reading it back",
            source,
            ("route53-recovery-cluster:GetRoutingControlState",)
            if arc
            else ("route53:GetHealthCheck", "route53:GetHealthCheckStatus"),
            "a fence is only a fence once read back" + ("; a failover fails closed without it" if fail_closed else ""),
            failClosed=fail_closed,
            **_fence_params(document, observed, source),
        )

    def capture() -> None:
        b.add(
            StepKind.CAPTURE,
            "Capture replication positions (RPO inputs) before the promotion",
            target,
            ("cloudwatch:GetMetricData",),
            "what the target had applied and the source had committed is what the RPO is measured against",
            source=source,
            target=target,
        )

    def promote() -> None:
        if promotion == "switchover":
            calls: tuple[str, ...] = ("rds:SwitchoverGlobalCluster",)
            title = f"Switch the Aurora writer over to {target} (no data loss)"
        elif promotion == "managed-failover":
            calls = ("rds:FailoverGlobalCluster(AllowDataLoss=true)", "rds:RemoveFromGlobalCluster (fallback)")
            title = f"Fail the Aurora writer over to {target}, accepting the loss of unreplicated writes"
        else:
            calls = ("rds:RemoveFromGlobalCluster",)
            title = f"Detach {target}'s cluster from the global database and promote it (source region unreachable)"
        b.add(
            StepKind.PROMOTE,
            title,
            target,
            calls,
            "only after the fence is confirmed",
            **writer_move,
        )

    def confirm_writer() -> None:
        b.add(
            StepKind.CONFIRM_WRITER,
            f"Wait until {target} is the writer and the global cluster is available",
            target,
            ("rds:DescribeGlobalClusters", "rds:DescribeDBClusters"),
            "a promotion is asynchronous; nothing moves until the new writer is confirmed",
            **writer_move,
        )

    def verify_and_move() -> None:
        b.add(
            StepKind.VERIFY_WRITES,
            f"Canary write: accepted in {target}, refused in {source}",
            target,
            ("rds-data:ExecuteStatement",),
            "proves where writes land, not just what the API says",
            targetArn=target_arn,
            sourceArn=source_arn,
            source=source,
        )
        b.add(
            StepKind.MOVE_TRAFFIC,
            f"Send traffic to {target}",
            target,
            ("route53-recovery-cluster:UpdateRoutingControlState",)
            if arc
            else ("route53:UpdateHealthCheck(Inverted=false)",),
            "only after the writer is confirmed: traffic follows the writer",
            **_admit_params(document, target),
        )
        b.add(
            StepKind.VERIFY_HEALTH,
            f"Verify {target} is healthy and takes traffic",
            target,
            ("route53:GetHealthCheckStatus",) + (("route53-recovery-cluster:GetRoutingControlState",) if arc else ()),
            "the end of the RTO window is a healthy cell taking traffic",
            **_admit_params(document, target),
        )

    if via == "arc":
        assert document.arc_plan_arn is not None, "via arc needs an ARC Region switch plan"
        scale_steps()
        b.add(
            StepKind.REGION_SWITCH,
            f"Run the ARC Region switch plan: deactivate {source}",
            target,
            (
                "arc-region-switch:StartPlanExecution",
                "arc-region-switch:GetPlanExecution",
                "arc-region-switch:ListPlanExecutionEvents",
            ),
            "the plan drains the source cell, then waits for a person acting as the approver role (never "
            "this drill) before it switches the Aurora writer",
            planArn=document.arc_plan_arn,
            deactivate=source,
            mode="ungraceful" if drill == "failover" else "graceful",
        )
        b.add(
            StepKind.CONFIRM_FENCE,
            f"Confirm the plan fenced {source}",
            source,
            ("route53-recovery-cluster:GetRoutingControlState",) if arc else ("route53:GetHealthCheck",),
            "the plan's own report is not the evidence; the routing control read back is",
            failClosed=False,
            **_fence_params(document, observed, source),
        )
        confirm_writer()
        verify_and_move()
    elif drill == "failover":
        fence_steps(fail_closed=True)
        capture()
        b.add(
            StepKind.SCALE_TARGET,
            f"Scale {target}'s node groups to carry the whole load",
            target,
            ("eks:TagResource", "eks:UpdateNodegroupConfig"),
            "started before the promotion so capacity arrives while the database fails over",
            nodegroups=scale,
        )
        promote()
        confirm_writer()
        b.add(
            StepKind.AWAIT_CAPACITY,
            f"Wait until {target}'s node groups are ACTIVE at the new size",
            target,
            ("eks:DescribeNodegroup",),
            "traffic must not reach a cell that cannot carry it",
            nodegroups=scale,
        )
        verify_and_move()
    else:
        scale_steps()
        fence_steps(fail_closed=False)
        capture()
        promote()
        confirm_writer()
        verify_and_move()
    if drill == "failback":
        b.add(
            StepKind.READMIT,
            f"Let {source} take traffic again (active-active restored)",
            source,
            ("route53-recovery-cluster:UpdateRoutingControlState",)
            if arc
            else ("route53:UpdateHealthCheck(Inverted=false)",),
            "the failback ends where the platform began: every cell serving, the writer at home",
            **_admit_params(document, source),
        )
        restore = [
            _nodegroup_params(g, baseline_desired(g))
            for groups in observed.nodegroups.values()
            for g in groups
            if g.baseline is not None
        ]
        # The failback target was scaled for the whole load by this drill: restore it too.
        scaled_here = {(p["region"], p["nodegroup"]) for p in restore}
        restore += [
            _nodegroup_params(g, baseline_desired(g)) for g in target_groups if (g.region, g.name) not in scaled_here
        ]
        b.add(
            StepKind.RESTORE_CAPACITY,
            "Restore every node group a drill scaled to its baseline desired size",
            target,
            ("eks:UpdateNodegroupConfig", "eks:DescribeNodegroup", "eks:UntagResource"),
            "capacity returns to what it was before the drills; min and max stay as `up` set them; "
            "the baseline tags are removed",
            nodegroups=restore,
        )
    return Plan(drill, stack, source, target, via, fence_method, promotion, tuple(b.steps))
