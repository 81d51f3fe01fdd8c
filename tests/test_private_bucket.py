"""The house bucket mechanism: lifecycle on every bucket, EventBridge notifications, Object Lock on evidence."""

from __future__ import annotations

import pytest

from components.private_bucket import COLDER_STORAGE, Lifecycle, evidence_lifecycle
from tests.plan import plan_with, shipped_plan

BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"


@pytest.mark.parametrize(
    ("retention", "steps"),
    [(30, ()), (31, COLDER_STORAGE[:1]), (90, COLDER_STORAGE[:1]), (365, COLDER_STORAGE)],
)
def test_evidence_lifecycle__colder_storage_before_expiry_at_the_retention(retention, steps):
    lifecycle = evidence_lifecycle(retention)
    assert (lifecycle.expire_days, lifecycle.transitions) == (retention, steps)
    assert lifecycle.noncurrent_days == 30 and lifecycle.abort_multipart_days == 7


def test_lifecycle__transition_on_or_after_expiry__refused():
    with pytest.raises(ValueError, match="transition at day 90 is not before expiry at 90"):
        Lifecycle(rule_id="r", expire_days=90, transitions=((90, "GLACIER_IR"),))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_buckets__each_has_one_enabled_lifecycle_rule_and_eventbridge_notifications(stack: str) -> None:
    plan = shipped_plan(stack)
    buckets = plan.of_type(BUCKET)
    assert len(buckets) >= 5
    for bucket in buckets:
        (lifecycle,) = [r for r in plan.of_type(LIFECYCLE) if r.parent == bucket.urn]
        (rule,) = lifecycle.inputs["rules"]
        assert rule["status"] == "Enabled" and rule["abortIncompleteMultipartUpload"], lifecycle.urn
        assert rule.get("noncurrentVersionExpiration") or rule.get("noncurrentVersionTransitions"), lifecycle.urn
        (notification,) = [r for r in plan.of_type(NOTIFICATION) if r.parent == bucket.urn]
        assert notification.inputs["eventbridge"] is True, notification.urn


def test_evidence_buckets__kept_the_audit_retention_and_no_longer_than_their_lock():
    plan = plan_with("prod", lambda raw: raw["finstack:security"].update(auditRetentionDays=400))
    for name in ("dr-reports", "posture-config-us-east-1", "posture-config-us-west-2"):
        (rule,) = plan.named(f"{name}-lifecycle").inputs["rules"]
        assert rule["expiration"] == {"days": 400}, name
        assert [t["storageClass"] for t in rule["transitions"]] == ["STANDARD_IA", "GLACIER_IR"], name


def test_dr_reports__object_locked_on_the_existing_bucket_for_the_audit_retention():
    plan = plan_with("prod", lambda raw: raw["finstack:security"].update(auditRetentionDays=400))
    bucket = plan.named("dr-reports")
    # Not at creation: the prod bucket exists and is protected; the lock configuration enables it.
    assert not bucket.inputs.get("objectLockEnabled"), bucket.urn
    lock = plan.named("dr-reports-object-lock")
    assert lock.inputs["objectLockEnabled"] == "Enabled", lock.urn
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 400}, lock.urn
    assert plan.named("dr-reports-versioning").urn in lock.dependencies, lock.urn


def test_unlocked_buckets__config_bundles_and_log_archives():
    # AWS Config refuses an Object Lock delivery bucket; server access logs refuse an Object Lock
    # destination; bundles are replaced on every deploy.
    plan = shipped_plan("prod")
    locked = {r.parent for r in plan.of_type(LOCK)}
    names = {b.name for b in plan.of_type(BUCKET) if b.urn in locked}
    assert names == {"audit-bucket", "dr-reports"}
