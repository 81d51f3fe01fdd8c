"""policy/README.md "Coverage": every peer control, which policies cover it, and why a row is not covered.

The table's rows are the controls of the peer table (AWSGuard, Pulumi's compliance-ready
policies, Checkov, Trivy, AWS Security Hub) for the kinds finstack declares, plus finstack's own
(`FIN-*`). Each policy names the controls it covers (`Compliance.controls`, shown as `control:`
tags in reports); this test keeps the table and the pack in step: a covered row lists
exactly the policies that claim it, every other row says why nothing covers it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from policy.rules import ALL_POLICIES

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
ROW = re.compile(
    r"^\| `(?P<id>[A-Z0-9-]+)` \| (?P<requires>[^|]+) \| (?P<status>[^|]+) "
    r"\| (?P<policies>[^|]*) \| (?P<note>[^|]*) \|$"
)
STATUSES = ("covered", "n.a.", "deferred")

# The rows of the shared peer table (IDs only; the README carries what each requires).
PEER_CONTROLS = frozenset(
    {
        "ENC-RDS-CLUSTER-STORAGE",
        "ENC-RDS-CLUSTER-CMK",
        "ENC-RDS-GLOBAL-STORAGE",
        "ENC-RDS-INSTANCE-STORAGE",
        "ENC-RDS-PI-CMK",
        "ENC-RDS-SNAPSHOT",
        "ENC-RDS-ACTIVITY-STREAM",
        "ENC-EKS-SECRETS",
        "ENC-MSK-AT-REST",
        "ENC-KMS-ROTATION",
        "ENC-KMS-MRK",
        "ENC-CWL-KMS",
        "ENC-S3-SSE",
        "ENC-EBS-NODES",
        "ENC-SECRETS-CMK",
        "ENC-MSK-TLS-CLIENT",
        "ENC-MSK-TLS-INCLUSTER",
        "ENC-MSKCONNECT-TLS",
        "ENC-RDS-TLS",
        "ENC-RDS-CA",
        "ENC-LB-HTTPS-ONLY",
        "ENC-LB-HTTP-REDIRECT",
        "ENC-LB-TLS-POLICY",
        "ENC-LB-HTTP-HARDENING",
        "ENC-S3-TLS-ONLY",
        "ENC-R53-DNSSEC",
        "NET-SG-WORLD-INGRESS",
        "NET-SG-ADMIN-PORTS",
        "NET-SG-HTTP",
        "NET-SG-WORLD-EGRESS",
        "NET-SG-DEFAULT-CLOSED",
        "NET-SG-DESCRIBED",
        "NET-SG-RULE-CONFLICT",
        "NET-SG-UNUSED",
        "NET-SUBNET-NO-PUBLIC-IP",
        "NET-NO-DEFAULT-VPC",
        "NET-NACL-ADMIN-PORTS",
        "NET-NACL-ALL-PORTS",
        "NET-NACL-ATTACHED",
        "NET-ROUTES",
        "NET-VPC-BPA",
        "NET-VPC-ENDPOINTS",
        "NET-EKS-ENDPOINT-PRIVATE",
        "NET-EKS-PUBLIC-CIDRS",
        "NET-EKS-NODE-SSH",
        "NET-RDS-PRIVATE",
        "NET-RDS-PORT",
        "NET-MSK-PRIVATE",
        "NET-LB-INTERNAL",
        "NET-LB-WAF",
        "NET-NODE-NO-PUBLIC-IP",
        "NET-S3-PUBLIC",
        "LOG-VPC-FLOW",
        "LOG-EKS-CONTROL-PLANE",
        "LOG-RDS-CLUSTER",
        "LOG-RDS-INSTANCE",
        "LOG-RDS-MONITORING",
        "LOG-MSK-BROKER",
        "LOG-MSKCONNECT",
        "LOG-CWL-RETENTION",
        "LOG-R53-QUERY",
        "LOG-S3-ACCESS",
        "LOG-LB-ACCESS",
        "RES-RDS-CLUSTER-DELPROT",
        "RES-RDS-GLOBAL-DELPROT",
        "RES-RDS-INSTANCE-DELPROT",
        "RES-RDS-BACKUP-RETENTION",
        "RES-RDS-BACKUP-PLAN",
        "RES-RDS-MULTI-AZ",
        "RES-RDS-FINAL-SNAPSHOT",
        "RES-RDS-COPY-TAGS",
        "RES-RDS-BACKTRACK",
        "RES-RDS-MINOR-UPGRADE",
        "RES-EKS-VERSION",
        "RES-KMS-ENABLED",
        "RES-KMS-NO-DELETION",
        "RES-LB-DELPROT",
        "RES-LB-MULTI-AZ",
        "RES-S3-VERSIONING-CRR",
        "RES-PULUMI-PROTECT",
        "RES-OTHER-DELPROT",
        "RES-MSK-AZ-SPREAD",
        "IAM-ADMIN-STAR",
        "IAM-STAR-ACTION",
        "IAM-STAR-RESOURCE",
        "IAM-RISKY-PERMS",
        "IAM-MANAGED-ADMIN",
        "IAM-TRUST-POLICY",
        "IAM-NO-USER-POLICIES",
        "IAM-ROLE-POLICY-CONFLICT",
        "IAM-USER-CREDS",
        "IAM-KMS-KEY-POLICY",
        "IAM-RDS-DB-AUTH",
        "IAM-RDS-MASTER",
        "IAM-MSK-CLIENT-AUTH",
        "IAM-EKS-ACCESS",
        "IAM-NODE-IMDSV2",
        "IAM-S3-BUCKET-POLICY",
        "K8S-NETPOL-DEFAULT-DENY",
        "K8S-PSA-RESTRICTED",
        "K8S-NO-PRIVILEGED",
        "K8S-NO-PRIV-ESC",
        "K8S-NON-ROOT",
        "K8S-NO-HOST-NS",
        "K8S-RO-ROOTFS",
        "K8S-CAPABILITIES",
        "K8S-SECCOMP",
        "K8S-SA-TOKEN",
        "K8S-NO-DEFAULT-NS",
        "K8S-NO-LB-SERVICE",
        "K8S-RBAC",
        "K8S-AVAILABILITY",
    }
)


def claimed() -> dict[str, set[str]]:
    """Control ID -> names of the policies whose tags claim it."""
    found: dict[str, set[str]] = defaultdict(set)
    for policy in ALL_POLICIES:
        for tag in policy.tags or []:
            if tag.startswith("control:"):
                found[tag.removeprefix("control:")].add(policy.name)
    return found


def table() -> dict[str, dict[str, str]]:
    text = (POLICY_DIR / "README.md").read_text()
    section = text[text.index("## Coverage") :]
    section = section[: section.index("\n## ", 1)] if "\n## " in section[1:] else section
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            assert match["id"] not in rows, f"{match['id']} listed twice"
            rows[match["id"]] = {k: v.strip() for k, v in match.groupdict().items()}
    return rows


def listed_policies(cell: str) -> set[str]:
    return set(re.findall(r"`([a-z0-9-]+)`", cell))


def test_coverage__every_policy_claims_a_control():
    assert [p.name for p in ALL_POLICIES if not any(t.startswith("control:") for t in p.tags or [])] == []


def test_coverage__every_claimed_control_is_a_row():
    assert sorted(set(claimed()) - set(table())) == []


def test_coverage__covered_rows_list_exactly_the_claiming_policies():
    rows, claims = table(), claimed()
    wrong = {
        control: (sorted(listed_policies(row["policies"])), sorted(claims.get(control, set())))
        for control, row in rows.items()
        if listed_policies(row["policies"]) != claims.get(control, set())
    }
    assert wrong == {}


def test_coverage__status_matches_the_policies_and_uncovered_rows_say_why():
    rows, claims = table(), claimed()
    assert {c: r["status"] for c, r in rows.items() if r["status"] not in STATUSES} == {}
    assert sorted(c for c, r in rows.items() if r["status"] == "covered" and not claims.get(c)) == []
    assert sorted(c for c, r in rows.items() if r["status"] in ("n.a.", "deferred") and claims.get(c)) == []
    assert sorted(c for c, r in rows.items() if r["status"] != "covered" and not r["note"]) == []
    assert sorted(c for c, r in rows.items() if r["status"] == "deferred" and "issue" not in r["note"]) == []


def test_coverage__every_peer_control_has_a_row():
    assert sorted(PEER_CONTROLS - set(table())) == []
