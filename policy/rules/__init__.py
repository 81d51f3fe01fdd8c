"""The finstack CrossGuard rules, one module per domain; `ALL_POLICIES` is what the pack serves.

Imported as `rules` when the pack runs (`python policy/__main__.py` and the Pulumi CLI put
policy/ on sys.path) and as `policy.rules` from the tests; the modules use relative imports
only, and depend on nothing but pulumi-policy and the standard library.
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    detection,
    edge,
    encryption,
    governance,
    identity,
    kubernetes,
    logging,
    network,
    posture,
    residency,
    resilience,
    transit,
)

PACK_NAME = "finstack"
PACK_DISPLAY_NAME = "finstack compliance as code"
PACK_DESCRIPTION = (
    "Security posture of the finstack multi-region AWS platform: encryption at rest and in transit, "
    "segmentation, logging, resilience, identity, Kubernetes and data residency, mapped to PCI DSS v4.0.1, "
    "SOC 2, GDPR and DORA."
)
PACK_TAGS = ["aws", "kubernetes", "pci-dss", "soc2", "gdpr", "dora", "finstack"]

ALL_POLICIES: list[Policy] = [
    *encryption.POLICIES,
    *transit.POLICIES,
    *edge.POLICIES,
    *network.POLICIES,
    *logging.POLICIES,
    *detection.POLICIES,
    *resilience.POLICIES,
    *identity.POLICIES,
    *kubernetes.POLICIES,
    *residency.POLICIES,
    *posture.POLICIES,
    *governance.POLICIES,
]

# The only policies a non-prod stack may run as advisory: they cost money (sizes, AZs,
# retained backups) or rebuild time (deletion guards), never confidentiality. Everything else is
# mandatory in every stack.
COST_DRIVEN = frozenset(
    {
        "aurora-cluster-min-instances",
        "aurora-deletion-protection-enabled",
        "aurora-final-snapshot-kept",
        "aurora-backup-retention",
        "msk-brokers-multi-az",
        "nat-gateway-per-az",
        # Deletion guards: dev is rebuilt daily, so in dev they cost every rebuild an extra change.
        "eks-deletion-protection-enabled",
        "cloudwatch-log-group-deletion-protection",
        "stateful-resources-protected",
    }
)
