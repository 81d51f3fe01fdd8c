"""Pure replication topology of the MSK cells: who replicates to whom, names, and what is copied.

No Pulumi imports: `components/msk.py` declares what this module decides, and the decisions are
tested with plain pytest and hypothesis (`tests/test_replication_topology.py`).

Topology: a full mesh of directed flows
    Every ordered pair of cells (source, target) gets its own MSK Replicator, running in the
    target's region (MSK requires that): n*(n-1) replicators, 2 for two cells, 6 for three.
    Not a hub, because
    - a record crosses exactly one region boundary to reach every other cell (one hop of latency,
      one hop of RPO), instead of two through a hub;
    - no cell is special: losing any one cell leaves every surviving pair replicating. Losing a
      hub partitions the spokes, which is exactly the event DR exists for;
    - a replicator copies only the topics written *in its source cell* (the local names), never
      the copies its source received from elsewhere, so there are no chains, no cycles, and no
      record reaches a cell twice.
    The cost is quadratic in cells, and bounded: a residency jurisdiction has a handful of
    regions and finstack runs two or three cells.

Topic names: PREFIXED_WITH_SOURCE_CLUSTER_ALIAS, not IDENTICAL
    - Loop prevention by construction: a record written in cell A lands in cell B as
      `<aliasA>.<topic>`. Replicator allowlists are anchored local names, which a prefixed copy
      never matches, so no record can travel back. IDENTICAL needs the replicator to filter its
      own records by header, and AWS bills each replicator for reading every record twice.
    - Provenance: the topic name says in which cell a record was written. When a cell is lost,
      the survivor holds that cell's last replicated records in `<alias>.<topic>`, which is what
      reconciliation of the lost writer's tail needs.
    - Consumer subscriptions: a consumer that needs the global stream (read models, audit)
      subscribes to `subscription_pattern(topic)`, the local topic plus every cell's copy. A
      consumer with side effects (posting, payment execution) subscribes to the local topic
      only, so each record is acted on once, in the cell where it was written.
    - Offset sync: consumer groups of the platform namespaces (ids `<namespace>.<app>`) have their
      committed offsets translated into the other cells. ENHANCED sync requires IDENTICAL names,
      so the mode is LEGACY: after a cell is lost, a group started in a survivor resumes the lost
      cell's `<alias>.<topic>` near where it stopped, instead of at the beginning or the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from components.iam_docs import Document, document, statement
from components.naming import short_region

# MSK cluster and replicator names: a letter or digit, then letters, digits and hyphens.
# Cluster names allow 64 characters, replicator names 128.
MSK_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")
CLUSTER_NAME_MAX = 64
REPLICATOR_NAME_MAX = 128

TOPIC_NAME_CONFIGURATION = "PREFIXED_WITH_SOURCE_CLUSTER_ALIAS"
# ENHANCED needs IDENTICAL topic names (see the module docstring).
OFFSET_SYNC_MODE = "LEGACY"

# Dead-letter topics: one per namespace. Low volume and no ordering needs, so few partitions;
# kept two weeks so a poison message outlives a long weekend and the incident review after it.
DLQ_SUFFIX = "dlq"
DLQ_PARTITIONS = 3
DLQ_RETENTION_HOURS = 14 * 24

# Never replicated, even if a future allowlist were broader: Kafka and MSK internals
# (`__consumer_offsets`, `__amazon_msk_canary`, replicator heartbeats) and the replicator's own
# offset-sync and checkpoint topics.
EXCLUDED_TOPIC_PATTERNS = (r"^__.*$", r"^mskr-offset-syncs\..*$", r"^.*\.checkpoints\.internal$")
# MSK's canary consumer groups and internal groups.
EXCLUDED_GROUP_PATTERNS = (r"^__.*$", r"^amazon\.msk\..*$")

# MSK Replicator reads a provisioned source through multi-VPC private connectivity, which MSK
# does not offer on kafka.t3.small, and needs a source of at least three brokers.
MULTI_VPC_UNSUPPORTED_INSTANCE_TYPES = frozenset({"kafka.t3.small"})
MIN_REPLICATOR_SOURCE_BROKERS = 3

# The internal topics and groups the replicator keeps on both clusters (AWS's least-privilege
# service execution role example for topic replication with LEGACY offset sync).
_INTERNAL_TOPICS = ("*__amazon_msk_replicator_*", "mskr-offset-syncs.*", "*.checkpoints.internal")
_INTERNAL_GROUPS = ("*__amazon_msk_replicator_*",)

_CLUSTER_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):kafka:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"cluster/(?P<name>[0-9A-Za-z][0-9A-Za-z-]*)/(?P<uuid>[0-9A-Za-z-]+)$"
)

KafkaResource = Literal["topic", "group"]

_INTERNAL_TOPIC_ACTIONS = (
    "kafka-cluster:CreateTopic",
    "kafka-cluster:ReadData",
    "kafka-cluster:WriteData",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:AlterTopic",
    "kafka-cluster:AlterTopicDynamicConfiguration",
)
_READ_TOPIC_ACTIONS = (
    "kafka-cluster:ReadData",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
)
# What a reader in another region needs to reach the cluster over multi-VPC private
# connectivity (the cluster policy the MSK multi-VPC guide requires).
CONNECTIVITY_ACTIONS = (
    "kafka:CreateVpcConnection",
    "kafka:GetBootstrapBrokers",
    "kafka:DescribeCluster",
    "kafka:DescribeClusterV2",
)
KAFKA_SERVICE = "kafka.amazonaws.com"


class TopicSpec(Protocol):
    """What the topology needs of a topic; `infra.config.TopicConfig` satisfies it."""

    @property
    def name(self) -> str:
        """Kafka topic name."""
        ...

    @property
    def partitions(self) -> int:
        """Partition count."""
        ...

    @property
    def retention_hours(self) -> int:
        """How long records are kept."""
        ...


@dataclass(frozen=True)
class KafkaTopic:
    """A topic the platform declares in every cell."""

    name: str
    partitions: int
    retention_hours: int


@dataclass(frozen=True)
class Flow:
    """One directed replication: records written in `source` are copied into `target`."""

    source: str
    target: str

    def replicator_name(self, environment: str) -> str:
        """The replicator's physical name, see `replicator_name`."""
        return replicator_name(environment, self.source, self.target)


