"""boto3 reads of the account-level security services in one region (read-only calls only).

Permissions (one table, next to the calls; an operator's read-only role needs them):
guardduty:ListDetectors, guardduty:GetDetector, securityhub:DescribeHub,
securityhub:GetEnabledStandards, config:DescribeConfigurationRecorderStatus,
cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, macie2:GetMacieSession,
ec2:DescribeVpcBlockPublicAccessOptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "guardduty": ("guardduty:ListDetectors", "guardduty:GetDetector"),
    "securityhub": ("securityhub:DescribeHub", "securityhub:GetEnabledStandards"),
    "config": ("config:DescribeConfigurationRecorderStatus",),
    "cloudtrail": ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
    "macie": ("macie2:GetMacieSession",),
    "vpc-bpa": ("ec2:DescribeVpcBlockPublicAccessOptions",),
}

# What each service answers when it is simply not turned on in the region (botocore error codes).
_NOT_ENABLED = {
    "securityhub": ("InvalidAccessException",),
    "macie": ("AccessDeniedException", "ResourceNotFoundException"),
}


@dataclass(frozen=True)
class VpcBlockPublicAccess:
    """A region's VPC Block Public Access setting (EC2 API reference, VpcBlockPublicAccessOptions)."""

    mode: str
    """internetGatewayBlockMode: off | block-bidirectional | block-ingress."""
    exclusions_allowed: bool
    """False when an organization's declarative policy forbids exclusions (exclusionsAllowed not-allowed)."""


class PreflightAccessError(RuntimeError):
    """A read was refused for another reason than the service being off (e.g. missing permission)."""


@dataclass(frozen=True)
class AccountServicesGateway:
    """The read calls of one region, through an injected boto3 session."""

    session: Any
    region: str

    def _client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region)

    def guardduty_enabled(self) -> bool:
        """A detector whose status is ENABLED."""
        client = self._client("guardduty")
        for detector in client.list_detectors().get("DetectorIds", []):
            if client.get_detector(DetectorId=detector).get("Status") == "ENABLED":
                return True
        return False

    def security_hub_standards(self) -> list[str] | None:
        """ARNs of the READY/PENDING standards subscriptions; None when Security Hub is off."""
        client = self._client("securityhub")
        try:
            client.describe_hub()
            subscriptions = client.get_enabled_standards().get("StandardsSubscriptions", [])
        except ClientError as err:
            if err.response["Error"]["Code"] in _NOT_ENABLED["securityhub"]:
                return None
            raise PreflightAccessError(f"securityhub in {self.region}: {err}") from err
        return [s["StandardsArn"] for s in subscriptions if s.get("StandardsStatus") in ("READY", "PENDING")]

    def config_recording(self) -> bool:
        """Some configuration recorder of the region is recording."""
        statuses = (
            self._client("config").describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
        )
        return any(s.get("recording") for s in statuses)

    def multi_region_trail_logging(self) -> bool:
        """A multi-region trail (an organization trail counts) that is logging, seen from this region."""
        client = self._client("cloudtrail")
        for trail in client.describe_trails(includeShadowTrails=True).get("trailList", []):
            if not trail.get("IsMultiRegionTrail"):
                continue
            if client.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"):
                return True
        return False

    def macie_enabled(self) -> bool:
        """Macie's session is ENABLED."""
        try:
            return self._client("macie2").get_macie_session().get("status") == "ENABLED"
        except ClientError as err:
            if err.response["Error"]["Code"] in _NOT_ENABLED["macie"]:
                return False
            raise PreflightAccessError(f"macie2 in {self.region}: {err}") from err

    def vpc_block_public_access(self) -> VpcBlockPublicAccess:
        """The region's BPA mode and whether exclusions are allowed (a never-set region answers off)."""
        options = self._client("ec2").describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]
        return VpcBlockPublicAccess(
            mode=options.get("InternetGatewayBlockMode", "off"),
            # Absent in the answer: no declarative policy restricts them ("Otherwise, they are allowed").
            exclusions_allowed=options.get("ExclusionsAllowed", "allowed") == "allowed",
        )
