"""AuroraGlobal (the ledger) under the recording mocks, and its pure planning helpers."""

from __future__ import annotations

import json
from functools import cache

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import rpc

from components.aurora_global import MEMBER_IGNORE_CHANGES, AuroraCellArgs, AuroraGlobal, AuroraGlobalArgs
from components.aurora_plan import (
    availability_zone_for,
    cluster_identifier,
    cluster_parameters,
    instance_identifier,
    lag_threshold_ms,
    master_secret_document,
    parameter_group_family,
    password_of,
    promotion_tier,
    region_of_arn,
)
from finstack.engine.recording import ResourceRecord
from infra.jurisdictions import REGION_AZS
from tests.plan import Plan, plan_of, shipped_config

ACCOUNT = "111122223333"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
SUBNETS = "aws:rds/subnetGroup:SubnetGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def kms_arn(region: str, purpose: str) -> str:
    # Multi-region keys share their id across regions; only the region part differs.
    key_id = {"data": "mrk-1a2b3c4d5e6f40718293a4b5c6d7e8f9", "secrets": "mrk-2b3c4d5e6f7a40718293a4b5c6d7e8f9",
              "logs": "mrk-3c4d5e6f7a8b40718293a4b5c6d7e8f9"}[purpose]  # fmt: skip
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def cell(region: str, *, zones: bool = True) -> AuroraCellArgs:
    """Literal wiring shaped like the network, keys and alerts components' outputs."""
    short = region.replace("-", "")[:6]
    return AuroraCellArgs(
        region=region,
        data_subnet_ids=[f"subnet-0abc{short}{i}d4e5f6a7" for i in range(3)],
        db_sg_id=f"sg-0db{short}1a2b3c4d",
        data_key_arn=kms_arn(region, "data"),
        secrets_key_arn=kms_arn(region, "secrets"),
        logs_key_arn=kms_arn(region, "logs"),
        alert_topic_arn=f"arn:aws:sns:{region}:{ACCOUNT}:finstack-alerts",
        availability_zones=[f"{region}a", f"{region}b", f"{region}c"] if zones else None,
    )


def _run(stack: str, regions: tuple[str, ...], zones: bool = True) -> Plan:
    def program() -> None:
        config = shipped_config(stack)
        aurora = AuroraGlobal("aurora", AuroraGlobalArgs.from_config(config, [cell(r, zones=zones) for r in regions]))
        pulumi.export(
            "aurora",
            {
                "global_cluster_id": aurora.global_cluster_id,
                "primary_region": aurora.primary_region,
                "cluster_ids": aurora.cluster_ids,
                "cluster_arns": aurora.cluster_arns,
                "master_secret_arn": aurora.master_secret_arn,
            },
        )

    return plan_of(program, stack=stack)


@cache
def prod() -> Plan:
    return _run("prod", ("us-east-1", "us-west-2"))


@cache
def dev() -> Plan:
    return _run("dev", ("us-east-1", "us-west-2"), zones=False)


@cache
def prod_three() -> Plan:
    return _run("prod", ("us-east-1", "us-west-2", "us-east-2"))


def members(plan: Plan) -> dict[str, ResourceRecord]:
    found = {r.region: r for r in plan.of_type(CLUSTER)}
    assert len(found) == len(plan.of_type(CLUSTER)), [r.urn for r in plan.of_type(CLUSTER)]
    return found


def primary(plan: Plan) -> ResourceRecord:
    return plan.named("aurora-us-east-1-cluster")


def secondaries(plan: Plan) -> list[ResourceRecord]:
    return [r for r in plan.of_type(CLUSTER) if r.region != "us-east-1"]


# -- pure planning ----------------------------------------------------------------------------


@given(major=st.integers(min_value=10, max_value=99), minor=st.integers(min_value=0, max_value=99))
def test_parameter_group_family__follows_the_major_version_only(major: int, minor: int) -> None:
    assert parameter_group_family(f"{major}.{minor}") == f"aurora-postgresql{major}"


