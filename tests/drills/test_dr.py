"""Reading the `dr` stack output: from the emulator's file or `pulumi stack output`, schema-checked."""

from __future__ import annotations

import copy
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from finstack.drills import dr
from finstack.drills.errors import DocumentError

ACCOUNT = "123456789012"


def _document(arc: bool = True) -> dict[str, Any]:
    def cell(region: str, n: int) -> dict[str, Any]:
        return {
            "auroraClusterArn": f"arn:aws:rds:{region}:{ACCOUNT}:cluster:finstack-prod-ledger-{region}",
            "auroraClusterId": f"finstack-prod-ledger-{region}",
            "eksCluster": f"finstack-prod-{region}",
            "nodegroups": ["general"],
            "mskClusterArn": f"arn:aws:kafka:{region}:{ACCOUNT}:cluster/finstack-prod/{n}abc",
            "replicatorArn": None,
            "healthCheckId": f"{n}1234567-89ab-cdef-0123-456789abcdef",
            "routingControlArn": f"arn:aws:route53-recovery-control::{ACCOUNT}:controlpanel/p1/routingcontrol/rc{n}"
            if arc
            else None,
            "apiHostname": f"api.{region}.pay.example.com",
            "breakGlassSecretArn": (
                f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:finstack/prod/ledger/master-AbCdEf"
            ),
        }

    return {
        "environment": "prod",
        "primaryRegion": "us-east-1",
        "globalClusterId": "finstack-prod-ledger",
        "arcPlanArn": f"arn:aws:arc-region-switch::{ACCOUNT}:plan/finstack-prod:abc123" if arc else None,
        "routingControlClusterArn": f"arn:aws:route53-recovery-control::{ACCOUNT}:cluster/c1" if arc else None,
        "automationRoleArn": f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-dr-automation",
        "arcClusterEndpoints": [
            {"region": r, "endpoint": f"https://c1.route53-recovery-cluster.{r}.amazonaws.com/v1"}
            for r in ("us-east-1", "us-west-2", "eu-west-1")
        ]
        if arc
        else None,
        "arcSafetyRuleArns": [f"arn:aws:route53-recovery-control::{ACCOUNT}:controlpanel/p1/safetyrule/sr1"]
        if arc
        else None,
        "regions": {"us-east-1": cell("us-east-1", 1), "us-west-2": cell("us-west-2", 2)},
    }


def test_parse__reads_a_valid_document_primary_first() -> None:
    document = dr.parse(_document())

    assert document.arc and document.regions == ("us-east-1", "us-west-2")
    assert document.cell("us-west-2").aurora_cluster_id == "finstack-prod-ledger-us-west-2"


def test_parse__carries_the_arc_data_plane_endpoints_and_safety_rules_in_document_order() -> None:
    document = dr.parse(_document())

    assert document.arc_cluster_endpoints == (
        dr.ArcEndpoint("us-east-1", "https://c1.route53-recovery-cluster.us-east-1.amazonaws.com/v1"),
        dr.ArcEndpoint("us-west-2", "https://c1.route53-recovery-cluster.us-west-2.amazonaws.com/v1"),
        dr.ArcEndpoint("eu-west-1", "https://c1.route53-recovery-cluster.eu-west-1.amazonaws.com/v1"),
    )
    assert document.arc_safety_rule_arns == (
        f"arn:aws:route53-recovery-control::{ACCOUNT}:controlpanel/p1/safetyrule/sr1",
    )


def test_parse__without_arc_has_no_endpoints_and_no_safety_rules() -> None:
    document = dr.parse(_document(arc=False))

    assert not document.arc
    assert (document.arc_cluster_endpoints, document.arc_safety_rule_arns) == ((), ())


def test_parse__refuses_arc_without_its_data_plane_endpoints() -> None:
    broken = _document()
    broken["arcClusterEndpoints"] = None

    with pytest.raises(DocumentError, match="does not match its schema"):
        dr.parse(broken)


def test_parse__names_the_json_path_of_a_schema_violation() -> None:
    broken = copy.deepcopy(_document())
    broken["regions"]["us-west-2"]["healthCheckId"] = "not-a-uuid"

    with pytest.raises(DocumentError, match="regions/us-west-2/healthCheckId"):
        dr.parse(broken)


def test_parse__refuses_arc_half_configured() -> None:
    broken = _document()
    broken["regions"]["us-east-1"]["routingControlArn"] = None

    with pytest.raises(DocumentError, match="does not match its schema"):
        dr.parse(broken)


def test_cell__names_the_cells_that_exist() -> None:
    with pytest.raises(
        DocumentError, match=re.escape("eu-west-1 is not a cell of this stack (cells: us-east-1, us-west-2)")
    ):
        dr.parse(_document(arc=False)).cell("eu-west-1")


def test_load_file__explains_how_to_create_the_outputs(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="finstack up --stack <S> --emulate"):
        dr.load_file(tmp_path / "outputs.json")


def _fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    binary = tmp_path / "bin" / "pulumi"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    return binary


def test_load_pulumi__runs_stack_output_dr_json_for_the_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dr.json").write_text(json.dumps(_document()), encoding="utf-8")
    _fake_pulumi(tmp_path, monkeypatch, f'echo "$@" > {tmp_path}/argv\ncat {tmp_path}/dr.json\n')

    document = dr.load_pulumi("prod", tmp_path)

    assert document.global_cluster_id == "finstack-prod-ledger"
    assert (tmp_path / "argv").read_text().split() == ["stack", "output", "dr", "--json", "--stack", "prod"]


def test_load_pulumi__reports_the_cli_error_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_pulumi(tmp_path, monkeypatch, "echo \"error: no stack named 'prod' found\" >&2\nexit 255\n")

    with pytest.raises(DocumentError, match="failed: error: no stack named 'prod' found"):
        dr.load_pulumi("prod", tmp_path)