def cluster_name(environment: str, region: str) -> str:
    """`finstack-prod-use1`: stable, unique per region, within MSK's 64-character limit."""
    name = f"finstack-{environment}-{short_region(region)}"
    _check_msk_name(name, CLUSTER_NAME_MAX, "cluster")
    return name


def replicator_name(environment: str, source: str, target: str) -> str:
    """`finstack-prod-use1-to-usw2`: the direction is readable in the console and in alarms."""
    name = f"finstack-{environment}-{short_region(source)}-to-{short_region(target)}"
    _check_msk_name(name, REPLICATOR_NAME_MAX, "replicator")
    return name


def _check_msk_name(name: str, limit: int, kind: str) -> None:
    if len(name) > limit or not MSK_NAME.match(name):
        raise ValueError(f"MSK {kind} name {name!r} is invalid: at most {limit} letters, digits and hyphens")


def full_mesh(regions: Sequence[str]) -> tuple[Flow, ...]:
    """Every ordered pair of distinct cells, grouped by target in `regions` order."""
    if len(set(regions)) != len(regions):
        raise ValueError(f"regions must be distinct, got {list(regions)}")
    return tuple(Flow(source, target) for target in regions for source in regions if source != target)


def inbound(flows: Iterable[Flow], region: str) -> tuple[Flow, ...]:
    """The flows replicating into `region`: the replicators that run there."""
    return tuple(f for f in flows if f.target == region)


def outbound(flows: Iterable[Flow], region: str) -> tuple[Flow, ...]:
    """The flows reading from `region`: whose roles the region's cluster policy admits."""
    return tuple(f for f in flows if f.source == region)


def dr_partner(regions: Sequence[str], region: str, primary: str) -> str | None:
    """The cell whose records a drill checks before switching to `region`.

    A secondary's partner is the primary (the writer it takes over from); the primary's partner
    is the first secondary (the default switchback source). None for a single cell.
    """
    if region not in regions or primary not in regions:
        raise ValueError(f"{region!r} and {primary!r} must both be among {list(regions)}")
    if region != primary:
        return primary
    others = [r for r in regions if r != primary]
    return others[0] if others else None


def dead_letter_topic(namespace: str) -> str:
    """`ledger.dlq`: where the namespace's consumers park records they cannot process."""
    return f"{namespace}.{DLQ_SUFFIX}"


def resource_slug(topic: str) -> str:
    """`ledger.entries` -> `ledger-entries`: the kebab-case role in a Pulumi resource name."""
    return re.sub(r"[._]", "-", topic)


