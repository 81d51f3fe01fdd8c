"""Per-resource waivers, read from each policy's own `--policy-pack-config` entry.

A policy only ever sees its own config (`args.get_config()`), so a waiver lives under the
policy it waives:

    "aurora-deletion-protection-enabled": {
        "enforcementLevel": "mandatory",
        "waivers": [{"resource": "aurora-us-west-2-cluster", "reason": "...",
                     "owner": "platform-team", "approver": "ciso-office", "approved": "2025-04-01",
                     "expires": "2025-09-30", "ticket": "RISK-123"}]
    }

`resource` is a URN or a logical resource name (stack policies may also waive their
stack-wide findings, reported without a URN, with `"resource": "stack"`); `type` (optional)
pins a logical name to one resource type. `expires` is the last day the waiver holds (UTC).
A risk acceptance is a decision of two people and lasts at most a year (PCI DSS v4.0.1
12.3.1 reviews each targeted risk analysis at least every 12 months): the `approver` must
not be the `owner`, `approved` must not lie in the future, and `expires` must fall within
`MAX_WAIVER_DAYS` of `approved`. An entry that breaks any of this is reported and ignored.

A waived resource is not validated by that policy; an expired waiver is reported as a
violation of the policy (mandatory wherever the policy is), and the resource is validated as
if there were no waiver. A stack policy refuses a logical-name waiver without `type` that
names resources of more than one type (`finstack check` refuses it for every policy, since a
resource policy sees one resource only). `finstack check` lists every waiver in its report
(text and JSON) and as suppressed results in SARIF, so waived findings stay visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

STACK = "stack"
MAX_WAIVER_DAYS = 365

WAIVERS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "default": [],
    "description": (
        "Per-resource waivers of this policy: resource (URN or name), reason, owner, approver, "
        "approved and expires (YYYY-MM-DD)."
    ),
    "items": {
        "type": "object",
        "required": ["resource", "reason", "owner", "approver", "approved", "expires"],
        "additionalProperties": False,
        "properties": {
            "resource": {
                "type": "string",
                "minLength": 1,
                "description": "URN or logical name; 'stack' for stack-wide findings.",
            },
            "reason": {"type": "string", "minLength": 10, "description": "Why the risk is accepted."},
            "owner": {"type": "string", "minLength": 1, "description": "Who answers for the accepted risk."},
            "approver": {"type": "string", "minLength": 1, "description": "Who accepted the risk; not the owner."},
            "approved": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "Day of approval (UTC)."},
            "expires": {
                "type": "string",
                "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "description": f"Last valid day (UTC), at most {MAX_WAIVER_DAYS} days after approved.",
            },
            "ticket": {"type": "string", "description": "Risk-acceptance record, e.g. RISK-123."},
            "type": {"type": "string", "description": "Resource type token, when a logical name alone is ambiguous."},
        },
    },
}


def today() -> dt.date:
    """Today in UTC (a function so tests can pin the clock)."""
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class Waiver:
    """One accepted risk for one resource under one policy."""

    resource: str
    reason: str
    owner: str
    approver: str
    approved: dt.date
    expires: dt.date
    type: str = ""

    def covers(self, urn: str | None, name: str | None = None, resource_type: str | None = None) -> bool:
        """True when the waiver names the resource (URN, or logical name of its type), or the stack when urn is None."""
        if urn is None:
            return self.resource == STACK
        if self.resource == urn:
            return True
        if self.type and resource_type and self.type != resource_type:
            return False
        return self.resource == (name or urn_name(urn))

    @property
    def by_name(self) -> bool:
        """Names a resource by logical name alone (not a URN, not the stack, no type)."""
        return self.resource != STACK and "::" not in self.resource and not self.type

    def expired(self, on: dt.date) -> bool:
        """`expires` is the last valid day."""
        return on > self.expires

    def expired_message(self) -> str:
        """The violation an expired waiver raises."""
        return (
            f"Waiver for {self.resource} must be renewed or removed: it expired on {self.expires.isoformat()} "
            f"(owner {self.owner})."
        )


def ambiguous_message(resource: str, types: set[str]) -> str:
    """The violation for a logical-name waiver that names resources of several types."""
    return (
        f"Waiver for {resource} must name one resource: resources of types {', '.join(sorted(types))} "
        'have that name; add "type" or use the URN. It is ignored.'
    )


def urn_name(urn: str) -> str:
    """The logical name a URN ends with."""
    return urn.rsplit("::", 1)[-1]


def parse_waivers(
    config: Mapping[str, Any] | None, on: dt.date | None = None
) -> tuple[list[Waiver], list[tuple[str | None, str]]]:
    """Valid waivers, and (resource or None, message) for each malformed or unacceptable entry."""
    waivers: list[Waiver] = []
    problems: list[tuple[str | None, str]] = []
    entries = (config or {}).get("waivers") or []
    for index, entry in enumerate(entries if isinstance(entries, list) else [entries], start=1):
        waiver = _waiver(entry)
        problem = (
            f"Waiver #{index} must have resource, reason, owner, approver, approved and expires (YYYY-MM-DD); "
            "it is ignored."
            if waiver is None
            else _unacceptable(index, waiver, on or today())
        )
        if waiver is not None and problem is None:
            waivers.append(waiver)
            continue
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        problems.append((resource if isinstance(resource, str) and resource else None, str(problem)))
    return waivers, problems


def _unacceptable(index: int, waiver: Waiver, on: dt.date) -> str | None:
    """Why a well-formed waiver is still not a valid risk acceptance, or None."""
    if waiver.approver.strip().casefold() == waiver.owner.strip().casefold():
        return f"Waiver #{index} must be approved by someone other than its owner ({waiver.owner}); it is ignored."
    if waiver.approved > on:
        approved = waiver.approved.isoformat()
        return f"Waiver #{index} must not be approved in the future (approved {approved}); it is ignored."
    if not 0 <= (waiver.expires - waiver.approved).days <= MAX_WAIVER_DAYS:
        return (
            f"Waiver #{index} must expire within {MAX_WAIVER_DAYS} days of its approval "
            f"(approved {waiver.approved.isoformat()}, expires {waiver.expires.isoformat()}); it is ignored."
        )
    return None


def _waiver(entry: Any) -> Waiver | None:
    if not isinstance(entry, Mapping):
        return None
    keys = ("resource", "reason", "owner", "approver", "approved", "expires")
    fields = [entry.get(key) for key in keys]
    if not all(isinstance(value, str) and value.strip() for value in fields):
        return None
    resource, reason, owner, approver, approved, expires = (str(value) for value in fields)
    resource_type = entry.get("type")
    if resource_type is not None and not (isinstance(resource_type, str) and resource_type.strip()):
        return None
    try:
        return Waiver(
            resource,
            reason,
            owner,
            approver,
            dt.date.fromisoformat(approved),
            dt.date.fromisoformat(expires),
            type=resource_type or "",
        )
    except ValueError:
        return None


def waivable_resource(
    validate: Callable[[ResourceValidationArgs, ReportViolation], None],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Wrap a resource validator: skip waived resources, report expired or malformed waivers."""

    def run(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        if not (config or {}).get("waivers"):  # nothing waived (the usual case): no clock, no parsing
            validate(args, report_violation)
            return
        on = today()
        waivers, problems = parse_waivers(config, on)
        for resource, message in problems:
            if resource in (args.urn, args.name):
                report_violation(message, None)
        matching = [w for w in waivers if w.covers(args.urn, args.name, args.resource_type)]
        for waiver in matching:
            if waiver.expired(on):
                report_violation(waiver.expired_message(), None)
        if any(not w.expired(on) for w in matching):
            return
        validate(args, report_violation)

    run.__doc__ = validate.__doc__
    return run


def waivable_stack(
    validate: Callable[[StackValidationArgs, ReportViolation], None],
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """Wrap a stack validator: drop waived findings, report expired or malformed waivers."""

    def run(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        if not (config or {}).get("waivers"):  # nothing waived (the usual case): no indexes to build
            validate(args, report_violation)
            return
        on = today()
        waivers, problems = parse_waivers(config, on)
        for _, message in problems:
            report_violation(message, None)
        by_name = {urn_name(r.urn): r.urn for r in args.resources}
        urns = {r.urn for r in args.resources}
        types_by_name: dict[str, set[str]] = {}
        type_of = {r.urn: r.resource_type for r in args.resources}
        for resource in args.resources:
            types_by_name.setdefault(urn_name(resource.urn), set()).add(resource.resource_type)
        active: list[Waiver] = []
        for waiver in waivers:
            if waiver.expired(on):
                urn = waiver.resource if waiver.resource in urns else by_name.get(waiver.resource)
                report_violation(waiver.expired_message(), urn)
            elif waiver.by_name and len(types := types_by_name.get(waiver.resource, set())) > 1:
                report_violation(ambiguous_message(waiver.resource, types), None)
            else:
                active.append(waiver)

        def report(message: str, urn: str | None = None) -> None:
            if not any(w.covers(urn, None, type_of.get(urn or "")) for w in active):
                report_violation(message, urn)

        validate(args, report)

    run.__doc__ = validate.__doc__
    return run
