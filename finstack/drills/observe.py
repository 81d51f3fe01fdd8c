"""Read the current state of a stack's DR-relevant resources into plain, JSON-ready values.

Planning and preflight are pure functions of an `Observed`; this module is where the reading
happens (through the gateway and the data plane). A region whose API does not answer is recorded
as unreachable rather than failing the observation: that is exactly what a failover must plan for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from finstack.drills import errors
from finstack.drills.dataplane import DataPlane, Position
from finstack.drills.dr import ArcEndpoint, DrDocument
from finstack.drills.gateway import DrillGateway, MetricQuery

#: Tag prefix on the EKS *cluster* recording a node group's scaling before a drill scaled it
#: ("finstack:dr-baseline/<nodegroup>" = "min/desired/max"). On the cluster, not the node group:
#: a tag is the one store every operator's failback sees, and moto tags clusters only. A failback
#: restores only the desired size from it: min and max are never changed by a drill (`up` owns them).
BASELINE_TAG_PREFIX = "finstack:dr-baseline/"


def baseline_tag(nodegroup: str) -> str:
    """The cluster tag key holding `nodegroup`'s baseline scaling."""
    return f"{BASELINE_TAG_PREFIX}{nodegroup}"


@dataclass(frozen=True)
class Scaling:
    """An EKS node group's scaling config."""

    min_size: int
    desired: int
    max_size: int

    def to_tag(self) -> str:
        """The baseline tag's value."""
        return f"{self.min_size}/{self.desired}/{self.max_size}"

    @staticmethod
    def from_tag(value: str) -> Scaling | None:
        """Parse a baseline tag value; None if it is malformed."""
        parts = value.split("/")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            return None
        low, desired, high = (int(p) for p in parts)
        return Scaling(low, desired, high) if low <= desired <= high else None

    def to_json(self) -> dict[str, int]:
        """The evidence form."""
        return {"minSize": self.min_size, "desiredSize": self.desired, "maxSize": self.max_size}


@dataclass(frozen=True)
class Nodegroup:
    """One node group: where, its status, its scaling now and before any drill scaled it."""

    region: str
    cluster: str
    name: str
    cluster_arn: str
    status: str
    scaling: Scaling
    baseline: Scaling | None = None

    @property
    def base(self) -> Scaling:
        """The scaling to restore: the recorded baseline, else the current scaling."""
        return self.baseline or self.scaling


def summed_load(target: Nodegroup, everyone: Mapping[str, list[Nodegroup]], index: int) -> int:
    """The nodes `target` needs to carry every cell's share: the baseline desired sizes at its position, summed.

    Cells are built alike (same node group list per region), so the node group at the same index in
    each cell does the same work. Baselines, not current sizes, are summed: a cell a previous drill
    scaled up must not be counted twice.
    """
    total = sum(groups[index].base.desired for groups in everyone.values() if index < len(groups))
    return max(total, target.base.desired)


@dataclass(frozen=True)
class Member:
    """One Aurora cluster of the global database (or detached from it)."""

    region: str
    arn: str
    is_writer: bool
    in_global_cluster: bool
    status: str | None
    engine_version: str | None
    reachable: bool
    http_endpoint_enabled: bool = False


@dataclass(frozen=True)
class CellHealth:
    """A cell's Route 53 endpoint health check as Route 53 reports it, and the endpoint behind it."""

    region: str
    health_check_id: str
    inverted: bool | None
    reported_healthy: bool | None
    detail: str

    @property
    def endpoint_healthy(self) -> bool | None:
        """The endpoint itself, whatever a fence did to the check: an inverted check reports the opposite."""
        if self.reported_healthy is None or self.inverted is None:
            return None
        return self.reported_healthy != self.inverted


@dataclass(frozen=True)
class Replicator:
    """The MSK replicator into a cell: state and lag (CloudWatch AWS/Kafka)."""

    region: str
    arn: str
    state: str | None
    latency_ms: float | None
    message_lag: float | None


