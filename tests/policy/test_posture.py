"""Posture policies: Config recording, Security Hub standards, finding aggregation and VPC BPA in every region."""

from __future__ import annotations

import json

import pytest

from tests.policy import factories as f
from tests.policy.helpers import DELETE, PRIMARY, SECONDARY, UNKNOWN, check_stack, edit, messages

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


# --- VPC Block Public Access ---------------------------------------------------------------

BPA_ON = "vpc-block-public-access-every-region"
BPA_EXCLUSIONS = "vpc-block-public-access-exclusion-public-subnets"


@pytest.mark.parametrize("name", [BPA_ON, BPA_EXCLUSIONS])
def test_vpc_bpa__compliant_stack_passes(name: str) -> None:
    assert check_stack(name, f.compliant_stack().resources) == []


def test_vpc_bpa__missing_region_fails() -> None:
    resources = f.compliant_stack().without(f"posture-vpc-bpa-{SECONDARY}")
    assert check_stack(BPA_ON, resources) == [
        (
            f"Region {SECONDARY} must turn on VPC Block Public Access (aws.ec2.VpcBlockPublicAccessOptions with "
            "internetGatewayBlockMode block-ingress or block-bidirectional).",
            None,
        )
    ]


def test_vpc_bpa__off_fails_on_the_options() -> None:
    stack = f.compliant_stack()
    name = f"posture-vpc-bpa-{PRIMARY}"
    resources = stack.replace(name, edit(stack.props(name), {"internetGatewayBlockMode": "off"}))
    assert check_stack(BPA_ON, resources) == [
        (
            f"VPC Block Public Access {name} in {PRIMARY} must block internet-gateway ingress "
            "(internetGatewayBlockMode block-ingress or block-bidirectional), not off.",
            stack.named(name).urn,
        )
    ]


def test_vpc_bpa__bidirectional_passes() -> None:
    stack = f.compliant_stack()
    name = f"posture-vpc-bpa-{PRIMARY}"
    resources = stack.replace(name, edit(stack.props(name), {"internetGatewayBlockMode": "block-bidirectional"}))
    assert check_stack(BPA_ON, resources) == []


def test_vpc_bpa__landing_zone_skips_the_mode_not_the_exclusions(monkeypatch: pytest.MonkeyPatch) -> None:
    landing_zone(monkeypatch)
    stack = f.compliant_stack()
    resources = [r for r in stack.resources if r.resource_type != f.T_BPA_OPTIONS]
    assert check_stack(BPA_ON, resources) == []
    name = f"cell-{PRIMARY}-public-a-bpa-exclusion"
    props = edit(stack.props(name), {"vpcId": "vpc-e1", "subnetId": DELETE})
    assert len(check_stack(BPA_EXCLUSIONS, stack.replace(name, props))) == 1


def test_vpc_bpa_exclusion__whole_vpc_fails() -> None:
    stack = f.compliant_stack()
    name = f"cell-{SECONDARY}-public-b-bpa-exclusion"
    resources = stack.replace(name, edit(stack.props(name), {"vpcId": "vpc-w1", "subnetId": DELETE}))
    assert check_stack(BPA_EXCLUSIONS, resources) == [
        (
            f"VPC Block Public Access exclusion {name} must exclude public subnets (subnetId), never a whole VPC "
            "(vpcId): that reopens the app and data tiers to the internet gateway.",
            stack.named(name).urn,
        )
    ]


def test_vpc_bpa_exclusion__data_subnet_fails_by_dependency_at_preview() -> None:
    # Given an exclusion whose subnetId is unknown (preview) but depends on a data-tier subnet
    stack = f.compliant_stack()
    data = stack.named(f"cell-{PRIMARY}-data-a")
    excluded = stack.add(
        f.T_BPA_EXCLUSION,
        "rogue-bpa-exclusion",
        {"region": PRIMARY, "subnetId": UNKNOWN, "internetGatewayExclusionMode": "allow-egress"},
        subnetId=data,
    )
    # Then the policy resolves the subnet through the property dependency and names its tier
    assert check_stack(BPA_EXCLUSIONS, stack.resources) == [
        (
            "VPC Block Public Access exclusion rogue-bpa-exclusion must exclude only public-tier subnets "
            f"(load balancers, NAT gateways), not the data-tier subnet {data.name}; remove it.",
            excluded.urn,
        )
    ]


