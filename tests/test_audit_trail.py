"""AuditTrail: the multi-region CloudTrail trail, its write-once bucket, log group and delivery role."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.audit_trail import AuditTrail, AuditTrailArgs, trail_bucket_statements
from components.keys import audit_trail_arn
from finstack.engine.recording import ResourceRecord
from tests.plan import Plan, plan_of, plan_with, shipped_plan

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
ACCOUNT = "111122223333"


def audit_key(plan: Plan) -> ResourceRecord:
    (key,) = [
        k for k in plan.of_type("aws:kms/key:Key") if (k.inputs.get("tags") or {}).get("finstack:purpose") == "audit"
    ]
    return key


def statements(record: ResourceRecord) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(record.inputs["policy"])["Statement"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_audit_trail__one_multi_region_validated_cmk_trail_in_the_primary_region(stack: str) -> None:
    plan = shipped_plan(stack)
    (trail,) = plan.of_type(TRAIL)
    assert trail.region == "us-east-1", trail.urn
    assert trail.inputs["name"] == f"finstack-{stack}-audit", trail.urn
    for flag in ("isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation", "enableLogging"):
        assert trail.inputs[flag] is True, f"{trail.urn} {flag}"
    assert trail.inputs["kmsKeyId"] == audit_key(plan).outputs["arn"], trail.urn
    assert trail.outputs["arn"] == audit_trail_arn(stack, "us-east-1", ACCOUNT), trail.urn


def test_audit_trail__delivers_to_an_encrypted_log_group_through_a_role_of_its_own() -> None:
    plan = shipped_plan("prod")
    trail, group = plan.named("audit-trail"), plan.named("audit-logs")
    assert trail.inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*", trail.urn
    assert group.inputs["retentionInDays"] >= 365 and group.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    role = plan.named("audit-delivery-role")
    assert trail.inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"], trail.urn
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}, role.urn
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": audit_trail_arn("prod", "us-east-1", ACCOUNT)}, role.urn
    (grant,) = json.loads(plan.named("audit-delivery-role-policy").inputs["policy"])["Statement"]
    assert sorted(grant["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert grant["Resource"] == f"{group.outputs['arn']}:log-stream:*"


def test_audit_trail__records_all_management_events_and_the_platform_buckets_objects() -> None:
    plan = shipped_plan("prod")
    selectors = {s["name"]: s["fieldSelectors"] for s in plan.named("audit-trail").inputs["advancedEventSelectors"]}
    # Secret reads (GetSecretValue) are read-only management events: no readOnly filter may drop them.
    assert selectors["All management events"] == [{"field": "eventCategory", "equals": ["Management"]}]
    fields = {f["field"]: f for f in selectors["Platform bucket objects"]}
    assert fields["resources.type"]["equals"] == ["AWS::S3::Object"]
    prefixes = fields["resources.ARN"]["startsWiths"]
    bundles = [b.outputs["bucket"] for b in plan.of_type(BUCKET) if b.name.endswith("-bundles")]
    assert bundles and all(f"arn:aws:s3:::{b}/" in prefixes for b in bundles), prefixes


def test_audit_trail__bucket_is_object_locked_in_compliance_mode_for_the_configured_days() -> None:
    plan = plan_with("prod", lambda raw: raw["finstack:security"].update(auditRetentionDays=400))
    bucket = plan.named("audit-bucket")
    assert bucket.inputs["objectLockEnabled"] is True, bucket.urn
    assert bucket.protect, f"{bucket.urn}: prod evidence must outlive the stack"
    lock = plan.named("audit-bucket-object-lock")
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 400}, lock.urn
    assert plan.named("audit-bucket-versioning").urn in lock.dependencies, lock.urn
    (rule,) = plan.named("audit-bucket-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == audit_key(plan).outputs["arn"]
    assert rule["bucketKeyEnabled"] is False, "an S3 Bucket Key would replace CloudTrail's encryption context"
    (lifecycle,) = plan.named("audit-bucket-lifecycle").inputs["rules"]
    assert [t["storageClass"] for t in lifecycle["transitions"]] == ["GLACIER", "DEEP_ARCHIVE"]


def test_audit_trail__bucket_policy_lets_only_this_trail_write_and_no_one_delete() -> None:
    plan = shipped_plan("prod")
    bucket = plan.named("audit-bucket")
    arn, trail = bucket.outputs["arn"], audit_trail_arn("prod", "us-east-1", ACCOUNT)
    by_sid = statements(plan.named("audit-bucket-policy"))
    assert by_sid["CloudTrailAclCheck"]["Action"] == "s3:GetBucketAcl"
    assert by_sid["CloudTrailAclCheck"]["Condition"] == {"StringEquals": {"aws:SourceArn": trail}}
    write = by_sid["CloudTrailWrite"]
    assert write["Resource"] == f"{arn}/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == trail
    deny = by_sid["DenyDeletes"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"} and "Condition" not in deny
    assert set(deny["Action"]) >= {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket"}
    assert by_sid["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_audit_trail__records_all_objects_when_given_no_buckets() -> None:
    def program() -> None:
        AuditTrail(
            "audit",
            AuditTrailArgs(
                environment="prod",
                home_region="eu-west-1",
                account_id=ACCOUNT,
                audit_key_arn="arn:aws:kms:eu-west-1:111122223333:key/mrk-1",
                logs_key_arn="arn:aws:kms:eu-west-1:111122223333:key/mrk-2",
                retention_days=365,
                log_retention_days=365,
            ),
        )

    plan = plan_of(program)
    selectors = plan.named("audit-trail").inputs["advancedEventSelectors"]
    assert all(f["field"] != "resources.ARN" for s in selectors for f in s["fieldSelectors"]), "no buckets: all objects"


def test_audit_trail__bucket_logs_into_the_primary_log_archive() -> None:
    plan = plan_with("prod", lambda raw: None)
    (logging,) = [r for r in plan.of_type("aws:s3/bucketLogging:BucketLogging") if r.name == "audit-bucket-access-logs"]
    assert logging.region == "us-east-1" and logging.inputs["targetPrefix"] == "s3/audit-bucket/", logging.urn
    assert logging.inputs["targetBucket"] == plan.named("logs-us-east-1-bucket").id, logging.urn


def test_audit_trail__landing_zone_declares_no_trail() -> None:
    plan = plan_with("dev", lambda raw: raw["finstack:security"].update(accountServices="landing-zone"))
    assert plan.of_type(TRAIL) == [], [t.urn for t in plan.of_type(TRAIL)]
    assert [b.urn for b in plan.of_type(BUCKET) if b.name == "audit-bucket"] == []


def test_trail_bucket_statements__pure_builder() -> None:
    doc = trail_bucket_statements("arn:aws:s3:::b", ACCOUNT, "arn:aws:cloudtrail:us-east-1:111122223333:trail/t")
    assert [s["Sid"] for s in doc] == ["CloudTrailAclCheck", "CloudTrailWrite", "DenyDeletes"]
    assert doc[1]["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"


def test_audit_trail_args__rejects_a_retention_below_one_day() -> None:
    with pytest.raises(ValueError, match="retention_days must be at least 1, got 0"):
        AuditTrailArgs("prod", "us-east-1", ACCOUNT, "k", "l", retention_days=0, log_retention_days=365)


def test_audit_trail__exposes_trail_bucket_and_log_group() -> None:
    def program() -> None:
        trail = AuditTrail(
            "audit",
            AuditTrailArgs("dev", "us-east-1", ACCOUNT, "arn:k", "arn:l", retention_days=30, log_retention_days=30),
        )
        pulumi.export("trail", trail.trail_arn)
        pulumi.export("group", trail.log_group_name)

    plan = plan_of(program, "dev")
    assert plan.outputs["trail"] == plan.named("audit-trail").outputs["arn"]
    assert plan.outputs["group"] == "/finstack/dev/cloudtrail"


def test_audit_trail__logs_insights_for_api_call_and_error_rates() -> None:
    trail = shipped_plan("prod").named("audit-trail")
    assert trail.inputs["insightSelectors"] == [
        {"insightType": "ApiCallRateInsight"},
        {"insightType": "ApiErrorRateInsight"},
    ], trail.urn
