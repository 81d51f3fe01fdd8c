"""Per-resource waivers: suppression, expiry, malformed entries, stack-wide findings."""

from __future__ import annotations

import datetime as dt

import pytest

from policy.rules import _waivers
from tests.policy import factories as f
from tests.policy.helpers import DELETE, SECONDARY, check, check_stack, edit, urn

VALID = "2999-12-31"
EXPIRED = "2000-01-31"


def waiver(resource: str, expires: str = VALID, **extra: str) -> dict[str, str]:
    return {
        "resource": resource,
        "reason": "Dev cluster rebuilt nightly; no data kept.",
        "owner": "platform-team",
        "expires": expires,
        **extra,
    }


UNPROTECTED = edit(f.aurora_cluster(), {"deletionProtection": False})


def test_waiver__by_name_suppresses_resource_violation():
    config = {"waivers": [waiver("subject", ticket="RISK-42")]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == []


def test_waiver__by_urn_suppresses_resource_violation():
    config = {"waivers": [waiver(urn(f.T_CLUSTER, "subject"))]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == []


def test_waiver__other_resource_not_suppressed():
    config = {"waivers": [waiver("another-cluster")]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == [
        "Aurora cluster deletionProtection must be true."
    ]


def test_waiver__expired_fails_and_stops_suppressing():
    config = {"waivers": [waiver("subject", EXPIRED)]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == [
        f"Waiver for subject must be renewed or removed: it expired on {EXPIRED} (owner platform-team).",
        "Aurora cluster deletionProtection must be true.",
    ]


def test_waiver__last_day_is_still_valid(monkeypatch):
    monkeypatch.setattr(_waivers, "today", lambda: dt.date(2030, 6, 30))
    valid = {"waivers": [waiver("subject", "2030-06-30")]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=valid) == []
    monkeypatch.setattr(_waivers, "today", lambda: dt.date(2030, 7, 1))
    assert len(check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=valid)) == 2


@pytest.mark.parametrize(
    "entry",
    [
        waiver("subject", "31/12/2999"),
        {k: v for k, v in waiver("subject").items() if k != "owner"},
        {**waiver("subject"), "reason": "  "},
    ],
)
def test_waiver__malformed_entry_reported_and_ignored(entry):
    config = {"waivers": [entry]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == [
        "Waiver #1 must have resource, reason, owner and expires (YYYY-MM-DD); it is ignored.",
        "Aurora cluster deletionProtection must be true.",
    ]


def test_waiver__stack_policy_finding_suppressed_by_name():
    resources = f.compliant_stack().without(f"aurora-{SECONDARY}-instance-2")
    config = {"waivers": [waiver(f"aurora-{SECONDARY}-cluster")]}
    assert check_stack("aurora-cluster-min-instances", resources, config=config) == []


def test_waiver__stack_wide_finding_suppressed_by_stack():
    resources = f.compliant_stack().without(f"cell-{SECONDARY}-nat-b", f"cell-{SECONDARY}-nat-c")
    assert check_stack("nat-gateway-per-az", resources, config={"waivers": [waiver("stack")]}) == []


def test_waiver__expired_stack_waiver_reported_on_its_resource():
    resources = f.compliant_stack().resources
    name = f"aurora-{SECONDARY}-cluster"
    assert check_stack("aurora-cluster-min-instances", resources, config={"waivers": [waiver(name, EXPIRED)]}) == [
        (
            f"Waiver for {name} must be renewed or removed: it expired on {EXPIRED} (owner platform-team).",
            urn(f.T_CLUSTER, name),
        )
    ]


def test_waiver__malformed_stack_waiver_reported():
    config = {"waivers": [{"resource": "stack"}]}
    assert check_stack("nat-gateway-per-az", f.compliant_stack().resources, config=config) == [
        ("Waiver #1 must have resource, reason, owner and expires (YYYY-MM-DD); it is ignored.", None)
    ]


def test_waiver__unwaived_resources_still_checked():
    config = {"waivers": [waiver("subject")]}
    props = edit(f.aurora_cluster(), {"deletionProtection": DELETE})
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, props, name="other", config=config) == [
        "Aurora cluster deletionProtection must be true."
    ]
