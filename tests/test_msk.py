"""MskPlatform under the recording mocks: clusters per cell, replicators between cells, alarms."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cache
from typing import Any

import pulumi
import pytest

from components.msk import (
    DISK_USED_ALARM_PERCENT,
    MskCellArgs,
    MskPlatform,
    MskPlatformArgs,
)
from components.naming import short_region
from finstack.engine.recording import ResourceRecord
from finstack.errors import ProgramError
from tests.plan import Plan, plan_of, shipped_config

ACCOUNT = "111122223333"
CLUSTER = "aws:msk/cluster:Cluster"
REPLICATOR = "aws:msk/replicator:Replicator"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
GLOBAL_TYPES = ("aws:iam/",)


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _cell(region: str, azs: int = 3, environment: str = "prod") -> MskCellArgs:
    """Wiring shaped like the network, keys and alerts components' real outputs."""
    return MskCellArgs(
        region=region,
        data_subnet_ids=[f"subnet-0{_hex(region, 'data', str(i))}" for i in range(azs)],
        kafka_sg_id=f"sg-0{_hex(region, 'kafka')}",
        streaming_key_arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/mrk-{_hex('streaming', length=32)}",
        logs_key_arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/mrk-{_hex('logs', length=32)}",
        alert_topic_arn=f"arn:aws:sns:{region}:{ACCOUNT}:finstack-{environment}-alerts-{short_region(region)}",
    )


def _args(stack: str, regions: tuple[str, ...] | None = None, **overrides: Any) -> MskPlatformArgs:
    config = shipped_config(stack)
    msk = config.msk
    if regions is None:
        cells = tuple(_cell(r.name, r.azs, config.environment) for r in config.regions)
    else:
        cells = tuple(_cell(region, 3, config.environment) for region in regions)
    args = MskPlatformArgs(
        environment=config.environment,
        kafka_version=msk.kafka_version,
        broker_instance_type=msk.broker_instance_type,
        brokers_per_az=msk.brokers_per_az,
        volume_gib=msk.volume_gib,
        max_volume_gib=msk.max_volume_gib,
        default_replication_factor=msk.default_replication_factor,
        min_insync_replicas=msk.min_insync_replicas,
        topics=msk.topics,
        namespaces=config.namespaces,
        log_retention_days=config.log_retention_days,
        cells=cells,
        primary_region=config.primary.name,
    )
    return dataclasses.replace(args, **overrides)


def _plan(args: MskPlatformArgs, stack: str = "prod") -> Plan:
    def program() -> None:
        platform = MskPlatform("msk", args)
        pulumi.export("clusterArns", platform.cluster_arns)
        pulumi.export("clusterNames", platform.cluster_names)
        pulumi.export("replicatorArns", platform.replicator_arns)
        pulumi.export("inboundReplicatorArns", platform.inbound_replicator_arns)

    return plan_of(program, stack)


@cache
def _prod() -> Plan:
    return _plan(_args("prod"))


@cache
def _three_regions() -> Plan:
    return _plan(_args("prod", regions=("us-east-1", "us-west-2", "us-east-2")))


def _region(record: ResourceRecord) -> str:
    assert record.region, f"{record.urn}: no region resolved"
    return record.region


def _clusters(plan: Plan) -> dict[str, ResourceRecord]:
    return {_region(c): c for c in plan.of_type(CLUSTER)}


def _policy(record: ResourceRecord, key: str) -> dict[str, Any]:
    return json.loads(record.inputs[key])


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# -- clusters ------------------------------------------------------------------------------------
def test_cluster__one_per_region_with_brokers_in_every_data_subnet() -> None:
    plan, args = _prod(), _args("prod")
    clusters = _clusters(plan)
    assert sorted(clusters) == sorted(c.region for c in args.cells), [c.urn for c in clusters.values()]
    for cell in args.cells:
        cluster = clusters[cell.region]
        group = cluster.inputs["brokerNodeGroupInfo"]
        assert group["clientSubnets"] == list(cell.data_subnet_ids), cluster.urn
        assert group["securityGroups"] == [cell.kafka_sg_id], cluster.urn
        brokers = cluster.inputs["numberOfBrokerNodes"]
        assert brokers == args.brokers_per_az * len(cell.data_subnet_ids), cluster.urn
        assert brokers % len(group["clientSubnets"]) == 0, f"{cluster.urn}: {brokers} brokers uneven over AZs"
        assert cluster.inputs["clusterName"] == f"finstack-prod-{short_region(cell.region)}", cluster.urn
        assert cluster.inputs["kafkaVersion"] == args.kafka_version, cluster.urn


