"""An emulated finstack platform built with plain boto3 against moto + finstack's extensions.

Two cells (us-east-1 writer, us-west-2 secondary) with what a drill touches: the Aurora global
database, EKS clusters and node groups, MSK clusters and replicators, Route 53 endpoint health
checks and, with ARC, the routing-control cluster, panel, controls and "at least one On" safety
rule. `dr` is a document matching finstack/schemas/dr_output.schema.json.

`Workload` plays the application: on every tick it commits one write in each cell that takes
traffic (its endpoint is up and the cell is not fenced), through the emulator's write model.
Only the writer accepts it; the others refuse, as Aurora does.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.exceptions import EndpointConnectionError

from components.aurora_plan import master_secret_name
from components.dr_control import automation_policy, automation_role_name, automation_trust_policy, drill_runtime_policy
from components.replication_topology import full_mesh
from finstack.drills import dr as drdoc
from finstack.drills import session as drill_session
from finstack.drills.clock import ManualClock
from finstack.drills.gateway import RetryPolicy
from finstack.drills.runner import Timings
from finstack.emulator import writes
from finstack.emulator.moto_ext import VirtualClock, aurora, health_check_status, route53_health
from finstack.emulator.moto_ext.route53recoverycontrolconfig.models import arc_backend

ACCOUNT = "123456789012"
EAST, WEST = "us-east-1", "us-west-2"
REGIONS = (EAST, WEST)
GLOBAL_ID = "finstack-prod-ledger"
ENGINE, VERSION = "aurora-postgresql", "16.6"
NODEGROUPS = ("general", "system")
BASE_SCALING = {"general": (3, 6, 12), "system": (2, 2, 4)}
#: Drill timings for tests: virtual seconds, so generous timeouts cost nothing.
TEST_TIMINGS = Timings(
    poll_seconds=0.5,
    fence_timeout=30.0,
    writer_timeout=120.0,
    capacity_timeout=60.0,
    health_timeout=30.0,
    region_switch_timeout=60.0,
)
REGIONAL_SERVICES = ("rds", "rds-data", "eks", "kafka", "cloudwatch", "route53-recovery-cluster")


@dataclass
class Platform:
    """Handles on the emulated platform and its `dr` document."""

    arc: bool
    dr: dict[str, Any]
    clock: VirtualClock
    outages: set[str] = field(default_factory=set)
    api_down: set[str] = field(default_factory=set)

    @property
    def document(self) -> drdoc.DrDocument:
        """The parsed, schema-validated `dr` document."""
        return drdoc.parse(self.dr)

    def cell(self, region: str) -> dict[str, Any]:
        """The document's cell in `region`."""
        return dict(self.dr["regions"][region])

    def database(self) -> writes.ReplicatedDatabase:
        """The global database's write model."""
        return aurora.global_database(GLOBAL_ID)

    def writable_regions(self) -> list[str]:
        """Regions whose database accepts writes (detached clusters included)."""
        return aurora.writable_regions(GLOBAL_ID)

    def writer_region(self) -> str | None:
        """The write model's writer region."""
        return self.database().snapshot()["writerRegion"]

    def routing(self, region: str) -> str | None:
        """The cell's routing control state, or None without ARC."""
        arn = self.cell(region)["routingControlArn"]
        return arc_backend(ACCOUNT).routing_controls[arn].state if arn else None

    def check_healthy(self, region: str) -> bool:
        """What the cell's endpoint health check reports now (inversion included)."""
        return health_check_status(self.cell(region)["healthCheckId"])

    def inverted(self, region: str) -> bool:
        """Whether the cell's endpoint check is inverted."""
        return bool(route53_health.all_health_checks(ACCOUNT)[self.cell(region)["healthCheckId"]].inverted)

    def takes_traffic(self, region: str) -> bool:
        """Whether clients reach the cell: endpoint up and not fenced (routing On / check healthy)."""
        if region in self.outages:
            return False
        if self.arc:
            return self.routing(region) == "On" and self._endpoint_up(region)
        return self.check_healthy(region)

    def accepting_writes(self) -> list[str]:
        """Regions where a client write would commit now: the invariant the drills must hold."""
        return [r for r in self.writable_regions() if self.takes_traffic(r)]

    def _endpoint_up(self, region: str) -> bool:
        backend = route53_health.health_fault_backends[ACCOUNT]["aws"]
        return backend.endpoint_health.get(self.cell(region)["healthCheckId"], True)

    def scaling(self, region: str, nodegroup: str) -> tuple[int, int, int]:
        """(min, desired, max) of a node group."""
        found = client("eks", region).describe_nodegroup(
            clusterName=self.cell(region)["eksCluster"], nodegroupName=nodegroup
        )["nodegroup"]["scalingConfig"]
        return found["minSize"], found["desiredSize"], found["maxSize"]

    def lose_region(self, region: str, *, api_down: bool = False) -> None:
        """A regional outage: its endpoint fails, replication from it stops, its clients are gone.

        `api_down` also makes the region's regional AWS APIs refuse connections (through
        `outage_hook`), as when the whole region is lost rather than the platform's cell in it.
        """
        self.outages.add(region)
        if api_down:
            self.api_down.add(region)
        route53_health.set_endpoint_health(self.cell(region)["healthCheckId"], False)
        database = self.database()
        if database.writer is not None and database.members[database.writer].region == region:
            # Replication from the lost writer stops now: what each secondary applied is all it gets.
            database.isolated_at = self.clock.now()

    def outage_hook(self) -> Callable[..., Any]:
        """A botocore before-call hook: calls to a lost region's regional APIs cannot connect."""

        def hook(model: Any, context: dict[str, Any], **_: Any) -> None:
            region = context.get("client_region")
            service = model.service_model.service_name
            if region in self.api_down and service in REGIONAL_SERVICES:
                raise EndpointConnectionError(endpoint_url=f"https://{service}.{region}.amazonaws.com")

        return hook


