"""`install()` / `uninstall()`: register every extension into moto's routing tables, reversibly."""

from __future__ import annotations

from finstack.emulator.moto_ext import (
    acm_issuance,
    atomic_requests,
    aurora,
    backup_selections,
    bucket_policy,
    cloudtrail_insights,
    cloudtrail_policies,
    eks_access,
    eks_zones,
    elb_access_logs,
    iam_enforcement,
    incluster_runner,
    kafka_cluster_arn,
    kafka_replicator,
    kms_policy_principals,
    kms_replica_aliases,
    log_delivery,
    macie_off_by_default,
    metrics,
    posture_services,
    rotation_lambda,
    route53_dnssec,
    route53_health,
    route53_query_logs,
    route53recoverycluster,
    route53recoverycontrolconfig,
    s3_eventbridge,
    secret_replicas,
    vpc_block_public_access,
    wafv2_edge,
)
from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

_installation: Installation | None = None


def install() -> None:
    """Register every extension into moto (idempotent).

    Call before the first request of a mock session, and before starting a moto server: the
    server builds each service's routes on its first request to that service.
    """
    global _installation  # noqa: PLW0603 - moto's routing tables are process-wide too
    with EXTENSION_LOCK:
        if _installation is not None:
            return
        installation = Installation()
        try:
            atomic_requests.register(installation)
            aurora.register(installation)
            backup_selections.register(installation)
            bucket_policy.register(installation)
            log_delivery.register(installation)
            cloudtrail_policies.register(installation)
            cloudtrail_insights.register(installation)
            s3_eventbridge.register(installation)
            eks_access.register(installation)
            incluster_runner.register(installation)
            acm_issuance.register(installation)
            eks_zones.register(installation)
            elb_access_logs.register(installation)
            kafka_cluster_arn.register(installation)
            kafka_replicator.register(installation)
            kms_policy_principals.register(installation)
            kms_replica_aliases.register(installation)
            secret_replicas.register(installation)
            rotation_lambda.register(installation)
            route53recoverycontrolconfig.register(installation)
            route53recoverycluster.register(installation)
            route53_health.register(installation)
            route53_dnssec.register(installation)
            route53_query_logs.register(installation)
            metrics.register(installation)
            iam_enforcement.register(installation)
            wafv2_edge.register(installation)
            posture_services.register(installation)
            macie_off_by_default.register(installation)
            vpc_block_public_access.register(installation)
        except Exception:
            installation.uninstall()
            raise
        _installation = installation


def uninstall() -> None:
    """Revert `install()`; moto is back to its stock behaviour."""
    global _installation  # noqa: PLW0603
    with EXTENSION_LOCK:
        if _installation is not None:
            _installation.uninstall()
            _installation = None


def is_installed() -> bool:
    """Whether `install()` is in effect."""
    return _installation is not None
