"""Per-resource waivers, read from each policy's own `--policy-pack-config` entry.

A policy only ever sees its own config (`args.get_config()`), so a waiver lives under the
policy it waives:

    "aurora-deletion-protection-enabled": {
        "enforcementLevel": "mandatory",
        "waivers": [{"resource": "aurora-us-west-2-cluster", "reason": "...",
                     "owner": "platform-team", "expires": "2025-09-30", "ticket": "RISK-123"}]
    }

`resource` is a URN or a logical resource name (stack policies may also waive their
stack-wide findings, reported without a URN, with `"resource": "stack"`). `expires` is the
last day the waiver holds (UTC). A waived resource is not validated by that policy; an
expired waiver is reported as a violation of the policy (mandatory wherever the policy is),
and the resource is validated as if there were no waiver. `finstack check` lists every
waiver of the config file in its report, so waived findings stay visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

STACK = "stack"

WAIVERS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "default": [],
    "description": "Per-resource waivers of this policy: resource (URN or name), reason, owner, expires (YYYY-MM-DD).",
    "items": {
        "type": "object",
        "required": ["resource", "reason", "owner", "expires"],
        "additionalProperties": False,
        "properties": {
            "resource": {
                "type": "string",
                "minLength": 1,
                "description": "URN or logical name; 'stack' for stack-wide findings.",
            },
            "reason": {"type": "string", "minLength": 10, "description": "Why the risk is accepted."},
            "owner": {"type": "string", "minLength": 1, "description": "Who answers for the accepted risk."},
            "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "Last valid day (UTC)."},
            "ticket": {"type": "string", "description": "Risk-acceptance record, e.g. RISK-123."},
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
    expires: dt.date

    def covers(self, urn: str | None, name: str | None = None) -> bool:
        """True when the waiver names the resource (URN or logical name), or the stack when urn is None."""
        if urn is None:
            return self.resource == STACK
        return self.resource in (urn, name or urn_name(urn))

    def expired(self, on: dt.date) -> bool:
        """`expires` is the last valid day."""
        return on > self.expires

    def expired_message(self) -> str:
        """The violation an expired waiver raises."""
        return (
            f"Waiver for {self.resource} must be renewed or removed: it expired on {self.expires.isoformat()} "
            f"(owner {self.owner})."
        )


def urn_name(urn: str) -> str:
    """The logical name a URN ends with."""
    return urn.rsplit("::", 1)[-1]


def parse_waivers(config: Mapping[str, Any] | None) -> tuple[list[Waiver], list[tuple[str | None, str]]]:
    """Valid waivers, and (resource or None, message) for each malformed entry."""
    waivers: list[Waiver] = []
    problems: list[tuple[str | None, str]] = []
    entries = (config or {}).get("waivers") or []
    for index, entry in enumerate(entries if isinstance(entries, list) else [entries], start=1):
        waiver = _waiver(entry)
        if waiver is not None:
            waivers.append(waiver)
            continue
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        problems.append(
            (
                resource if isinstance(resource, str) and resource else None,
                f"Waiver #{index} must have resource, reason, owner and expires (YYYY-MM-DD); it is ignored.",
            )
        )
    return waivers, problems


def _waiver(entry: Any) -> Waiver | None:
    if not isinstance(entry, Mapping):
        return None
    fields = [entry.get(key) for key in ("resource", "reason", "owner", "expires")]
    if not all(isinstance(value, str) and value.strip() for value in fields):
        return None
    resource, reason, owner, expires = (str(value) for value in fields)
    try:
        return Waiver(resource, reason, owner, dt.date.fromisoformat(expires))
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
        waivers, problems = parse_waivers(config)
        for resource, message in problems:
            if resource in (args.urn, args.name):
                report_violation(message, None)
        matching = [w for w in waivers if w.covers(args.urn, args.name)]
        on = today()
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
        waivers, problems = parse_waivers(args.get_config())
        for _, message in problems:
            report_violation(message, None)
        by_name = {urn_name(r.urn): r.urn for r in args.resources}
        urns = {r.urn for r in args.resources}
        on = today()
        for waiver in waivers:
            if waiver.expired(on):
                urn = waiver.resource if waiver.resource in urns else by_name.get(waiver.resource)
                report_violation(waiver.expired_message(), urn)
        active = [w for w in waivers if not w.expired(on)]

        def report(message: str, urn: str | None = None) -> None:
            if not any(w.covers(urn) for w in active):
                report_violation(message, urn)

        validate(args, report)

    run.__doc__ = validate.__doc__
    return run
