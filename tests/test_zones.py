"""The AZ choice (`components.zones`) and the region tables it works with: plain pytest and hypothesis."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.zones import EKS_UNSUPPORTED_ZONE_IDS, Zone, choose_zones, eks_supports, eks_unsupported
from infra.jurisdictions import REGION_AZS, REGION_ZONE_IDS, ZONE_ID_PREFIX

# The compass words of region names and their letters in AZ IDs (us-east-1 -> use1).
COMPASS = {"east": "e", "west": "w", "north": "n", "south": "s", "central": "c", "northeast": "ne", "southeast": "se"}


def test_eks_unsupported__is_the_user_guide_table() -> None:
    # https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#cluster-subnets
    expected = {"us-east-1": {"use1-az3"}, "us-west-1": {"usw1-az2"}, "ca-central-1": {"cac1-az3"}}
    assert expected == EKS_UNSUPPORTED_ZONE_IDS
    assert eks_unsupported("eu-west-1") == frozenset()
    assert not eks_supports("us-east-1", "use1-az3")
    assert eks_supports("us-east-1", "use1-az1")


@pytest.mark.parametrize("region", sorted(REGION_ZONE_IDS))
def test_region_tables__zone_ids_carry_the_region_prefix(region: str) -> None:
    area, direction, number = region.split("-")
    assert ZONE_ID_PREFIX[region] == f"{area}{COMPASS[direction]}{number}", region
    ids = REGION_ZONE_IDS[region]
    assert all(re.fullmatch(rf"{ZONE_ID_PREFIX[region]}-az\d+", z) for z in ids), ids
    assert len(set(ids)) == len(ids) == REGION_AZS[region], ids


@pytest.mark.parametrize("region", sorted(EKS_UNSUPPORTED_ZONE_IDS))
def test_region_tables__unsupported_ids_belong_to_their_region(region: str) -> None:
    for zone_id in EKS_UNSUPPORTED_ZONE_IDS[region]:
        assert zone_id.startswith(f"{ZONE_ID_PREFIX[region]}-az"), zone_id


# -- choose_zones ---------------------------------------------------------------------------------

# A us-east-1 account whose early names map to use1-az3 (names are shuffled per account).
EAST = [
    ("us-east-1a", "use1-az2"),
    ("us-east-1b", "use1-az3"),
    ("us-east-1c", "use1-az4"),
    ("us-east-1d", "use1-az5"),
    ("us-east-1e", "use1-az6"),
    ("us-east-1f", "use1-az1"),
]


def test_choose_zones__lowest_supported_ids_in_id_order() -> None:
    assert choose_zones("us-east-1", EAST, 3) == (
        Zone("us-east-1f", "use1-az1"),
        Zone("us-east-1a", "use1-az2"),
        Zone("us-east-1c", "use1-az4"),
    )


def test_choose_zones__requested_ids_in_the_order_given() -> None:
    assert choose_zones("us-east-1", EAST, 2, ["use1-az6", "use1-az1"]) == (
        Zone("us-east-1e", "use1-az6"),
        Zone("us-east-1f", "use1-az1"),
    )


def test_choose_zones__too_few_supported_zones() -> None:
    with pytest.raises(ValueError, match=r"^us-east-1 offers this account 5 available AZs that Amazon EKS") as e:
        choose_zones("us-east-1", EAST, 6)
    assert "use1-az3 excluded: Amazon EKS does not support it" in str(e.value)
    assert str(e.value).endswith("the cell needs 6; lower azs to 5 or pick another region")


def test_choose_zones__requested_unsupported_id() -> None:
    with pytest.raises(ValueError, match=r"^use1-az3 is an AZ of us-east-1 where Amazon EKS does not accept cluster"):
        choose_zones("us-east-1", EAST, 2, ["use1-az1", "use1-az3"])


def test_choose_zones__requested_unavailable_id() -> None:
    with pytest.raises(ValueError, match=r"^use1-az9 is not an available AZ of us-east-1 for this account; choose"):
        choose_zones("us-east-1", EAST, 2, ["use1-az1", "use1-az9"])


def test_choose_zones__requested_twice() -> None:
    with pytest.raises(ValueError, match=r"^use1-az1 requested twice in us-east-1"):
        choose_zones("us-east-1", EAST, 2, ["use1-az1", "use1-az1"])


def test_choose_zones__requested_count_differs() -> None:
    with pytest.raises(ValueError, match=r"^1 zone IDs requested for 2 AZs in us-east-1; list exactly 2$"):
        choose_zones("us-east-1", EAST, 2, ["use1-az1"])


@st.composite
def accounts(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A known region and one account's view of it: its zones under a random name mapping."""
    region = draw(st.sampled_from(sorted(REGION_ZONE_IDS)))
    # Older accounts can see the zones a new account cannot (usw1-az2, cac1-az3): include them.
    ids = sorted({*REGION_ZONE_IDS[region], *eks_unsupported(region)})
    shuffled = draw(st.permutations(ids))
    return region, [(f"{region}{chr(ord('a') + i)}", zone_id) for i, zone_id in enumerate(shuffled)]


@given(accounts(), st.integers(min_value=1, max_value=6))
def test_choose_zones__never_unsupported_exactly_n_distinct_deterministic(
    account: tuple[str, list[tuple[str, str]]], count: int
) -> None:
    region, available = account
    usable = [z for _, z in available if eks_supports(region, z)]
    if count > len(usable):
        with pytest.raises(ValueError, match="the cell needs"):
            choose_zones(region, available, count)
        return
    chosen = choose_zones(region, available, count)
    assert len(chosen) == count
    assert len({z.zone_id for z in chosen}) == len({z.name for z in chosen}) == count
    assert all(eks_supports(region, z.zone_id) for z in chosen), chosen
    assert all((z.name, z.zone_id) in available for z in chosen), chosen
    assert [z.zone_id for z in chosen] == sorted(usable)[:count]
    # The same physical zones whatever the order the account lists them in.
    assert choose_zones(region, list(reversed(available)), count) == chosen


@given(accounts(), st.data())
def test_choose_zones__honours_requested_supported_ids(
    account: tuple[str, list[tuple[str, str]]], data: st.DataObject
) -> None:
    region, available = account
    usable = [z for _, z in available if eks_supports(region, z)]
    requested = data.draw(st.lists(st.sampled_from(usable), min_size=1, max_size=len(usable), unique=True))
    chosen = choose_zones(region, available, len(requested), requested)
    assert [z.zone_id for z in chosen] == requested
    assert all((z.name, z.zone_id) in available for z in chosen), chosen


@given(accounts(), st.data())
def test_choose_zones__refuses_any_requested_unsupported_id(
    account: tuple[str, list[tuple[str, str]]], data: st.DataObject
) -> None:
    region, available = account
    refused = sorted(eks_unsupported(region))
    if not refused:
        return
    usable = [z for _, z in available if eks_supports(region, z)]
    others = data.draw(st.lists(st.sampled_from(usable), max_size=len(usable), unique=True))
    requested = data.draw(st.permutations([*others, refused[0]]))
    with pytest.raises(ValueError, match=f"^{refused[0]} is an AZ of {region} where Amazon EKS does not accept"):
        choose_zones(region, available, len(requested), requested)
