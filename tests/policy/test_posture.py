"""Posture policies: Config recording, Security Hub standards and finding aggregation in every region."""

from __future__ import annotations

import json

import pytest

from tests.policy import factories as f
from tests.policy.helpers import DELETE, PRIMARY, SECONDARY, check_stack, edit, messages

RECORDER = "config-recorder-every-region"
STANDARDS = "securityhub-standards-every-region"
AGGREGATED = "securityhub-findings-aggregated"


@pytest.fixture(autouse=True)
def stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack config the engine passes: prod, primary us-east-1, account services declared here."""
    config = {"finstack:environment": "prod", "aws:region": PRIMARY, "finstack:security": '{"accountServices":"stack"}'}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))


def landing_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    security = json.dumps({"accountServices": "landing-zone"})
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"aws:region": PRIMARY, "finstack:security": security}))


@pytest.mark.parametrize("name", [RECORDER, STANDARDS, AGGREGATED])
def test_posture__compliant_stack_passes(name: str) -> None:
    assert check_stack(name, f.compliant_stack().resources) == []


def test_recorder__missing_region_fails() -> None:
    stack = f.compliant_stack()
    resources = stack.without(f"posture-recorder-{SECONDARY}")
    assert messages(check_stack(RECORDER, resources)) == [
        f"Region {SECONDARY} must have an AWS Config recorder (aws.cfg.Recorder) recording all supported "
        "resource types."
    ]


def test_recorder__selected_types_only_fails_on_the_recorder() -> None:
    stack = f.compliant_stack()
    props = stack.props(f"posture-recorder-{SECONDARY}")
    resources = stack.replace(f"posture-recorder-{SECONDARY}", edit(props, {"recordingGroup": {"allSupported": False}}))
    assert check_stack(RECORDER, resources) == [
        (
            f"AWS Config recorder posture-recorder-{SECONDARY} in {SECONDARY} must record all supported resource types "
            "(recordingGroup.allSupported true).",
            stack.named(f"posture-recorder-{SECONDARY}").urn,
        )
    ]


def test_recorder__no_channel_fails() -> None:
    resources = f.compliant_stack().without(f"posture-channel-{PRIMARY}")
    assert messages(check_stack(RECORDER, resources)) == [
        f"Region {PRIMARY} must have an AWS Config delivery channel (aws.cfg.DeliveryChannel)."
    ]


def test_recorder__not_started_fails() -> None:
    stack = f.compliant_stack()
    props = stack.props(f"posture-recording-{PRIMARY}")
    resources = stack.replace(f"posture-recording-{PRIMARY}", edit(props, {"isEnabled": False}))
    assert messages(check_stack(RECORDER, resources)) == [
        f"Region {PRIMARY} must start its AWS Config recorder (aws.cfg.RecorderStatus isEnabled true)."
    ]


def test_standards__no_hub_fails() -> None:
    resources = f.compliant_stack().without(f"posture-hub-{SECONDARY}")
    assert messages(check_stack(STANDARDS, resources)) == [
        f"Region {SECONDARY} must enable Security Hub (aws.securityhub.Account)."
    ]


def test_standards__missing_pci_fails() -> None:
    resources = f.compliant_stack().without(f"posture-pci-{SECONDARY}")
    assert messages(check_stack(STANDARDS, resources)) == [
        f"Security Hub in {SECONDARY} must subscribe PCI DSS v4.0.1 (aws.securityhub.StandardsSubscription "
        f"arn:aws:securityhub:{SECONDARY}::standards/pci-dss/v/4.0.1)."
    ]


def test_standards__another_regions_arn_does_not_count() -> None:
    stack = f.compliant_stack()
    props = stack.props(f"posture-fsbp-{SECONDARY}")
    arn = f"arn:aws:securityhub:{PRIMARY}::standards/aws-foundational-security-best-practices/v/1.0.0"
    resources = stack.replace(f"posture-fsbp-{SECONDARY}", edit(props, {"standardsArn": arn}))
    assert len(check_stack(STANDARDS, resources)) == 1


def test_aggregator__missing_fails() -> None:
    resources = f.compliant_stack().without("posture-aggregator")
    assert messages(check_stack(AGGREGATED, resources)) == [
        f"Security Hub findings must be aggregated in the primary region {PRIMARY} "
        "(aws.securityhub.FindingAggregator there)."
    ]


def test_aggregator__unlinked_region_fails() -> None:
    stack = f.compliant_stack()
    props = stack.props("posture-aggregator")
    resources = stack.replace("posture-aggregator", edit(props, {"specifiedRegions": []}))
    assert check_stack(AGGREGATED, resources) == [
        (
            f"Security Hub finding aggregator posture-aggregator must link {SECONDARY} (specifiedRegions).",
            stack.named("posture-aggregator").urn,
        )
    ]


def test_aggregator__in_a_secondary_region_fails() -> None:
    stack = f.compliant_stack()
    props = stack.props("posture-aggregator")
    resources = stack.replace("posture-aggregator", edit(props, {"region": SECONDARY, "specifiedRegions": [PRIMARY]}))
    assert len(check_stack(AGGREGATED, resources)) == 1


def test_aggregator__all_regions_mode_passes() -> None:
    stack = f.compliant_stack()
    props = stack.props("posture-aggregator")
    resources = stack.replace(
        "posture-aggregator", edit(props, {"linkingMode": "ALL_REGIONS", "specifiedRegions": DELETE})
    )
    assert check_stack(AGGREGATED, resources) == []


@pytest.mark.parametrize("name", [RECORDER, STANDARDS, AGGREGATED])
def test_posture__landing_zone_skips_even_with_nothing_declared(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    landing_zone(monkeypatch)
    stack = f.compliant_stack()
    posture = [r.name for r in stack.resources if r.name.startswith("posture-")]
    assert check_stack(name, stack.without(*posture)) == []


@pytest.mark.parametrize(
    "pulumi_config",
    [
        "not json",
        json.dumps({"finstack:security": '{"accountServices": "landing-zone"'}),  # truncated JSON text
        json.dumps({"finstack:security": {"accountServices": "Landing-Zone"}}),
        json.dumps(["finstack:security"]),
    ],
    ids=["config-not-json", "security-not-json", "unknown-mode", "config-not-object"],
)
def test_posture__unreadable_account_services_keeps_the_stack_mode(pulumi_config: str, monkeypatch) -> None:
    # Only a well-formed landing-zone setting relaxes anything; everything else checks as `stack`.
    monkeypatch.setenv("PULUMI_CONFIG", pulumi_config)
    stack = f.compliant_stack()
    posture = [r.name for r in stack.resources if r.name.startswith("posture-recorder")]
    assert check_stack(RECORDER, stack.without(*posture)), pulumi_config
