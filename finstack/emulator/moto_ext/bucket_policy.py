"""S3 bucket policies evaluated as AWS evaluates them, for the conditions finstack's buckets use.

moto 5 (`moto.iam.access_control.IAMPolicyStatement`) answers DENIED for *any* statement whose
conditions it cannot match, Deny or Allow, and passes no request context to bucket policies. A
bucket with the standard "deny insecure transport" statement then refuses every object request in
the emulator, while on AWS it refuses only plain-HTTP ones. AWS's rule
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): a
statement applies only when its action, resource, principal and every condition match; an
explicit Deny wins, then an Allow; otherwise the bucket policy is silent.

Request context given to conditions: `aws:SecureTransport` is "true" (the emulator stands in for
AWS's HTTPS endpoints; every SDK uses them), and the SSE headers of the request as
`s3:x-amz-server-side-encryption` and `s3:x-amz-server-side-encryption-aws-kms-key-id`.
Missing keys follow https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
an `...IfExists` operator and a negated operator (`StringNotEquals`, `ArnNotEquals`) are true, every
other operator is false.
"""

from __future__ import annotations

import contextvars
import fnmatch
import json
from typing import Any

from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

from finstack.emulator.moto_ext._registry import Installation

_REQUEST_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "finstack_s3_context", default=None
)
_SSE_HEADERS = ("x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id")


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def applies_to_service(statement: dict[str, Any], service: str) -> bool:
    """Whether the statement's Principal covers the AWS service principal `service` (or everyone)."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    services = principal.get("Service", [])
    return principal.get("AWS") in ("*", ["*"]) or service in _listed(services)


def _operator_matches(operator: str, expected: list[str], actual: str | None) -> bool:
    base = operator.removesuffix("IfExists")
    negated = "Not" in base
    if actual is None:
        return operator.endswith("IfExists") or negated
    if base in ("Bool",):
        return actual.lower() in [e.lower() for e in expected]
    if base in ("StringEquals", "ArnEquals", "StringNotEquals", "ArnNotEquals"):
        hit = actual in expected
    elif base in ("StringLike", "ArnLike", "StringNotLike", "ArnNotLike"):
        hit = any(fnmatch.fnmatchcase(actual, e) for e in expected)
    else:
        return False  # an operator this evaluator does not know never matches: no silent allow
    return not hit if negated else hit


def conditions_match(conditions: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    """Every operator of every key must match (AND), any value of a key may (OR)."""
    return all(
        _operator_matches(operator, _listed(expected), context.get(key.lower()))
        for operator, keys in conditions.items()
        for key, expected in keys.items()
    )


def evaluate(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> PermissionResult:
    """DENIED, PERMITTED or NEUTRAL for `action` on `resource`, principal anyone."""
    statements = policy.get("Statement") or []
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = _listed(statement.get("Action", []))
        resources = _listed(statement.get("Resource", []))
        if not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        if not conditions_match(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return PermissionResult.DENIED
        allowed = True
    return PermissionResult.PERMITTED if allowed else PermissionResult.NEUTRAL


def _get_permission(bucket: FakeBucket, action: str, resource: str) -> PermissionResult:
    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    context = {"aws:securetransport": "true", **(_REQUEST_CONTEXT.get() or {})}
    return evaluate(json.loads(bucket.policy.decode()), action, resource, context)


def register(installation: Installation) -> None:
    """Bucket policies with AWS's statement semantics and the request's SSE headers."""
    original = S3Response._key_response

    def key_response(self: S3Response, request: Any, full_url: str) -> Any:
        headers = {k.lower(): v for k, v in dict(getattr(request, "headers", {}) or {}).items()}
        token = _REQUEST_CONTEXT.set({f"s3:{h}": headers[h] for h in _SSE_HEADERS if h in headers})
        try:
            return original(self, request, full_url)
        finally:
            _REQUEST_CONTEXT.reset(token)

    installation.patch(S3Response, "_key_response", key_response)
    installation.patch(FakeBucket, "get_permission", _get_permission)
