"""KMS refuses a key policy that names an IAM role that does not exist, as AWS does.

CreateKey, PutKeyPolicy and ReplicateKey: "The principals in the key policy must exist and be
visible to KMS" (botocore kms model, `CreateKeyRequest.Policy`); AWS answers
``MalformedPolicyDocumentException: Policy contains a statement with one or more invalid
principals.``. moto 5 stores any policy. The classic victim is a key policy naming the Auto
Scaling service-linked role in an account that never ran an Auto Scaling group
(terraform-aws-modules/terraform-aws-eks#3013); see docs/real-aws.md.

Only roles of the key's own account are checked: the emulator holds one account, and a root or
service principal always exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.iam.models import iam_backends
from moto.kms.models import KmsBackend
from moto.kms.responses import KmsResponse
from moto.utilities.utils import get_partition

from finstack.emulator.moto_ext._registry import Installation

_ROLE_ARN = re.compile(r"^arn:[\w-]+:iam::(?P<account>\d{12}):role/(?P<path_and_name>.+)$")
MESSAGE = "Policy contains a statement with one or more invalid principals."


class MalformedPolicyDocumentException(JsonRESTError):
    """KMS's answer to a policy it cannot accept."""

    code = 400

    def __init__(self) -> None:
        super().__init__("MalformedPolicyDocumentException", MESSAGE)


def _aws_principals(policy: dict[str, Any]) -> Iterator[str]:
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        values = principal.get("AWS", []) if isinstance(principal, dict) else []
        yield from [values] if isinstance(values, str) else values


def missing_roles(policy_text: str | None, account_id: str, region: str) -> list[str]:
    """Role ARNs of `account_id` that `policy_text` names and IAM does not have."""
    if not policy_text:
        return []
    try:
        policy = json.loads(policy_text)
    except ValueError:
        return []  # moto's own validation (or AWS's syntax check) answers a malformed document
    roles = iam_backends[account_id][get_partition(region)].roles.values()
    existing = {role.arn for role in roles}
    return [
        arn
        for arn in _aws_principals(policy)
        if (match := _ROLE_ARN.match(arn)) and match.group("account") == account_id and arn not in existing
    ]


def _refuse_missing(policy: str | None, account_id: str, region: str) -> None:
    if missing_roles(policy, account_id, region):
        raise MalformedPolicyDocumentException()


def register(installation: Installation) -> None:
    """Check the principals of every key policy KMS is given."""
    create_key = KmsBackend.create_key
    put_key_policy = KmsBackend.put_key_policy
    replicate_key = KmsResponse.replicate_key

    def checked_create_key(self: KmsBackend, policy: str | None, *args: Any, **kwargs: Any) -> Any:
        _refuse_missing(policy, self.account_id, self.region_name)
        return create_key(self, policy, *args, **kwargs)

    def checked_put_key_policy(self: KmsBackend, key_id: str, policy: str) -> None:
        _refuse_missing(policy, self.account_id, self.region_name)
        put_key_policy(self, key_id, policy)

    def checked_replicate_key(self: KmsResponse) -> str:
        # moto's backend drops ReplicateKey's Policy; check it at the edge, in the replica's Region.
        _refuse_missing(self._get_param("Policy"), self.current_account, self._get_param("ReplicaRegion"))
        return replicate_key(self)

    installation.patch(KmsBackend, "create_key", checked_create_key)
    installation.patch(KmsBackend, "put_key_policy", checked_put_key_policy)
    installation.patch(KmsResponse, "replicate_key", checked_replicate_key)