def platform_topics(topics: Iterable[TopicSpec], namespaces: Iterable[str]) -> tuple[KafkaTopic, ...]:
    """The configured topics plus one dead-letter topic per namespace, checked for collisions.

    Refused: a name listed twice; two names Kafka considers colliding (`.` and `_` map to the
    same metric name, and they would share a Pulumi resource name); a name that is another
    name with a dotted prefix (`x.ledger.entries` and `ledger.entries`), which would make
    `subscription_pattern` match the wrong topic.
    """
    declared = [KafkaTopic(t.name, t.partitions, t.retention_hours) for t in topics]
    declared += [KafkaTopic(dead_letter_topic(ns), DLQ_PARTITIONS, DLQ_RETENTION_HOURS) for ns in namespaces]
    by_slug: dict[str, str] = {}
    for topic in declared:
        slug = resource_slug(topic.name)
        if slug in by_slug:
            other = by_slug[slug]
            reason = "is listed twice" if other == topic.name else f"collides with {other!r} ('.' and '_' clash)"
            raise ValueError(
                f"Kafka topic {topic.name!r} {reason}; dead-letter topics <namespace>.{DLQ_SUFFIX} are added for you"
            )
        by_slug[slug] = topic.name
    names = [t.name for t in declared]
    for name in names:
        for other in names:
            if other != name and other.endswith(f".{name}"):
                raise ValueError(
                    f"Kafka topic {other!r} ends with another topic's name {name!r}: a replicated copy "
                    f"<alias>.{name} would be indistinguishable from it; rename one of them"
                )
    return tuple(declared)


def topic_patterns(topic_names: Iterable[str]) -> list[str]:
    """Anchored, escaped allowlist: exactly these local topics, never a prefixed copy of them."""
    return [f"^{re.escape(name)}$" for name in topic_names]


def group_patterns(namespaces: Iterable[str]) -> list[str]:
    """Consumer groups whose offsets are synchronised: ids `<namespace>.<app>`."""
    return [f"^{re.escape(ns)}\\..+$" for ns in namespaces]


def subscription_pattern(topic: str) -> str:
    """What a global-stream consumer subscribes to: the local topic or any cell's copy of it.

    MSK generates the source alias from the source cluster's name, which cannot contain a dot,
    so a copy is exactly one dot-free label, a dot, and the topic name. The actual alias of a
    replicator is in DescribeReplicator's `sourceKafkaClusterAlias`.
    """
    return rf"^(?:[0-9A-Za-z_-]+\.)?{re.escape(topic)}$"


def account_of(cluster_arn: str) -> str:
    """The 12-digit account of an MSK cluster ARN."""
    return _parse_cluster_arn(cluster_arn)["account"]


def kafka_resource_arn(cluster_arn: str, kind: KafkaResource, name: str) -> str:
    """The IAM ARN of a topic or group of a cluster: `...:topic/<cluster>/<uuid>/<name>`."""
    parts = _parse_cluster_arn(cluster_arn)
    return (
        f"arn:{parts['partition']}:kafka:{parts['region']}:{parts['account']}:"
        f"{kind}/{parts['name']}/{parts['uuid']}/{name}"
    )


def _parse_cluster_arn(cluster_arn: str) -> dict[str, str]:
    match = _CLUSTER_ARN.match(cluster_arn)
    if not match:
        raise ValueError(
            f"{cluster_arn!r} is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)"
        )
    return match.groupdict()


def replicator_policy(
    source_cluster_arn: str, target_cluster_arn: str, topic_names: Sequence[str], namespaces: Sequence[str]
) -> Document:
    """The service execution role policy of one replicator, least privilege.

    Follows AWS's documented least-privilege example for LEGACY offset sync, narrowed from
    topic patterns to the exact platform topics: read-only on the source's data topics, write
    only to the prefixed copies on the target, the replicator's internal topics on both, and
    the platform namespaces' consumer groups.
    """
    src_topics = [kafka_resource_arn(source_cluster_arn, "topic", t) for t in topic_names]
    # The alias prefix is generated by MSK at creation, so the target copy is `*.<topic>`.
    tgt_copies = [kafka_resource_arn(target_cluster_arn, "topic", f"*.{t}") for t in topic_names]
    groups = [f"{ns}.*" for ns in namespaces]
    return document(
        statement(
            "SourceCluster",
            ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"],
            [source_cluster_arn],
        ),
        statement(
            "TargetCluster",
            [
                "kafka-cluster:Connect",
                "kafka-cluster:DescribeCluster",
                "kafka-cluster:AlterCluster",
                "kafka-cluster:WriteDataIdempotently",
            ],
            [target_cluster_arn],
        ),
        statement("SourceInternalTopics", _INTERNAL_TOPIC_ACTIONS, _internal_topics(source_cluster_arn)),
        statement("TargetInternalTopics", _INTERNAL_TOPIC_ACTIONS, _internal_topics(target_cluster_arn)),
        statement("SourceDataTopicsRead", _READ_TOPIC_ACTIONS, src_topics),
        statement(
            "TargetTopicCopiesWrite",
            [
                "kafka-cluster:CreateTopic",
                "kafka-cluster:WriteData",
                "kafka-cluster:DescribeTopic",
                "kafka-cluster:DescribeTopicDynamicConfiguration",
                "kafka-cluster:AlterTopic",
                "kafka-cluster:AlterTopicDynamicConfiguration",
            ],
            tgt_copies,
        ),
        statement(
            "SourceGroupsDescribe",
            ["kafka-cluster:DescribeGroup"],
            [kafka_resource_arn(source_cluster_arn, "group", g) for g in groups],
        ),
        statement(
            "TargetGroupsSync",
            ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
            [kafka_resource_arn(target_cluster_arn, "group", g) for g in (*_INTERNAL_GROUPS, *groups)],
        ),
    )


