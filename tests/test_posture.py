"""AccountPosture: Security Hub with FSBP and PCI DSS v4.0.1, AWS Config and the PCI conformance pack per cell."""

from __future__ import annotations

import json

import pytest

from components.posture import PCI_CONFORMANCE_RULES, conformance_template, standards_arn
from tests.plan import plan_with, shipped_plan

HUB = "aws:securityhub/account:Account"
SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
RECORDER = "aws:cfg/recorder:Recorder"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
STATUS = "aws:cfg/recorderStatus:RecorderStatus"
PACK = "aws:cfg/conformancePack:ConformancePack"
POSTURE_TYPES = (HUB, SUBSCRIPTION, AGGREGATOR, RECORDER, CHANNEL, STATUS, PACK)


def test_standards_arn__is_regional_without_account() -> None:
    assert standards_arn("pci-dss/v/4.0.1", "us-west-2") == "arn:aws:securityhub:us-west-2::standards/pci-dss/v/4.0.1"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_posture__security_hub_in_every_region_with_both_standards(stack: str) -> None:
    plan = shipped_plan(stack)
    for region in plan.regions:
        (hub,) = plan.of_type(HUB, region)
        assert hub.inputs["enableDefaultStandards"] is False, hub.urn
        assert hub.inputs["controlFindingGenerator"] == "SECURITY_CONTROL", hub.urn
        arns = sorted(s.inputs["standardsArn"] for s in plan.of_type(SUBSCRIPTION, region))
        assert arns == [
            f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
            f"arn:aws:securityhub:{region}::standards/pci-dss/v/4.0.1",
        ], region
        for sub in plan.of_type(SUBSCRIPTION, region):
            assert hub.urn in sub.dependencies, sub.urn


def test_posture__findings_aggregated_in_the_primary_from_the_other_regions() -> None:
    plan = shipped_plan("prod")
    primary = plan.run.config.primary.name
    (aggregator,) = plan.of_type(AGGREGATOR)
    assert aggregator.region == primary, aggregator.urn
    assert aggregator.inputs["linkingMode"] == "SPECIFIED_REGIONS", aggregator.urn
    assert sorted(aggregator.inputs["specifiedRegions"]) == sorted(r for r in plan.regions if r != primary)
    hubs = {h.urn for h in plan.of_type(HUB)}
    assert hubs <= set(aggregator.dependencies), aggregator.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_posture__config_records_everything_global_types_once(stack: str) -> None:
    plan = shipped_plan(stack)
    primary = plan.run.config.primary.name
    global_regions = []
    for region in plan.regions:
        (recorder,) = plan.of_type(RECORDER, region)
        group = recorder.inputs["recordingGroup"]
        assert group["allSupported"] is True, recorder.urn
        if group.get("includeGlobalResourceTypes"):
            global_regions.append(region)
    assert global_regions == [primary]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_posture__channel_delivers_to_a_private_bucket_with_the_cells_logs_key(stack: str) -> None:
    plan = shipped_plan(stack)
    for region in plan.regions:
        (channel,) = plan.of_type(CHANNEL, region)
        (recorder,) = plan.of_type(RECORDER, region)
        (status,) = plan.of_type(STATUS, region)
        bucket = [b for b in plan.of_type("aws:s3/bucket:Bucket", region) if b.outputs["bucket"] == channel.inputs["s3BucketName"]]
        assert len(bucket) == 1, channel.urn
        (encryption,) = [e for e in plan.children_of(bucket[0]) if e.type.endswith("BucketServerSideEncryptionConfiguration")]
        key = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        assert channel.inputs["s3KmsKeyArn"] == key, channel.urn
        assert recorder.urn in channel.dependencies, channel.urn
        assert channel.urn in status.dependencies, status.urn
        assert status.inputs["isEnabled"] is True, status.urn


def test_posture__config_role_writes_only_its_prefix_and_uses_only_the_cells_key() -> None:
    plan = shipped_plan("prod")
    for region in plan.regions:
        (channel,) = plan.of_type(CHANNEL, region)
        policies = [p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == f"posture-config-delivery-{region}"]
        assert len(policies) == 1, region
        statements = {s["Sid"]: s for s in json.loads(policies[0].inputs["policy"])["Statement"]}
        assert statements["DeliverConfiguration"]["Resource"].endswith("/config/AWSLogs/111122223333/*")
        assert statements["EncryptDeliveries"]["Resource"] == channel.inputs["s3KmsKeyArn"], policies[0].urn


def test_posture__conformance_pack_lists_the_curated_managed_rules() -> None:
    plan = shipped_plan("prod")
    for region in plan.regions:
        (pack,) = plan.of_type(PACK, region)
        assert pack.inputs["templateBody"] == conformance_template(), pack.urn
        (status,) = plan.of_type(STATUS, region)
        assert status.urn in pack.dependencies, pack.urn
    resources = json.loads(conformance_template())["Resources"].values()
    assert sorted(r["Properties"]["Source"]["SourceIdentifier"] for r in resources) == sorted(
        identifier for _, identifier, _ in PCI_CONFORMANCE_RULES
    )
    assert all(r["Properties"]["Source"]["Owner"] == "AWS" for r in resources)


def test_posture__landing_zone_declares_nothing_account_level() -> None:
    def landing_zone(raw: dict) -> None:
        raw["finstack:security"] = {**raw.get("finstack:security", {}), "accountServices": "landing-zone"}

    plan = plan_with("prod", landing_zone)
    declared = [r.urn for r in plan if r.type in POSTURE_TYPES]
    assert declared == []