class Workload:
    """Application traffic: one write per tick in every cell that takes traffic."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.committed: list[str] = []
        self.refused = 0
        self.violations: list[tuple[float, list[str]]] = []

    def tick(self) -> None:
        """Commit what clients would commit now, and watch the one-writer invariant."""
        accepting = self.platform.accepting_writes()
        if len(accepting) > 1:
            self.violations.append((self.platform.clock.now(), accepting))
        database = self.platform.database()
        lineage = aurora.lineage(GLOBAL_ID)
        for region in REGIONS:
            if not self.platform.takes_traffic(region):
                continue
            for db in lineage:
                for key, member in db.members.items():
                    if member.region != region:
                        continue
                    try:
                        self.committed.append(db.commit(key).write_id)
                    except writes.WriteRejected:
                        self.refused += 1
        del database

    def lost(self) -> list[str]:
        """Committed writes no longer in any database's history."""
        kept = {w.write_id for db in aurora.lineage(GLOBAL_ID) for w in db.history}
        return [w for w in self.committed if w not in kept]


def build(arc: bool) -> Platform:
    """Create the platform in the running emulator and return its handles."""
    clock = _current_clock()
    cells: dict[str, dict[str, Any]] = {}
    role = f"arn:aws:iam::{ACCOUNT}:role/finstack"
    rds = {r: client("rds", r) for r in REGIONS}
    secrets_keys, secrets = _break_glass_secrets()
    writer = rds[EAST].create_db_cluster(
        DBClusterIdentifier=f"{GLOBAL_ID}-{EAST}",
        Engine=ENGINE,
        EngineVersion=VERSION,
        MasterUsername="ledger",
        MasterUserPassword="correct-horse-battery",
        EnableHttpEndpoint=True,
    )["DBCluster"]
    rds[EAST].create_global_cluster(GlobalClusterIdentifier=GLOBAL_ID, SourceDBClusterIdentifier=writer["DBClusterArn"])
    secondary = rds[WEST].create_db_cluster(
        DBClusterIdentifier=f"{GLOBAL_ID}-{WEST}",
        Engine=ENGINE,
        EngineVersion=VERSION,
        GlobalClusterIdentifier=GLOBAL_ID,
        EnableHttpEndpoint=True,
    )["DBCluster"]
    clusters = {EAST: writer, WEST: secondary}
    msk = {}
    for region in REGIONS:
        kafka = client("kafka", region)
        msk[region] = kafka.create_cluster(
            ClusterName=f"finstack-prod-{region}",
            KafkaVersion="3.8.x",
            NumberOfBrokerNodes=3,
            BrokerNodeGroupInfo={
                "InstanceType": "kafka.m7g.xlarge",
                "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"],
            },
        )["ClusterArn"]
        eks = client("eks", region)
        eks.create_cluster(name=f"finstack-prod-{region}", roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-a"]})
        for name in NODEGROUPS:
            low, desired, high = BASE_SCALING[name]
            eks.create_nodegroup(
                clusterName=f"finstack-prod-{region}",
                nodegroupName=name,
                nodeRole=role,
                subnets=["subnet-a"],
                scalingConfig={"minSize": low, "desiredSize": desired, "maxSize": high},
            )
    route53 = client("route53", EAST)
    for region in REGIONS:
        other = next(r for r in REGIONS if r != region)
        replicator = client("kafka", region).create_replicator(
            ReplicatorName=_replicator_name(region),
            KafkaClusters=[
                {"AmazonMskCluster": {"MskClusterArn": msk[other]}, "VpcConfig": {"SubnetIds": ["subnet-a"]}},
                {"AmazonMskCluster": {"MskClusterArn": msk[region]}, "VpcConfig": {"SubnetIds": ["subnet-a"]}},
            ],
            ReplicationInfoList=[
                {
                    "SourceKafkaClusterArn": msk[other],
                    "TargetKafkaClusterArn": msk[region],
                    "TargetCompressionType": "NONE",
                    "TopicReplication": {"TopicsToReplicate": [".*"]},
                    "ConsumerGroupReplication": {"ConsumerGroupsToReplicate": [".*"]},
                }
            ],
            ServiceExecutionRoleArn=role,
        )["ReplicatorArn"]
        check = route53.create_health_check(
            CallerReference=f"api-{region}",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": f"api.{region}.pay.example.com",
                "ResourcePath": "/healthz",
                "Port": 443,
                "RequestInterval": 10,
                "FailureThreshold": 3,
            },
        )["HealthCheck"]["Id"]
        cells[region] = {
            "auroraClusterArn": clusters[region]["DBClusterArn"],
            "auroraClusterId": clusters[region]["DBClusterIdentifier"],
            "eksCluster": f"finstack-prod-{region}",
            "nodegroups": list(NODEGROUPS),
            "mskClusterArn": msk[region],
            "replicatorArn": replicator,
            "healthCheckId": check,
            "routingControlArn": None,
            "apiHostname": f"api.{region}.pay.example.com",
            "breakGlassSecretArn": secrets[region],
        }
    cluster_arn = plan_arn = None
    endpoints: list[dict[str, str]] | None = None
    safety_rules: list[str] | None = None
    if arc:
        cluster_arn, controls, endpoints, safety_rules = _arc(route53)
        plan_arn = f"arn:aws:arc-region-switch::{ACCOUNT}:plan/finstack-prod:abc123"
        for region in REGIONS:
            cells[region]["routingControlArn"] = controls[region]
    document = {
        "environment": "prod",
        "primaryRegion": EAST,
        "globalClusterId": GLOBAL_ID,
        "automationRoleArn": _automation_role(arc, secrets_keys, cells, cluster_arn),
        "arcPlanArn": plan_arn,
        "routingControlClusterArn": cluster_arn,
        "arcClusterEndpoints": endpoints,
        "arcSafetyRuleArns": safety_rules,
        "regions": cells,
    }
    drdoc.validate(document)
    return Platform(arc=arc, dr=document, clock=clock)