def _internal_topics(cluster_arn: str) -> list[str]:
    return [kafka_resource_arn(cluster_arn, "topic", t) for t in _INTERNAL_TOPICS]


def source_cluster_policy(
    cluster_arn: str, reader_role_arns: Sequence[str], topic_names: Sequence[str], namespaces: Sequence[str]
) -> Document:
    """The cluster policy of a replication source: only the replicators that read it, only reads.

    - MSK Replicator creates its cross-region connection as the `kafka.amazonaws.com` service,
      which the policy admits for the connectivity actions only, without a condition: AWS's
      published source-cluster policy has none (msk-replicator-prepare-cluster.html), MSK's
      confused-deputy page documents aws:SourceArn/aws:SourceAccount for MSK Connect only, and a
      condition on a key the service's request does not carry never matches, which would stop
      every replicator. A connection alone reads nothing: the data actions below name only the
      readers' roles, and the brokers take IAM authentication only.
    - The readers' service execution roles get the same connectivity actions and the source
      half of `replicator_policy` (connect, read the platform topics, describe groups, the
      replicator's internal topics), so the cluster itself lists who may read it cross-region.
    """
    if not reader_role_arns:
        raise ValueError(f"{cluster_arn}: a cluster policy without readers would admit no one; do not declare it")
    readers: dict[str, str | list[str]] = {
        "AWS": reader_role_arns[0] if len(reader_role_arns) == 1 else list(reader_role_arns)
    }
    groups = [f"{ns}.*" for ns in namespaces]
    return document(
        statement(
            "ReplicatorServiceConnectivity",
            CONNECTIVITY_ACTIONS,
            [cluster_arn],
            principal={"Service": KAFKA_SERVICE},
        ),
        statement(
            "ReplicatorRolesConnectivity",
            [
                *CONNECTIVITY_ACTIONS,
                "kafka-cluster:Connect",
                "kafka-cluster:DescribeCluster",
                "kafka-cluster:WriteDataIdempotently",
            ],
            [cluster_arn],
            principal=readers,
        ),
        statement(
            "ReplicatorRolesInternalTopics", _INTERNAL_TOPIC_ACTIONS, _internal_topics(cluster_arn), principal=readers
        ),
        statement(
            "ReplicatorRolesReadTopics",
            _READ_TOPIC_ACTIONS,
            [kafka_resource_arn(cluster_arn, "topic", t) for t in topic_names],
            principal=readers,
        ),
        statement(
            "ReplicatorRolesDescribeGroups",
            ["kafka-cluster:DescribeGroup"],
            [kafka_resource_arn(cluster_arn, "group", g) for g in groups],
            principal=readers,
        ),
    )


def replication_problems(instance_type: str, broker_count: int) -> list[str]:
    """Why a cluster cannot be a replication source (empty when it can): for config validation too."""
    problems = []
    if instance_type in MULTI_VPC_UNSUPPORTED_INSTANCE_TYPES:
        problems.append(
            f"brokerInstanceType {instance_type} does not support multi-VPC private connectivity, which "
            "cross-region MSK Replicator needs; use an m5 or m7g size such as kafka.m7g.large"
        )
    if broker_count < MIN_REPLICATOR_SOURCE_BROKERS:
        problems.append(
            f"a cell has {broker_count} brokers; MSK Replicator needs a source of at least "
            f"{MIN_REPLICATOR_SOURCE_BROKERS}; raise brokersPerAz"
        )
    return problems
