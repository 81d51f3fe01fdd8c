"""IAM authorization of requests signed with an assumed role's credentials, as AWS evaluates it.

AWS authorizes every call against the caller's identity policies; moto by default authorizes
nothing. moto can (`INITIAL_NO_AUTH_ACTION_COUNT`), but not usefully here: it is all or nothing
(the emulator's own deploy credentials are no IAM principal, so every deploy would be refused),
it authorizes every non-S3 action on resource `*` (so a correctly scoped grant is refused and
only `Resource: "*"` passes), and it treats an Allow whose condition key is absent as an
explicit Deny. So this extension does it instead, for the principals that matter: a request
signed with credentials from `sts:AssumeRole` (the DR automation role a drill runs as) is
evaluated against that role's inline and attached policies; the emulator's own credentials stay
the account's administrator.

The evaluation follows "Policy evaluation logic" (IAM User Guide): an explicit Deny wins; else an
Allow whose Action, Resource and Condition all match; else implicit deny. Action and Resource
match with `*`/`?` wildcards (actions case-insensitively); a condition on a key the request does
not carry is false (so `...IfExists` and `Null` are the only ways around it, as on AWS).

The resource a request is authorized on comes from its parameters, per action, as the Service
Authorization Reference names it (`_RESOURCES`); an action without an entry is authorized on `*`,
so only a `Resource: "*"` grant allows it (loud: a scoped grant fails until the entry exists).
Some calls make the service act with the caller's permissions (`_IMPLIED`): the RDS Data API reads
the secret with `secretsmanager:GetSecretValue`, and Secrets Manager decrypts it with the caller's
`kms:Decrypt` through `secretsmanager.<region>.amazonaws.com`.

S3 requests are not covered (drills make none); moto's S3 handlers authorize separately.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote, urlparse

import botocore.session
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from finstack.emulator.moto_ext._registry import Installation

#: Credential-scope signing names whose IAM prefix differs.
_IAM_PREFIX = {"monitoring": "cloudwatch"}
#: The same, for botocore's model names.
_MODEL_NAME = {"monitoring": "cloudwatch"}
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")


@dataclass(frozen=True)
class Principal:
    """An assumed-role session: the role's name and the session's ARN."""

    account_id: str
    role_name: str
    arn: str


@dataclass(frozen=True)
class Check:
    """One authorization: `action` on `resource` with the request context `context`."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


