"""Serve the finstack policy pack to the Pulumi engine (the SDK call below blocks)."""

import conversion_cache
from pulumi_policy import EnforcementLevel, PolicyPack
from rules import ALL_POLICIES, PACK_DESCRIPTION, PACK_DISPLAY_NAME, PACK_NAME, PACK_TAGS

# Do the SDK analyzer's repeated work once per call rather than once per policy (why: conversion_cache.py).
conversion_cache.install()

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description=PACK_DESCRIPTION,
    display_name=PACK_DISPLAY_NAME,
    provider="aws",
    tags=PACK_TAGS,
)
