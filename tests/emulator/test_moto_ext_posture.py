"""Security Hub standards and finding aggregators, Config conformance packs: served, and refused as AWS refuses."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_ext_fixtures import EAST, WEST, aws_fixture, clock_fixture  # noqa: F401 - fixtures by name

pytestmark = pytest.mark.usefixtures("aws")

PCI = "arn:aws:securityhub:{region}::standards/pci-dss/v/4.0.1"
FSBP = "arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0"


def hub(region: str) -> Any:
    return boto3.client("securityhub", region_name=region)


def test_standards__refused_while_security_hub_is_off() -> None:
    with pytest.raises(ClientError) as raised:
        hub(EAST).batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": PCI.format(region=EAST)}])
    assert raised.value.response["Error"]["Code"] == "InvalidAccessException"


def test_standards__subscribed_per_region_and_listed() -> None:
    hub(EAST).enable_security_hub(EnableDefaultStandards=False)
    hub(EAST).batch_enable_standards(
        StandardsSubscriptionRequests=[
            {"StandardsArn": PCI.format(region=EAST)},
            {"StandardsArn": FSBP.format(region=EAST)},
        ]
    )
    enabled = hub(EAST).get_enabled_standards()["StandardsSubscriptions"]
    assert sorted(s["StandardsArn"] for s in enabled) == sorted([PCI.format(region=EAST), FSBP.format(region=EAST)])
    assert {s["StandardsStatus"] for s in enabled} == {"READY"}
    hub(WEST).enable_security_hub(EnableDefaultStandards=False)
    assert hub(WEST).get_enabled_standards()["StandardsSubscriptions"] == []


def test_standards__another_regions_or_unknown_arn_is_invalid_input() -> None:
    hub(EAST).enable_security_hub(EnableDefaultStandards=False)
    for arn in (PCI.format(region=WEST), "arn:aws:securityhub:us-east-1::standards/pci-dss/v/9.9"):
        with pytest.raises(ClientError) as raised:
            hub(EAST).batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": arn}])
        assert raised.value.response["Error"]["Code"] == "InvalidInputException", arn


def test_standards__disable_removes_the_subscription() -> None:
    hub(EAST).enable_security_hub(EnableDefaultStandards=False)
    (sub,) = hub(EAST).batch_enable_standards(
        StandardsSubscriptionRequests=[{"StandardsArn": PCI.format(region=EAST)}]
    )["StandardsSubscriptions"]
    hub(EAST).batch_disable_standards(StandardsSubscriptionArns=[sub["StandardsSubscriptionArn"]])
    assert hub(EAST).get_enabled_standards()["StandardsSubscriptions"] == []


def test_aggregator__one_per_account_in_its_region_and_refused_while_hub_off() -> None:
    with pytest.raises(ClientError) as raised:
        hub(EAST).create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=[WEST])
    assert raised.value.response["Error"]["Code"] == "InvalidAccessException"
    hub(EAST).enable_security_hub(EnableDefaultStandards=False)
    created = hub(EAST).create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=[WEST])
    assert created["FindingAggregationRegion"] == EAST and created["Regions"] == [WEST]
    arn = created["FindingAggregatorArn"]
    assert hub(EAST).list_finding_aggregators()["FindingAggregators"] == [{"FindingAggregatorArn": arn}]
    assert hub(EAST).get_finding_aggregator(FindingAggregatorArn=arn)["RegionLinkingMode"] == "SPECIFIED_REGIONS"
    with pytest.raises(ClientError) as raised:
        hub(EAST).create_finding_aggregator(RegionLinkingMode="ALL_REGIONS")
    assert raised.value.response["Error"]["Code"] == "ResourceConflictException"
    hub(EAST).delete_finding_aggregator(FindingAggregatorArn=arn)
    assert hub(EAST).list_finding_aggregators()["FindingAggregators"] == []


def test_conformance_pack__put_described_deleted() -> None:
    config = boto3.client("config", region_name=EAST)
    with pytest.raises(ClientError) as raised:
        config.put_conformance_pack(ConformancePackName="empty")
    assert raised.value.response["Error"]["Code"] == "ConformancePackTemplateValidationException"
    arn = config.put_conformance_pack(ConformancePackName="pci", TemplateBody='{"Resources": {}}')["ConformancePackArn"]
    (pack,) = config.describe_conformance_packs()["ConformancePackDetails"]
    assert pack["ConformancePackArn"] == arn and pack["ConformancePackName"] == "pci"
    config.delete_conformance_pack(ConformancePackName="pci")
    assert config.describe_conformance_packs()["ConformancePackDetails"] == []
    with pytest.raises(ClientError) as raised:
        config.describe_conformance_packs(ConformancePackNames=["pci"])
    assert raised.value.response["Error"]["Code"] == "NoSuchConformancePackException"


def test_macie__off_until_enabled() -> None:
    macie = boto3.client("macie2", region_name=WEST)
    with pytest.raises(ClientError):
        macie.get_macie_session()
    macie.enable_macie()
    assert macie.get_macie_session()["status"] == "ENABLED"
