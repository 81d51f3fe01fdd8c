"""Route 53 Application Recovery Controller, control plane (``route53-recovery-control-config``)."""

from __future__ import annotations

from finstack.emulator.moto_ext._registry import Installation
from finstack.emulator.moto_ext.route53recoverycontrolconfig.models import recovery_control_backends

SERVICE = "route53recoverycontrolconfig"


def register(installation: Installation) -> None:
    """Add the service to moto's index."""
    installation.register_service(
        SERVICE, r"https?://route53-recovery-control-config\.(.+)\.amazonaws\.com", recovery_control_backends
    )