@pytest.mark.parametrize("version", ["16", "16.6.1", "v16.6", ""])
def test_parameter_group_family__rejects_malformed_versions(version: str) -> None:
    with pytest.raises(ValueError, match=r"is not <major>\.<minor>"):
        parameter_group_family(version)


@given(
    environment=st.sampled_from(["dev", "staging", "prod"]),
    region=st.sampled_from(sorted(REGION_AZS)),
    number=st.integers(min_value=1, max_value=15),
)
def test_identifiers__every_supported_region_gives_valid_rds_identifiers(
    environment: str, region: str, number: int
) -> None:
    identifier = instance_identifier(environment, region, number)
    assert len(identifier) <= 63 and identifier.startswith(cluster_identifier(environment, region)), identifier


@given(count=st.integers(min_value=1, max_value=15))
def test_promotion_tier__every_instance_has_its_own_tier_and_the_first_is_zero(count: int) -> None:
    tiers = [promotion_tier(i) for i in range(count)]
    assert tiers[0] == 0 and len(set(tiers)) == count and max(tiers) <= 15, tiers


@given(zones=st.lists(st.text(min_size=1, max_size=12), min_size=2, max_size=6, unique=True))
def test_availability_zone_for__writer_and_failover_target_never_share_an_az(zones: list[str]) -> None:
    assert availability_zone_for(0, zones) != availability_zone_for(1, zones)


def test_lag_threshold_ms__converts_seconds_to_the_metric_unit() -> None:
    assert (lag_threshold_ms(1.0), lag_threshold_ms(0.25), lag_threshold_ms(5)) == (1000.0, 250.0, 5000.0)
    with pytest.raises(ValueError, match="must be > 0"):
        lag_threshold_ms(0)


def test_cluster_parameters__static_ones_wait_for_a_reboot() -> None:
    methods = {p.name: p.apply_method for p in cluster_parameters()}
    assert methods["shared_preload_libraries"] == "pending-reboot", methods
    assert methods["rds.force_ssl"] == "immediate", methods


def test_master_secret_document__carries_the_password_in_rotation_shape() -> None:
    document = master_secret_document("Zx9" * 13, "ledger")
    assert password_of(document) == "Zx9" * 13
    assert json.loads(document)["engine"] == "postgres" and json.loads(document)["dbname"] == "ledger"


# -- args ----------------------------------------------------------------------------------


def test_cell_args__rejects_a_key_of_another_region() -> None:
    with pytest.raises(ValueError, match=r"data_key_arn: .* is not an ARN in us-west-2"):
        AuroraCellArgs(
            region="us-west-2", data_subnet_ids=["subnet-0abc"], db_sg_id="sg-0abc",
            data_key_arn=kms_arn("us-east-1", "data"), secrets_key_arn=kms_arn("us-west-2", "secrets"),
            logs_key_arn=kms_arn("us-west-2", "logs"), alert_topic_arn=f"arn:aws:sns:us-west-2:{ACCOUNT}:a",
        )  # fmt: skip


def test_global_args__rejects_a_primary_region_without_a_cell() -> None:
    config = shipped_config("prod")
    with pytest.raises(ValueError, match="primary_region: us-east-1 has no cell"):
        AuroraGlobalArgs.from_config(config, [cell("us-west-2")])


def test_global_args__rejects_two_cells_in_one_region() -> None:
    config = shipped_config("prod")
    with pytest.raises(ValueError, match="one cell per region"):
        AuroraGlobalArgs.from_config(config, [cell("us-east-1"), cell("us-east-1")])


def test_global_args_from_config__takes_the_aurora_block() -> None:
    config = shipped_config("prod")
    args = AuroraGlobalArgs.from_config(config, [cell("us-east-1"), cell("us-west-2")])
    assert (args.environment, args.primary_region, args.engine_version, args.backup_retention_days) == (
        "prod", "us-east-1", config.aurora.engine_version, 35,
    )  # fmt: skip
    assert [c.region for c in args.secondaries] == ["us-west-2"]


