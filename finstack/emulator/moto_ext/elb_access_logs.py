"""ALB access logs: ModifyLoadBalancerAttributes refuses a bucket ELB cannot write to, as AWS does.

Turning `access_logs.s3.enabled` on makes ELB check the bucket at once: the call fails with
InvalidConfigurationRequest ("Access Denied for bucket: <name>. Please check S3bucket
permission") unless the bucket exists in the load balancer's region, its policy lets the region's
ELB log-delivery principal `s3:PutObject` under `<prefix>/AWSLogs/<account>/`, and its default
encryption is SSE-S3 ("The bucket must be located in the same Region as the load balancer";
"The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)";
ELB User Guide, "Enable access logs for your Application Load Balancer"). moto 5 stores the
attributes without any check, so a stack whose ALB logs nowhere would deploy in the emulator.

The bucket policy is evaluated with AWS's semantics (`bucket_policy.evaluate`) for the statements
that apply to the region's ELB principal (components/log_archive.py `elb_log_principal`), with the
load balancer's account as aws:SourceAccount.
"""

from __future__ import annotations

import json
from typing import Any

from moto.elbv2.exceptions import InvalidConfigurationRequest
from moto.elbv2.models import ELBv2Backend
from moto.iam.access_control import PermissionResult
from moto.s3.models import s3_backends

from components.log_archive import elb_log_principal
from finstack.emulator.moto_ext._registry import Installation
from finstack.emulator.moto_ext.bucket_policy import evaluate

PROBE_OBJECT = "ELBAccessLogTestFile"


class AccessLogBucketRefused(InvalidConfigurationRequest):
    """ELB's answer when it cannot deliver access logs to the bucket."""

    def __init__(self, bucket: str, why: str) -> None:
        super().__init__(f"Access Denied for bucket: {bucket}. Please check S3bucket permission ({why})")


def _applies_to(statement: dict[str, Any], principal: dict[str, str]) -> bool:
    named = statement.get("Principal")
    if named == "*":
        return True
    if not isinstance(named, dict):
        return False
    for kind, value in principal.items():
        values = named.get(kind, [])
        if value in (values if isinstance(values, list) else [values]) or named.get("AWS") in ("*", ["*"]):
            return True
    return False


def elb_may_write(policy: dict[str, Any], bucket: str, prefix: str, region: str, account_id: str) -> bool:
    """Whether `policy` lets `region`'s ELB log delivery write the load balancer account's logs under `prefix`."""
    principal = elb_log_principal(region)
    statements = policy.get("Statement") or []
    listed = statements if isinstance(statements, list) else [statements]
    relevant = {"Statement": [s for s in listed if _applies_to(s, principal)]}
    key = "/".join(p for p in (prefix.strip("/"), "AWSLogs", account_id, PROBE_OBJECT) if p)
    context = {"aws:securetransport": "true", "aws:sourceaccount": account_id}
    return evaluate(relevant, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}", context) == PermissionResult.PERMITTED


def _default_algorithms(encryption: dict[str, Any] | None) -> list[str]:
    rules = (encryption or {}).get("Rule") or []
    listed = rules if isinstance(rules, list) else [rules]
    return [str((r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")) for r in listed]


def check_access_log_bucket(backend: ELBv2Backend, attrs: dict[str, Any]) -> None:
    """Raise AccessLogBucketRefused when `attrs` turn access logs on into a bucket ELB cannot write."""
    if str(attrs.get("access_logs.s3.enabled", "false")).lower() != "true":
        return
    name = str(attrs.get("access_logs.s3.bucket") or "")
    bucket = s3_backends[backend.account_id]["aws"].buckets.get(name)
    if bucket is None:
        raise AccessLogBucketRefused(name, "no such bucket")
    if bucket.region_name != backend.region_name:
        raise AccessLogBucketRefused(
            name, f"the bucket is in {bucket.region_name}, the load balancer in {backend.region_name}"
        )
    if any(a != "AES256" for a in _default_algorithms(bucket.encryption)):
        raise AccessLogBucketRefused(name, "ELB writes access logs only to SSE-S3 buckets")
    policy = json.loads(bucket.policy.decode()) if bucket.policy else {}
    prefix = str(attrs.get("access_logs.s3.prefix") or "")
    if not elb_may_write(policy, name, prefix, backend.region_name, backend.account_id):
        raise AccessLogBucketRefused(name, "the bucket policy does not let ELB log delivery write there")


def register(installation: Installation) -> None:
    """ModifyLoadBalancerAttributes checks the access-log bucket when logs are turned on."""
    original = ELBv2Backend.modify_load_balancer_attributes

    def modify_load_balancer_attributes(self: ELBv2Backend, arn: str, attrs: dict[str, Any]) -> dict[str, Any]:
        balancer = self.load_balancers.get(arn)
        if balancer is not None:
            check_access_log_bucket(self, {**balancer.attrs, **attrs})
        return original(self, arn, attrs)

    installation.patch(ELBv2Backend, "modify_load_balancer_attributes", modify_load_balancer_attributes)
