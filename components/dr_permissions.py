"""Every AWS API call a DR drill makes, and the IAM permissions AWS authorizes it by: one table.

The drill gateway (`finstack.drills.gateway`) refuses to make a call that is not in `DRILL_CALLS`,
and the DR automation role's policies (`components.dr_control`) are generated from it, so the
code and the role cannot drift apart: a new call without a row fails every test that makes it,
and a row is granted as soon as it exists.

Each row names the permissions the call needs (`Need`): the IAM action, the kind of resource it
is authorized on (`Scope`) and, for permissions a service uses on the caller's behalf, the
service (`kms:ViaService`). Sources, per action: the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
for resource types, and for the implied permissions:

- RDS Data API `ExecuteStatement` retrieves the cluster's credential from Secrets Manager with
  the caller's permissions: the caller needs `secretsmanager:GetSecretValue` on the secret
  (Aurora User Guide, "Authorizing access to Amazon RDS Data API"), and Secrets Manager decrypts
  the secret with the caller's `kms:Decrypt` on its customer managed key ("Secret encryption and
  decryption in AWS Secrets Manager": the caller needs kms:Decrypt through secretsmanager).
- `sts:GetCallerIdentity` needs no permission ("No permissions are required to perform this
  operation", STS API Reference), so its row has no need.
- CloudWatch `GetMetricData` supports no resource-level permission: it is granted on "*".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

#: What a permission is granted on. "static" scopes are known from names before the resources
#: exist (`DrAutomationRoles`); the "runtime" ones have generated ids (`DrControl` adds them).
Scope = Literal[
    "aurora-global-and-members",  # the global cluster and every member cluster
    "aurora-members",  # the member clusters
    "eks-clusters",
    "eks-nodegroups",
    "msk-replicators",
    "break-glass-secret",  # the Aurora master secret and its replicas
    "secrets-keys",  # the `secrets` KMS key of every cell (the secret's key)
    "region-switch-plan",
    "any",  # actions without resource-level permissions
    "health-checks",
    "routing-controls",
]
STATIC_SCOPES: tuple[Scope, ...] = (
    "aurora-global-and-members",
    "aurora-members",
    "eks-clusters",
    "eks-nodegroups",
    "msk-replicators",
    "break-glass-secret",
    "secrets-keys",
    "region-switch-plan",
    "any",
)
RUNTIME_SCOPES: tuple[Scope, ...] = ("health-checks", "routing-controls")
#: Scopes that exist only with ARC (prod): the routing controls and the Region switch plan.
ARC_SCOPES: frozenset[Scope] = frozenset({"routing-controls", "region-switch-plan"})


@dataclass(frozen=True)
class Need:
    """One permission: `action` on the resources of `scope`, through `via_service` if set."""

    action: str
    scope: Scope
    via_service: str | None = None


@dataclass(frozen=True)
class DrillCall:
    """One API operation the drill gateway calls (`service` is the boto3 client name)."""

    service: str
    operation: str
    needs: tuple[Need, ...]

    @property
    def key(self) -> tuple[str, str]:
        """(boto3 service name, API operation name), as the gateway looks calls up."""
        return (self.service, self.operation)


def _call(service: str, operation: str, scope: Scope, prefix: str | None = None) -> DrillCall:
    """A call needing exactly its own action (`<prefix>:<operation>`) on `scope`."""
    return DrillCall(service, operation, (Need(f"{prefix or service}:{operation}", scope),))


_SECRET_READ = (
    Need("secretsmanager:GetSecretValue", "break-glass-secret"),
    Need("kms:Decrypt", "secrets-keys", via_service="secretsmanager"),
)

DRILL_CALLS: tuple[DrillCall, ...] = (
    DrillCall("sts", "GetCallerIdentity", ()),
    # Made with the operator's credentials to become the automation role: authorized by the
    # role's trust policy (operators named or tagged), not by a permission of the role.
    DrillCall("sts", "AssumeRole", ()),
    # Aurora: SwitchoverGlobalCluster and friends are authorized on the global cluster and on
    # the member cluster named in the request (resource types global-cluster* and cluster*).
    _call("rds", "DescribeGlobalClusters", "aurora-global-and-members"),
    _call("rds", "DescribeDBClusters", "aurora-members"),
    _call("rds", "SwitchoverGlobalCluster", "aurora-global-and-members"),
    _call("rds", "FailoverGlobalCluster", "aurora-global-and-members"),
    _call("rds", "RemoveFromGlobalCluster", "aurora-global-and-members"),
    # The split-brain canary.
    DrillCall("rds-data", "ExecuteStatement", (Need("rds-data:ExecuteStatement", "aurora-members"), *_SECRET_READ)),
    _call("cloudwatch", "GetMetricData", "any"),
    _call("eks", "DescribeCluster", "eks-clusters"),
    _call("eks", "DescribeNodegroup", "eks-nodegroups"),
    _call("eks", "UpdateNodegroupConfig", "eks-nodegroups"),
    # Drills keep the node groups' baseline sizes as tags on the cluster.
    _call("eks", "TagResource", "eks-clusters"),
    _call("eks", "UntagResource", "eks-clusters"),
    _call("kafka", "DescribeReplicator", "msk-replicators"),
    _call("route53", "GetHealthCheck", "health-checks"),
    _call("route53", "GetHealthCheckStatus", "health-checks"),
    _call("route53", "UpdateHealthCheck", "health-checks"),
    # ARC: the data plane only, through the cluster endpoints the `dr` output carries. No
    # control-config call (DescribeCluster, ListSafetyRules, ...): that API is served from
    # us-west-2 alone, and a recovery must not depend on it ("Best practices for routing control
    # in ARC", ARC Developer Guide). UpdateRoutingControlStates is `finstack arm`'s, all cells at once.
    _call("route53-recovery-cluster", "GetRoutingControlState", "routing-controls"),
    _call("route53-recovery-cluster", "UpdateRoutingControlState", "routing-controls"),
    _call("route53-recovery-cluster", "UpdateRoutingControlStates", "routing-controls"),
    _call("arc-region-switch", "StartPlanExecution", "region-switch-plan"),
    _call("arc-region-switch", "GetPlanExecution", "region-switch-plan"),
    # Events of the approval step: when it was approved, for the evidence. No
    # ApprovePlanExecutionStep: the plan's approval step names the approver role, a principal the
    # drill is not, so the drill waits for a person instead of approving itself.
    _call("arc-region-switch", "ListPlanExecutionEvents", "region-switch-plan"),
)
CALLS_BY_KEY: dict[tuple[str, str], DrillCall] = {call.key: call for call in DRILL_CALLS}


class UnlistedCall(LookupError):
    """The drill gateway was asked for a call `DRILL_CALLS` does not list: the role cannot have it."""


def drill_call(service: str, operation: str) -> DrillCall:
    """The row of (`service`, `operation`), or `UnlistedCall` naming the table to extend."""
    found = CALLS_BY_KEY.get((service, operation))
    if found is None:
        raise UnlistedCall(
            f"{service} {operation} is not in components.dr_permissions.DRILL_CALLS: add its row (the IAM "
            "actions it needs, on what) so the DR automation role is granted it"
        )
    return found


def needs_in(scopes: Iterable[Scope], *, arc_enabled: bool) -> dict[Scope, dict[str | None, list[str]]]:
    """Scope -> via service (None: direct) -> sorted actions, for the rows' needs in `scopes`."""
    wanted = set(scopes)
    grouped: dict[Scope, dict[str | None, set[str]]] = {}
    for call in DRILL_CALLS:
        for need in call.needs:
            if need.scope not in wanted or (need.scope in ARC_SCOPES and not arc_enabled):
                continue
            grouped.setdefault(need.scope, {}).setdefault(need.via_service, set()).add(need.action)
    return {
        scope: {via: sorted(actions) for via, actions in sorted(by_via.items(), key=lambda kv: kv[0] or "")}
        for scope, by_via in grouped.items()
    }
