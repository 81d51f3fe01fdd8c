"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).

One rule per policy of the pack (id = policy name, help = its remediation steps, level from
the enforcement level this stack runs it at), one result per violation located at the program
line that declared the resource (repo-relative, `%SRCROOT%`), or at line 1 of the stack's
`Pulumi.<stack>.yaml` when the resource has no known source line. `partialFingerprints` hash
policy and URN, so an alert keeps its identity across runs while the code around it moves.

Each waiver in force is a result too, with a SARIF `suppressions` entry (kind `external`: it
lives in the policy config; status `accepted`; the justification names reason, owner, approver
and expiry) and the fingerprint the finding would have, so code scanning shows the accepted
risk as a suppressed alert instead of losing it. Expired waivers are not suppressions: the pack
reports them as violations.

Validated in tests against the OASIS SARIF 2.1.0 (errata 01) JSON schema vendored in
finstack/schemas/sarif-2.1.0.schema.json.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from finstack import __version__
from finstack.check.report import CheckReport, PackMeta, PolicyMeta, Violation, Waiver

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "finstackPolicyUrn/v1"

LEVELS = {"mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none"}
# GitHub ranks security alerts by `security-severity` (CVSS-like): critical >= 9, high >= 7, ...
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def fingerprint(policy: str, urn: str) -> str:
    """Stable identity of one finding: SHA-256 of policy name and URN."""
    return hashlib.sha256(f"{policy}\x00{urn}".encode()).hexdigest()


def sarif_document(report: CheckReport) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    for pack in report.packs:
        for policy in pack.policies:
            if policy.name not in rule_index:
                rule_index[policy.name] = len(rules)
                rules.append(_rule(policy, pack, report.stack))
    results = [_result(v, rule_index, report) for v in sorted(report.violations, key=Violation.sort_key)]
    levels = {p.name: p.enforcement_level for pack in report.packs for p in pack.policies}
    in_force = [w for w in report.waivers if not w.expired()]
    results += [_waived(w, rule_index, levels, report) for w in sorted(in_force, key=lambda w: (w.policy, w.target))]
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "finstack",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                # One category per stack: uploads for prod and dev do not close each other's alerts.
                "automationDetails": {"id": f"finstack-check/{report.stack}/"},
                "results": results,
                "properties": {
                    "project": report.project,
                    "stack": report.stack,
                    "resourcesChecked": report.resources_checked,
                    "packs": [{"name": p.name, "version": p.version} for p in report.packs],
                },
            }
        ],
    }


def render_sarif(report: CheckReport) -> str:
    """The SARIF log as indented JSON, ending with a newline."""
    return json.dumps(sarif_document(report), indent=2) + "\n"


def _rule(policy: PolicyMeta, pack: PackMeta, stack: str) -> dict[str, Any]:
    level = policy.enforcement_level
    properties: dict[str, Any] = {
        "tags": sorted({*policy.tags, "security", f"policy-pack:{pack.name}"}),
        "precision": "very-high",
        "enforcementLevel": level,
        "defaultEnforcementLevel": policy.default_level,
        "policyType": policy.policy_type,
        "pack": f"{pack.name}@{pack.version}",
    }
    if policy.severity:
        properties["severity"] = policy.severity
        properties["security-severity"] = SECURITY_SEVERITY[policy.severity]
    if policy.framework:
        properties["compliance"] = policy.framework.as_dict()
    rule: dict[str, Any] = {
        "id": policy.name,
        "name": policy.display_name or policy.name,
        "shortDescription": {"text": policy.description or policy.name},
        "fullDescription": {
            "text": f"{policy.description or policy.name} {policy.policy_type.capitalize()} policy of "
            f"{pack.name}@{pack.version}, enforced as {level} for stack {stack}."
        },
        "help": {"text": policy.remediation_steps or policy.description or policy.name},
        "defaultConfiguration": {"level": LEVELS[level], "enabled": level != "disabled"},
        "properties": properties,
    }
    if policy.url:
        rule["helpUri"] = policy.url
    return rule


def _result(violation: Violation, rule_index: dict[str, int], report: CheckReport) -> dict[str, Any]:
    if violation.source is not None:
        uri, line = violation.source.file, violation.source.line
    else:
        uri, line = report.stack_config_file or f"Pulumi.{report.stack}.yaml", 1
    result: dict[str, Any] = {
        "ruleId": violation.policy,
        "level": LEVELS[violation.enforcement_level],
        "message": {"text": violation.message or violation.description or violation.policy},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
                    "region": {"startLine": line},
                },
                "logicalLocations": [{"fullyQualifiedName": violation.urn, "name": violation.name, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(violation.policy, violation.urn)},
        "properties": {
            "urn": violation.urn,
            "resourceType": violation.type,
            "enforcementLevel": violation.enforcement_level,
            "pack": f"{violation.pack}@{violation.pack_version}",
        },
    }
    if violation.policy in rule_index:
        result["ruleIndex"] = rule_index[violation.policy]
    return result


def _waived(
    waiver: Waiver, rule_index: dict[str, int], levels: Mapping[str, str], report: CheckReport
) -> dict[str, Any]:
    config_file = report.config_file or f"policy/config.{report.stack}.json"
    if waiver.source is not None:
        uri, line = waiver.source.file, waiver.source.line
    else:
        uri, line = config_file, 1
    subject = waiver.urn or waiver.target
    details = [
        f"owner {waiver.owner}",
        f"approved by {waiver.approver} on {waiver.approved}",
        f"expires {waiver.expires}",
    ]
    if waiver.ticket:
        details.append(waiver.ticket)
    result: dict[str, Any] = {
        "ruleId": waiver.policy,
        "level": LEVELS[levels.get(waiver.policy, "mandatory")],
        "message": {"text": f"Waived for {waiver.target}: {waiver.reason}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
                    "region": {"startLine": line},
                },
                "logicalLocations": [{"fullyQualifiedName": subject, "name": waiver.target, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(waiver.policy, subject)},
        "suppressions": [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{waiver.reason} ({', '.join(details)})",
                "location": {
                    "physicalLocation": {"artifactLocation": {"uri": config_file, "uriBaseId": SRCROOT}},
                },
            }
        ],
        "properties": {"urn": waiver.urn, "waiver": {"target": waiver.target, "expires": waiver.expires}},
    }
    if waiver.policy in rule_index:
        result["ruleIndex"] = rule_index[waiver.policy]
    return result
