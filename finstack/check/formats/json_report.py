"""The JSON report (the contract in docs/design; schema: finstack/schemas/check_report.schema.json).

Contract keys: stack, packs[{name, version}], resourcesChecked, violations[{pack, policy,
enforcementLevel, urn, type, name, message, severity}]. Added keys: project, passed, summary,
packs[].policies, violations[].{packVersion, description, source, compliance}, waivers.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from finstack.check.report import CheckReport, PackMeta, Violation, Waiver


def report_document(report: CheckReport, today: dt.date | None = None) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    return {
        "project": report.project,
        "stack": report.stack,
        "passed": not report.mandatory,
        "packs": [_pack(p) for p in report.packs],
        "resourcesChecked": report.resources_checked,
        "summary": {"mandatory": len(report.mandatory), "advisory": len(report.advisory)},
        "violations": [_violation(v) for v in sorted(report.violations, key=Violation.sort_key)],
        "waivers": [_waiver(w, today) for w in report.waivers],
    }


def render_json(report: CheckReport) -> str:
    """Indented JSON, keys in contract order, ending with a newline."""
    return json.dumps(report_document(report), indent=2) + "\n"


def _pack(pack: PackMeta) -> dict[str, Any]:
    return {
        "name": pack.name,
        "version": pack.version,
        "policies": [
            {
                "name": p.name,
                "type": p.policy_type,
                "enforcementLevel": p.enforcement_level,
                "defaultEnforcementLevel": p.default_level,
                "severity": p.severity,
                "description": p.description,
                "tags": list(p.tags),
                "compliance": p.framework.as_dict() if p.framework else None,
            }
            for p in pack.policies
        ],
    }


def _violation(violation: Violation) -> dict[str, Any]:
    return {
        "pack": violation.pack,
        "packVersion": violation.pack_version,
        "policy": violation.policy,
        "enforcementLevel": violation.enforcement_level,
        "urn": violation.urn,
        "type": violation.type,
        "name": violation.name,
        "message": violation.message,
        "description": violation.description,
        "severity": violation.severity,
        "source": {"file": violation.source.file, "line": violation.source.line} if violation.source else None,
        "compliance": violation.framework.as_dict() if violation.framework else None,
    }


def _waiver(waiver: Waiver, today: dt.date | None) -> dict[str, Any]:
    return {
        "policy": waiver.policy,
        "target": waiver.target,
        "owner": waiver.owner,
        "expires": waiver.expires,
        "reason": waiver.reason,
        "ticket": waiver.ticket,
        "approver": waiver.approver,
        "approved": waiver.approved,
        "type": waiver.type,
        "urn": waiver.urn,
        "expired": waiver.expired(today),
    }
