"""EKS access entries and access policy associations (moto 5 has neither).

`CreateAccessEntry`, `DescribeAccessEntry`, `ListAccessEntries`, `DeleteAccessEntry`,
`AssociateAccessPolicy`, `ListAssociatedAccessPolicies`, `DisassociateAccessPolicy`, kept on moto's
EKS cluster so they die with it. `cluster_admin_problem` is what the emulated API server asks before
it admits a caller: an IAM principal without an access entry is not authenticated ("Unauthorized"),
one without `AmazonEKSClusterAdminPolicy` at cluster scope may not create cluster-scoped objects
(https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html,
https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.models import eks_backends
from moto.eks.responses import EKSResponse

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


class EksError(ServiceException):
    """An EKS API error with AWS's code (`ResourceNotFoundException`, `ResourceInUseException`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass
class AccessEntry:
    """One access entry and the access policies associated with its principal."""

    cluster: str
    principal_arn: str
    arn: str
    kubernetes_groups: list[str]
    type: str
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: utcnow().isoformat())

    def describe(self) -> dict[str, Any]:
        """The API's `accessEntry` shape."""
        return {
            "clusterName": self.cluster,
            "principalArn": self.principal_arn,
            "accessEntryArn": self.arn,
            "kubernetesGroups": self.kubernetes_groups,
            "type": self.type,
            "username": self.principal_arn,
            "createdAt": self.created_at,
            "modifiedAt": self.created_at,
        }


def entries_of(account_id: str, region: str, cluster_name: str) -> dict[str, AccessEntry]:
    """The access entries of a cluster, by principal ARN (raises ResourceNotFoundException)."""
    cluster = eks_backends[account_id][region].clusters.get(cluster_name)
    if cluster is None:
        raise EksError("ResourceNotFoundException", f"No cluster found for name: {cluster_name}.")
    entries = getattr(cluster, "_finstack_access_entries", None)
    if entries is None:
        entries = {}
        setattr(cluster, "_finstack_access_entries", entries)  # noqa: B010 - not a field of moto's model
    return entries


def cluster_admin_problem(account_id: str, region: str, cluster_name: str, principal_arn: str) -> str | None:
    """Why `principal_arn` may not administer the cluster's API, or None."""
    with EXTENSION_LOCK:
        entry = entries_of(account_id, region, cluster_name).get(principal_arn)
    if entry is None:
        return f"error: You must be logged in to the server (Unauthorized): {principal_arn} has no access entry"
    for policy_arn, scope in entry.policies.items():
        if policy_arn.endswith(f"/{CLUSTER_ADMIN_POLICY}") and scope.get("type") == "cluster":
            return None
    return (
        f'Error from server (Forbidden): namespaces is forbidden: User "{principal_arn}" cannot create resource '
        '"namespaces" at the cluster scope'
    )


class AccessEntryResponse(EKSResponse):
    """moto's EKS API plus access entries."""

    def __init__(self) -> None:
        super().__init__()
        self.automated_parameter_parsing = True

    def _param(self, name: str) -> str:
        value = self.params.get(name) or (getattr(self, "uri_match", None) or {}).get(name) or ""
        return unquote(str(value))

    def _entries(self) -> dict[str, AccessEntry]:
        return entries_of(self.current_account, self.region, self._param("name") or self._param("clusterName"))

    def _entry(self) -> AccessEntry:
        principal = self._param("principalArn")
        entry = self._entries().get(principal)
        if entry is None:
            raise EksError("ResourceNotFoundException", f"The specified principalArn could not be found: {principal}")
        return entry

    def create_access_entry(self) -> ActionResult:
        """`CreateAccessEntry`; a second entry for one principal is ResourceInUseException, as on AWS."""
        cluster = self._param("name") or self._param("clusterName")
        principal = self._param("principalArn")
        with EXTENSION_LOCK:
            entries = self._entries()
            if principal in entries:
                raise EksError(
                    "ResourceInUseException",
                    f"The specified access entry resource is already in use on this cluster: {principal}",
                )
            entry = AccessEntry(
                cluster=cluster,
                principal_arn=principal,
                arn=f"arn:aws:eks:{self.region}:{self.current_account}:access-entry/{cluster}/{len(entries) + 1}",
                kubernetes_groups=list(self.params.get("kubernetesGroups") or []),
                type=str(self.params.get("type") or "STANDARD"),
            )
            entries[principal] = entry
        return ActionResult({"accessEntry": entry.describe()})

    def describe_access_entry(self) -> ActionResult:
        """`DescribeAccessEntry`."""
        with EXTENSION_LOCK:
            return ActionResult({"accessEntry": self._entry().describe()})

    def list_access_entries(self) -> ActionResult:
        """`ListAccessEntries`."""
        with EXTENSION_LOCK:
            return ActionResult({"accessEntries": sorted(self._entries())})

    def delete_access_entry(self) -> EmptyResult:
        """`DeleteAccessEntry` (its policy associations go with it)."""
        with EXTENSION_LOCK:
            self._entries().pop(self._entry().principal_arn)
        return EmptyResult()

    def associate_access_policy(self) -> ActionResult:
        """`AssociateAccessPolicy`."""
        policy_arn = str(self.params.get("policyArn") or "")
        scope = dict(self.params.get("accessScope") or {"type": "cluster"})
        with EXTENSION_LOCK:
            entry = self._entry()
            entry.policies[policy_arn] = scope
        return ActionResult(
            {
                "clusterName": entry.cluster,
                "principalArn": entry.principal_arn,
                "associatedAccessPolicy": {"policyArn": policy_arn, "accessScope": scope},
            }
        )

    def list_associated_access_policies(self) -> ActionResult:
        """`ListAssociatedAccessPolicies`."""
        with EXTENSION_LOCK:
            entry = self._entry()
            policies = [{"policyArn": arn, "accessScope": scope} for arn, scope in entry.policies.items()]
        return ActionResult(
            {"clusterName": entry.cluster, "principalArn": entry.principal_arn, "associatedAccessPolicies": policies}
        )

    def disassociate_access_policy(self) -> EmptyResult:
        """`DisassociateAccessPolicy`."""
        with EXTENSION_LOCK:
            self._entry().policies.pop(self._param("policyArn"), None)
        return EmptyResult()


def register(installation: Installation) -> None:
    """Route the access-entry paths of the EKS API to `AccessEntryResponse`."""
    base = "{0}/clusters/(?P<name>[^/]+)/access-entries"
    # A principal ARN holds "/" (role/<name>), which the moto server sees decoded (werkzeug unquotes
    # %2F before routing): the ARN patterns name "/" in their character class, which also makes
    # werkzeug match them across path segments (a converter without "/" stays within one segment).
    principal = "(?P<principalArn>[a-zA-Z0-9:/_+=,.@%-]+?)"
    for path in (
        f"{base}$",
        f"{base}/{principal}$",
        f"{base}/{principal}/access-policies$",
        f"{base}/{principal}/access-policies/(?P<policyArn>[a-zA-Z0-9:/_+=,.@%-]+)$",
    ):
        installation.route(eks_urls, path, AccessEntryResponse.dispatch)
