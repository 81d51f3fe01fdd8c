"""The text report: violations grouped by enforcement level, then policy; a summary; the waivers."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from finstack.check.report import LEVEL_ORDER, CheckReport, Violation, Waiver


def render_text(report: CheckReport, today: dt.date | None = None) -> str:
    """Plain text (no colour codes), stable line order, ending with a newline."""
    packs = ", ".join(f"{p.name}@{p.version} ({len(p.policies)} policies)" for p in report.packs)
    lines = [f"finstack check: stack {report.stack}, pack {packs}"]
    ordered = sorted(report.violations, key=Violation.sort_key)
    for level, in_level in groupby(ordered, key=lambda v: v.enforcement_level):
        level_violations = list(in_level)
        lines += ["", f"{level.upper()} ({len(level_violations)})"]
        for policy, in_policy in groupby(level_violations, key=lambda v: v.policy):
            violations = list(in_policy)
            severity = f" [{violations[0].severity}]" if violations[0].severity else ""
            lines.append(f"  {policy}{severity}: {violations[0].description}")
            for violation in violations:
                where = f"  ({violation.source.file}:{violation.source.line})" if violation.source else ""
                lines.append(f"    {violation.urn}{where}")
                lines.extend(f"      {line}" for line in violation.message.splitlines())
    lines += ["", summary_line(report)]
    if report.waivers:
        lines.append(f"waivers ({len(report.waivers)}):")
        lines.extend(f"  {_waiver(w, today)}" for w in sorted(report.waivers, key=lambda w: (w.policy, w.target)))
    return "\n".join(lines) + "\n"


def summary_line(report: CheckReport) -> str:
    """One line: resources checked, mandatory and advisory counts, and the verdict."""
    counts = {level: 0 for level in LEVEL_ORDER}
    for violation in report.violations:
        counts[violation.enforcement_level] = counts.get(violation.enforcement_level, 0) + 1
    verdict = "FAILED: mandatory policies violated" if report.mandatory else "passed"
    return (
        f"{report.resources_checked} resources checked: {counts['mandatory']} mandatory, "
        f"{counts['advisory']} advisory violation(s), {len(report.waivers)} waiver(s); {verdict}"
    )


def _waiver(waiver: Waiver, today: dt.date | None) -> str:
    details = [
        f"owner {waiver.owner or 'UNSET'}",
        f"approved by {waiver.approver or 'UNSET'} on {waiver.approved or 'UNSET'}",
        f"expires {waiver.expires or 'never'}",
    ]
    if waiver.ticket:
        details.append(waiver.ticket)
    if waiver.expired(today):
        details.append("EXPIRED")
    reason = f": {waiver.reason}" if waiver.reason else ""
    return f"{waiver.policy} {waiver.target or '(all resources)'} ({', '.join(details)}){reason}"