@dataclass(frozen=True)
class Observed:
    """Everything a drill plans and checks from, at one moment."""

    global_cluster_id: str
    global_status: str | None
    failover_state: dict[str, Any] | None
    members: dict[str, Member]
    replication_lag_seconds: dict[str, float | None]
    lag_source: str
    nodegroups: dict[str, list[Nodegroup]]
    health: dict[str, CellHealth]
    routing: dict[str, str | None]
    replicators: dict[str, Replicator | None]
    unreachable: tuple[str, ...]
    db_writable_regions: list[str] | None
    positions: dict[str, Position] | None
    notes: list[str] = field(default_factory=list)

    @property
    def writer_region(self) -> str | None:
        """The region of the global cluster's writer (None while there is none)."""
        writers = [m.region for m in self.members.values() if m.is_writer and m.in_global_cluster]
        return writers[0] if len(writers) == 1 else None

    def to_json(self) -> dict[str, Any]:
        """The evidence form (every value a precondition was judged on)."""
        return {
            "globalClusterId": self.global_cluster_id,
            "globalStatus": self.global_status,
            "failoverState": self.failover_state,
            "writerRegion": self.writer_region,
            "members": {r: asdict(m) for r, m in self.members.items()},
            "replicationLagSeconds": self.replication_lag_seconds,
            "replicationLagSource": self.lag_source,
            "nodegroups": {
                r: [
                    {
                        "name": n.name,
                        "status": n.status,
                        "scaling": n.scaling.to_json(),
                        "baseline": n.baseline.to_json() if n.baseline else None,
                    }
                    for n in groups
                ]
                for r, groups in self.nodegroups.items()
            },
            "health": {r: {**asdict(h), "endpointHealthy": h.endpoint_healthy} for r, h in self.health.items()},
            "routingControls": self.routing,
            "replicators": {r: (asdict(x) if x else None) for r, x in self.replicators.items()},
            "unreachableRegions": list(self.unreachable),
            "dbWritableRegions": self.db_writable_regions,
            "positions": {r: p.to_json() for r, p in self.positions.items()} if self.positions is not None else None,
            "notes": list(self.notes),
        }


def healthy_from_observations(observations: Iterable[dict[str, Any]]) -> tuple[bool | None, str]:
    """Route 53's rule: a check is healthy when more than 18 % of its checkers report success."""
    reports = [str(o.get("StatusReport", {}).get("Status", "")) for o in observations]
    if not reports:
        return None, "no checker observations"
    good = sum(1 for r in reports if r.startswith("Success"))
    return good / len(reports) > 0.18, f"{good}/{len(reports)} checkers report success ({reports[0]})"


