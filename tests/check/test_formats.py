"""Text, JSON and SARIF renderings of a report (pure: reports built by hand)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import jsonschema

from finstack.check.formats import render
from finstack.check.formats.json_report import report_document
from finstack.check.formats.sarif import fingerprint, sarif_document
from finstack.check.formats.text import render_text
from finstack.check.report import CheckReport, ComplianceFramework, PackMeta, PolicyMeta, SourceRef, Violation, Waiver
from tests.check.conftest import ROOT_URN, SCHEMAS, cluster_urn

PCI = ComplianceFramework("PCI-DSS", "4.0", "3.5.1")
POLICIES = (
    PolicyMeta(
        "aurora-storage-encrypted",
        "Aurora clusters encrypt storage.",
        "resource",
        "mandatory",
        "mandatory",
        severity="critical",
        tags=("encryption-at-rest",),
        framework=PCI,
        remediation_steps="Set storage_encrypted.",
    ),
    PolicyMeta(
        "aurora-global-cluster", "Aurora forms one global cluster.", "stack", "mandatory", "mandatory", severity="high"
    ),
    PolicyMeta("tags-required", "Resources carry ownership tags.", "resource", "advisory", "advisory", severity="low"),
    PolicyMeta("legacy-check", "Retired check.", "resource", "mandatory", "disabled"),
)
PACK = PackMeta("finstack", "1.2.0", POLICIES)


def violation(policy: str, level: str, urn: str, message: str, source: SourceRef | None = None) -> Violation:
    meta = PACK.policy(policy)
    assert meta is not None
    return Violation(
        pack="finstack",
        pack_version="1.2.0",
        policy=policy,
        enforcement_level=level,  # type: ignore[arg-type]
        urn=urn,
        type=urn.split("::")[-2],
        name=urn.rsplit("::", maxsplit=1)[-1],
        message=message,
        description=meta.description,
        severity=meta.severity,
        source=source,
        framework=meta.framework,
    )


REPORT = CheckReport(
    project="finstack",
    stack="prod",
    packs=(PACK,),
    resources_checked=412,
    violations=(
        violation("tags-required", "advisory", cluster_urn("b"), "Resources must carry owner."),
        violation(
            "aurora-storage-encrypted",
            "mandatory",
            cluster_urn("b"),
            "Aurora clusters must encrypt storage.",
            SourceRef("components/aurora_global.py", 405),
        ),
        violation("aurora-global-cluster", "mandatory", ROOT_URN, "The global cluster must span two regions."),
        violation(
            "aurora-storage-encrypted",
            "mandatory",
            cluster_urn("a"),
            "Aurora clusters must encrypt storage.",
            SourceRef("components/aurora_global.py", 405),
        ),
    ),
    waivers=(Waiver("tags-required", cluster_urn("b"), "data-team", "2026-01-31", "tag backfill", "RISK-42"),),
    config_file="policy/config.prod.json",
    stack_config_file="Pulumi.prod.yaml",
)


def test_text__grouped_by_level_then_policy_with_summary_and_waivers() -> None:
    text = render_text(REPORT, today=dt.date(2026, 3, 1))
    lines = text.splitlines()
    assert lines[0] == "finstack check: stack prod, pack finstack@1.2.0 (4 policies)"
    headings = [line for line in lines if line and not line.startswith(" ")]
    assert headings[1:3] == ["MANDATORY (3)", "ADVISORY (1)"]
    policies = [line.strip() for line in lines if line.startswith("  ") and not line.startswith("    ")]
    assert policies[:3] == [
        "aurora-global-cluster [high]: Aurora forms one global cluster.",
        "aurora-storage-encrypted [critical]: Aurora clusters encrypt storage.",
        "tags-required [low]: Resources carry ownership tags.",
    ]
    # URNs in order under their policy, each with the program line and the message
    start = lines.index("  aurora-storage-encrypted [critical]: Aurora clusters encrypt storage.")
    assert lines[start + 1 : start + 5] == [
        f"    {cluster_urn('a')}  (components/aurora_global.py:405)",
        "      Aurora clusters must encrypt storage.",
        f"    {cluster_urn('b')}  (components/aurora_global.py:405)",
        "      Aurora clusters must encrypt storage.",
    ]
    assert "412 resources checked: 3 mandatory, 1 advisory violation(s), 1 waiver(s); FAILED" in text
    assert lines[-1] == (
        f"  tags-required {cluster_urn('b')} (owner data-team, approved by UNSET on UNSET, expires 2026-01-31, "
        "RISK-42, EXPIRED): tag backfill"
    )


def test_text__clean_report_says_passed() -> None:
    clean = CheckReport("finstack", "dev", (PACK,), 10, ())
    assert render_text(clean).splitlines()[-1] == (
        "10 resources checked: 0 mandatory, 0 advisory violation(s), 0 waiver(s); passed"
    )


def test_json__validates_against_the_report_schema_and_keeps_contract_keys() -> None:
    schema = json.loads((SCHEMAS / "check_report.schema.json").read_text())
    document = json.loads(render(REPORT, "json"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert {"stack", "packs", "resourcesChecked", "violations"} <= document.keys()
    assert document["packs"][0] | {"policies": None} == {"name": "finstack", "version": "1.2.0", "policies": None}
    first = document["violations"][0]
    assert {"pack", "policy", "enforcementLevel", "urn", "type", "name", "message", "severity"} <= first.keys()
    assert [v["enforcementLevel"] for v in document["violations"]] == ["mandatory"] * 3 + ["advisory"]
    assert document["summary"] == {"mandatory": 3, "advisory": 1} and document["passed"] is False


def test_json__schema_rejects_a_violation_without_a_urn() -> None:
    schema = json.loads((SCHEMAS / "check_report.schema.json").read_text())
    document = report_document(REPORT)
    del document["violations"][0]["urn"]
    assert not jsonschema.Draft202012Validator(schema).is_valid(document)


def sarif_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text()))


def test_sarif__schema_valid_with_one_rule_per_policy() -> None:
    document = sarif_document(REPORT)
    sarif_validator().validate(document)
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "finstack"
    assert [r["id"] for r in rules] == [p.name for p in POLICIES]
    encrypted = rules[0]
    assert encrypted["help"]["text"] == "Set storage_encrypted."
    assert encrypted["defaultConfiguration"] == {"level": "error", "enabled": True}
    assert encrypted["properties"]["compliance"] == {"name": "PCI-DSS", "version": "4.0", "reference": "3.5.1"}
    assert encrypted["properties"]["security-severity"] == "9.5"
    assert "encryption-at-rest" in encrypted["properties"]["tags"]
    assert rules[2]["defaultConfiguration"]["level"] == "warning"
    assert rules[3]["defaultConfiguration"] == {"level": "none", "enabled": False}


def test_sarif__each_result_points_at_its_rule_and_program_line() -> None:
    (run,) = sarif_document(REPORT)["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    by_urn = {(r["ruleId"], r["properties"]["urn"]): r for r in run["results"]}
    declared = by_urn[("aurora-storage-encrypted", cluster_urn("a"))]["locations"][0]["physicalLocation"]
    assert declared == {
        "artifactLocation": {"uri": "components/aurora_global.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 405},
    }
    # No source line (a stack-level finding): the stack's config file, line 1
    stack_level = by_urn[("aurora-global-cluster", ROOT_URN)]["locations"][0]["physicalLocation"]
    assert stack_level["artifactLocation"]["uri"] == "Pulumi.prod.yaml"
    assert stack_level["region"] == {"startLine": 1}
    assert by_urn[("tags-required", cluster_urn("b"))]["level"] == "warning"


def test_sarif__fingerprints_hash_policy_and_urn_only() -> None:
    (run,) = sarif_document(REPORT)["runs"]
    result = next(r for r in run["results"] if r["properties"]["urn"] == cluster_urn("a"))
    assert result["partialFingerprints"] == {
        "finstackPolicyUrn/v1": fingerprint("aurora-storage-encrypted", cluster_urn("a"))
    }
    assert fingerprint("p", "u") == fingerprint("p", "u") != fingerprint("p", "u2")


def test_sarif__waiver_in_force_is_a_suppressed_result_with_the_findings_fingerprint() -> None:
    # Given a waiver in force that names a resource of the plan, and one that has expired
    waived = Waiver(
        "aurora-storage-encrypted",
        "aurora-b",
        "data-team",
        "2999-12-31",
        "Migrating to the new key under RISK-9.",
        "RISK-9",
        approver="ciso-office",
        approved="2026-11-30",
        urn=cluster_urn("b"),
        source=SourceRef("components/aurora_global.py", 405),
    )
    report = replace(REPORT, waivers=(waived, *REPORT.waivers))
    # When the report is rendered as SARIF
    document = sarif_document(report)
    sarif_validator().validate(document)
    (run,) = document["runs"]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    # Then only the waiver in force is there, located like the finding, accepted with its justification
    assert len(suppressed) == 1
    (result,) = suppressed
    assert result["ruleId"] == "aurora-storage-encrypted"
    assert result["partialFingerprints"]["finstackPolicyUrn/v1"] == fingerprint(
        "aurora-storage-encrypted", cluster_urn("b")
    )
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 405}
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Migrating to the new key under RISK-9. (owner data-team, approved by ciso-office on "
            "2026-11-30, expires 2999-12-31, RISK-9)",
            "location": {
                "physicalLocation": {"artifactLocation": {"uri": "policy/config.prod.json", "uriBaseId": "%SRCROOT%"}}
            },
        }
    ]
