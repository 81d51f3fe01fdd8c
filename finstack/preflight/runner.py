"""Judge the account-level services of every region: what is missing, named, per region."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from components.posture import FSBP_STANDARD, PCI_STANDARD, VPC_BPA_BLOCKING_MODES, standards_arn
from finstack.preflight.gateway import VpcBlockPublicAccess


class ServicesReader(Protocol):
    """What the runner needs from a region (AccountServicesGateway, or a fake in tests)."""

    def guardduty_enabled(self) -> bool: ...  # noqa: D102
    def security_hub_standards(self) -> list[str] | None: ...  # noqa: D102
    def config_recording(self) -> bool: ...  # noqa: D102
    def multi_region_trail_logging(self) -> bool: ...  # noqa: D102
    def macie_enabled(self) -> bool: ...  # noqa: D102
    def vpc_block_public_access(self) -> VpcBlockPublicAccess: ...  # noqa: D102


REQUIRED_STANDARDS = {"AWS Foundational Security Best Practices v1.0.0": FSBP_STANDARD, "PCI DSS v4.0.1": PCI_STANDARD}


@dataclass(frozen=True)
class Missing:
    """One service (or standard) the landing zone has not turned on in a region."""

    region: str
    service: str
    detail: str

    def line(self) -> str:
        """`us-west-2: GuardDuty: no detector with status ENABLED`."""
        return f"{self.region}: {self.service}: {self.detail}"


@dataclass(frozen=True)
class PreflightReport:
    """Every region checked and what is missing; ok when nothing is."""

    regions: tuple[str, ...]
    missing: tuple[Missing, ...]

    @property
    def ok(self) -> bool:
        """Nothing missing."""
        return not self.missing


def check_region(region: str, reader: ServicesReader) -> list[Missing]:
    """What is missing in one region."""
    missing: list[Missing] = []
    if not reader.guardduty_enabled():
        missing.append(Missing(region, "GuardDuty", "no detector with status ENABLED"))
    standards = reader.security_hub_standards()
    if standards is None:
        missing.append(Missing(region, "Security Hub", "not enabled"))
    else:
        for title, standard in REQUIRED_STANDARDS.items():
            if standards_arn(standard, region) not in standards:
                missing.append(Missing(region, "Security Hub", f"standard {title} not enabled"))
    if not reader.config_recording():
        missing.append(Missing(region, "AWS Config", "no configuration recorder is recording"))
    if not reader.multi_region_trail_logging():
        missing.append(Missing(region, "CloudTrail", "no multi-region (or organization) trail is logging"))
    if not reader.macie_enabled():
        missing.append(Missing(region, "Macie", "not enabled"))
    missing.extend(_vpc_bpa(region, reader.vpc_block_public_access()))
    return missing


def _vpc_bpa(region: str, bpa: VpcBlockPublicAccess) -> list[Missing]:
    """BPA must block ingress, and must let the stack exclude its public subnets (components/network.py)."""
    missing = []
    if bpa.mode not in VPC_BPA_BLOCKING_MODES:
        missing.append(
            Missing(region, "VPC Block Public Access", f"mode is {bpa.mode}, not {' or '.join(VPC_BPA_BLOCKING_MODES)}")
        )
    if not bpa.exclusions_allowed:
        # The stack's load balancers need their public subnets excluded; AWS would refuse the exclusions.
        missing.append(
            Missing(
                region,
                "VPC Block Public Access",
                "exclusions are not allowed (declarative policy); the public subnets of the load balancers "
                "could not be excluded",
            )
        )
    return missing


def verify(regions: Iterable[str], reader_for: Callable[[str], ServicesReader]) -> PreflightReport:
    """Check every region of the stack."""
    listed = tuple(regions)
    return PreflightReport(listed, tuple(m for region in listed for m in check_region(region, reader_for(region))))
