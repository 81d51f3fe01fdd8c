"""VPC Block Public Access: public subnets excluded by the network, the region's mode set by posture."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plan import Plan, plan_with, shipped_plan

SUBNET = "aws:ec2/subnet:Subnet"
EXCLUSION = "aws:ec2/vpcBlockPublicAccessExclusion:VpcBlockPublicAccessExclusion"
OPTIONS = "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


def _tier(record: Any) -> Any:
    return (record.inputs.get("tags") or {}).get("finstack:tier")


def _landing_zone(raw: dict[str, Any]) -> None:
    raw["finstack:security"] = {**raw.get("finstack:security", {}), "accountServices": "landing-zone"}


@pytest.fixture(scope="module")
def landing_zone() -> Plan:
    return plan_with("prod", _landing_zone)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_bpa_exclusions__exactly_the_public_subnets_allow_bidirectional(stack: str) -> None:
    plan = shipped_plan(stack)
    for region in plan.regions:
        subnets = {s.id: s for s in plan.of_type(SUBNET, region)}
        exclusions = plan.of_type(EXCLUSION, region)
        excluded = sorted(e.inputs["subnetId"] for e in exclusions)
        public = sorted(i for i, s in subnets.items() if _tier(s) == "public")
        assert excluded == public, f"{stack} {region}: {[e.urn for e in exclusions]}"
        for exclusion in exclusions:
            assert exclusion.inputs["internetGatewayExclusionMode"] == "allow-bidirectional", exclusion.urn
            assert "vpcId" not in exclusion.inputs, exclusion.urn
            assert exclusion.region == region, exclusion.urn
            subnet = subnets[exclusion.inputs["subnetId"]]
            assert exclusion.parent == subnet.urn, exclusion.urn
            assert exclusion.name.endswith("-bpa-exclusion"), exclusion.urn
            assert exclusion.inputs["tags"]["finstack:cell"] == region, exclusion.urn


def test_bpa_exclusions__cover_every_internet_facing_load_balancer_subnet() -> None:
    plan = shipped_plan("prod")
    excluded = {e.inputs["subnetId"] for e in plan.of_type(EXCLUSION)}
    balancers = [lb for lb in plan.of_type(LOAD_BALANCER) if lb.inputs.get("internal") is False]
    assert balancers
    for lb in balancers:
        assert set(lb.inputs["subnets"]) <= excluded, lb.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_bpa_options__block_ingress_in_every_region_after_its_exclusions(stack: str) -> None:
    plan = shipped_plan(stack)
    for region in plan.regions:
        (options,) = plan.of_type(OPTIONS, region)
        assert options.inputs["internetGatewayBlockMode"] == "block-ingress", options.urn
        assert options.name == f"posture-vpc-bpa-{region}", options.urn
        exclusions = {e.urn for e in plan.of_type(EXCLUSION, region)}
        assert exclusions, region
        # The front door must never go dark: the blocking mode waits for the public subnets' exclusions.
        assert exclusions <= set(options.dependencies), options.urn


def test_bpa__landing_zone_keeps_the_exclusions_declares_no_mode(landing_zone: Plan) -> None:
    assert [o.urn for o in landing_zone.of_type(OPTIONS)] == []
    for region in landing_zone.regions:
        public = [s for s in landing_zone.of_type(SUBNET, region) if _tier(s) == "public"]
        assert len(landing_zone.of_type(EXCLUSION, region)) == len(public), region