# -- prod, two cells -----------------------------------------------------------------------


def test_aurora__declares_exactly_one_encrypted_global_cluster() -> None:
    found = prod().of_type(GLOBAL)
    assert len(found) == 1, [r.urn for r in found]
    g = found[0]
    assert g.inputs["globalClusterIdentifier"] == "finstack-prod-ledger", g.urn
    assert g.inputs["engine"] == "aurora-postgresql" and g.inputs["engineVersion"] == "16.6", g.urn
    assert g.inputs["storageEncrypted"] is True and g.inputs["deletionProtection"] is True, g.urn
    assert g.protect and g.region == "us-east-1", g.urn


def test_aurora__global_cluster_ignores_an_engine_version_upgraded_outside_up() -> None:
    # After a refresh, AWS's upgraded version in state vs the config's older one would be a downgrade `up` fails on.
    for g in (*prod().of_type(GLOBAL), *dev().of_type(GLOBAL)):
        assert "engineVersion" in g.ignore_changes, f"{g.urn}: ignore_changes {g.ignore_changes}"
        assert g.inputs["engineVersion"] == "16.6", f"{g.urn}: a new stack is still created at the config's version"


def test_aurora__one_member_cluster_per_region_joined_to_the_global_cluster() -> None:
    plan = prod()
    found = members(plan)
    assert sorted(found) == ["us-east-1", "us-west-2"], list(found)
    for region, c in found.items():
        assert c.inputs["clusterIdentifier"] == f"finstack-prod-ledger-{region}", c.urn
        assert c.inputs["globalClusterIdentifier"] == "finstack-prod-ledger", c.urn
        assert c.inputs["region"] == region, c.urn


def test_aurora__primary_credentials_are_a_secret_and_secondaries_have_none() -> None:
    plan = prod()
    p = primary(plan)
    assert rpc.is_rpc_secret(p.inputs["masterPassword"]), f"{p.urn}: masterPassword must be a Pulumi secret"
    assert len(rpc.unwrap_rpc_secret(p.inputs["masterPassword"])) == 40, p.urn
    assert p.inputs["masterUsername"] == "finstack_admin" and p.inputs["databaseName"] == "ledger", p.urn
    version = plan.named("aurora-master-secret-version")
    assert rpc.is_rpc_secret(version.inputs["secretString"]), version.urn
    assert version.ignore_changes == ["secretString"], version.urn
    for s in secondaries(plan):
        present = {"masterUsername", "masterPassword", "manageMasterUserPassword", "databaseName"} & set(s.inputs)
        assert not present, f"{s.urn}: a secondary inherits credentials, found {present}"


def test_aurora__master_secret_is_replicated_to_every_cell_under_its_secrets_key() -> None:
    secret = prod().named("aurora-master-secret")
    assert secret.inputs["kmsKeyId"] == kms_arn("us-east-1", "secrets"), secret.urn
    expected = [{"region": "us-west-2", "kmsKeyId": kms_arn("us-west-2", "secrets")}]
    assert secret.inputs["replicas"] == expected, secret.urn


def test_aurora__every_member_is_encrypted_with_the_data_key_of_its_own_region() -> None:
    plan = prod()
    for c in plan.of_type(CLUSTER):
        assert c.inputs["storageEncrypted"] is True, c.urn
        assert region_of_arn(c.inputs["kmsKeyId"]) == c.region, f"{c.urn}: kmsKeyId {c.inputs['kmsKeyId']}"
        assert c.inputs["kmsKeyId"] == kms_arn(c.region, "data"), c.urn
    for i in plan.of_type(INSTANCE):
        assert i.inputs["performanceInsightsEnabled"] is True, i.urn
        assert i.inputs["performanceInsightsKmsKeyId"] == kms_arn(i.region, "data"), i.urn