def test_cluster__encrypted_at_rest_with_its_own_regions_streaming_key() -> None:
    cells = {c.region: c for c in _args("prod").cells}
    for region, cluster in _clusters(_prod()).items():
        key = cluster.inputs["encryptionInfo"]["encryptionAtRestKmsKeyArn"]
        assert key == cells[region].streaming_key_arn, cluster.urn
        assert key.split(":")[3] == region, f"{cluster.urn}: at-rest key {key} is from another region"


def test_cluster__tls_only_in_transit() -> None:
    for cluster in _clusters(_prod()).values():
        transit = cluster.inputs["encryptionInfo"]["encryptionInTransit"]
        assert transit == {"clientBroker": "TLS", "inCluster": True}, cluster.urn


def test_cluster__iam_is_the_only_client_authentication() -> None:
    for cluster in _clusters(_prod()).values():
        auth = cluster.inputs["clientAuthentication"]
        assert auth["sasl"]["iam"] is True, cluster.urn
        assert not auth["sasl"].get("scram"), f"{cluster.urn}: SCRAM enabled"
        assert auth["unauthenticated"] is False, cluster.urn
        assert "tls" not in auth, f"{cluster.urn}: mTLS client auth configured"
        vpc_auth = cluster.inputs["brokerNodeGroupInfo"]["connectivityInfo"]["vpcConnectivity"]["clientAuthentication"]
        assert vpc_auth["sasl"] == {"iam": True}, f"{cluster.urn}: multi-VPC auth {vpc_auth}"
        assert "publicAccess" not in cluster.inputs["brokerNodeGroupInfo"]["connectivityInfo"], cluster.urn


