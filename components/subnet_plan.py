"""Pure subnet planning: carve a cell's VPC CIDR into tiers per availability zone.

No Pulumi imports: the config model uses this to reject CIDRs that are too small,
and the network component uses it to declare subnets.

Layout of a VPC CIDR (fractions of the address space):

    app        1/2   EKS nodes and pods (the VPC CNI gives every pod a VPC address)
    public     1/8   load balancers and NAT gateways only
    data       1/8   Aurora and MSK; no route to the internet at all
    endpoints  1/8   interface VPC endpoints
    (reserved) 1/8   kept free so a tier can grow without renumbering the others

Each tier block is split into a power-of-two number of equal slots, one per AZ, so
adding an AZ that still fits the slot count (3 -> 4, 5 -> 6) never moves an existing
subnet. Crossing a power of two (1 -> 2, 2 -> 3, 4 -> 5) halves every slot: the existing
subnets would be replaced, so plan the AZ count of a cell up front.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Literal

Tier = Literal["public", "app", "data", "endpoints"]
TIERS: tuple[Tier, ...] = ("public", "app", "data", "endpoints")

# (extra prefix bits of the tier block, index of the block at that size)
_TIER_BLOCKS: dict[Tier, tuple[int, int]] = {
    "app": (1, 0),
    "public": (3, 4),
    "data": (3, 5),
    "endpoints": (3, 6),
}

# AWS accepts VPC CIDRs from /16 to /28.
VPC_MIN_PREFIX = 16
# The VPC CNI hands each pod an address of the app subnet: a /24 per AZ
# (251 usable) is the smallest that fits a useful node group.
APP_SUBNET_MAX_PREFIX = 24
# The smallest subnet AWS allows.
SUBNET_MAX_PREFIX = 28
MAX_AZS = 6


class SubnetPlanError(ValueError):
    """The CIDR cannot hold the subnet plan."""


@dataclass(frozen=True)
class PlannedSubnet:
    """One subnet of the plan: its tier, its AZ (0-based index) and its CIDR."""

    tier: Tier
    az_index: int
    cidr: IPv4Network


def _slots(azs: int) -> int:
    """Smallest power of two holding one slot per AZ."""
    return 1 << max(0, (azs - 1).bit_length())


def subnet_prefix(vpc_prefix: int, azs: int, tier: Tier) -> int:
    """Prefix length of each subnet of `tier` for a VPC of `vpc_prefix` with `azs` AZs."""
    extra_bits, _ = _TIER_BLOCKS[tier]
    return vpc_prefix + extra_bits + (_slots(azs) - 1).bit_length()


def largest_prefix_for(azs: int) -> int:
    """The longest VPC prefix (smallest VPC) that still holds the plan for `azs` AZs."""
    return min(
        APP_SUBNET_MAX_PREFIX - (subnet_prefix(0, azs, "app")),
        SUBNET_MAX_PREFIX - max(subnet_prefix(0, azs, t) for t in TIERS),
    )


def check_fits(cidr: IPv4Network, azs: int) -> None:
    """Raise SubnetPlanError naming the constraint when `cidr` cannot hold the plan."""
    if not 1 <= azs <= MAX_AZS:
        raise SubnetPlanError(f"azs must be between 1 and {MAX_AZS}, got {azs}")
    if cidr.prefixlen < VPC_MIN_PREFIX:
        raise SubnetPlanError(
            f"{cidr} is larger than AWS allows for a VPC; use a /{VPC_MIN_PREFIX} to /{largest_prefix_for(azs)}"
        )
    limit = largest_prefix_for(azs)
    if cidr.prefixlen > limit:
        app = subnet_prefix(cidr.prefixlen, azs, "app")
        raise SubnetPlanError(
            f"{cidr} is too small for the subnet plan of {azs} AZs (app subnets would be /{app}, "
            f"need /{APP_SUBNET_MAX_PREFIX} or larger); use a /{limit} or larger"
        )


def plan_subnets(cidr: IPv4Network, azs: int) -> tuple[PlannedSubnet, ...]:
    """Every subnet of the plan, ordered by tier then AZ; deterministic for equal inputs."""
    check_fits(cidr, azs)
    slot_bits = (_slots(azs) - 1).bit_length()
    planned: list[PlannedSubnet] = []
    for tier in TIERS:
        extra_bits, index = _TIER_BLOCKS[tier]
        block = list(cidr.subnets(prefixlen_diff=extra_bits))[index]
        slots = list(block.subnets(prefixlen_diff=slot_bits)) if slot_bits else [block]
        planned.extend(PlannedSubnet(tier, az, slots[az]) for az in range(azs))
    return tuple(planned)


def tier_cidrs(cidr: IPv4Network, azs: int, tier: Tier) -> tuple[IPv4Network, ...]:
    """The subnets of one tier in AZ order (e.g. a peer cell's app subnets, for routes and rules)."""
    return tuple(s.cidr for s in plan_subnets(cidr, azs) if s.tier == tier)
