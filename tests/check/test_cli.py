"""`finstack check` end to end through click: exit codes 0 / 1 / 2, files written, formats valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from finstack.cli import FinstackGroup
from finstack.commands.check import check
from finstack.engine.export import plan_export
from finstack.engine.runner import run_program
from finstack.project import load_stack
from tests.check.conftest import SCHEMAS, TESTPACK, clean_export, cluster_urn, edited, write_json
from tests.plan import PROJECT_DIR

# The same error handling as the real group (UsageError -> one line, exit 2), with only `check`.
cli = FinstackGroup(commands={"check": check})


@pytest.fixture(autouse=True)
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_DIR)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--stack", "prod", *args], catch_exceptions=False)


def pack_args(config: Path) -> list[str]:
    return ["--policy-pack", str(TESTPACK), "--policy-pack-config", str(config)]


@pytest.fixture
def empty_config(tmp_path: Path) -> Path:
    return write_json(tmp_path / "config.prod.json", {})


def test_check__clean_export_exits_0(tmp_path: Path, empty_config: Path) -> None:
    export = write_json(tmp_path / "plan.json", clean_export())
    result = run(*pack_args(empty_config), "--export", str(export))
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.splitlines()[-1]
        == "5 resources checked: 0 mandatory, 0 advisory violation(s), 0 waiver(s); passed"
    )


def test_check__mandatory_violation_exits_1_and_names_the_urn(tmp_path: Path, empty_config: Path) -> None:
    export = write_json(
        tmp_path / "plan.json", edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    )
    result = run(*pack_args(empty_config), "--export", str(export))
    assert result.exit_code == 1
    assert f"    {cluster_urn('aurora-use1')}  (components/aurora_global.py:405)" in result.stdout
    assert "1 mandatory, 0 advisory violation(s)" in result.stdout


def test_check__advisory_only_exits_0(tmp_path: Path) -> None:
    config = write_json(tmp_path / "c.json", {"aurora-storage-encrypted": "advisory"})
    export = write_json(
        tmp_path / "plan.json", edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    )
    result = run(*pack_args(config), "--export", str(export))
    assert result.exit_code == 0
    assert "ADVISORY (1)" in result.stdout


def test_check__json_output_file_validates_against_the_schema(tmp_path: Path, empty_config: Path) -> None:
    export = write_json(
        tmp_path / "plan.json", edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    )
    out = tmp_path / "report.json"
    result = run(*pack_args(empty_config), "--export", str(export), "--format", "json", "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""  # the report went to the file; the summary to stderr
    assert "1 mandatory" in result.stderr
    document = json.loads(out.read_text())
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / "check_report.schema.json").read_text())).validate(document)
    assert document["stack"] == "prod" and document["packs"][0]["name"] == "finstack-testpack"
    assert document["packs"][0]["version"] == "0.3.0" and document["resourcesChecked"] == 5
    (violation,) = document["violations"]
    assert violation == violation | {
        "pack": "finstack-testpack",
        "policy": "aurora-storage-encrypted",
        "enforcementLevel": "mandatory",
        "urn": cluster_urn("aurora-use1"),
        "type": "aws:rds/cluster:Cluster",
        "name": "aurora-use1",
        "message": "Aurora clusters must encrypt storage at rest.",
        "severity": "critical",
    }


def sarif_of(tmp_path: Path, config: Path, export: dict[str, Any]) -> dict[str, Any]:
    plan = write_json(tmp_path / "plan.json", export)
    out = tmp_path / "report.sarif"
    run(*pack_args(config), "--export", str(plan), "--format", "sarif", "--output", str(out))
    return json.loads(out.read_text())


def test_check__sarif_is_schema_valid_with_a_rule_per_policy_and_a_location_per_result(
    tmp_path: Path, empty_config: Path
) -> None:
    export = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False, globalClusterIdentifier="")
    document = sarif_of(tmp_path, empty_config, export)
    sarif_schema = json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    (run_,) = document["runs"]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert sorted(rule_ids) == [
        "aurora-global-cluster",
        "aurora-storage-encrypted",
        "provider-region-allowed",
        "resource-tags-required",
    ]
    assert {r["ruleId"] for r in run_["results"]} == {"aurora-global-cluster", "aurora-storage-encrypted"}
    for result in run_["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1


def test_check__sarif_fingerprints_are_stable_across_runs(tmp_path: Path, empty_config: Path) -> None:
    export = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    first = sarif_of(tmp_path, empty_config, export)["runs"][0]["results"]
    second = sarif_of(tmp_path, empty_config, export)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in second]


def test_check__runs_the_program_when_no_export_is_given(tmp_path: Path) -> None:
    # Given every test-pack policy relaxed to advisory, so the shipped program cannot fail it
    config = write_json(tmp_path / "c.json", {"all": "advisory"})
    out = tmp_path / "report.json"
    result = run(*pack_args(config), "--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    # Then the whole offline plan was checked: the Stack, the explicit provider and everything else
    files = load_stack("prod", PROJECT_DIR)
    resources = plan_export(run_program(files), PROJECT_DIR)["resources"]
    # plus one default provider per package some custom resource uses without an explicit provider
    defaults = {r["type"].split(":")[0] for r in resources if r["custom"] and not r["provider"]} - {"pulumi"}
    assert document["resourcesChecked"] == len(resources) + len(defaults)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy-pack", "no/such/pack"], "--policy-pack no/such/pack: no such directory"),
        (["--format", "xml"], "Invalid value for '--format': 'xml' is not one of 'text', 'json', 'sarif'."),
        (["--stack", "qa"], "--stack qa: no Pulumi.qa.yaml"),
        (
            ["--policy-pack", str(TESTPACK), "--policy-pack-config", "missing.json"],
            "--policy-pack-config missing.json: no such file",
        ),
        (["--export", "nope.json"], "--export nope.json: no such file; write one with finstack preview --json FILE"),
        (["--output", "no/such/dir/r.json"], "--output no/such/dir/r.json: directory no/such/dir does not exist"),
    ],
)
def test_check__bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_check__bad_config_json_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.prod.json"
    config.write_text('{"aurora-storage-encrypted": "mandatory",}', encoding="utf-8")
    result = run(*pack_args(config), "--export", str(write_json(tmp_path / "p.json", clean_export())))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: config.prod.json: not valid JSON (Expecting property name enclosed in double quotes at line 1 "
        "column 42); fix the syntax"
    )


def test_check__export_of_another_stack_exits_2(tmp_path: Path, empty_config: Path) -> None:
    export = write_json(tmp_path / "plan.json", clean_export() | {"stack": "dev"})
    result = run(*pack_args(empty_config), "--export", str(export))
    assert result.exit_code == 2
    assert "--export is for stack 'dev', not --stack prod; pass --stack dev" in result.stderr