def _replicator_name(target: str) -> str:
    """The stack's name of the replicator into `target` (components.replication_topology)."""
    return next(f.replicator_name("prod") for f in full_mesh(REGIONS) if f.target == target)


def _break_glass_secrets() -> tuple[list[str], dict[str, str]]:
    """Each cell's `secrets` key and its replica of the master secret, encrypted with it."""
    keys, secrets = [], {}
    for region in REGIONS:
        key = client("kms", region).create_key(Description=f"secrets {region}")["KeyMetadata"]["Arn"]
        keys.append(key)
        secrets[region] = client("secretsmanager", region).create_secret(
            Name=master_secret_name("prod"), KmsKeyId=key, SecretString='{"username": "ledger"}'
        )["ARN"]
    return keys, secrets


def _automation_role(
    arc: bool, secrets_keys: list[str], cells: dict[str, dict[str, Any]], cluster_arn: str | None
) -> str:
    """The DR automation role with the policies the stack gives it (components.dr_control)."""
    iam = client("iam", EAST)
    name = automation_role_name("prod")
    trust = automation_trust_policy(ACCOUNT, ())
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    static = automation_policy("prod", ACCOUNT, REGIONS, arc, secrets_keys)
    iam.put_role_policy(RoleName=name, PolicyName="dr-automation", PolicyDocument=json.dumps(static))
    runtime = drill_runtime_policy(
        [c["healthCheckId"] for c in cells.values()],
        [c["routingControlArn"] for c in cells.values() if c["routingControlArn"]],
        cluster_arn,
    )
    iam.put_role_policy(RoleName=name, PolicyName="dr-runtime", PolicyDocument=json.dumps(runtime))
    return str(arn)


