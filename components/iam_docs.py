"""Pure builders of IAM, key and resource policy documents (no Pulumi imports).

Every policy finstack declares is a plain dict built here and serialised with `dumps`, so
it can be unit-tested and read by the policy pack as JSON, with no `getPolicyDocument`
invoke. The builders refuse wildcard actions (`"*"`, `"kms:*"`): an action list is a
reviewed, explicit grant. Partial wildcards (`kms:GenerateDataKey*`) are refused too;
spell the operations out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

PARTITION = "aws"
POLICY_VERSION = "2012-10-17"

Statement = dict[str, Any]
Document = dict[str, Any]
Conditions = Mapping[str, Mapping[str, str | list[str]]]


class PolicyDocumentError(ValueError):
    """A statement that finstack refuses to build (wildcard action, empty list)."""


def _actions(actions: Iterable[str]) -> list[str]:
    listed = list(actions)
    if not listed:
        raise PolicyDocumentError("a statement needs at least one action")
    for action in listed:
        service, _, operation = action.partition(":")
        if action == "*" or not operation or "*" in action:
            raise PolicyDocumentError(f"{action!r} is a wildcard or malformed action; list the operations explicitly")
        if not service.islower():
            raise PolicyDocumentError(f"{action!r}: the service prefix is lower-case, e.g. kms:Decrypt")
    return listed


def _one_or_many(values: Iterable[str]) -> str | list[str]:
    listed = list(values)
    if not listed:
        raise PolicyDocumentError("a statement needs at least one resource or principal")
    return listed[0] if len(listed) == 1 else listed


def statement(
    sid: str,
    actions: Iterable[str],
    resources: Iterable[str],
    *,
    effect: Literal["Allow", "Deny"] = "Allow",
    principal: Mapping[str, str | list[str]] | None = None,
    conditions: Conditions | None = None,
) -> Statement:
    """One statement; `principal` only in resource policies (key, topic, trust)."""
    stmt: Statement = {"Sid": sid, "Effect": effect}
    if principal is not None:
        stmt["Principal"] = dict(principal)
    stmt["Action"] = _one_or_many(_actions(actions))
    stmt["Resource"] = _one_or_many(resources)
    if conditions:
        stmt["Condition"] = {op: dict(values) for op, values in conditions.items()}
    return stmt


def document(*statements: Statement) -> Document:
    """A policy document; Sids must be unique (AWS rejects duplicates in resource policies)."""
    sids = [s["Sid"] for s in statements]
    if len(set(sids)) != len(sids):
        raise PolicyDocumentError(f"duplicate Sid in {sids}")
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def dumps(doc: Document) -> str:
    """Stable JSON text (sorted keys) so an unchanged policy never shows a diff."""
    return json.dumps(doc, sort_keys=True)


def service_principal(service: str) -> dict[str, str]:
    """`{"Service": "logs.us-east-1.amazonaws.com"}`."""
    return {"Service": service}


def aws_principal(arn: str) -> dict[str, str]:
    """`{"AWS": "<arn>"}`: an account root or a role."""
    return {"AWS": arn}


def account_root(account_id: str, partition: str = PARTITION) -> str:
    """The account principal: in a key policy it delegates access to the account's IAM policies."""
    return f"arn:{partition}:iam::{account_id}:root"


def service_endpoint(service: str, region: str) -> str:
    """`rds.us-east-1.amazonaws.com`: the value `kms:ViaService` carries for calls a service makes."""
    return f"{service}.{region}.amazonaws.com"


def assume_role_policy(service: str, *, source_account: str, source_arn: str | None = None) -> Document:
    """Trust policy for an AWS service, pinned to our account (and resource) against confused deputies."""
    conditions: dict[str, dict[str, str | list[str]]] = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "AssumeFromService",
                "Effect": "Allow",
                "Principal": service_principal(service),
                "Action": "sts:AssumeRole",
                "Condition": conditions,
            }
        ],
    }
