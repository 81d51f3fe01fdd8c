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
        buckets = plan.of_type("aws:s3/bucket:Bucket", region)
        bucket = [b for b in buckets if b.outputs["bucket"] == channel.inputs["s3BucketName"]]
        assert len(bucket) == 1, channel.urn
        children = plan.children_of(bucket[0])
        (encryption,) = [e for e in children if e.type.endswith("BucketServerSideEncryptionConfiguration")]
        key = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        assert channel.inputs["s3KmsKeyArn"] == key, channel.urn
        assert recorder.urn in channel.dependencies, channel.urn
        assert channel.urn in status.dependencies, status.urn
        assert status.inputs["isEnabled"] is True, status.urn


def test_posture__config_records_as_its_service_linked_role() -> None:
    plan = shipped_plan("prod")
    (role,) = [
        r
        for r in plan.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
        if r.inputs["awsServiceName"] == "config.amazonaws.com"
    ]
    assert role.retain_on_delete, f"{role.urn}: account-wide, other regions and tools use it"
    for recorder in plan.of_type(RECORDER):
        assert recorder.inputs["roleArn"] == (
            "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
        ), recorder.urn
        assert role.urn in recorder.dependencies, recorder.urn


def test_posture__existing_service_role_is_named_not_declared() -> None:
    plan = plan_with("dev", lambda raw: raw["finstack:security"].update(configServiceRole="existing"))
    roles = [r.urn for r in plan.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") if "config" in r.name]
    assert roles == []
    assert len(plan.of_type(RECORDER)) == len(plan.regions)


def test_posture__bucket_lets_only_this_accounts_config_deliver_under_its_prefix() -> None:
    plan = shipped_plan("prod")
    for region in plan.regions:
        (channel,) = plan.of_type(CHANNEL, region)
        bucket = channel.inputs["s3BucketName"]
        (policy,) = [
            p
            for p in plan.of_type("aws:s3/bucketPolicy:BucketPolicy", region)
            if p.name == f"posture-config-{region}-policy"
        ]
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        delivery = statements["ConfigBucketDelivery"]
        assert delivery["Principal"] == {"Service": "config.amazonaws.com"}, policy.urn
        assert delivery["Resource"] == f"arn:aws:s3:::{bucket}/config/AWSLogs/111122223333/Config/*", policy.urn
        assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == "111122223333", policy.urn
        # The house denies stay first: TLS only and no object under another key.
        assert list(statements)[:2] == ["DenyInsecureTransport", "DenyOtherKmsKeys"], policy.urn


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
