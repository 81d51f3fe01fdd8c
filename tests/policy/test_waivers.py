"""Per-resource waivers: suppression, expiry, malformed entries, approval rules, stack-wide findings."""

from __future__ import annotations

import datetime as dt

import pytest

from policy.rules import _waivers
from tests.policy import factories as f
from tests.policy.helpers import DELETE, SECONDARY, check, check_stack, edit, resource, urn

TODAY = dt.date(2026, 6, 1)
APPROVED = "2026-05-01"
VALID = "2026-12-31"
EXPIRED = "2026-05-20"


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_waivers, "today", lambda: TODAY)


def waiver(resource: str, expires: str = VALID, **extra: str) -> dict[str, str]:
    return {
        "resource": resource,
        "reason": "Dev cluster rebuilt nightly; no data kept.",
        "owner": "platform-team",
        "approver": "ciso-office",
        "approved": APPROVED,
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
    monkeypatch.setattr(_waivers, "today", lambda: dt.date(2026, 6, 30))
    valid = {"waivers": [waiver("subject", "2026-06-30")]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=valid) == []
    monkeypatch.setattr(_waivers, "today", lambda: dt.date(2026, 7, 1))
    assert len(check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=valid)) == 2


@pytest.mark.parametrize(
    "entry",
    [
        waiver("subject", "31/12/2026"),
        {k: v for k, v in waiver("subject").items() if k != "owner"},
        {k: v for k, v in waiver("subject").items() if k != "approver"},
        {k: v for k, v in waiver("subject").items() if k != "approved"},
        {**waiver("subject"), "approved": "yesterday"},
        {**waiver("subject"), "reason": "  "},
        {**waiver("subject"), "type": ""},
    ],
)
def test_waiver__malformed_entry_reported_and_ignored(entry):
    config = {"waivers": [entry]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == [
        MALFORMED,
        "Aurora cluster deletionProtection must be true.",
    ]


MALFORMED = "Waiver #1 must have resource, reason, owner, approver, approved and expires (YYYY-MM-DD); it is ignored."


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"approver": "Platform-Team "},
            "Waiver #1 must be approved by someone other than its owner (platform-team); it is ignored.",
        ),
        (
            {"approved": "2026-06-02"},
            "Waiver #1 must not be approved in the future (approved 2026-06-02); it is ignored.",
        ),
        (
            {"approved": "2026-01-01", "expires": "2027-01-02"},
            "Waiver #1 must expire within 365 days of its approval (approved 2026-01-01, expires 2027-01-02); "
            "it is ignored.",
        ),
        (
            {"approved": "2026-05-01", "expires": "2026-04-30"},
            "Waiver #1 must expire within 365 days of its approval (approved 2026-05-01, expires 2026-04-30); "
            "it is ignored.",
        ),
    ],
)
def test_waiver__unacceptable_risk_acceptance_reported_and_ignored(changes, problem):
    config = {"waivers": [{**waiver("subject"), **changes}]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == [
        problem,
        "Aurora cluster deletionProtection must be true.",
    ]


def test_waiver__a_year_to_the_day_is_the_longest_lifetime():
    config = {"waivers": [waiver("subject", "2027-05-01")]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=config) == []


def test_waiver__type_pins_the_logical_name():
    other_type = {"waivers": [waiver("subject", type=f.T_GLOBAL)]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=other_type) == [
        "Aurora cluster deletionProtection must be true."
    ]
    same_type = {"waivers": [waiver("subject", type=f.T_CLUSTER)]}
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, UNPROTECTED, config=same_type) == []


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
    assert check_stack("nat-gateway-per-az", f.compliant_stack().resources, config=config) == [(MALFORMED, None)]


def test_waiver__name_shared_by_two_types_refused_by_stack_policy():
    name = f"aurora-{SECONDARY}-cluster"
    stack = f.compliant_stack().without(f"aurora-{SECONDARY}-instance-2")
    namesake = resource(f.T_PARAMS, name, {"family": "aurora-postgresql16"})
    ambiguous = {"waivers": [waiver(name)]}
    assert check_stack("aurora-cluster-min-instances", [*stack, namesake], config=ambiguous)[0] == (
        f"Waiver for {name} must name one resource: resources of types {f.T_CLUSTER}, {f.T_PARAMS} have that "
        'name; add "type" or use the URN. It is ignored.',
        None,
    )
    pinned = {"waivers": [waiver(name, type=f.T_CLUSTER)]}
    assert check_stack("aurora-cluster-min-instances", [*stack, namesake], config=pinned) == []


def test_waiver__unwaived_resources_still_checked():
    config = {"waivers": [waiver("subject")]}
    props = edit(f.aurora_cluster(), {"deletionProtection": DELETE})
    assert check("aurora-deletion-protection-enabled", f.T_CLUSTER, props, name="other", config=config) == [
        "Aurora cluster deletionProtection must be true."
    ]
