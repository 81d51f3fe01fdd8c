"""Data-residency jurisdictions and the AWS regions that belong to each (pure data).

A region belongs to a jurisdiction when data stored there stays under that
jurisdiction's law. The UK and Switzerland are deliberately not in `eu`:
GDPR transfers to them rest on adequacy decisions, not on membership.
"""

from __future__ import annotations

import re

# Region name -> number of availability zones a new account can use there.
# Only regions listed here are accepted: a typo must not become a cell.
REGION_AZS: dict[str, int] = {
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-1": 2,
    "us-west-2": 4,
    "ca-central-1": 3,
    "ca-west-1": 3,
    "eu-west-1": 3,
    "eu-west-2": 3,
    "eu-west-3": 3,
    "eu-central-1": 3,
    "eu-central-2": 3,
    "eu-north-1": 3,
    "eu-south-1": 3,
    "eu-south-2": 3,
    "ap-southeast-2": 3,
    "ap-southeast-4": 3,
    "ap-northeast-1": 3,
    "ap-northeast-3": 3,
}

JURISDICTIONS: dict[str, frozenset[str]] = {
    "us": frozenset({"us-east-1", "us-east-2", "us-west-1", "us-west-2"}),
    "eu": frozenset({"eu-west-1", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2"}),
    "uk": frozenset({"eu-west-2"}),
    "ch": frozenset({"eu-central-2"}),
    "ca": frozenset({"ca-central-1", "ca-west-1"}),
    "au": frozenset({"ap-southeast-2", "ap-southeast-4"}),
    "jp": frozenset({"ap-northeast-1", "ap-northeast-3"}),
}

REGION_NAME = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")


def jurisdiction_of(region: str) -> str | None:
    """The jurisdiction a region belongs to, or None for an unknown region."""
    for name, regions in JURISDICTIONS.items():
        if region in regions:
            return name
    return None
