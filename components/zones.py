"""Which availability zones a cell uses: chosen by AZ ID, never in an AZ that Amazon EKS refuses.

AZ names (`us-east-1a`) are mapped to physical zones independently for each AWS account; the AZ
ID (`use1-az1`) names the physical zone and is the same in every account
(https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html). Amazon EKS does not
accept cluster subnets in a few physical zones: `CreateCluster` then fails with
`UnsupportedAvailabilityZoneException`. Taking "the first N names" lands in such a zone in any
account whose early names map there, so the choice is made by ID, and the names (what most APIs
take) are read off the same `DescribeAvailabilityZones` answer.

Pure: no Pulumi, no boto3. The network component, the config model and the offline refusals
(offline engine and emulator) all read the table below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# AZ IDs where Amazon EKS does not accept cluster subnets, per region. Source: Amazon EKS User
# Guide, "View Amazon EKS networking requirements for VPC and subnets", section "Subnet
# requirements for clusters" ("The subnets can't reside in the following Availability Zones"):
# https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#cluster-subnets
# (source text: github.com/awsdocs/amazon-eks-user-guide, latest/ug/networking/network-reqs.adoc).
# To refresh it, compare this table with that page's "Disallowed Availability Zone IDs" table and
# edit both rows and tests/test_zones.py's expectations in one commit; a region missing here has
# no disallowed zone.
EKS_UNSUPPORTED_ZONE_IDS: Mapping[str, frozenset[str]] = {
    "us-east-1": frozenset({"use1-az3"}),
    "us-west-1": frozenset({"usw1-az2"}),
    "ca-central-1": frozenset({"cac1-az3"}),
}


@dataclass(frozen=True, order=True)
class Zone:
    """One availability zone as one account sees it: its name there and its AZ ID."""

    name: str
    zone_id: str


def eks_unsupported(region: str) -> frozenset[str]:
    """The AZ IDs of `region` where Amazon EKS refuses cluster subnets (often none)."""
    return EKS_UNSUPPORTED_ZONE_IDS.get(region, frozenset())


def eks_supports(region: str, zone_id: str) -> bool:
    """Whether Amazon EKS accepts cluster subnets in AZ `zone_id` of `region`."""
    return zone_id not in eks_unsupported(region)


def choose_zones(
    region: str,
    available: Sequence[tuple[str, str]],
    count: int,
    requested: Sequence[str] = (),
) -> tuple[Zone, ...]:
    """The `count` zones a cell in `region` uses, given the region's available (name, zone id) pairs.

    Without `requested`: the `count` lowest EKS-supported AZ IDs, in AZ ID order, so every
    account of the stack lands in the same physical zones whatever its name mapping. With
    `requested` (AZ IDs, from `finstack:regions[].zoneIds`): exactly those, in the order given
    (the order decides which zone is "a" in every per-AZ resource name).

    Raises ValueError naming the zone and what to do when not enough supported zones remain or
    a requested ID is unavailable, EKS-unsupported, repeated or of the wrong number.
    """
    by_id = {zone_id: Zone(name, zone_id) for name, zone_id in available}
    unsupported = eks_unsupported(region)
    usable = sorted((z for z in by_id.values() if z.zone_id not in unsupported), key=lambda z: z.zone_id)
    listing = ", ".join(f"{z.zone_id} ({z.name})" for z in usable) or "none"
    if requested:
        return _requested(region, requested, count, by_id, unsupported, listing)
    if len(usable) < count:
        excluded = sorted(unsupported & by_id.keys())
        why = f"; {', '.join(excluded)} excluded: Amazon EKS does not support it" if excluded else ""
        raise ValueError(
            f"{region} offers this account {len(usable)} available AZs that Amazon EKS supports "
            f"({listing}{why}), the cell needs {count}; lower azs to {len(usable)} or pick another region"
        )
    return tuple(usable[:count])


def _requested(
    region: str,
    requested: Sequence[str],
    count: int,
    by_id: Mapping[str, Zone],
    unsupported: frozenset[str],
    listing: str,
) -> tuple[Zone, ...]:
    if len(requested) != count:
        raise ValueError(f"{len(requested)} zone IDs requested for {count} AZs in {region}; list exactly {count}")
    repeated = sorted({z for z in requested if list(requested).count(z) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} requested twice in {region}; every AZ of a cell must differ")
    for zone_id in requested:
        if zone_id in unsupported:
            raise ValueError(
                f"{zone_id} is an AZ of {region} where Amazon EKS does not accept cluster subnets; "
                f"choose from {listing}"
            )
        if zone_id not in by_id:
            raise ValueError(f"{zone_id} is not an available AZ of {region} for this account; choose from {listing}")
    return tuple(by_id[z] for z in requested)
