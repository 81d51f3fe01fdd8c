"""The `finstack` command line: exit codes, one-line errors, the plan export file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from finstack.check.session import DEFAULT_PROCESSES
from finstack.cli import main
from tests.check.conftest import write_pack
from tests.plan import PROJECT_DIR


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's stack files in a temp dir, as the working directory."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copytree(PROJECT_DIR / "infra", tmp_path / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli__preview_writes_the_plan_export(project: Path) -> None:
    code, out, _ = invoke("preview", "--stack", "dev", "--json", "plan.json")
    assert code == 0, out
    document = json.loads((project / "plan.json").read_text())
    assert document["stack"] == "dev"
    assert "Resources per region" in out and "total" in out


def test_cli__unknown_stack_is_one_line_exit_2(project: Path) -> None:
    code, _, err = invoke("preview", "--stack", "qa")
    assert code == 2
    assert err.strip().splitlines() == [f"error: --stack qa: no Pulumi.qa.yaml in {project}; known stacks: dev, prod"]


def test_cli__invalid_config_names_file_and_key(project: Path) -> None:
    text = (project / "Pulumi.prod.yaml").read_text().replace("aws:region: us-east-1", "aws:region: us-west-2")
    (project / "Pulumi.prod.yaml").write_text(text)
    code, out, err = invoke("preview", "--stack", "prod", "--json", "plan.json")
    assert code == 2
    assert err.strip() == (
        "error: Pulumi.prod.yaml: aws:region: us-west-2 differs from the primary region us-east-1; "
        "set aws:region to us-east-1"
    )
    assert not (project / "plan.json").exists(), "nothing may be written when the config is invalid"
    assert out == ""


def test_cli__broken_yaml_is_one_line_exit_2(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  finstack:regions: [\n")
    code, _, err = invoke("preview", "--stack", "dev")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Pulumi.dev.yaml: line "), lines
    assert "not valid YAML" in lines[0]


def test_cli__encrypted_secret_in_stack_file_is_refused(project: Path) -> None:
    with (project / "Pulumi.dev.yaml").open("a") as handle:
        handle.write("  finstack:dbPassword:\n    secure: v1:abc\n")
    code, _, err = invoke("preview", "--stack", "dev")
    assert code == 2
    assert "finstack:dbPassword is an encrypted secret" in err


def test_cli__json_into_missing_directory_exit_2(project: Path) -> None:
    code, _, err = invoke("preview", "--stack", "dev", "--json", "no/such/dir/plan.json")
    assert code == 2
    assert "directory no/such/dir does not exist" in err


def test_cli__no_project_file_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("preview", "--stack", "dev")
    assert code == 2
    assert "no Pulumi.yaml in" in err


def test_cli__help_lists_commands_and_exit_codes() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    assert "preview" in out and "Exit status 0 = ok, 1 = problems found, 2 = bad" in out


def test_cli__console_script_prints_no_traceback(project: Path) -> None:
    # The real entry point, as a user runs it
    result = subprocess.run(
        [sys.executable, "-m", "finstack.cli", "preview", "--stack", "nope"],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_cli__every_subcommand_resolves_to_a_command() -> None:
    import click

    context = click.Context(main)
    names = main.list_commands(context)
    assert {"preview", "check", "up", "destroy", "emulator", "drill", "arm"} <= set(names)
    unresolved = [name for name in names if not isinstance(main.get_command(context, name), click.Command)]
    assert unresolved == []


def test_cli__preview_does_not_import_the_drill_tooling() -> None:
    # Subcommands load on first use: `drill` pulls in boto3, which preview and check never need.
    probe = (
        "import sys; from click.testing import CliRunner; from finstack.cli import main; "
        "result = CliRunner().invoke(main, ['preview', '--help']); assert result.exit_code == 0, result.output; "
        "print(sorted(m for m in ('boto3', 'finstack.commands.drill') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_DIR)
    assert done.stdout.strip() == "[]"


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_cli__sigterm_stops_the_policy_pack_processes_too(tmp_path: Path) -> None:
    # A cancelled CI job sends SIGTERM. The pack processes live in their own process group, so
    # finstack must stop them itself on the way out. This pack never serves, which keeps
    # finstack waiting for its port until the signal comes.
    pack = write_pack(tmp_path / "slow-pack", "import time\ntime.sleep(120)\n")
    export = tmp_path / "plan.json"
    export.write_text(json.dumps({"project": "finstack", "stack": "prod", "resources": []}), encoding="utf-8")
    config = PROJECT_DIR / "policy" / "config.prod.json"
    command = ["check", "--stack", "prod", "--export", str(export), "--policy-pack", str(pack)]
    finstack = subprocess.Popen(
        [sys.executable, "-m", "finstack.cli", *command, "--policy-pack-config", str(config)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    packs: set[int] = set()
    try:
        deadline = time.monotonic() + 30
        while len(packs) < DEFAULT_PROCESSES and time.monotonic() < deadline and finstack.poll() is None:
            packs = _children(finstack.pid)
            time.sleep(0.05)
        if finstack.poll() is not None:
            pytest.fail(f"finstack exited before the signal: {finstack.communicate()[1]}")
        assert len(packs) == DEFAULT_PROCESSES, f"finstack started {len(packs)} pack processes"
        finstack.send_signal(signal.SIGTERM)
        assert finstack.wait(timeout=30) == 128 + signal.SIGTERM
        survivors = [pid for pid in packs if _running(pid)]
        assert survivors == [], f"pack processes {survivors} outlived finstack"
    finally:
        finstack.kill()
        for pid in packs:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_cli__puts_the_sigterm_handler_back_when_run_in_process(project: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    code, _, _ = invoke("preview", "--stack", "dev")
    assert code == 0
    assert signal.getsignal(signal.SIGTERM) == before


def test_cli__ctrl_c_exits_130_with_one_line_not_1() -> None:
    # 1 means "the operation found a problem" (a mandatory violation, a refused drill): an
    # interrupted run must not look like one to CI.
    from finstack.cli import FinstackGroup

    def interrupted() -> None:
        raise KeyboardInterrupt

    group = FinstackGroup(commands={"work": click.Command("work", callback=interrupted)})
    result = CliRunner().invoke(group, ["work"])
    assert result.exit_code == 128 + signal.SIGINT
    assert result.stderr == "interrupted\n"


DNS_CREATED = {
    "domain": "dev.pay.example.com",
    "zoneId": "Z0AAAABBBBCCCCDDDDEEEE",
    "zoneCreated": True,
    "nameServers": ["ns-1.awsdns-00.com", "ns-2.awsdns-03.net"],
    "certificateValidation": "defer",
    "delegationVerified": False,
}


def test_cli__delegation_lines__created_zone_lists_ns_records_and_the_next_step() -> None:
    from finstack.commands.emulate import delegation_lines

    assert delegation_lines(DNS_CREATED) == [
        "dns: dev.pay.example.com is served by the zone Z0AAAABBBBCCCCDDDDEEEE this stack created; "
        "the parent zone must delegate to it:",
        "  dev.pay.example.com. NS ns-1.awsdns-00.com.",
        "  dev.pay.example.com. NS ns-2.awsdns-03.net.",
        "dns: certificateValidation is defer: no HTTPS listener yet; once the NS records are in the parent zone, "
        "set finstack:traffic.certificateValidation: wait and run up again (docs/delegation.md)",
    ]


def test_cli__delegation_lines__signed_zone_names_the_ds_record_after_the_delegation() -> None:
    from finstack.commands.emulate import delegation_lines

    dns = {**DNS_CREATED, "delegationVerified": True, "dsRecord": "12345 13 2 ABCDEF0123"}
    lines = delegation_lines(dns)
    assert lines[-1] == (
        "dns: the zone is DNSSEC-signed; once the delegation resolves and the zone's largest TTL has passed, "
        "publish in the parent zone: dev.pay.example.com. DS 12345 13 2 ABCDEF0123 (docs/delegation.md)"
    )
    assert lines.index("dns: delegation verified (ACM issued the certificates through public DNS)") < len(lines) - 1


def test_cli__delegation_lines__existing_zone_after_a_waiting_up_is_verified() -> None:
    from finstack.commands.emulate import delegation_lines

    dns = {**DNS_CREATED, "zoneCreated": False, "nameServers": None, "certificateValidation": "wait"}
    assert delegation_lines({**dns, "delegationVerified": True}) == [
        "dns: dev.pay.example.com uses the existing zone Z0AAAABBBBCCCCDDDDEEEE (finstack:traffic.hostedZoneId); "
        "its delegation is yours",
        "dns: delegation verified (ACM issued the certificates through public DNS)",
    ]
    assert delegation_lines(None) == []


def test_cli__real_up_prints_the_name_servers_from_the_stack_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    # Given an Automation API stack whose up succeeds with a `dns` output
    from types import SimpleNamespace

    from finstack.commands.emulate import _real_up

    calls: list[str] = []

    class Stack:
        def up(self, on_output: Any, **options: Any) -> Any:
            calls.append("up")
            return SimpleNamespace(outputs={"dns": SimpleNamespace(value=DNS_CREATED, secret=False)})

    # When finstack hands over to it
    _real_up("dev", PROJECT_DIR, yes=True, select=lambda stack, project_dir: Stack())
    # Then it prints the NS records to put in the parent zone
    out = capsys.readouterr().out
    assert calls == ["up"]
    assert "  dev.pay.example.com. NS ns-1.awsdns-00.com." in out.splitlines(), out


def test_cli__emulated_up_prints_the_name_servers_of_the_new_zone(capsys: pytest.CaptureFixture[str]) -> None:
    from finstack.commands.emulate import _print_up
    from finstack.emulator.deploy import UpReport
    from tests.plan import shipped_plan

    run = shipped_plan("dev").run
    _print_up(UpReport(run, [], [], [], Path("outputs.json"), Path("state.json")))
    out = capsys.readouterr().out.splitlines()
    servers = run.outputs["dns"]["nameServers"]
    assert len(servers) == 4
    for server in servers:
        assert f"  dev.pay.example.com. NS {server}." in out, out