class AccessDenied(ServiceException):
    """Serialized in the service's protocol; the code each service's model names for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.http_status_code = 403


# -- who is calling --------------------------------------------------------------------------
def _assumed_principal(response: BaseResponse) -> Principal | None:
    """The assumed-role session that signed the request, or None (the emulator's own credentials)."""
    from moto.sts.models import sts_backends

    header = response.headers.get("Authorization") or ""
    found = _CREDENTIAL.search(header)
    if not found:
        return None
    key_id = found.group(1)
    account = response.current_account
    for assumed in sts_backends[account]["aws"].assumed_roles:
        if assumed.access_key_id == key_id:
            role_name = assumed.role_arn.split("/")[-1]
            return Principal(account, role_name, assumed.arn)
    return None


def _policies(principal: Principal) -> list[dict[str, Any]]:
    """The role's inline and attached managed policies (default versions), parsed."""
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[principal.account_id]["aws"].get_role(principal.role_name)
    except Exception:
        return []
    documents = [json.loads(document) for document in role.policies.values()]
    for managed in role.managed_policies.values():
        version = next(v for v in managed.versions if v.is_default)
        text = version.document
        documents.append(json.loads(unquote(text)) if isinstance(text, str) else dict(text))
    return documents


# -- what the request asks for ------------------------------------------------------------------
@cache
def _service_model(name: str) -> Any:
    return botocore.session.get_session().get_service_model(name)


def _path_labels(template: str, path: str) -> dict[str, str]:
    pattern = "^"
    for piece in re.split(r"(\{[^}]+\})", template.split("?", maxsplit=1)[0]):
        if piece.startswith("{"):
            label = piece[1:-1]
            greedy = label.endswith("+")
            pattern += f"(?P<{label.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
        else:
            pattern += re.escape(piece)
    matched = re.match(pattern + "/?$", path)
    return {k: unquote(v) for k, v in matched.groupdict().items()} if matched else {}


def request_parameters(response: BaseResponse, operation: str, model_name: str) -> dict[str, Any]:
    """The request's parameters by model member name: path labels, query string and JSON body."""
    params: dict[str, Any] = {}
    for key, values in (response.querystring or {}).items():
        params[key] = values[0] if isinstance(values, list) and values else values
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.strip().startswith("{"):
        with contextlib.suppress(json.JSONDecodeError):
            params.update(json.loads(body))
    try:
        http = _service_model(model_name).operation_model(operation).http
    except Exception:
        return params
    params.update(_path_labels(http.get("requestUri", "/"), urlparse(response.uri).path))
    return params


Resolver = Callable[[Mapping[str, Any], str, str], list[Check]]


def _on(*arns: Callable[[Mapping[str, Any], str, str], str | None]) -> Resolver:
    def resolve(params: Mapping[str, Any], region: str, account: str) -> list[Check]:
        return [Check("", arn) for make in arns if (arn := make(params, region, account))]

    return resolve


def _rds_global(params: Mapping[str, Any], region: str, account: str) -> str | None:
    identifier = params.get("GlobalClusterIdentifier")
    return f"arn:aws:rds::{account}:global-cluster:{identifier}" if identifier else "*"


def _rds_cluster(key: str) -> Callable[[Mapping[str, Any], str, str], str | None]:
    def arn(params: Mapping[str, Any], region: str, account: str) -> str | None:
        identifier = str(params.get(key) or "")
        if not identifier:
            return None
        return identifier if identifier.startswith("arn:") else f"arn:aws:rds:{region}:{account}:cluster:{identifier}"

    return arn


def _param(key: str) -> Callable[[Mapping[str, Any], str, str], str | None]:
    return lambda params, region, account: str(params.get(key) or "") or None


def _eks_cluster(params: Mapping[str, Any], region: str, account: str) -> str | None:
    name = params.get("name") or params.get("clusterName")
    return f"arn:aws:eks:{region}:{account}:cluster/{name}"


def _eks_nodegroup(params: Mapping[str, Any], region: str, account: str) -> str | None:
    from moto.eks.models import eks_backends

    cluster = str(params.get("clusterName") or params.get("name") or "")
    nodegroup = str(params.get("nodegroupName") or "")
    found = eks_backends[account][region].clusters.get(cluster)
    group = found.nodegroups.get(nodegroup) if found is not None else None
    return str(group.arn) if group is not None else f"arn:aws:eks:{region}:{account}:nodegroup/{cluster}/{nodegroup}/*"


def _health_check(params: Mapping[str, Any], region: str, account: str) -> str | None:
    return f"arn:aws:route53:::healthcheck/{params.get('HealthCheckId')}"


def _control_panel(params: Mapping[str, Any], region: str, account: str) -> str | None:
    return str(params.get("ControlPanelArn") or "") or None


def _routing_control_entries(params: Mapping[str, Any], region: str, account: str) -> list[Check]:
    """`UpdateRoutingControlStates` is authorized on every routing control it sets (resource type routingcontrol)."""
    entries = params.get("UpdateRoutingControlStateEntries") or []
    return [Check("", str(e.get("RoutingControlArn") or "*")) for e in entries] or [Check("", "*")]


def _secret(params: Mapping[str, Any], region: str, account: str) -> str | None:
    secret_id = str(params.get("SecretId") or params.get("secretArn") or "")
    return _secret_record(secret_id, region, account)[0]


def _secret_record(secret_id: str, region: str, account: str) -> tuple[str, str | None]:
    """(ARN, KMS key id or None) of the secret `secret_id` (name or ARN) in `region`."""
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[account][region]
    for secret in backend.secrets.values():
        if secret_id in (secret.arn, secret.name):
            return str(secret.arn), getattr(secret, "kms_key_id", None)
    return secret_id, None


# Per IAM action: the resources AWS authorizes it on (Service Authorization Reference).
_RESOURCES: dict[str, Resolver] = {
    "rds:DescribeGlobalClusters": _on(_rds_global),
    "rds:DescribeDBClusters": _on(_rds_cluster("DBClusterIdentifier")),
    "rds:SwitchoverGlobalCluster": _on(_rds_global, _rds_cluster("TargetDbClusterIdentifier")),
    "rds:FailoverGlobalCluster": _on(_rds_global, _rds_cluster("TargetDbClusterIdentifier")),
    "rds:RemoveFromGlobalCluster": _on(_rds_global, _rds_cluster("DbClusterIdentifier")),
    "rds-data:ExecuteStatement": _on(_param("resourceArn")),
    "eks:DescribeCluster": _on(_eks_cluster),
    "eks:ListNodegroups": _on(_eks_cluster),
    "eks:DescribeNodegroup": _on(_eks_nodegroup),
    "eks:UpdateNodegroupConfig": _on(_eks_nodegroup),
    "eks:TagResource": _on(_param("resourceArn")),
    "eks:UntagResource": _on(_param("resourceArn")),
    "kafka:DescribeReplicator": _on(_param("replicatorArn")),
    "route53:GetHealthCheck": _on(_health_check),
    "route53:GetHealthCheckStatus": _on(_health_check),
    "route53:UpdateHealthCheck": _on(_health_check),
    "route53-recovery-control-config:DescribeCluster": _on(_param("ClusterArn")),
    "route53-recovery-control-config:DescribeRoutingControl": _on(_param("RoutingControlArn")),
    "route53-recovery-control-config:DescribeControlPanel": _on(_control_panel),
    "route53-recovery-control-config:ListSafetyRules": _on(_control_panel),
    "route53-recovery-cluster:GetRoutingControlState": _on(_param("RoutingControlArn")),
    "route53-recovery-cluster:UpdateRoutingControlState": _on(_param("RoutingControlArn")),
    "route53-recovery-cluster:UpdateRoutingControlStates": _routing_control_entries,
    "secretsmanager:GetSecretValue": _on(_secret),
}


def _secret_read(secret_id: str, region: str, account: str) -> list[Check]:
    """Reading a secret: GetSecretValue on it, and kms:Decrypt on its key through Secrets Manager."""
    arn, key_id = _secret_record(secret_id, region, account)
    checks = [Check("secretsmanager:GetSecretValue", arn)]
    if key_id:
        key_arn = _key_arn(key_id, region, account)
        via = {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
        checks.append(Check("kms:Decrypt", key_arn, via))
    return checks


def _key_arn(key_id: str, region: str, account: str) -> str:
    """A key id, alias or ARN -> the key's ARN (aliases resolved as KMS does)."""
    from moto.kms.models import kms_backends

    if key_id.startswith("arn:") and ":key/" in key_id:
        return key_id
    backend = kms_backends[account][region]
    try:
        return str(backend.describe_key(key_id).arn)
    except Exception:
        return key_id


#: Permissions a service exercises with the caller's credentials during the call.
_IMPLIED: dict[str, Callable[[Mapping[str, Any], str, str], list[Check]]] = {
    "rds-data:ExecuteStatement": lambda p, r, a: _secret_read(str(p.get("secretArn") or ""), r, a),
    "secretsmanager:GetSecretValue": lambda p, r, a: _secret_read(str(p.get("SecretId") or ""), r, a)[1:],
}


# -- evaluation --------------------------------------------------------------------------------
def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches_any(patterns: Iterable[str], value: str, *, case_insensitive: bool = False) -> bool:
    for pattern in patterns:
        if case_insensitive:
            if fnmatch.fnmatchcase(value.lower(), pattern.lower()):
                return True
        elif fnmatch.fnmatchcase(value, pattern):
            return True
    return False


_OPERATORS: dict[str, Callable[[str, list[str]], bool]] = {
    "StringEquals": lambda actual, wanted: actual in wanted,
    "StringNotEquals": lambda actual, wanted: actual not in wanted,
    "StringEqualsIgnoreCase": lambda actual, wanted: actual.lower() in {w.lower() for w in wanted},
    "StringLike": lambda actual, wanted: _matches_any(wanted, actual),
    "StringNotLike": lambda actual, wanted: not _matches_any(wanted, actual),
    "ArnEquals": lambda actual, wanted: actual in wanted,
    "ArnLike": lambda actual, wanted: _matches_any(wanted, actual),
    "ArnNotLike": lambda actual, wanted: not _matches_any(wanted, actual),
    "Bool": lambda actual, wanted: actual.lower() in {w.lower() for w in wanted},
}


class UnsupportedCondition(ValueError):
    """A condition operator this evaluator does not know: refuse to guess its meaning."""


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, keys in conditions.items():
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        for key, wanted in keys.items():
            actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if base == "Null":
                if (actual is None) != (str(wanted).lower() == "true"):
                    return False
                continue
            if base not in _OPERATORS:
                raise UnsupportedCondition(f"condition operator {operator} is not emulated")
            if actual is None:
                if if_exists:
                    continue
                return False
            if not _OPERATORS[base](actual, [str(w) for w in _listed(wanted)]):
                return False
    return True


def _statement_applies(statement: Mapping[str, Any], check: Check) -> bool:
    if "Action" in statement:
        if not _matches_any(_listed(statement["Action"]), check.action, case_insensitive=True):
            return False
    elif _matches_any(_listed(statement.get("NotAction")), check.action, case_insensitive=True):
        return False
    if "Resource" in statement:
        if not _matches_any(_listed(statement["Resource"]), check.resource):
            return False
    elif _matches_any(_listed(statement.get("NotResource")), check.resource):
        return False
    return _conditions_hold(statement.get("Condition") or {}, check.context)


def allowed(policies: Iterable[Mapping[str, Any]], check: Check) -> bool:
    """IAM's evaluation of identity policies: explicit Deny, else any Allow, else implicit deny."""
    verdict = False
    for policy in policies:
        for statement in _listed_statements(policy):
            if _statement_applies(statement, check):
                if statement.get("Effect") == "Deny":
                    return False
                verdict = True
    return verdict


def _listed_statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


# -- the hook ----------------------------------------------------------------------------------
def required_checks(response: BaseResponse, signing_name: str, region: str, account: str) -> list[Check]:
    """Every (action, resource) the request must be allowed, implied permissions included."""
    operation = response._get_action()
    model_name = _MODEL_NAME.get(signing_name, response.boto3_service_name)
    action = f"{_IAM_PREFIX.get(signing_name, signing_name)}:{operation}"
    params = request_parameters(response, operation, model_name)
    resolver = _RESOURCES.get(action)
    checks = [Check(action, c.resource) for c in resolver(params, region, account)] if resolver else []
    checks = checks or [Check(action, "*")]
    implied = _IMPLIED.get(action)
    if implied is not None:
        checks += implied(params, region, account)
    return checks


def _denial(response: BaseResponse) -> AccessDenied | None:
    principal = _assumed_principal(response)
    if principal is None:
        return None
    found = _CREDENTIAL.search(response.headers.get("Authorization") or "")
    assert found is not None
    region, signing_name = found.group(2), found.group(3)
    if signing_name == "sts" and response._get_action() == "GetCallerIdentity":
        return None  # "No permissions are required to perform this operation" (STS API Reference)
    policies = _policies(principal)
    for check in required_checks(response, signing_name, region, principal.account_id):
        context = {
            "aws:RequestedRegion": region,
            "aws:PrincipalArn": f"arn:aws:iam::{principal.account_id}:role/{principal.role_name}",
            "aws:PrincipalAccount": principal.account_id,
            "aws:SecureTransport": "true",
            "kms:CallerAccount": principal.account_id,
            **check.context,
        }
        if not allowed(policies, Check(check.action, check.resource, context)):
            code = "AccessDenied" if _protocol(response) in ("query", "rest-xml") else "AccessDeniedException"
            return AccessDenied(
                code,
                f"User: {principal.arn} is not authorized to perform: {check.action} on resource: "
                f"{check.resource} because no identity-based policy allows the {check.action} action",
            )
    return None


def _protocol(response: BaseResponse) -> str:
    try:
        return str(_service_model(response.boto3_service_name).protocol)
    except Exception:
        return "json"


_stock_call_action = BaseResponse.call_action


def _authorized_call_action(self: BaseResponse) -> Any:
    denial = _denial(self)
    if denial is None:
        return _stock_call_action(self)
    with warnings.catch_warnings():
        # moto warns when a service model names no AccessDenied shape; botocore parses it anyway.
        warnings.simplefilter("ignore", UserWarning)
        status, headers, body = self.serialized(ActionResult(denial))
    return status, headers, body


def register(installation: Installation) -> None:
    """Authorize assumed-role requests before moto dispatches them."""
    installation.patch(BaseResponse, "call_action", _authorized_call_action)
