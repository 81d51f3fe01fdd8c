"""Data-residency jurisdictions and the AWS regions that belong to each (pure data).

A region belongs to a jurisdiction when data stored there stays under that
jurisdiction's law. The UK and Switzerland are deliberately not in `eu`:
GDPR transfers to them rest on adequacy decisions, not on membership.
"""

from __future__ import annotations

import re

# Region name -> the AZ IDs a new account can use there (standard zones, not Local or
# Wavelength Zones). Only regions listed here are accepted: a typo must not become a cell.
# AZ IDs name physical zones and are the same in every account; which AZ *name* maps to which ID
# differs per account (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html).
# Older accounts may see one more zone in us-west-1 (usw1-az2), ca-central-1 (cac1-az3) and
# ap-northeast-1 (apne1-az3), which new accounts cannot use; the config accepts any ID with the
# region's prefix, the count here bounds `azs`.
REGION_ZONE_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-1": ("usw1-az1", "usw1-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"),
    "ca-central-1": ("cac1-az1", "cac1-az2", "cac1-az4"),
    "ca-west-1": ("caw1-az1", "caw1-az2", "caw1-az3"),
    "eu-west-1": ("euw1-az1", "euw1-az2", "euw1-az3"),
    "eu-west-2": ("euw2-az1", "euw2-az2", "euw2-az3"),
    "eu-west-3": ("euw3-az1", "euw3-az2", "euw3-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
    "eu-central-2": ("euc2-az1", "euc2-az2", "euc2-az3"),
    "eu-north-1": ("eun1-az1", "eun1-az2", "eun1-az3"),
    "eu-south-1": ("eus1-az1", "eus1-az2", "eus1-az3"),
    "eu-south-2": ("eus2-az1", "eus2-az2", "eus2-az3"),
    "ap-southeast-2": ("apse2-az1", "apse2-az2", "apse2-az3"),
    "ap-southeast-4": ("apse4-az1", "apse4-az2", "apse4-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az2", "apne1-az4"),
    "ap-northeast-3": ("apne3-az1", "apne3-az2", "apne3-az3"),
}

# Region name -> number of availability zones a new account can use there.
REGION_AZS: dict[str, int] = {region: len(ids) for region, ids in REGION_ZONE_IDS.items()}

# Region name -> the prefix of its AZ IDs (us-east-1 -> use1, ap-southeast-2 -> apse2): the
# area code, the initials of the direction words, the number.
ZONE_ID_PREFIX: dict[str, str] = {region: ids[0].split("-az")[0] for region, ids in REGION_ZONE_IDS.items()}

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