def _arc(route53: Any) -> tuple[str, dict[str, str], list[dict[str, str]], list[str]]:
    """The ARC cluster, panel, one control per cell (armed On) and the "at least one On" rule.

    Returns what the stack's `dr` output carries: the cluster ARN, the controls, the cluster's
    data-plane endpoints (in the order DescribeCluster lists them) and the safety rule ARNs.
    """
    config = client("route53-recovery-control-config", WEST)
    cluster = config.create_cluster(ClusterName="finstack-prod")["Cluster"]
    panel = config.create_control_panel(ClusterArn=cluster["ClusterArn"], ControlPanelName="finstack-prod")[
        "ControlPanel"
    ]
    controls = {
        region: config.create_routing_control(
            ClusterArn=cluster["ClusterArn"],
            ControlPanelArn=panel["ControlPanelArn"],
            RoutingControlName=f"cell-{region}",
        )["RoutingControl"]["RoutingControlArn"]
        for region in REGIONS
    }
    rule = config.create_safety_rule(
        AssertionRule={
            "AssertedControls": list(controls.values()),
            "ControlPanelArn": panel["ControlPanelArn"],
            "Name": "at-least-one-cell-on",
            "RuleConfig": {"Inverted": False, "Threshold": 1, "Type": "ATLEAST"},
            "WaitPeriodMs": 5000,
        }
    )
    endpoint = cluster["ClusterEndpoints"][0]
    data = client("route53-recovery-cluster", endpoint["Region"], endpoint["Endpoint"])
    data.update_routing_control_states(
        UpdateRoutingControlStateEntries=[
            {"RoutingControlArn": arn, "RoutingControlState": "On"} for arn in controls.values()
        ]
    )
    for region, arn in controls.items():
        route53.create_health_check(
            CallerReference=f"switch-{region}", HealthCheckConfig={"Type": "RECOVERY_CONTROL", "RoutingControlArn": arn}
        )
    endpoints = [{"region": e["Region"], "endpoint": e["Endpoint"]} for e in cluster["ClusterEndpoints"]]
    return cluster["ClusterArn"], controls, endpoints, [rule["AssertionRule"]["SafetyRuleArn"]]


def _current_clock() -> VirtualClock:
    from finstack.emulator.moto_ext import get_clock

    clock = get_clock()
    assert isinstance(clock, VirtualClock), "tests/drills run the emulator on a virtual clock"
    return clock


#: One loader for every test session: a fresh botocore session would re-read and re-parse every
#: service model (about 60 ms per client); the models never change within a test run.
_LOADER = botocore.loaders.create_loader()


def client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    """A boto3 client for building and inspecting the platform (shared model loader)."""
    return fresh_session(region).client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]


def fresh_session(region: str) -> boto3.Session:
    """A new boto3 session (its own event hooks, as a new process would have) sharing the model loader."""
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region)


def setup_for(
    platform: Platform,
    workload: Workload | None = None,
    *,
    hooks: list[tuple[str, Callable[..., Any]]] = (),
    seed: int = 0,
) -> drill_session.DrillSetup:
    """A drill setup whose clock drives the emulator's: every drill sleep advances it and ticks the workload."""

    def on_sleep(seconds: float) -> None:
        platform.clock.advance(seconds)
        if workload is not None:
            workload.tick()

    clock = ManualClock(on_sleep=on_sleep)
    sessions = {}
    for region in REGIONS:
        session = fresh_session(region)
        session.events.register("before-call", platform.outage_hook())
        for event, handler in hooks:
            session.events.register(event, handler)
        sessions[region] = session
    return drill_session.emulated(
        "prod",
        platform.document,
        sessions=sessions,
        clock=clock,
        retry=RetryPolicy(rng=random.Random(seed)),
        timings=TEST_TIMINGS,
    )


def snapshot() -> Iterator[tuple[str, Any]]:
    """Every describe a dry run must leave unchanged (for before/after comparison)."""
    yield "writes", aurora.global_database(GLOBAL_ID).snapshot()
    for region in REGIONS:
        rds = client("rds", region)
        yield f"rds-{region}", rds.describe_global_clusters(GlobalClusterIdentifier=GLOBAL_ID)["GlobalClusters"]
        eks = client("eks", region)
        cluster = f"finstack-prod-{region}"
        yield f"eks-{region}", eks.describe_cluster(name=cluster)["cluster"].get("tags")
        for name in NODEGROUPS:
            yield (
                f"ng-{region}-{name}",
                eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]["scalingConfig"],
            )
    for check in route53_health.all_health_checks(ACCOUNT).values():
        yield f"hc-{check.id}", (check.inverted, health_check_status(check.id))
    for arn, control in arc_backend(ACCOUNT).routing_controls.items():
        yield f"rc-{arn}", control.state