def test_aurora__secondaries_forward_writes_and_the_primary_will_after_a_switchover() -> None:
    plan = prod()
    for c in plan.of_type(CLUSTER):
        assert c.inputs.get("enableGlobalWriteForwarding") is True, c.urn


def test_aurora__every_member_ignores_the_drift_a_switchover_or_upgrade_causes() -> None:
    for c in prod().of_type(CLUSTER):
        missing = set(MEMBER_IGNORE_CHANGES) - set(c.ignore_changes)
        assert not missing, f"{c.urn}: ignore_changes lacks {missing}"
    assert {"replicationSourceIdentifier", "globalClusterIdentifier", "engineVersion"} <= set(MEMBER_IGNORE_CHANGES)


def test_aurora__secondaries_wait_for_the_primary_cluster_and_its_writer() -> None:
    plan = prod()
    p = primary(plan)
    writer = plan.named("aurora-us-east-1-instance-1")
    for s in secondaries(plan):
        assert p.urn in s.dependencies and writer.urn in s.dependencies, f"{s.urn}: {s.dependencies}"


def test_aurora__parameter_group_forces_tls_and_audit_logging() -> None:
    plan = prod()
    for c in plan.of_type(CLUSTER):
        group = plan.named(f"aurora-{c.region}-params")
        assert c.inputs["dbClusterParameterGroupName"] == group.inputs["name"], c.urn
        assert group.inputs["family"] == "aurora-postgresql16" and group.region == c.region, group.urn
        values = {p["name"]: p["value"] for p in group.inputs["parameters"]}
        assert values["rds.force_ssl"] == "1", f"{group.urn}: {values}"
        assert values["log_connections"] == values["log_disconnections"] == "1", group.urn
        assert "pgaudit" in values["shared_preload_libraries"], group.urn


def test_aurora__iam_auth_network_and_log_exports_into_a_precreated_encrypted_group() -> None:
    plan = prod()
    retention = shipped_config("prod").log_retention_days
    for c in plan.of_type(CLUSTER):
        region = c.region
        assert c.inputs["iamDatabaseAuthenticationEnabled"] is True, c.urn
        assert c.inputs["vpcSecurityGroupIds"] == [cell(region).db_sg_id], c.urn
        subnets = plan.named(f"aurora-{region}-subnets")
        assert subnets.inputs["subnetIds"] == cell(region).data_subnet_ids, subnets.urn
        assert c.inputs["dbSubnetGroupName"] == subnets.inputs["name"], c.urn
        assert c.inputs["enabledCloudwatchLogsExports"] == ["postgresql"], c.urn
        logs = plan.named(f"aurora-{region}-logs")
        assert logs.inputs["name"] == f"/aws/rds/cluster/{c.inputs['clusterIdentifier']}/postgresql", logs.urn
        assert logs.inputs["kmsKeyId"] == kms_arn(region, "logs"), logs.urn
        assert logs.inputs["retentionInDays"] == retention, logs.urn
        assert logs.urn in c.dependencies, f"{c.urn} must be created after {logs.urn}"


def test_aurora__prod_keeps_every_protection() -> None:
    for c in prod().of_type(CLUSTER):
        assert c.inputs["deletionProtection"] is True and c.protect, c.urn
        assert c.inputs["skipFinalSnapshot"] is False, c.urn
        assert c.inputs["finalSnapshotIdentifier"] == f"finstack-prod-ledger-{c.region}-final", c.urn
        assert c.inputs["deleteAutomatedBackups"] is False, c.urn
        assert c.inputs["backupRetentionPeriod"] == 35, c.urn
        assert c.inputs["preferredBackupWindow"] == "03:00-04:00", c.urn
        assert c.inputs["copyTagsToSnapshot"] is True, c.urn
        logs = prod().named(f"aurora-{c.region}-logs")
        assert logs.inputs["deletionProtectionEnabled"] is True, logs.urn


