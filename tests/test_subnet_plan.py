"""The pure subnet planner: properties over every VPC size and AZ count it accepts."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from components.subnet_plan import (
    APP_SUBNET_MAX_PREFIX,
    MAX_AZS,
    SUBNET_MAX_PREFIX,
    TIERS,
    SubnetPlanError,
    check_fits,
    largest_prefix_for,
    plan_subnets,
    tier_cidrs,
)
from components.zones import eks_supports
from infra.config import RegionConfig
from infra.jurisdictions import REGION_ZONE_IDS
from tests.plan import shipped_config

TEN = IPv4Network("10.0.0.0/8")


@st.composite
def fitting(draw: st.DrawFn) -> tuple[IPv4Network, int]:
    """A VPC CIDR inside 10/8 that holds the plan for the drawn AZ count."""
    azs = draw(st.integers(1, MAX_AZS))
    prefix = draw(st.integers(16, largest_prefix_for(azs)))
    address = draw(st.integers(int(TEN.network_address), int(TEN.broadcast_address)))
    return IPv4Network((address, prefix), strict=False), azs


@given(fitting())
def test_plan_subnets__no_two_subnets_overlap(case: tuple[IPv4Network, int]) -> None:
    cidr, azs = case
    planned = plan_subnets(cidr, azs)
    for i, a in enumerate(planned):
        for b in planned[i + 1 :]:
            assert not a.cidr.overlaps(b.cidr), f"{a} overlaps {b} in {cidr} with {azs} AZs"


@given(fitting())
def test_plan_subnets__every_subnet_inside_the_vpc_cidr(case: tuple[IPv4Network, int]) -> None:
    cidr, azs = case
    for subnet in plan_subnets(cidr, azs):
        assert subnet.cidr.subnet_of(cidr), f"{subnet} is outside {cidr}"


@given(fitting())
def test_plan_subnets__every_az_gets_exactly_one_subnet_of_every_tier(case: tuple[IPv4Network, int]) -> None:
    cidr, azs = case
    pairs = [(s.tier, s.az_index) for s in plan_subnets(cidr, azs)]
    assert sorted(pairs) == sorted((tier, az) for tier in TIERS for az in range(azs)), f"{cidr} with {azs} AZs"


@given(fitting())
def test_plan_subnets__same_inputs_same_plan(case: tuple[IPv4Network, int]) -> None:
    cidr, azs = case
    assert plan_subnets(cidr, azs) == plan_subnets(IPv4Network(str(cidr)), azs)


@given(fitting())
def test_plan_subnets__sizes_within_aws_and_cni_limits(case: tuple[IPv4Network, int]) -> None:
    cidr, azs = case
    for subnet in plan_subnets(cidr, azs):
        assert subnet.cidr.prefixlen <= SUBNET_MAX_PREFIX, f"{subnet} is smaller than AWS allows"
        if subnet.tier == "app":
            assert subnet.cidr.prefixlen <= APP_SUBNET_MAX_PREFIX, f"{subnet} is too small for pod addresses"


@given(fitting())
def test_plan_subnets__app_subnets_are_the_largest(case: tuple[IPv4Network, int]) -> None:
    cidr, azs = case
    planned = plan_subnets(cidr, azs)
    app = min(s.cidr.prefixlen for s in planned if s.tier == "app")
    assert all(s.cidr.prefixlen > app for s in planned if s.tier != "app"), f"{cidr} with {azs} AZs"


@given(
    st.sampled_from([3, 5]),
    st.integers(16, 21),
    st.integers(int(TEN.network_address), int(TEN.broadcast_address)),
)
def test_plan_subnets__adding_an_az_within_the_slot_count_moves_no_subnet(azs: int, prefix: int, address: int) -> None:
    # 3 -> 4 and 5 -> 6 keep the slot count (a power of two); 1 -> 2, 2 -> 3, 4 -> 5 do not.
    cidr = IPv4Network((address, min(prefix, largest_prefix_for(azs + 1))), strict=False)
    before = set(plan_subnets(cidr, azs))
    after = set(plan_subnets(cidr, azs + 1))
    assert before <= after, f"{cidr}: growing {azs} -> {azs + 1} AZs moved {sorted(map(str, before - after))}"


@given(fitting())
def test_tier_cidrs__is_the_plan_of_that_tier_in_az_order(case: tuple[IPv4Network, int]) -> None:
    cidr, azs = case
    for tier in TIERS:
        expected = tuple(s.cidr for s in plan_subnets(cidr, azs) if s.tier == tier)
        assert tier_cidrs(cidr, azs, tier) == expected, f"{tier} of {cidr}"


@given(
    # Up to the AZs of us-east-1 that EKS supports (five of six): within them only the plan decides.
    st.integers(1, sum(eks_supports("us-east-1", z) for z in REGION_ZONE_IDS["us-east-1"])),
    st.integers(8, 28),
    st.integers(int(TEN.network_address), int(TEN.broadcast_address)),
)
def test_check_fits__config_rejects_exactly_what_the_planner_cannot_hold(azs: int, prefix: int, address: int) -> None:
    # Given any /8../28 block and AZ count the region can give an EKS cell
    cidr = IPv4Network((address, prefix), strict=False)
    try:
        plan_subnets(cidr, azs)
        planner_ok = True
    except SubnetPlanError:
        planner_ok = False
    # When the config model validates the same cell
    try:
        RegionConfig(name="us-east-1", cidr=cidr, azs=azs, role="primary")
        config_ok = True
    except ValidationError:
        config_ok = False
    # Then both agree
    assert planner_ok == config_ok, f"{cidr} with {azs} AZs: planner {planner_ok}, config {config_ok}"


def test_check_fits__too_small_names_the_largest_prefix_that_fits() -> None:
    with pytest.raises(SubnetPlanError, match=r"10\.0\.0\.0/22 is too small .* use a /21 or larger"):
        check_fits(IPv4Network("10.0.0.0/22"), 3)


def test_check_fits__larger_than_a_vpc_names_the_allowed_range() -> None:
    with pytest.raises(SubnetPlanError, match=r"10\.0\.0\.0/15 is larger than AWS allows .* /16 to /21"):
        check_fits(IPv4Network("10.0.0.0/15"), 3)


@pytest.mark.parametrize("azs", [0, MAX_AZS + 1])
def test_check_fits__az_count_out_of_range(azs: int) -> None:
    with pytest.raises(SubnetPlanError, match=f"azs must be between 1 and {MAX_AZS}, got {azs}"):
        check_fits(IPv4Network("10.0.0.0/16"), azs)


def test_plan_subnets__prod_us_east_1_layout() -> None:
    # The documented layout: app 1/2, public, data, endpoints 1/8 each, split in 4 slots for 3 AZs.
    plan = {(s.tier, s.az_index): str(s.cidr) for s in plan_subnets(IPv4Network("10.10.0.0/16"), 3)}
    assert plan[("app", 0)] == "10.10.0.0/19"
    assert plan[("app", 2)] == "10.10.64.0/19"
    assert plan[("public", 0)] == "10.10.128.0/21"
    assert plan[("data", 1)] == "10.10.168.0/21"
    assert plan[("endpoints", 2)] == "10.10.208.0/21"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_subnets__every_shipped_cell_is_plannable(stack: str) -> None:
    for cell in shipped_config(stack).regions:
        assert len(plan_subnets(cell.cidr, cell.azs)) == len(TIERS) * cell.azs, f"{stack} {cell.name}"