def test_cluster__broker_logs_go_to_an_encrypted_retained_log_group() -> None:
    plan, args = _prod(), _args("prod")
    cells = {c.region: c for c in args.cells}
    groups = {g.inputs["name"]: g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for region, cluster in _clusters(plan).items():
        logs = cluster.inputs["loggingInfo"]["brokerLogs"]["cloudwatchLogs"]
        assert logs["enabled"] is True, cluster.urn
        group = groups[logs["logGroup"]]
        assert group.region == region, f"{group.urn} is not in {region}"
        assert group.inputs["kmsKeyId"] == cells[region].logs_key_arn, group.urn
        assert group.inputs["retentionInDays"] == args.log_retention_days, group.urn


def test_configuration__broker_properties_from_config() -> None:
    plan, args = _prod(), _args("prod")
    configurations = {c.outputs["arn"]: c for c in plan.of_type("aws:msk/configuration:Configuration")}
    for region, cluster in _clusters(plan).items():
        configuration = configurations[cluster.inputs["configurationInfo"]["arn"]]
        assert configuration.region == region, configuration.urn
        assert configuration.inputs["kafkaVersions"] == [args.kafka_version], configuration.urn
        lines = configuration.inputs["serverProperties"].splitlines()
        properties = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
        assert properties == {
            "auto.create.topics.enable": "false",
            "default.replication.factor": "3",
            "min.insync.replicas": "2",
            "unclean.leader.election.enable": "false",
        }, configuration.urn


def test_cluster__storage_autoscales_to_max_volume_and_ignores_the_grown_size() -> None:
    plan, args = _prod(), _args("prod")
    for region, cluster in _clusters(plan).items():
        ebs = cluster.inputs["brokerNodeGroupInfo"]["storageInfo"]["ebsStorageInfo"]
        assert ebs["volumeSize"] == args.volume_gib, cluster.urn
        assert "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize" in cluster.ignore_changes, cluster.urn
        (target,) = [t for t in plan.of_type("aws:appautoscaling/target:Target", region)]
        assert target.inputs["resourceId"] == cluster.outputs["arn"], target.urn
        assert target.inputs["scalableDimension"] == "kafka:broker-storage:VolumeSize", target.urn
        assert target.inputs["maxCapacity"] == args.max_volume_gib, target.urn
        (policy,) = plan.of_type("aws:appautoscaling/policy:Policy", region)
        tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
        assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "KafkaBrokerStorageUtilization"
        assert tracking["disableScaleIn"] is True, policy.urn
        assert tracking["targetValue"] < DISK_USED_ALARM_PERCENT, policy.urn


def test_cluster__prod_is_protected_and_monitored_per_topic() -> None:
    for cluster in _clusters(_prod()).values():
        assert cluster.protect, f"{cluster.urn} is not protected in prod"
        assert cluster.inputs["enhancedMonitoring"] == "PER_TOPIC_PER_BROKER", cluster.urn


def test_topics__config_topics_and_a_dead_letter_topic_per_namespace_in_every_cell() -> None:
    plan, args = _prod(), _args("prod")
    expected = {t.name: t for t in args.topics} | {f"{ns}.dlq": None for ns in args.namespaces}
    for region, cluster in _clusters(plan).items():
        topics = {t.inputs["name"]: t for t in plan.of_type("aws:msk/topic:Topic", region)}
        assert set(topics) == set(expected), f"{region}: {sorted(topics)}"
        for name, topic in topics.items():
            assert topic.inputs["clusterArn"] == cluster.outputs["arn"], topic.urn
            assert topic.inputs["replicationFactor"] == args.default_replication_factor, topic.urn
            configs = json.loads(topic.inputs["configs"])
            assert configs["min.insync.replicas"] == str(args.min_insync_replicas), topic.urn
            if (spec := expected[name]) is not None:
                assert topic.inputs["partitionCount"] == spec.partitions, topic.urn
                assert configs["retention.ms"] == str(spec.retention_hours * 3_600_000), topic.urn


# -- replicators ---------------------------------------------------------------------------------
def test_replicators__prod_has_one_bidirectional_pair_each_in_its_target_region() -> None:
    plan = _prod()
    arns = {region: c.outputs["arn"] for region, c in _clusters(plan).items()}
    replicators = plan.of_type(REPLICATOR)
    assert len(replicators) == 2, [r.urn for r in replicators]
    flows = set()
    for replicator in replicators:
        info = replicator.inputs["replicationInfoList"]
        source = next(r for r, arn in arns.items() if arn == info["sourceKafkaClusterArn"])
        target = next(r for r, arn in arns.items() if arn == info["targetKafkaClusterArn"])
        assert source != target, replicator.urn
        assert replicator.region == target, f"{replicator.urn} runs in {replicator.region}, not its target {target}"
        clusters = [c["amazonMskCluster"]["mskClusterArn"] for c in replicator.inputs["kafkaClusters"]]
        assert clusters == [arns[source], arns[target]], replicator.urn
        flows.add((source, target))
    assert flows == {("us-east-1", "us-west-2"), ("us-west-2", "us-east-1")}, flows


def test_replicators__prefixed_names_offset_sync_and_only_platform_topics() -> None:
    args = _args("prod")
    platform_topics = {t.name for t in args.topics} | {f"{ns}.dlq" for ns in args.namespaces}
    for replicator in _prod().of_type(REPLICATOR):
        info = replicator.inputs["replicationInfoList"]
        (topics,) = info["topicReplications"]
        assert topics["topicNameConfiguration"]["type"] == "PREFIXED_WITH_SOURCE_CLUSTER_ALIAS", replicator.urn
        assert sorted(p.strip("^$").replace("\\", "") for p in topics["topicsToReplicates"]) == sorted(
            platform_topics
        ), replicator.urn
        assert "^__.*$" in topics["topicsToExcludes"], f"{replicator.urn}: internal topics not excluded"
        (groups,) = info["consumerGroupReplications"]
        assert groups["synchroniseConsumerGroupOffsets"] is True, replicator.urn
        assert groups["consumerGroupOffsetSyncMode"] == "LEGACY", replicator.urn
        assert len(groups["consumerGroupsToReplicates"]) == len(args.namespaces), replicator.urn


def test_replicators__source_reached_without_security_group_target_through_kafka_group() -> None:
    cells = {c.region: c for c in _args("prod").cells}
    for replicator in _prod().of_type(REPLICATOR):
        source_vpc, target_vpc = (c["vpcConfig"] for c in replicator.inputs["kafkaClusters"])
        target = cells[_region(replicator)]
        assert target_vpc == {"subnetIds": list(target.data_subnet_ids), "securityGroupsIds": [target.kafka_sg_id]}
        other = next(c for r, c in cells.items() if r != replicator.region)
        assert source_vpc == {"subnetIds": list(other.data_subnet_ids)}, replicator.urn


def test_replicator_roles__trust_kafka_with_source_account_and_grant_no_wildcard_action() -> None:
    plan = _prod()
    roles = {r.outputs["arn"]: r for r in plan.of_type("aws:iam/role:Role")}
    for replicator in plan.of_type(REPLICATOR):
        role = roles[replicator.inputs["serviceExecutionRoleArn"]]
        (trust,) = _policy(role, "assumeRolePolicy")["Statement"]
        assert trust["Principal"] == {"Service": "kafka.amazonaws.com"}, role.urn
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role.urn
        inline_policies = plan.of_type("aws:iam/rolePolicy:RolePolicy")
        (inline,) = [p for p in inline_policies if p.inputs["role"] == role.outputs["name"]]
        info = replicator.inputs["replicationInfoList"]
        clusters = {info[key].split(":cluster/")[1] for key in ("sourceKafkaClusterArn", "targetKafkaClusterArn")}
        for stmt in _policy(inline, "policy")["Statement"]:
            for action in _listed(stmt["Action"]):
                assert "*" not in action, f"{inline.urn} {stmt['Sid']}: wildcard action {action}"
            for resource in _listed(stmt["Resource"]):
                owner = "/".join(resource.split(":", 5)[5].split("/")[1:3])
                assert owner in clusters, f"{inline.urn} {stmt['Sid']}: {resource} outside its two clusters"


def test_cluster_policy__admits_only_the_role_of_the_replicator_reading_it() -> None:
    plan = _prod()
    clusters = _clusters(plan)
    policies = {_region(p): p for p in plan.of_type("aws:msk/clusterPolicy:ClusterPolicy")}
    assert sorted(policies) == sorted(clusters), [p.urn for p in policies.values()]
    for replicator in plan.of_type(REPLICATOR):
        source_arn = replicator.inputs["replicationInfoList"]["sourceKafkaClusterArn"]
        source_region = source_arn.split(":")[3]
        policy = policies[source_region]
        assert policy.inputs["clusterArn"] == source_arn == clusters[source_region].outputs["arn"], policy.urn
        statements = _policy(policy, "policy")["Statement"]
        role_statements = [s for s in statements if "AWS" in s["Principal"]]
        assert role_statements, policy.urn
        for stmt in role_statements:
            assert stmt["Principal"] == {"AWS": replicator.inputs["serviceExecutionRoleArn"]}, f"{policy.urn}: {stmt}"
        actions = {a for s in statements for a in _listed(s["Action"])}
        assert {"kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers", "kafka:DescribeClusterV2"} <= actions
        assert not [a for a in actions if "*" in a], f"{policy.urn}: wildcard actions"


# -- alarms --------------------------------------------------------------------------------------
def test_alarms__every_replicator_has_latency_lag_and_failure_alarms_in_its_target_region() -> None:
    plan = _prod()
    cells = {c.region: c for c in _args("prod").cells}
    for replicator in plan.of_type(REPLICATOR):
        name = replicator.inputs["replicatorName"]
        alarms = {
            a.inputs["metricName"]: a for a in plan.of_type(ALARM) if a.inputs["dimensions"] == {"ReplicatorName": name}
        }
        assert set(alarms) == {"ReplicationLatency", "MessageLag", "ReplicatorFailure"}, replicator.urn
        for alarm in alarms.values():
            assert alarm.inputs["namespace"] == "AWS/Kafka", alarm.urn
            assert alarm.region == replicator.region, f"{alarm.urn} not in {replicator.region}"
            assert alarm.inputs["alarmActions"] == [cells[_region(replicator)].alert_topic_arn], alarm.urn


def test_alarms__every_cluster_has_offline_partitions_and_a_disk_alarm_per_broker() -> None:
    plan = _prod()
    cells = {c.region: c for c in _args("prod").cells}
    for region, cluster in _clusters(plan).items():
        name = cluster.inputs["clusterName"]
        alarms = [a for a in plan.of_type(ALARM, region) if a.inputs["dimensions"].get("Cluster Name") == name]
        offline = [a for a in alarms if a.inputs["metricName"] == "OfflinePartitionsCount"]
        assert len(offline) == 1 and offline[0].inputs["threshold"] == 0, cluster.urn
        disks = sorted(
            a.inputs["dimensions"]["Broker ID"] for a in alarms if a.inputs["metricName"] == "KafkaDataLogsDiskUsed"
        )
        assert disks == [str(b) for b in range(1, int(cluster.inputs["numberOfBrokerNodes"]) + 1)], cluster.urn
        for alarm in alarms:
            assert alarm.inputs["alarmActions"] == [cells[region].alert_topic_arn], alarm.urn


# -- outputs and regions -------------------------------------------------------------------------
def test_outputs__replicator_arn_of_a_region_is_the_replicator_running_there() -> None:
    plan = _prod()
    by_arn = {r.outputs["arn"]: r for r in plan.of_type(REPLICATOR)}
    assert sorted(plan.outputs["replicatorArns"]) == ["us-east-1", "us-west-2"], plan.outputs
    for region, arn in plan.outputs["replicatorArns"].items():
        assert by_arn[arn].region == region, f"{by_arn[arn].urn} is listed for {region}"
    assert plan.outputs["clusterNames"] == {"us-east-1": "finstack-prod-use1", "us-west-2": "finstack-prod-usw2"}


def test_every_regional_resource__declares_its_cells_region() -> None:
    plan = _prod()
    regional = [r for r in plan if r.type.startswith("aws:") and not r.type.startswith(GLOBAL_TYPES)]
    for record in regional:
        assert record.inputs.get("region") in ("us-east-1", "us-west-2"), f"{record.urn}: no explicit region"
        if "tags" in record.inputs:
            assert record.inputs["tags"].get("finstack:cell") == record.region, f"{record.urn}: cell tag"
    # IAM is global: a replicator's role is tagged with the cell it replicates into.
    for role in plan.of_type("aws:iam/role:Role"):
        target = "us-west-2" if "-to-us-west-2-" in role.name else "us-east-1"
        assert role.inputs["tags"] == {"finstack:cell": target}, role.urn


def test_children__named_after_the_component_and_parented_to_it() -> None:
    plan = _prod()
    (component,) = plan.of_type("finstack:streaming:MskPlatform")
    by_urn = plan.by_urn
    for record in plan:
        if record is component or record.type == "pulumi:pulumi:Stack":
            continue
        assert record.name.startswith("msk-"), record.urn
        ancestor = record.parent
        while ancestor is not None and ancestor != component.urn:
            ancestor = by_urn[ancestor].parent
        assert ancestor == component.urn, f"{record.urn} is outside the MskPlatform tree"


# -- three regions -------------------------------------------------------------------------------
def test_three_regions__full_mesh_of_six_replicators_two_into_each_cell() -> None:
    plan = _three_regions()
    regions = ("us-east-1", "us-west-2", "us-east-2")
    replicators = plan.of_type(REPLICATOR)
    assert len(replicators) == 6, [r.urn for r in replicators]
    for region in regions:
        into = [r for r in replicators if r.region == region]
        assert len(into) == 2, f"{region}: {[r.urn for r in into]}"
        sources = {r.inputs["replicationInfoList"]["sourceKafkaClusterArn"].split(":")[3] for r in into}
        assert sources == set(regions) - {region}, f"{region} reads from {sources}"
    assert {r: len(v) for r, v in plan.outputs["inboundReplicatorArns"].items()} == dict.fromkeys(regions, 2)
    # The DR partner of a secondary is the primary; of the primary, the first secondary.
    by_arn = {r.outputs["arn"]: r for r in replicators}
    partners = {
        region: by_arn[arn].inputs["replicationInfoList"]["sourceKafkaClusterArn"].split(":")[3]
        for region, arn in plan.outputs["replicatorArns"].items()
    }
    assert partners == {"us-east-1": "us-west-2", "us-west-2": "us-east-1", "us-east-2": "us-east-1"}


def test_three_regions__each_cluster_policy_admits_both_readers() -> None:
    plan = _three_regions()
    for policy in plan.of_type("aws:msk/clusterPolicy:ClusterPolicy"):
        readers = {
            r.inputs["serviceExecutionRoleArn"]
            for r in plan.of_type(REPLICATOR)
            if r.inputs["replicationInfoList"]["sourceKafkaClusterArn"] == policy.inputs["clusterArn"]
        }
        assert len(readers) == 2, policy.urn
        for stmt in _policy(policy, "policy")["Statement"]:
            if "AWS" in stmt["Principal"]:
                assert set(_listed(stmt["Principal"]["AWS"])) == readers, f"{policy.urn} {stmt['Sid']}"


# -- other shapes ----------------------------------------------------------------------------------
def test_component__brokers_too_small_to_replicate_are_refused_with_the_fix_named() -> None:
    # Given two kafka.t3.small brokers per cell, When the platform is declared, Then it refuses
    args = _args("dev", broker_instance_type="kafka.t3.small", brokers_per_az=1)
    with pytest.raises(ProgramError, match=r"kafka\.t3\.small does not support multi-VPC.*raise brokersPerAz"):
        _plan(args, "dev")


def test_dev_sized_for_replication__per_broker_monitoring_unprotected_two_azs() -> None:
    plan = _plan(_args("dev", broker_instance_type="kafka.m7g.large", brokers_per_az=2), "dev")
    clusters = _clusters(plan)
    assert len(clusters) == 2 and len(plan.of_type(REPLICATOR)) == 2, [c.urn for c in clusters.values()]
    for cluster in clusters.values():
        assert cluster.inputs["numberOfBrokerNodes"] == 4, cluster.urn
        assert len(cluster.inputs["brokerNodeGroupInfo"]["clientSubnets"]) == 2, cluster.urn
        assert cluster.inputs["enhancedMonitoring"] == "PER_BROKER", cluster.urn
        assert not cluster.protect, cluster.urn


def test_single_region__no_replication_and_no_multi_vpc_connectivity() -> None:
    plan = _plan(_args("dev", regions=("us-east-1",)), "dev")
    (cluster,) = plan.of_type(CLUSTER)
    assert "connectivityInfo" not in cluster.inputs["brokerNodeGroupInfo"], cluster.urn
    assert not plan.of_type(REPLICATOR) and not plan.of_type("aws:msk/clusterPolicy:ClusterPolicy")
    assert plan.outputs["replicatorArns"] == {}, plan.outputs


def test_cells__more_data_subnets_than_msk_accepts_is_refused() -> None:
    args = _args("prod")
    first = args.cells[0]
    wide = dataclasses.replace(first, data_subnet_ids=[*first.data_subnet_ids, "subnet-0fedcba9876543210"])
    with pytest.raises(ProgramError, match="4 data subnets given; MSK spreads brokers over 2 or 3 AZs"):
        _plan(dataclasses.replace(args, cells=(wide, args.cells[1])))