def test_aurora__instances_are_private_monitored_and_never_upgrade_alone() -> None:
    plan = prod()
    role = plan.named("aurora-monitoring-role")
    found = plan.of_type(INSTANCE)
    assert len(found) == 4, [r.urn for r in found]
    for i in found:
        assert i.inputs["publiclyAccessible"] is False, i.urn
        assert i.inputs["monitoringInterval"] == 15, i.urn
        assert i.inputs["monitoringRoleArn"] == role.outputs["arn"], i.urn
        assert i.inputs["autoMinorVersionUpgrade"] is False, i.urn
        assert i.inputs["instanceClass"] == "db.r7g.2xlarge", i.urn
        assert not i.protect, f"{i.urn}: instances are replaceable"


def test_aurora__instances_spread_over_azs_with_a_deterministic_failover_target() -> None:
    plan = prod()
    for region in ("us-east-1", "us-west-2"):
        first, second = plan.named(f"aurora-{region}-instance-1"), plan.named(f"aurora-{region}-instance-2")
        assert (first.inputs["promotionTier"], second.inputs["promotionTier"]) == (0, 1), second.urn
        assert first.inputs["availabilityZone"] != second.inputs["availabilityZone"], second.urn
        assert first.inputs["availabilityZone"].startswith(region), first.urn
        assert first.urn in second.dependencies, f"{second.urn} must wait for the writer {first.urn}"
        assert second.inputs["identifier"] == f"finstack-prod-ledger-{region}-2", second.urn


