"""Route 53 Application Recovery Controller, data plane (``route53-recovery-cluster``)."""

from __future__ import annotations

from finstack.emulator.moto_ext._registry import Installation
from finstack.emulator.moto_ext.route53recoverycluster.models import recovery_cluster_backends

SERVICE = "route53recoverycluster"


def register(installation: Installation) -> None:
    """Add the service to moto's index."""
    installation.register_service(
        SERVICE, r"https?://([^/]+\.)?route53-recovery-cluster\.([^/.]+)\.amazonaws\.com", recovery_cluster_backends
    )
