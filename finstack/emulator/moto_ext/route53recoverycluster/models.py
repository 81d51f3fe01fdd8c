"""The ARC data plane has no state of its own: routing-control state lives in the control store."""

from __future__ import annotations

from moto.core.base_backend import BackendDict, BaseBackend


class RecoveryClusterBackend(BaseBackend):
    """Routing anchor for ``route53-recovery-cluster`` (moto finds the service's urls through it)."""


recovery_cluster_backends = BackendDict(
    RecoveryClusterBackend, "route53-recovery-cluster", use_boto3_regions=False, additional_regions=["aws"]
)
