"""`finstack up|destroy --emulate`: deploy the real program into the emulator, and tear it down.

Runs the stack program with EmulatorMocks (no preview: every resource is created), writes
`.finstack/<stack>/outputs.json` (the `dr` document of the contract) and a state file that
makes a second `up` idempotent and lets `destroy` delete in a valid order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finstack.emulator.handlers import HandlerContext, load_all
from finstack.emulator.mocks import EmulatorMocks
from finstack.emulator.session import EmulatorSession
from finstack.emulator.state import DeployState, StateEntry
from finstack.engine.runner import ProgramRun, run_program
from finstack.incluster.bundle import for_manifest_dir
from finstack.incluster.driver import RunnerOutcome, cells_of, deliver
from finstack.project import StackFiles


def stack_dir(files: StackFiles) -> Path:
    """`.finstack/<stack>/` in the project: outputs, state, plan exports, drill reports."""
    return files.project_dir / ".finstack" / files.stack


def outputs_path(files: StackFiles) -> Path:
    """Where the emulator writes the `dr` document."""
    return stack_dir(files) / "outputs.json"


def state_path(files: StackFiles) -> Path:
    """Where the emulator keeps what it created."""
    return stack_dir(files) / "state.json"


@dataclass(frozen=True)
class UpReport:
    """What one emulated `up` did."""

    run: ProgramRun
    created: list[StateEntry]
    reused: list[StateEntry]
    recorded_only: list[StateEntry]
    outputs_file: Path
    state_file: Path
    in_cluster: list[RunnerOutcome] = field(default_factory=list)
    """Each cell's runner apply of the rendered Kubernetes objects (docs/in-cluster.md)."""


def _state_for(files: StackFiles, session: EmulatorSession) -> DeployState:
    if session.in_process:
        # In-process moto state dies with its session: so does what we know was deployed there.
        return session.deployments.setdefault(files.stack, DeployState(files.stack, session.endpoint))
    state = DeployState.load(state_path(files), files.stack, session.endpoint)
    if state.entries and not _still_there(state, session):
        # The server was restarted since this state was written: start afresh.
        return DeployState(files.stack, session.endpoint)
    return state


def _still_there(state: DeployState, session: EmulatorSession) -> bool:
    vpcs = [e for e in state.in_creation_order() if e.type == "aws:ec2/vpc:Vpc" and e.emulated]
    if not vpcs:
        return True
    client = session.gateway.client("ec2", vpcs[0].region)
    try:
        return bool(client.describe_vpcs(VpcIds=[vpcs[0].id])["Vpcs"])
    except Exception:
        return False


def up(
    files: StackFiles, session: EmulatorSession, on_resource: Callable[[StateEntry], None] | None = None
) -> UpReport:
    """Deploy the stack into the emulator; idempotent for resources already there."""
    config = files.validated()
    state = _state_for(files, session)
    before = set(state.entries)
    mocks = EmulatorMocks(config.aws_region, session.gateway, load_all(), state, on_resource=on_resource)
    try:
        run = run_program(files, mocks=mocks, preview=False)
    finally:
        # Even a failed `up` records what it created: a retry resumes, `destroy` cleans up.
        state.save(state_path(files))
    entries = state.in_creation_order()
    created = [e for e in entries if e.key not in before and e.emulated]
    recorded = [e for e in entries if not e.emulated]
    reused = [e for e in entries if e.key in before and e.emulated]
    out_file = outputs_path(files)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    dr: Any = run.outputs.get("dr", {})
    out_file.write_text(json.dumps(dr, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    state.save(state_path(files))
    in_cluster = [
        deliver(session.gateway, cell, for_manifest_dir(run.records, cell.manifest_dir), poll_seconds=0.0)
        for cell in cells_of(run.outputs)
    ]
    return UpReport(run, created, reused, recorded, out_file, state_path(files), in_cluster)


@dataclass
class DestroyReport:
    """What one emulated `destroy` did."""

    deleted: list[StateEntry] = field(default_factory=list)
    forgotten: list[StateEntry] = field(default_factory=list)
    failed: list[tuple[StateEntry, str]] = field(default_factory=list)


def _detach_global_members(state: DeployState, session: EmulatorSession) -> None:
    """Secondaries leave each global cluster first, then the writer (AWS's only valid order)."""
    for entry in state.in_creation_order():
        if entry.type != "aws:rds/globalCluster:GlobalCluster" or not entry.emulated:
            continue
        rds = session.gateway.client("rds", entry.region)
        found = rds.describe_global_clusters(GlobalClusterIdentifier=entry.id)["GlobalClusters"]
        members = found[0].get("GlobalClusterMembers", []) if found else []
        for member in sorted(members, key=lambda m: bool(m.get("IsWriter"))):
            arn = member["DBClusterArn"]
            session.gateway.client("rds", arn.split(":")[3]).remove_from_global_cluster(
                GlobalClusterIdentifier=entry.id, DbClusterIdentifier=arn
            )


def destroy(files: StackFiles, session: EmulatorSession) -> DestroyReport:
    """Delete everything `up` created, newest first, and clear the state."""
    state = _state_for(files, session)
    report = DestroyReport()
    registry = load_all()
    _detach_global_members(state, session)
    account = session.gateway.account_id()
    for entry in reversed(state.in_creation_order()):
        handler = registry.get(entry.type)
        if not entry.emulated or handler is None or handler.delete is None:
            # Nothing standalone to delete (a setting on another resource, or never emulated).
            report.forgotten.append(entry)
            state.remove(entry.key)
            continue
        try:
            handler.delete(HandlerContext(session.gateway, entry.region, account), entry.id, entry.properties)
        except Exception as err:
            report.failed.append((entry, str(err)))
            continue
        report.deleted.append(entry)
        state.remove(entry.key)
    if session.in_process and not state.entries:
        session.deployments.pop(files.stack, None)
    state.save(state_path(files))
    if not state.entries and outputs_path(files).exists():
        outputs_path(files).unlink()
    return report