def test_aurora__monitoring_role_is_assumable_by_rds_monitoring_of_this_account_only() -> None:
    plan = prod()
    role = plan.named("aurora-monitoring-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}, role.urn
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT, role.urn
    (attachment,) = plan.of_type(ATTACHMENT)
    assert attachment.inputs["policyArn"].endswith("service-role/AmazonRDSEnhancedMonitoringRole"), attachment.urn
    for i in plan.of_type(INSTANCE):
        assert attachment.urn in i.dependencies, f"{i.urn} must wait for the monitoring policy"


def test_aurora__every_secondary_alarms_on_lag_in_milliseconds_to_its_own_topic() -> None:
    plan = prod()
    alarms = plan.of_type(ALARM)
    assert {a.region for a in alarms} == {"us-west-2"}, [a.urn for a in alarms]
    by_metric = {a.inputs["metricName"]: a for a in alarms}
    assert sorted(by_metric) == ["AuroraGlobalDBRPOLag", "AuroraGlobalDBReplicationLag"], list(by_metric)
    for a in alarms:
        assert a.inputs["threshold"] == 1000.0, f"{a.urn}: 1 s is 1000 ms"
        assert a.inputs["namespace"] == "AWS/RDS" and a.inputs["statistic"] == "Maximum", a.urn
        assert a.inputs["dimensions"] == {"DBClusterIdentifier": "finstack-prod-ledger-us-west-2"}, a.urn
        assert a.inputs["alarmActions"] == [cell("us-west-2").alert_topic_arn], a.urn
    lag = by_metric["AuroraGlobalDBReplicationLag"]
    assert lag.inputs["treatMissingData"] == "missing", lag.urn
    assert lag.inputs["insufficientDataActions"] == [cell("us-west-2").alert_topic_arn], lag.urn


def test_aurora__every_regional_resource_names_its_region_and_cell() -> None:
    plan = prod()
    for r in plan.where(lambda r: r.type.startswith("aws:") and not r.type.startswith("aws:iam/")):
        assert r.inputs.get("region") == r.region, f"{r.urn}: explicit region expected"
        if r.type != SECRET_VERSION:  # a secret version carries no tags
            assert r.inputs.get("tags", {}).get("finstack:cell") == r.region, f"{r.urn}: finstack:cell tag"


def test_aurora__children_are_named_after_the_component_and_parented_in_it() -> None:
    plan = prod()
    (component,) = plan.of_type("finstack:data:AuroraGlobal")
    owned = {component.urn} | {r.urn for r in plan if r.parent == component.urn}
    for r in plan.where(lambda r: r.type.startswith("aws:")):
        assert r.name.startswith("aurora-"), r.urn
        assert r.parent in owned or plan.by_urn[r.parent].parent in owned, f"{r.urn}: parent {r.parent}"


def test_aurora__exposes_ids_and_arns_per_region_in_config_order() -> None:
    exported = prod().outputs["aurora"]
    assert exported["global_cluster_id"] == "finstack-prod-ledger", exported
    assert exported["primary_region"] == "us-east-1", exported
    assert list(exported["cluster_ids"]) == ["us-east-1", "us-west-2"], exported
    assert exported["cluster_ids"]["us-west-2"] == "finstack-prod-ledger-us-west-2", exported
    assert exported["cluster_arns"]["us-west-2"] == (
        f"arn:aws:rds:us-west-2:{ACCOUNT}:cluster:finstack-prod-ledger-us-west-2"
    ), exported
    assert exported["master_secret_arn"].startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:"), exported


# -- dev: cheap, still encrypted -----------------------------------------------------------


def test_aurora_dev__is_cheap_but_still_encrypted() -> None:
    plan = dev()
    (g,) = plan.of_type(GLOBAL)
    assert g.inputs["globalClusterIdentifier"] == "finstack-dev-ledger" and g.inputs["storageEncrypted"] is True, g.urn
    assert g.inputs["deletionProtection"] is False and not g.protect, g.urn
    for c in plan.of_type(CLUSTER):
        assert c.inputs["storageEncrypted"] is True and c.inputs["kmsKeyId"] == kms_arn(c.region, "data"), c.urn
        assert c.inputs["deletionProtection"] is False and not c.protect, c.urn
        assert plan.named(f"aurora-{c.region}-logs").inputs["deletionProtectionEnabled"] is False, c.urn
        assert c.inputs["skipFinalSnapshot"] is True and "finalSnapshotIdentifier" not in c.inputs, c.urn
        assert c.inputs["backupRetentionPeriod"] == 7, c.urn  # equal to the continuous AWS Backup rule
        assert c.inputs["iamDatabaseAuthenticationEnabled"] is True, c.urn
    instances = plan.of_type(INSTANCE)
    assert len(instances) == 2, [i.urn for i in instances]
    for i in instances:
        assert i.inputs["instanceClass"] == "db.r7g.large" and i.inputs["monitoringInterval"] == 60, i.urn
        assert i.inputs["publiclyAccessible"] is False, i.urn
        assert "availabilityZone" not in i.inputs, f"{i.urn}: without zones RDS places the instance"
    (lag,) = [a for a in plan.of_type(ALARM) if a.inputs["metricName"] == "AuroraGlobalDBReplicationLag"]
    assert lag.inputs["threshold"] == 5000.0, lag.urn


# -- three cells ---------------------------------------------------------------------------


def test_aurora_three_regions__two_secondaries_each_with_their_own_keys_and_alarms() -> None:
    plan = prod_three()
    found = members(plan)
    assert sorted(found) == ["us-east-1", "us-east-2", "us-west-2"], list(found)
    for s in secondaries(plan):
        assert s.inputs["kmsKeyId"] == kms_arn(s.region, "data"), s.urn
        assert s.inputs["enableGlobalWriteForwarding"] is True and "masterPassword" not in s.inputs, s.urn
        assert primary(plan).urn in s.dependencies, s.urn
        alarms = plan.of_type(ALARM, region=s.region)
        assert len(alarms) == 2, f"{s.urn}: {[a.urn for a in alarms]}"
        assert all(a.inputs["alarmActions"] == [cell(s.region).alert_topic_arn] for a in alarms), s.region
    assert len(secondaries(plan)) == 2
    secret = plan.named("aurora-master-secret")
    assert [(r["region"], r["kmsKeyId"]) for r in secret.inputs["replicas"]] == [
        ("us-west-2", kms_arn("us-west-2", "secrets")), ("us-east-2", kms_arn("us-east-2", "secrets")),
    ], secret.urn  # fmt: skip