def test_vpc_bpa_exclusion__app_subnet_by_id_fails() -> None:
    stack = f.compliant_stack()
    name = f"cell-{PRIMARY}-public-c-bpa-exclusion"
    app = stack.named(f"cell-{PRIMARY}-app-c")
    excluded = stack.named(name)
    excluded.property_dependencies = {}
    resources = stack.replace(name, edit(stack.props(name), {"subnetId": stack.props(app.name)["id"]}))
    assert messages(check_stack(BPA_EXCLUSIONS, resources)) == [
        f"VPC Block Public Access exclusion {name} must exclude only public-tier subnets (load balancers, NAT "
        f"gateways), not the app-tier subnet {app.name}; remove it."
    ]


def test_vpc_bpa_exclusion__subnet_outside_the_stack_fails() -> None:
    stack = f.compliant_stack()
    name = f"cell-{PRIMARY}-public-a-bpa-exclusion"
    stack.named(name).property_dependencies = {}
    resources = stack.replace(name, edit(stack.props(name), {"subnetId": "subnet-0123456789abcdef0"}))
    assert messages(check_stack(BPA_EXCLUSIONS, resources)) == [
        f"VPC Block Public Access exclusion {name} must exclude a public subnet of this stack; "
        "subnet-0123456789abcdef0 is none of its subnets."
    ]


def test_vpc_bpa_exclusion__unknown_unresolved_subnet_is_reported_as_unknown() -> None:
    stack = f.compliant_stack()
    name = f"cell-{PRIMARY}-public-a-bpa-exclusion"
    stack.named(name).property_dependencies = {}
    resources = stack.replace(name, edit(stack.props(name), {"subnetId": UNKNOWN}))
    assert messages(check_stack(BPA_EXCLUSIONS, resources)) == [
        f"VPC Block Public Access exclusion {name} subnetId is unknown at preview; it must be a public subnet "
        "as a literal so the policy can prove it."
    ]


LB_EXCLUDED = "vpc-block-public-access-lb-subnets-excluded"


def edge_with_bpa() -> f.Stack:
    """One cell's edge (the ALB in three public subnets) with those subnets excluded."""
    stack = f.edge_stack(PRIMARY)
    f.add_vpc_bpa(stack, (PRIMARY,))
    return stack


def test_lb_excluded__public_subnets_excluded_passes() -> None:
    assert check_stack(LB_EXCLUDED, edge_with_bpa().resources) == []
    assert check_stack(LB_EXCLUDED, f.compliant_stack().resources) == []


def test_lb_excluded__missing_exclusion_fails_on_the_load_balancer() -> None:
    stack = edge_with_bpa()
    resources = stack.without(f"cell-{PRIMARY}-public-b-bpa-exclusion")
    assert check_stack(LB_EXCLUDED, resources) == [
        (
            f"Internet-facing load balancer traffic-alb-{PRIMARY} must sit only in subnets excluded from VPC Block "
            f"Public Access (allow-bidirectional); subnet cell-{PRIMARY}-public-b has no exclusion, so AWS blocks its "
            "clients once the region blocks ingress. Exclude the subnet (components/network.py) or move the load "
            "balancer to the public tier.",
            stack.named(f"traffic-alb-{PRIMARY}").urn,
        )
    ]


def test_lb_excluded__allow_egress_admits_no_clients() -> None:
    stack = edge_with_bpa()
    name = f"cell-{PRIMARY}-public-c-bpa-exclusion"
    resources = stack.replace(name, edit(stack.props(name), {"internetGatewayExclusionMode": "allow-egress"}))
    assert len(check_stack(LB_EXCLUDED, resources)) == 1


def test_lb_excluded__internal_or_gateway_load_balancers_are_skipped() -> None:
    stack = edge_with_bpa()
    lb = f"traffic-alb-{PRIMARY}"
    bare = [r for r in stack.resources if r.resource_type != f.T_BPA_EXCLUSION]
    props = stack.props(lb)
    stack.replace(lb, edit(props, {"internal": True}))
    assert check_stack(LB_EXCLUDED, bare) == []
    stack.replace(lb, edit(props, {"loadBalancerType": "gateway"}))
    assert check_stack(LB_EXCLUDED, bare) == []


def test_lb_excluded__unknown_unresolved_subnets_reported() -> None:
    stack = edge_with_bpa()
    lb = f"traffic-alb-{PRIMARY}"
    stack.named(lb).property_dependencies = {}
    resources = stack.replace(lb, edit(stack.props(lb), {"subnets": UNKNOWN}))
    assert messages(check_stack(LB_EXCLUDED, resources)) == [
        f"Load balancer {lb} subnets is unknown at preview; it must be subnets excluded from BPA as a literal so the "
        "policy can prove it."
    ]
