"""The pure replication topology: flows, names, topic and group patterns, replicator permissions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.replication_topology import (
    CLUSTER_NAME_MAX,
    CONNECTIVITY_ACTIONS,
    DLQ_PARTITIONS,
    DLQ_RETENTION_HOURS,
    KAFKA_SERVICE,
    MSK_NAME,
    REPLICATOR_NAME_MAX,
    Flow,
    KafkaTopic,
    account_of,
    cluster_name,
    dead_letter_topic,
    dr_partner,
    full_mesh,
    group_patterns,
    inbound,
    kafka_resource_arn,
    outbound,
    platform_topics,
    replication_problems,
    replicator_name,
    replicator_policy,
    source_cluster_policy,
    subscription_pattern,
    topic_patterns,
)
from infra.jurisdictions import REGION_AZS

SUPPORTED_REGIONS = sorted(REGION_AZS)
ENVIRONMENTS = ("dev", "staging", "prod")
ACCOUNT = "111122223333"

regions_lists = st.lists(st.sampled_from(SUPPORTED_REGIONS), min_size=1, max_size=6, unique=True)
# Topic names as the config model admits them, without the characters that would make two of them
# collide by design (tested separately below).
labels = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
topic_names = st.builds(lambda a, b: f"{a}.{b}", labels, labels)
# One to three labels: lets sets contain names that end in another name (`x.a.b`, `a.b`).
dotted_names = st.lists(labels, min_size=1, max_size=3).map(".".join)
aliases = st.from_regex(r"[0-9A-Za-z][0-9A-Za-z_-]{0,40}", fullmatch=True)
uuids = st.from_regex(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9]{1,2}", fullmatch=True)
cluster_names = st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True)


def _cluster_arn(region: str, name: str, uuid: str) -> str:
    return f"arn:aws:kafka:{region}:{ACCOUNT}:cluster/{name}/{uuid}"


SOURCE = _cluster_arn("us-east-1", "finstack-prod-use1", "e7fe70b0-b683-79a5-4d16-fdf468b17da3-22")
TARGET = _cluster_arn("us-west-2", "finstack-prod-usw2", "9e8d7f4c-5660-e2f0-b27c-8b3d098198c4-9")
TOPICS = ["ledger.entries", "payments.events", "ledger.dlq"]
NAMESPACES = ["ledger", "payments"]


# -- flows ---------------------------------------------------------------------------------------
@given(regions_lists)
def test_full_mesh__every_ordered_pair_of_cells_exactly_once(regions: list[str]) -> None:
    flows = full_mesh(regions)
    pairs = [(f.source, f.target) for f in flows]
    assert len(pairs) == len(regions) * (len(regions) - 1), f"{regions}: {pairs}"
    assert set(pairs) == {(a, b) for a in regions for b in regions if a != b}, f"{regions}: {pairs}"
    assert len(set(pairs)) == len(pairs), f"{regions}: duplicate flow in {pairs}"


@given(regions_lists)
def test_full_mesh__every_cell_reads_and_is_read_by_every_other_cell(regions: list[str]) -> None:
    flows = full_mesh(regions)
    for region in regions:
        others = set(regions) - {region}
        assert {f.source for f in inbound(flows, region)} == others, f"{region}: inbound {inbound(flows, region)}"
        assert {f.target for f in outbound(flows, region)} == others, f"{region}: outbound {outbound(flows, region)}"


@given(regions_lists)
def test_full_mesh__every_flow_has_its_reverse(regions: list[str]) -> None:
    flows = set(full_mesh(regions))
    for flow in flows:
        assert Flow(flow.target, flow.source) in flows, f"{flow} has no reverse flow"


def test_full_mesh__two_cells_give_one_bidirectional_pair() -> None:
    assert full_mesh(["us-east-1", "us-west-2"]) == (Flow("us-west-2", "us-east-1"), Flow("us-east-1", "us-west-2"))


def test_full_mesh__repeated_region_is_refused() -> None:
    with pytest.raises(ValueError, match="regions must be distinct"):
        full_mesh(["us-east-1", "us-east-1"])


@given(regions_lists, st.data())
def test_dr_partner__secondaries_pair_with_the_primary_and_the_primary_with_the_first_secondary(
    regions: list[str], data: st.DataObject
) -> None:
    primary = data.draw(st.sampled_from(regions))
    secondaries = [r for r in regions if r != primary]
    assert dr_partner(regions, primary, primary) == (secondaries[0] if secondaries else None)
    for region in secondaries:
        assert dr_partner(regions, region, primary) == primary, f"{region} in {regions}, primary {primary}"


def test_dr_partner__unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="must both be among"):
        dr_partner(["us-east-1"], "us-west-2", "us-east-1")


# -- names ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cluster_name__valid_msk_name_and_unique_for_every_supported_region(environment: str) -> None:
    names = {region: cluster_name(environment, region) for region in SUPPORTED_REGIONS}
    for region, name in names.items():
        assert MSK_NAME.match(name) and len(name) <= CLUSTER_NAME_MAX, f"{region}: {name!r}"
        assert name.startswith(f"finstack-{environment}-"), f"{region}: {name!r}"
    assert len(set(names.values())) == len(names), f"colliding cluster names: {names}"


@given(st.sampled_from(ENVIRONMENTS), regions_lists)
def test_replicator_name__valid_and_distinct_per_direction(environment: str, regions: list[str]) -> None:
    names = [f.replicator_name(environment) for f in full_mesh(regions)]
    for name in names:
        assert MSK_NAME.match(name) and len(name) <= REPLICATOR_NAME_MAX, name
    assert len(set(names)) == len(names), f"colliding replicator names: {names}"


def test_replicator_name__reads_source_to_target() -> None:
    assert replicator_name("prod", "us-east-1", "us-west-2") == "finstack-prod-use1-to-usw2"


# -- topics and groups ---------------------------------------------------------------------------
def test_platform_topics__adds_one_dead_letter_topic_per_namespace() -> None:
    topics = platform_topics([KafkaTopic("ledger.entries", 12, 168)], ["ledger", "risk"])
    assert [t.name for t in topics] == ["ledger.entries", "ledger.dlq", "risk.dlq"]
    for dlq in topics[1:]:
        assert (dlq.partitions, dlq.retention_hours) == (DLQ_PARTITIONS, DLQ_RETENTION_HOURS), dlq
    assert dead_letter_topic("payments") == "payments.dlq"


def test_platform_topics__a_configured_dead_letter_topic_is_refused_as_a_duplicate() -> None:
    with pytest.raises(ValueError, match=r"'ledger\.dlq' is listed twice"):
        platform_topics([KafkaTopic("ledger.dlq", 3, 24)], ["ledger"])


def test_platform_topics__dot_and_underscore_collision_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'ledger_entries' collides with 'ledger\.entries'"):
        platform_topics([KafkaTopic("ledger.entries", 3, 24), KafkaTopic("ledger_entries", 3, 24)], [])


def test_platform_topics__a_name_ending_in_another_topic_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'eu\.ledger\.entries' ends with another topic's name 'ledger\.entries'"):
        platform_topics([KafkaTopic("ledger.entries", 3, 24), KafkaTopic("eu.ledger.entries", 3, 24)], [])


@given(st.lists(dotted_names, max_size=8, unique=True), st.lists(labels, max_size=4, unique=True))
def test_platform_topics__accepted_sets_have_unambiguous_subscriptions(names: list[str], namespaces: list[str]) -> None:
    try:
        topics = platform_topics([KafkaTopic(n, 3, 24) for n in names], namespaces)
    except ValueError as refused:
        # Refusing is the contract for a set whose subscriptions would be ambiguous.
        assert re.search("listed twice|ends with another topic's name", str(refused)), refused
        return
    declared = [t.name for t in topics]
    for name in declared:
        pattern = re.compile(subscription_pattern(name))
        matched = [other for other in declared if pattern.match(other)]
        assert matched == [name], f"subscription to {name!r} also matches {matched}"


@given(topic_names, aliases)
def test_subscription_pattern__matches_the_local_topic_and_any_cells_copy(topic: str, alias: str) -> None:
    pattern = re.compile(subscription_pattern(topic))
    assert pattern.match(topic), topic
    assert pattern.match(f"{alias}.{topic}"), f"{alias}.{topic}"


@given(topic_names, aliases)
def test_subscription_pattern__does_not_match_other_topics(topic: str, alias: str) -> None:
    pattern = re.compile(subscription_pattern(topic))
    for other in (f"{topic}.dlq", f"{alias}{topic}", f"{alias}.x{topic}", f"{alias}.{alias}.{topic}", topic[:-1]):
        assert not pattern.match(other), f"{subscription_pattern(topic)} matched {other!r}"


@given(topic_names, aliases)
def test_topic_patterns__replicate_the_local_topic_and_never_a_copy(topic: str, alias: str) -> None:
    (pattern,) = topic_patterns([topic])
    assert re.fullmatch(pattern, topic) and re.search(pattern, topic), pattern
    # Whether MSK matches or searches, a prefixed copy never flows on (loop prevention).
    assert not re.search(pattern, f"{alias}.{topic}"), f"{pattern} would forward {alias}.{topic}"


@given(labels, st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True))
def test_group_patterns__namespace_groups_only(namespace: str, app: str) -> None:
    (pattern,) = group_patterns([namespace])
    assert re.search(pattern, f"{namespace}.{app}"), pattern
    for other in (namespace, f"{namespace}x.{app}", f"x{namespace}.{app}", f"amazon.msk.{namespace}.{app}"):
        assert not re.search(pattern, other), f"{pattern} matched {other!r}"


# -- ARNs ----------------------------------------------------------------------------------------
@given(st.sampled_from(SUPPORTED_REGIONS), cluster_names, uuids, topic_names, st.sampled_from(["topic", "group"]))
def test_kafka_resource_arn__stays_inside_its_cluster(region: str, name: str, uuid: str, topic: str, kind: str) -> None:
    cluster = _cluster_arn(region, name, uuid)
    arn = kafka_resource_arn(cluster, kind, topic)  # type: ignore[arg-type]
    assert arn == f"arn:aws:kafka:{region}:{ACCOUNT}:{kind}/{name}/{uuid}/{topic}"
    assert account_of(cluster) == ACCOUNT


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:kafka:us-east-1:111122223333:replicator/finstack-prod-use1-to-usw2/abc",
        "arn:aws:kms:us-east-1:111122223333:key/mrk-1",
        "finstack-prod-use1",
    ],
)
def test_kafka_resource_arn__refuses_what_is_not_a_cluster_arn(arn: str) -> None:
    with pytest.raises(ValueError, match="is not an MSK cluster ARN"):
        kafka_resource_arn(arn, "topic", "ledger.entries")


# -- permissions ---------------------------------------------------------------------------------
def _cluster_of(arn: str) -> str:
    """`...:topic/<name>/<uuid>/<x>` -> `<name>/<uuid>`: which cluster a Kafka ARN belongs to."""
    return "/".join(arn.split(":", 5)[5].split("/")[1:3])


def _statements(doc: dict) -> list[dict]:
    return doc["Statement"]


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


topic_sets = st.lists(topic_names, min_size=1, max_size=6, unique=True)
namespace_sets = st.lists(labels, min_size=1, max_size=4, unique=True)


@given(topic_sets, namespace_sets)
def test_replicator_policy__no_wildcard_action_and_only_the_two_clusters(
    topics: list[str], namespaces: list[str]
) -> None:
    doc = replicator_policy(SOURCE, TARGET, topics, namespaces)
    allowed = {_cluster_of(SOURCE), _cluster_of(TARGET)}
    for stmt in _statements(doc):
        for action in _listed(stmt["Action"]):
            assert "*" not in action, f"{stmt['Sid']}: wildcard action {action}"
        for resource in _listed(stmt["Resource"]):
            assert resource.startswith("arn:aws:kafka:"), f"{stmt['Sid']}: {resource}"
            assert _cluster_of(resource) in allowed, f"{stmt['Sid']}: {resource} is outside both clusters"


@given(topic_sets)
def test_replicator_policy__source_data_topics_are_read_only(topics: list[str]) -> None:
    doc = replicator_policy(SOURCE, TARGET, topics, ["ledger"])
    source_topics = {kafka_resource_arn(SOURCE, "topic", t) for t in topics}
    for stmt in _statements(doc):
        if source_topics & set(_listed(stmt["Resource"])):
            actions = set(_listed(stmt["Action"]))
            assert actions <= {
                "kafka-cluster:ReadData",
                "kafka-cluster:DescribeTopic",
                "kafka-cluster:DescribeTopicDynamicConfiguration",
            }, f"{stmt['Sid']}: {actions}"


def test_replicator_policy__writes_only_prefixed_copies_of_the_platform_topics_on_the_target() -> None:
    doc = replicator_policy(SOURCE, TARGET, TOPICS, NAMESPACES)
    writes = [s for s in _statements(doc) if "kafka-cluster:WriteData" in _listed(s["Action"])]
    data_writes = {
        r
        for s in writes
        for r in _listed(s["Resource"])
        if "amazon_msk_replicator" not in r and "offset-syncs" not in r and "checkpoints" not in r
    }
    assert data_writes == {kafka_resource_arn(TARGET, "topic", f"*.{t}") for t in TOPICS}, data_writes


def test_source_cluster_policy__admits_the_service_for_connectivity_and_only_the_readers_roles() -> None:
    readers = ["arn:aws:iam::111122223333:role/finstack-prod-use1-to-usw2-replicator"]
    doc = source_cluster_policy(SOURCE, readers, TOPICS, NAMESPACES)
    statements = _statements(doc)
    service = [s for s in statements if s["Principal"] == {"Service": KAFKA_SERVICE}]
    assert len(service) == 1, statements
    assert set(_listed(service[0]["Action"])) == set(CONNECTIVITY_ACTIONS), service[0]
    # AWS's published source-cluster policy has no condition, and MSK documents no aws:SourceAccount
    # in the request it makes: a condition on a key the request lacks never matches (docs/real-aws.md).
    assert "Condition" not in service[0], service[0]
    for stmt in statements:
        if stmt is not service[0]:
            assert stmt["Principal"] == {"AWS": readers[0]}, stmt
        for action in _listed(stmt["Action"]):
            assert "*" not in action, f"{stmt['Sid']}: {action}"
        for resource in _listed(stmt["Resource"]):
            assert _cluster_of(resource) == _cluster_of(SOURCE), f"{stmt['Sid']}: {resource} is another cluster's"
    role_actions = {a for s in statements if s is not service[0] for a in _listed(s["Action"])}
    assert set(CONNECTIVITY_ACTIONS) <= role_actions, role_actions
    assert "kafka-cluster:WriteData" not in {
        a
        for s in statements
        if any(r.endswith(f"/{t}") for t in TOPICS for r in _listed(s["Resource"]))
        for a in _listed(s["Action"])
    }


def test_source_cluster_policy__lists_every_reader_of_a_full_mesh_source() -> None:
    readers = [f"arn:aws:iam::111122223333:role/finstack-prod-use1-to-{r}-replicator" for r in ("usw2", "use2")]
    doc = source_cluster_policy(SOURCE, readers, TOPICS, NAMESPACES)
    principals = [s["Principal"] for s in _statements(doc) if "AWS" in s["Principal"]]
    assert principals and all(p == {"AWS": readers} for p in principals), principals


def test_source_cluster_policy__without_readers_is_refused() -> None:
    with pytest.raises(ValueError, match="would admit no one"):
        source_cluster_policy(SOURCE, [], TOPICS, NAMESPACES)


# -- feasibility ---------------------------------------------------------------------------------
def test_replication_problems__t3_small_and_two_brokers_are_named_with_the_fix() -> None:
    problems = replication_problems("kafka.t3.small", 2)
    assert len(problems) == 2, problems
    assert "multi-VPC private connectivity" in problems[0] and "brokerInstanceType" in problems[0]
    assert "at least 3" in problems[1] and "brokersPerAz" in problems[1]


@given(st.sampled_from(["kafka.m5.large", "kafka.m7g.large", "kafka.m7g.xlarge"]), st.integers(3, 30))
def test_replication_problems__none_for_a_supported_source(instance_type: str, brokers: int) -> None:
    assert replication_problems(instance_type, brokers) == []
