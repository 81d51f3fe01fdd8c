"""Pure naming and tagging helpers shared by every component (no Pulumi imports)."""

from __future__ import annotations

CELL_TAG = "finstack:cell"
TIER_TAG = "finstack:tier"
ROLE_TAG = "finstack:role"


def az_suffix(index: int) -> str:
    """AZ index 0, 1, 2 -> "a", "b", "c": the suffix children of per-AZ resources carry."""
    if not 0 <= index < 26:
        raise ValueError(f"AZ index {index} out of range")
    return chr(ord("a") + index)


def cell_tags(region: str, **extra: str) -> dict[str, str]:
    """Tags of a regional resource: its cell plus e.g. tier= or role= (keys get the finstack: prefix)."""
    tags = {CELL_TAG: region}
    for key, value in extra.items():
        tags[f"finstack:{key}"] = value
    return tags


def short_region(region: str) -> str:
    """us-east-1 -> use1: for physical names with tight length limits."""
    area, direction, number = region.split("-", maxsplit=1)[0], region.split("-")[1], region.rsplit("-", maxsplit=1)[-1]
    return f"{area}{direction[0]}{number}"
