"""MultiRegionKeys and its key policies, plus the policy-document builders they stand on."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import iam_docs
from components.keys import (
    ADMIN_ACTIONS,
    PURPOSES,
    VIA_SERVICES,
    MultiRegionKeys,
    MultiRegionKeysArgs,
    alias_name,
    audit_trail_arn,
    key_policy,
)
from finstack.engine.recording import ResourceRecord
from tests.plan import Plan, plan_of, plan_with, shipped_config, shipped_plan

KEY = "aws:kms/key:Key"
REPLICA = "aws:kms/replicaKey:ReplicaKey"
ALIAS = "aws:kms/alias:Alias"
ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
DATA_ACTIONS = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"}


def purpose_of(record: ResourceRecord) -> str:
    return str((record.inputs.get("tags") or {}).get("finstack:purpose"))


def policy_of(record: ResourceRecord) -> dict[str, Any]:
    return json.loads(record.inputs["policy"])


MULTI_REGION_KEYS = "finstack:security:MultiRegionKeys"


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def all_keys(plan: Plan) -> list[ResourceRecord]:
    """The keys of `MultiRegionKeys` (the zone's DNSSEC signing key is tests/test_zone_signing.py's)."""
    return [k for k in [*plan.of_type(KEY), *plan.of_type(REPLICA)] if MULTI_REGION_KEYS in k.urn]


def three_regions(raw: dict[str, Any]) -> None:
    raw["finstack:regions"].append({"name": "us-east-2", "cidr": "10.30.0.0/16", "azs": 3, "role": "secondary"})
    # An ARC Region switch plan spans two regions: a third cell runs without ARC.
    raw["finstack:traffic"]["arcEnabled"] = False
    # One cell carries all three cells' nodes after a failover (6 desired x 3).
    raw["finstack:eks"]["nodeMaxSize"] = 18


@pytest.fixture(scope="module")
def prod() -> Plan:
    return shipped_plan("prod")


# -- the keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_keys__one_rotated_multi_region_primary_per_purpose_in_the_primary_region(stack: str) -> None:
    plan = shipped_plan(stack)
    primary = shipped_config(stack).primary.name
    # The one other key is the zone's DNSSEC signing key (components/zone_signing.py, us-east-1, no data).
    keys = [k for k in plan.of_type(KEY) if MULTI_REGION_KEYS in k.urn]
    others = [k.name for k in plan.of_type(KEY) if k not in keys]
    assert others == ["traffic-dnssec-key"], others
    assert sorted(purpose_of(k) for k in keys) == sorted(PURPOSES), [k.urn for k in keys]
    for key in keys:
        assert key.region == primary and key.inputs["region"] == primary, key.urn
        assert key.inputs["multiRegion"] is True, key.urn
        assert key.inputs["enableKeyRotation"] is True, key.urn
        assert key.inputs["rotationPeriodInDays"] == 365, key.urn
        assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT", key.urn
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT", key.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_keys__no_key_bypasses_the_policy_lockout_check(stack: str) -> None:
    plan = shipped_plan(stack)
    for key in [*plan.of_type(KEY), *plan.of_type(REPLICA)]:
        assert not key.inputs.get("bypassPolicyLockoutSafetyCheck"), key.urn


@pytest.mark.parametrize(("stack", "days"), [("prod", 30), ("dev", 7)])
def test_keys__deletion_window_from_config(stack: str, days: int) -> None:
    for key in all_keys(shipped_plan(stack)):
        assert key.inputs["deletionWindowInDays"] == days, key.urn


def test_keys__every_secondary_region_has_a_replica_of_every_purpose() -> None:
    plan = plan_with("prod", three_regions)
    primaries = {purpose_of(k): k for k in plan.of_type(KEY) if MULTI_REGION_KEYS in k.urn}
    for region in ("us-west-2", "us-east-2"):
        replicas = plan.of_type(REPLICA, region)
        assert sorted(purpose_of(r) for r in replicas) == sorted(PURPOSES), region
        for replica in replicas:
            primary = primaries[purpose_of(replica)]
            assert replica.inputs["primaryKeyArn"] == primary.outputs["arn"], replica.urn
            assert replica.inputs["region"] == region, replica.urn
            # A multi-region replica shares its primary's key id.
            assert replica.id == primary.id and replica.id.startswith("mrk-"), replica.urn
    assert plan.of_type(REPLICA, "us-east-1") == [], "the primary region holds primaries only"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_keys__alias_per_purpose_in_every_region_targets_that_regions_key(stack: str) -> None:
    plan = shipped_plan(stack)
    env = shipped_config(stack).environment
    for region in plan.regions:
        keys = {purpose_of(k): k for k in [*plan.of_type(KEY, region), *plan.of_type(REPLICA, region)]}
        aliases = [a for a in plan.of_type(ALIAS, region) if MULTI_REGION_KEYS in a.urn]
        assert sorted(a.inputs["name"] for a in aliases) == sorted(f"alias/finstack/{env}/{p}" for p in PURPOSES)
        for alias in aliases:
            purpose = alias.inputs["name"].rsplit("/", 1)[1]
            assert alias.inputs["targetKeyId"] == keys[purpose].outputs["keyId"], alias.urn
            assert alias.inputs["region"] == region, alias.urn


# -- key policies ---------------------------------------------------------------------------------


def test_key_policy__no_wildcard_principal_or_action(prod: Plan) -> None:
    for key in all_keys(prod):
        for stmt in policy_of(key)["Statement"]:
            assert stmt["Effect"] == "Allow", key.urn
            for principal in stmt["Principal"].values():
                assert "*" not in listed(principal), f"{key.urn} {stmt['Sid']}"
            for action in listed(stmt["Action"]):
                assert "*" not in action, f"{key.urn} {stmt['Sid']}: {action}"


def test_key_policy__administration_cannot_use_the_key(prod: Plan) -> None:
    for key in all_keys(prod):
        (admin,) = [s for s in policy_of(key)["Statement"] if s["Sid"] == "KeyAdministration"]
        assert admin["Principal"] == {"AWS": ROOT}, key.urn
        assert not DATA_ACTIONS & set(admin["Action"]), key.urn
        assert "kms:CreateGrant" not in admin["Action"], key.urn
        # PutKeyPolicy keeps the key manageable; UpdatePrimaryRegion lets a replica take over.
        assert {"kms:PutKeyPolicy", "kms:UpdatePrimaryRegion", "kms:ScheduleKeyDeletion"} <= set(admin["Action"])


def test_key_policy__account_principals_use_keys_only_through_their_purposes_services(prod: Plan) -> None:
    for key in all_keys(prod):
        purpose, region = purpose_of(key), key.region
        for stmt in policy_of(key)["Statement"]:
            if stmt["Principal"] != {"AWS": ROOT} or stmt["Sid"] == "KeyAdministration":
                continue
            equals = stmt["Condition"]["StringEquals"]
            assert equals["kms:CallerAccount"] == ACCOUNT, f"{key.urn} {stmt['Sid']}"
            expected = sorted(f"{s}.{region}.amazonaws.com" for s in VIA_SERVICES[purpose])  # type: ignore[index]
            assert sorted(listed(equals["kms:ViaService"])) == expected, f"{key.urn} {stmt['Sid']}"
            if "kms:CreateGrant" in listed(stmt["Action"]):
                assert stmt["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}, key.urn


def test_key_policy__logs_key_serves_only_this_regions_log_groups(prod: Plan) -> None:
    for key in [k for k in all_keys(prod) if purpose_of(k) == "logs"]:
        region = key.region
        services = [s for s in policy_of(key)["Statement"] if "Service" in s["Principal"]]
        logs = [s for s in services if s["Principal"]["Service"] == f"logs.{region}.amazonaws.com"]
        assert len(logs) == 1, key.urn
        condition = logs[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert condition == f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*", key.urn


def test_key_policy__logs_key_lets_aws_config_of_this_account_deliver(prod: Plan) -> None:
    for key in [k for k in all_keys(prod) if purpose_of(k) == "logs"]:
        (config,) = [s for s in policy_of(key)["Statement"] if s["Principal"] == {"Service": "config.amazonaws.com"}]
        assert sorted(config["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"], key.urn
        assert config["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, key.urn


def test_key_policy__secrets_key_lets_cloudwatch_alarms_publish_to_this_regions_topics(prod: Plan) -> None:
    for key in [k for k in all_keys(prod) if purpose_of(k) == "secrets"]:
        region = key.region
        (cw,) = [s for s in policy_of(key)["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
        assert sorted(cw["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"], key.urn
        assert cw["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, key.urn
        assert cw["Condition"]["ArnLike"] == {
            "aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*",
            "kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{region}:{ACCOUNT}:*",
        }, key.urn
        # and SNS itself, for this account's own publishers
        (use,) = [s for s in policy_of(key)["Statement"] if s["Sid"] == "UseThroughServices"]
        assert f"sns.{region}.amazonaws.com" in use["Condition"]["StringEquals"]["kms:ViaService"], key.urn


def test_key_policy__data_key_admits_the_autoscaling_role_for_node_volumes(prod: Plan) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    for key in [k for k in all_keys(prod) if purpose_of(k) == "data"]:
        statements = [s for s in policy_of(key)["Statement"] if s["Principal"] == {"AWS": role}]
        assert sorted(s["Sid"] for s in statements) == ["AutoScalingNodeVolumeGrants", "AutoScalingNodeVolumes"]
        (grant,) = [s for s in statements if s["Sid"] == "AutoScalingNodeVolumeGrants"]
        assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}, key.urn


SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_keys__data_keys_wait_for_the_autoscaling_role_the_stack_declares(stack: str) -> None:
    # KMS refuses a key policy naming a role that does not exist, and a fresh account has no
    # Auto Scaling role until its first Auto Scaling group (the node groups, after the keys).
    plan = shipped_plan(stack)
    (role,) = [r for r in plan.of_type(SLR) if r.inputs["awsServiceName"] != "config.amazonaws.com"]
    assert role.inputs["awsServiceName"] == "autoscaling.amazonaws.com", role.urn
    assert not role.inputs.get("customSuffix"), f"{role.urn}: EKS node groups use the unsuffixed role"
    assert role.retain_on_delete, f"{role.urn}: every Auto Scaling group of the account uses it"
    for key in all_keys(plan):
        names_role = "AWSServiceRoleForAutoScaling" in key.inputs["policy"]
        assert (role.urn in key.dependencies) == names_role, key.urn


def test_keys__existing_autoscaling_role_is_named_not_declared() -> None:
    plan = plan_with("dev", lambda raw: raw.setdefault("finstack:keys", {}).update(autoScalingServiceRole="existing"))
    assert [r for r in plan.of_type(SLR) if r.inputs["awsServiceName"] == "autoscaling.amazonaws.com"] == []
    data = [k for k in all_keys(plan) if purpose_of(k) == "data"]
    assert data and all("AWSServiceRoleForAutoScaling" in k.inputs["policy"] for k in data), [k.urn for k in data]


def test_key_policy__service_principals_only_on_the_purposes_that_need_them(prod: Plan) -> None:
    expected = {
        "data": set(),
        "streaming": set(),
        "secrets": {"cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"},
        "logs": {"logs.{region}.amazonaws.com", "config.amazonaws.com"},
        "backup": set(),
        # Only the trail's home region: CloudTrail writes with the primary audit key.
        "audit": {"cloudtrail.amazonaws.com"},
    }
    for key in all_keys(prod):
        services = {s["Principal"]["Service"] for s in policy_of(key)["Statement"] if "Service" in s["Principal"]}
        wanted = {s.format(region=key.region) for s in expected[purpose_of(key)]}
        if purpose_of(key) == "audit" and key.region != "us-east-1":
            wanted = set()
        assert services == wanted, key.urn


def test_key_policy__audit_key_lets_only_the_stack_trail_encrypt(prod: Plan) -> None:
    # "Configure AWS KMS key policies for CloudTrail": encrypt bound to the trail (aws:SourceArn) and
    # to a CloudTrail encryption context of this account; DescribeKey; Decrypt for the account's readers.
    (key,) = [k for k in prod.of_type(KEY) if purpose_of(k) == "audit"]
    by_sid = {s["Sid"]: s for s in policy_of(key)["Statement"]}
    trail = audit_trail_arn("prod", "us-east-1", ACCOUNT)
    encrypt = by_sid["CloudTrailEncryptLogs"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}, key.urn
    assert encrypt["Action"] == "kms:GenerateDataKey", key.urn
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": trail},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"},
    }, key.urn
    assert by_sid["CloudTrailDescribeKey"]["Action"] == "kms:DescribeKey", key.urn
    # Readers: through S3 only (GetObject of a log file makes S3 decrypt on their behalf).
    assert by_sid["UseThroughServices"]["Condition"]["StringEquals"]["kms:ViaService"] == ["s3.us-east-1.amazonaws.com"]


def test_key_policy__secrets_key_lets_eventbridge_and_rds_publish_to_alert_topics(prod: Plan) -> None:
    # An encrypted topic drops EventBridge and RDS event messages unless its key lets them use it.
    for key in [k for k in all_keys(prod) if purpose_of(k) == "secrets"]:
        by_sid = {s["Sid"]: s for s in policy_of(key)["Statement"]}
        for sid, service, source in (
            ("EventBridgeRulesToAlertTopics", "events.amazonaws.com", f"events:{key.region}:{ACCOUNT}:rule/*"),
            ("RdsEventsToAlertTopics", "events.rds.amazonaws.com", f"rds:{key.region}:{ACCOUNT}:*"),
        ):
            stmt = by_sid[sid]
            assert stmt["Principal"] == {"Service": service}, key.urn
            assert set(listed(stmt["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey"}, key.urn
            assert stmt["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:{source}", key.urn
            assert stmt["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, key.urn


def test_key_policy__replica_policy_names_only_its_own_region(prod: Plan) -> None:
    for replica in prod.of_type(REPLICA):
        text = replica.inputs["policy"]
        assert "us-east-1" not in text, f"{replica.urn} policy mentions the primary region"
        assert f".{replica.region}.amazonaws.com" in text, f"{replica.urn} policy lacks its region's services"


def test_key_policy__pure_builder_matches_what_the_program_declares(prod: Plan) -> None:
    for key in all_keys(prod):
        trail = audit_trail_arn("prod", key.region, ACCOUNT) if key.region == "us-east-1" else None
        assert policy_of(key) == key_policy(purpose_of(key), key.region, ACCOUNT, trail_arn=trail), key.urn  # type: ignore[arg-type]


# -- the component's interface --------------------------------------------------------------------


def test_multi_region_keys__arn_per_region_and_purpose() -> None:
    def program() -> None:
        keys = MultiRegionKeys(
            "keys",
            MultiRegionKeysArgs(
                environment="staging",
                primary_region="eu-west-1",
                regions=("eu-west-1", "eu-central-1"),
                deletion_window_days=14,
                account_id=ACCOUNT,
            ),
        )
        pulumi.export("arns", {r: {p: keys.arn(p, r) for p in PURPOSES} for r in ("eu-west-1", "eu-central-1")})
        with pytest.raises(KeyError, match="no keys in region us-east-1"):
            keys.arn("data", "us-east-1")
        with pytest.raises(KeyError, match="no 'ledger' key"):
            keys.arn("ledger", "eu-west-1")

    plan = plan_of(program)
    arns = plan.outputs["arns"]
    for purpose in PURPOSES:
        assert arns["eu-west-1"][purpose] == plan.named(f"keys-{purpose}").outputs["arn"], purpose
        replica = plan.named(f"keys-{purpose}-replica-eu-central-1")
        assert arns["eu-central-1"][purpose] == replica.outputs["arn"], replica.urn
        assert arns["eu-central-1"][purpose].startswith("arn:aws:kms:eu-central-1:"), replica.urn
    assert {a.inputs["name"] for a in plan.of_type(ALIAS)} == {alias_name("staging", p) for p in PURPOSES}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"primary_region": "us-east-2"}, "primary_region us-east-2 is not one of regions"),
        ({"regions": ("us-east-1", "us-east-1")}, "lists a region twice"),
        ({"deletion_window_days": 3}, "deletion_window_days must be 7..30, got 3"),
    ],
)
def test_multi_region_keys_args__rejects_inconsistent_values(changes: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {
        "environment": "prod",
        "primary_region": "us-east-1",
        "regions": ("us-east-1", "us-west-2"),
        "deletion_window_days": 30,
        "account_id": ACCOUNT,
    }
    with pytest.raises(ValueError, match=message):
        MultiRegionKeysArgs(**{**values, **changes})


# -- iam_docs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["*", "kms:*", "kms:GenerateDataKey*", "Decrypt", "KMS:Decrypt"])
def test_iam_docs__statement_refuses_wildcard_or_malformed_actions(action: str) -> None:
    with pytest.raises(iam_docs.PolicyDocumentError, match=r"wildcard or malformed|lower-case"):
        iam_docs.statement("S", [action], ["*"])


def test_iam_docs__document_refuses_duplicate_sids() -> None:
    stmt = iam_docs.statement("Same", ["kms:Decrypt"], ["*"])
    with pytest.raises(iam_docs.PolicyDocumentError, match="duplicate Sid"):
        iam_docs.document(stmt, stmt)


def test_iam_docs__assume_role_policy_pins_account_and_source() -> None:
    doc = iam_docs.assume_role_policy("x.amazonaws.com", source_account=ACCOUNT, source_arn="arn:aws:x:::*")
    (stmt,) = doc["Statement"]
    assert stmt["Principal"] == {"Service": "x.amazonaws.com"}
    assert stmt["Action"] == "sts:AssumeRole"
    assert stmt["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": "arn:aws:x:::*"},
    }


def test_iam_docs__dumps_is_stable() -> None:
    doc = key_policy("logs", "us-west-2", ACCOUNT)
    assert iam_docs.dumps(doc) == iam_docs.dumps(json.loads(iam_docs.dumps(doc)))


def test_admin_actions__explicit_and_unique() -> None:
    assert len(set(ADMIN_ACTIONS)) == len(ADMIN_ACTIONS)
    assert all(a.startswith("kms:") and "*" not in a for a in ADMIN_ACTIONS)