class Observer:
    """Reads an `Observed` for one stack through a gateway and a data plane."""

    def __init__(self, gateway: DrillGateway, document: DrDocument, data_plane: DataPlane) -> None:
        self.gateway = gateway
        self.document = document
        self.data_plane = data_plane

    def arc_endpoints(self) -> list[ArcEndpoint]:
        """The ARC cluster's data-plane endpoints, from the `dr` document.

        Never looked up through the control-config API (DescribeCluster): that API is served
        from us-west-2 only, and a recovery must not depend on it (ARC Developer Guide, "Best
        practices for routing control in ARC").
        """
        assert self.document.arc_cluster_endpoints, "arc_endpoints needs ARC"
        return list(self.document.arc_cluster_endpoints)

    def global_cluster(self, prefer: Iterable[str] = ()) -> tuple[dict[str, Any] | None, list[str]]:
        """`DescribeGlobalClusters` from the first region that answers (`prefer` first)."""
        order = [*prefer, *[r for r in self.document.regions if r not in prefer]]
        unreachable: list[str] = []
        for region in dict.fromkeys(order):
            try:
                return self.gateway.describe_global_cluster(self.document.global_cluster_id, region), unreachable
            except errors.RegionUnreachable:
                unreachable.append(region)
        return None, unreachable

    def routing_state(self, region: str) -> str | None:
        """The cell's routing control state, or None without ARC."""
        arn = self.document.cell(region).routing_control_arn
        if arn is None:
            return None
        return self.gateway.routing_control_state(arn, self.arc_endpoints())

    def cell_health(self, region: str) -> CellHealth:
        """The cell's endpoint health check: inversion and what the checkers report."""
        check_id = self.document.cell(region).health_check_id
        config = self.gateway.get_health_check(check_id).get("HealthCheckConfig", {})
        healthy, detail = healthy_from_observations(self.gateway.health_check_observations(check_id))
        return CellHealth(region, check_id, bool(config.get("Inverted", False)), healthy, detail)

    def nodegroups(self, region: str) -> list[Nodegroup]:
        """The cell's node groups with their scaling and recorded baseline."""
        cell = self.document.cell(region)
        cluster = self.gateway.describe_eks_cluster(cell.eks_cluster, region)
        tags = cluster.get("tags") or {}
        found = []
        for name in cell.nodegroups:
            group = self.gateway.describe_nodegroup(cell.eks_cluster, name, region)
            scaling = group.get("scalingConfig", {})
            tag = tags.get(baseline_tag(name))
            found.append(
                Nodegroup(
                    region=region,
                    cluster=cell.eks_cluster,
                    name=name,
                    cluster_arn=str(cluster.get("arn", "")),
                    status=str(group.get("status", "")),
                    scaling=Scaling(
                        int(scaling.get("minSize", 0)),
                        int(scaling.get("desiredSize", 0)),
                        int(scaling.get("maxSize", 0)),
                    ),
                    baseline=Scaling.from_tag(tag) if tag else None,
                )
            )
        return found

    def member(self, region: str, global_members: dict[str, dict[str, Any]]) -> Member:
        """The cell's Aurora cluster as its own region describes it (unreachable recorded, not raised)."""
        cell = self.document.cell(region)
        listed = global_members.get(cell.aurora_cluster_arn)
        try:
            cluster = self.gateway.describe_db_cluster(cell.aurora_cluster_arn, region)
        except errors.RegionUnreachable:
            return Member(
                region,
                cell.aurora_cluster_arn,
                bool(listed and listed.get("IsWriter")),
                listed is not None,
                None,
                None,
                False,
            )
        except errors.NotFound:
            return Member(region, cell.aurora_cluster_arn, False, False, "not-found", None, True)
        in_global = listed is not None
        # A cluster detached from the global database is a standalone writer of its own.
        is_writer = (
            bool(listed.get("IsWriter")) if listed is not None else cluster.get("GlobalClusterIdentifier") is None
        )
        return Member(
            region=region,
            arn=cell.aurora_cluster_arn,
            is_writer=is_writer,
            in_global_cluster=in_global,
            status=cluster.get("Status"),
            engine_version=cluster.get("EngineVersion"),
            reachable=True,
            http_endpoint_enabled=bool(cluster.get("HttpEndpointEnabled")),
        )

    def metrics(self, region: str, member: Member) -> dict[str, float | None]:
        """The region's lag metrics in one `GetMetricData`: Aurora replication lag (s), MSK latency and lag."""
        cell = self.document.cell(region)
        queries: dict[str, MetricQuery] = {}
        if member.reachable and not member.is_writer:
            queries["aurora"] = MetricQuery(
                "AWS/RDS", "AuroraGlobalDBReplicationLag", {"DBClusterIdentifier": cell.aurora_cluster_id}
            )
        if cell.replicator_arn is not None:
            # A replicator ARN is arn:...:replicator/<name>/<uuid>; its metrics are keyed by name.
            name = {"ReplicatorName": cell.replicator_arn.split("/")[1]}
            queries["latency"] = MetricQuery("AWS/Kafka", "ReplicationLatency", name)
            queries["messages"] = MetricQuery("AWS/Kafka", "MessageLag", name)
        if not queries:
            return {}
        try:
            found = self.gateway.latest_metrics(region, queries)
        except errors.AwsError:
            return dict.fromkeys(queries)
        aurora_ms = found.get("aurora")
        if aurora_ms is not None:
            found["aurora"] = aurora_ms / 1000.0  # published in milliseconds
        return found

    def replication_lag(
        self, region: str, member: Member, metrics: dict[str, float | None] | None = None
    ) -> tuple[float | None, str]:
        """A secondary's Aurora replication lag in seconds, and where the figure comes from.

        The data plane's exact figure when it has one (the emulator's write model), else CloudWatch's
        `AuroraGlobalDBReplicationLag` (the 1-minute Maximum: the conservative reading); both are
        recorded when both exist, so a drill in the emulator also exercises the metric path.
        """
        if member.is_writer:
            return 0.0, "writer"
        metric = (self.metrics(region, member) if metrics is None else metrics).get("aurora")
        positions = self.data_plane.positions()
        if positions is not None and region in positions:
            cross_check = "" if metric is None else f"; CloudWatch 1-min max {metric:.3f} s"
            return positions[region].lag_seconds, f"{self.data_plane.kind}{cross_check}"
        if metric is not None:
            return metric, "CloudWatch AWS/RDS AuroraGlobalDBReplicationLag (1-min max)"
        return None, "unavailable"

    def replicator(self, region: str, metrics: dict[str, float | None]) -> Replicator | None:
        """The MSK replicator into the cell, if the stack has one: its state and lag."""
        arn = self.document.cell(region).replicator_arn
        if arn is None:
            return None
        try:
            described = self.gateway.describe_replicator(arn)
        except errors.RegionUnreachable:
            return Replicator(region, arn, None, None, None)
        return Replicator(
            region, arn, described.get("ReplicatorState"), metrics.get("latency"), metrics.get("messages")
        )

    def observe(self, prefer: Iterable[str] = ()) -> Observed:
        """Read everything a drill plans and checks from."""
        notes: list[str] = []
        global_cluster, unreachable = self.global_cluster(prefer)
        listed = {m["DBClusterArn"]: m for m in (global_cluster or {}).get("GlobalClusterMembers", [])}
        members: dict[str, Member] = {}
        lag: dict[str, float | None] = {}
        sources: set[str] = set()
        nodegroups: dict[str, list[Nodegroup]] = {}
        replicators: dict[str, Replicator | None] = {}
        for region in self.document.regions:
            members[region] = self.member(region, listed)
            if not members[region].reachable and region not in unreachable:
                unreachable.append(region)
            region_metrics = self.metrics(region, members[region])
            lag[region], source = self.replication_lag(region, members[region], region_metrics)
            sources.add(source)
            try:
                nodegroups[region] = self.nodegroups(region)
            except errors.RegionUnreachable:
                nodegroups[region] = []
                notes.append(f"{region}: EKS API unreachable; node groups not observed")
            replicators[region] = self.replicator(region, region_metrics)
        health = {region: self.cell_health(region) for region in self.document.regions}
        routing = {region: self.routing_state(region) for region in self.document.regions}
        return Observed(
            global_cluster_id=self.document.global_cluster_id,
            global_status=(global_cluster or {}).get("Status"),
            failover_state=(global_cluster or {}).get("FailoverState"),
            members=members,
            replication_lag_seconds=lag,
            lag_source=", ".join(sorted(sources - {"writer"})) or "writer only",
            nodegroups=nodegroups,
            health=health,
            routing=routing,
            replicators=replicators,
            unreachable=tuple(dict.fromkeys(unreachable)),
            db_writable_regions=self.data_plane.writable_regions(),
            positions=self.data_plane.positions(),
            notes=notes,
        )
