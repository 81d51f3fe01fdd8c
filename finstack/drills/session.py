"""Wire a drill together: document, gateway, data plane, plan, journal; dry run, start and resume.

The CLI calls these functions and only prints; tests call them with their own sessions, clock
and retry policy. Nothing here talks to AWS except through the gateway and the observer.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from finstack.drills import errors, evidence, preflight
from finstack.drills.clock import DrillClock, SystemClock, iso
from finstack.drills.dataplane import DataApiPlane, DataPlane, EmulatorWriteModel
from finstack.drills.dr import DrDocument
from finstack.drills.gateway import DrillGateway, RetryPolicy, sessions_for
from finstack.drills.journal import Journal
from finstack.drills.observe import Observed, Observer
from finstack.drills.plan import Plan, Step, Via, build
from finstack.drills.preflight import DrillKind, Precondition, Thresholds
from finstack.drills.runner import EMULATOR_TIMINGS, DrillContext, DrillRunner, RunResult, Timings

#: Progress callback: ("start" | "done" | "skip", step, seconds).
Progress = Callable[[str, Step, float], None]

#: Step tag of the API calls that read the state the plan was made from (before approval).
PLAN_CALLS = "plan"


@dataclass
class DrillSetup:
    """A stack ready to be drilled: its document and the means to read and change it."""

    stack: str
    document: DrDocument
    gateway: DrillGateway
    data_plane: DataPlane
    clock: DrillClock
    mode: str
    timings: Timings = field(default_factory=Timings)
    #: The operator's own AWS principal, the one that assumed the DR automation role (the
    #: gateway's calls are the role's): the evidence names both.
    principal_arn: str | None = None

    def observer(self) -> Observer:
        """A fresh observer (it caches the ARC endpoints of one run)."""
        return Observer(self.gateway, self.document, self.data_plane)


#: The automation role's maximum session (components.dr_control.AUTOMATION_SESSION_SECONDS).
ROLE_SESSION_SECONDS = 3600


def role_session_name(user: str | None) -> str:
    """`finstack-drill-<user>`: CloudTrail shows who drilled in every call the role makes."""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", user or "unknown")
    return f"finstack-drill-{cleaned}"[:64]


def _is_session_of(caller_arn: str, role_arn: str) -> bool:
    """Whether `caller_arn` (sts assumed-role ARN) is a session of the IAM role `role_arn`."""
    role_name = role_arn.rsplit("/", 1)[-1]
    parts = caller_arn.split(":")
    return len(parts) == 6 and parts[2] == "sts" and parts[5].startswith(f"assumed-role/{role_name}/")


def as_automation_role(
    sessions: Mapping[str, boto3.Session],
    document: DrDocument,
    *,
    clock: DrillClock,
    endpoint_url: str | None,
    local_only: bool,
) -> str:
    """Make `sessions` act as the document's DR automation role (AssumeRole), unless they already do.

    Every call a drill makes is then authorized by that role's policy, the one generated from
    `components.dr_permissions`, on AWS and (IAM enforced) in the emulator alike. Returns the
    principal that assumed it (the operator's own identity, for the evidence).
    """
    bootstrap = DrillGateway(sessions, clock=clock, endpoint_url=endpoint_url, local_only=local_only)
    caller = bootstrap.caller_identity()["arn"]
    if _is_session_of(caller, document.automation_role_arn):
        return caller
    try:
        user = os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        user = None
    try:
        credentials = bootstrap.assume_role(document.automation_role_arn, role_session_name(user), ROLE_SESSION_SECONDS)
    except errors.AccessDenied as err:
        raise errors.PreconditionFailed(
            f"{caller} may not assume the DR automation role {document.automation_role_arn} ({err.code}): run the "
            "drill as a principal its trust policy names (finstack:eks.adminRoleArn) or one tagged "
            "finstack:dr-operator=true"
        ) from None
    for session in sessions.values():
        # boto3 keeps its botocore session here; its event hooks (and thus ours) are kept.
        session._session.set_credentials(
            credentials["accessKeyId"], credentials["secretAccessKey"], credentials["sessionToken"]
        )
    return caller


def emulated(
    stack: str,
    document: DrDocument,
    *,
    endpoint_url: str | None = None,
    sessions: Mapping[str, boto3.Session] | None = None,
    clock: DrillClock | None = None,
    retry: RetryPolicy | None = None,
    timings: Timings = EMULATOR_TIMINGS,
) -> DrillSetup:
    """A setup against the emulator (in-process when `endpoint_url` is None, else the server there)."""
    clock = clock or SystemClock()
    sessions = dict(sessions or {r: boto3.Session(region_name=r) for r in document.regions})
    principal = as_automation_role(sessions, document, clock=clock, endpoint_url=endpoint_url, local_only=True)
    gateway = DrillGateway(
        sessions,
        clock=clock,
        retry=retry,
        endpoint_url=endpoint_url,
        local_only=True,
    )
    plane = EmulatorWriteModel(gateway, document, endpoint_url=endpoint_url)
    return DrillSetup(stack, document, gateway, plane, clock, "emulator", timings, principal)


def real(
    stack: str,
    document: DrDocument,
    *,
    profile: str | None = None,
    clock: DrillClock | None = None,
    retry: RetryPolicy | None = None,
) -> DrillSetup:
    """A setup against the AWS account of the current credentials."""
    clock = clock or SystemClock()
    sessions = sessions_for(document.regions, profile)
    principal = as_automation_role(sessions, document, clock=clock, endpoint_url=None, local_only=False)
    gateway = DrillGateway(sessions, clock=clock, retry=retry)
    return DrillSetup(stack, document, gateway, DataApiPlane(gateway, document), clock, "aws", Timings(), principal)


def choose_regions(kind: DrillKind, document: DrDocument, observed: Observed, to: str | None) -> tuple[str, str]:
    """(source, target) of a drill: the source is the current writer; the target `--to` or implied."""
    if to is not None:
        document.cell(to)
    standalone = [m.region for m in observed.members.values() if m.is_writer and not m.in_global_cluster]
    if standalone:
        raise errors.PreconditionFailed(
            f"the cluster in {', '.join(standalone)} is a standalone writer detached from the global cluster "
            "(a detach-and-promote failover): rebuild the global database from it and re-add the other cells as "
            "secondaries before any further drill"
        )
    writer = observed.writer_region
    if writer is None:
        raise errors.PreconditionFailed(
            "the global cluster has no single writer right now "
            f"(status {observed.global_status}, failover state {observed.failover_state}); nothing can be moved"
        )
    if kind == "failback":
        target = to or document.primary_region
        if target == writer:
            raise errors.PreconditionFailed(f"the writer is already in {target}: there is nothing to fail back")
        return writer, target
    if to is not None:
        return writer, to
    others = [r for r in document.regions if r != writer]
    if len(others) != 1:
        raise errors.DocumentError(f"--to is required: the stack has several other cells ({', '.join(others)})")
    return writer, others[0]


@dataclass(frozen=True)
class Preview:
    """A dry run: the plan, the preconditions judged now, and what they were judged on."""

    plan: Plan
    checks: list[Precondition]
    observed: Observed

    @property
    def executable(self) -> bool:
        """Whether every blocking precondition holds."""
        return not preflight.blocking_failures(self.checks)


def prepare(
    setup: DrillSetup,
    kind: DrillKind,
    *,
    to: str | None = None,
    via: Via = "direct",
    thresholds: Thresholds | None = None,
) -> Preview:
    """Observe, choose regions, plan and judge the preconditions; changes nothing."""
    if via == "arc" and setup.document.arc_plan_arn is None:
        raise errors.DocumentError("--via arc: the stack has no ARC Region switch plan (arcPlanArn is null)")
    if via == "arc" and setup.mode == "emulator":
        raise errors.NotEmulated(
            "--via arc: the emulator does not implement the ARC Region switch API (arc-region-switch); "
            "drill without --via arc against the emulator, or with it against AWS"
        )
    observer = setup.observer()
    # The reads behind the plan are evidence too: the state the operator approved the plan on.
    setup.gateway.recorder.step = PLAN_CALLS
    try:
        observed = observer.observe(prefer=[to] if to else [])
    finally:
        setup.gateway.recorder.step = None
    source, target = choose_regions(kind, setup.document, observed, to)
    plan = build(kind, setup.stack, setup.document, observed, source=source, target=target, via=via)
    checks = preflight.evaluate(
        kind,
        setup.document,
        observed,
        source=source,
        target=target,
        thresholds=thresholds or Thresholds(),
        stack=setup.stack,
    )
    return Preview(plan, checks, observed)


def new_drill_id(kind: DrillKind, clock: DrillClock) -> str:
    """`<drill>-<UTC yyyymmddThhmmssZ>-<6 hex>`: sortable, unique, safe as a folder name."""
    return f"{kind}-{clock.wall().strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def operator_identity(setup: DrillSetup) -> dict[str, Any]:
    """Who runs the drill: OS user, the AWS principal of its calls, the operator's own, the account.

    The calls are made as the DR automation role's session (STS caller ARN); `principalArn` is
    the operator's own principal, which assumed the role.
    """
    try:
        user = os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        user = None
    identity = setup.gateway.caller_identity()
    return {
        "user": user,
        "callerArn": identity["arn"],
        "principalArn": setup.principal_arn or identity["arn"],
        "account": identity["account"],
    }


def start(
    setup: DrillSetup,
    preview: Preview,
    report_dir: Path,
    *,
    drill_id: str,
    operator: Mapping[str, Any],
    approval_method: str,
    override_fence: str | None = None,
    accept_unverified_canary: str | None = None,
    thresholds: Thresholds | None = None,
    on_progress: Progress | None = None,
) -> tuple[RunResult, Path, Path]:
    """Freeze the plan into a new journal, run it, and write the evidence."""
    approved_at = iso(setup.clock.wall())
    header = {
        "drillId": drill_id,
        "stack": setup.stack,
        "environment": setup.document.environment,
        "mode": setup.mode,
        "account": operator.get("account"),
        "operator": {
            "user": operator.get("user"),
            "callerArn": operator.get("callerArn"),
            "principalArn": operator.get("principalArn"),
        },
        "approval": {
            "approvedBy": operator.get("user") or operator.get("callerArn") or "unknown",
            "approvedAt": approved_at,
            "method": approval_method,
            "callerArn": operator.get("callerArn"),
        },
        "overrideFence": override_fence,
        "acceptUnverifiedCanary": accept_unverified_canary,
        "thresholds": {
            "maxReplicationLagSeconds": (thresholds or Thresholds()).max_replication_lag_seconds,
            "maxReplicatorLatencyMs": (thresholds or Thresholds()).max_replicator_latency_ms,
        },
    }
    journal = Journal.create(report_dir, header, preview.plan.to_json())
    return _run(setup, journal, override_fence, accept_unverified_canary, thresholds, dict(operator), on_progress)


def resume(
    setup: DrillSetup,
    report_dir: Path,
    operator: Mapping[str, Any] | None = None,
    on_progress: Progress | None = None,
    accept_unverified_canary: str | None = None,
) -> tuple[RunResult, Path, Path]:
    """Continue the drill whose journal is in `report_dir`, with the plan it started with.

    `operator` (who resumes) is recorded on the new run; the original approval stays the drill's.
    A drill that ended `unverified` resumes only to accept its canary gap (`accept_unverified_canary`,
    recorded with the resuming operator): its steps are all completed, nothing is repeated.
    """
    journal = Journal.load(report_dir)
    if journal.data["stack"] != setup.stack:
        raise errors.DocumentError(
            f"--resume {report_dir}: that drill is of stack {journal.data['stack']}, not {setup.stack}"
        )
    if journal.data["status"] in ("completed", "refused"):
        raise errors.DocumentError(f"--resume {report_dir}: that drill already ended ({journal.data['status']})")
    if journal.data["status"] == "unverified" and not accept_unverified_canary:
        raise errors.DocumentError(
            f"--resume {report_dir}: every step of that drill completed but its canary was not verified; "
            "resume it with --accept-unverified-canary REASON to end it completed on the record"
        )
    accepted = accept_unverified_canary or journal.data.get("acceptUnverifiedCanary")
    journal.data["acceptUnverifiedCanary"] = accepted
    thresholds = Thresholds(
        max_replication_lag_seconds=journal.data["thresholds"]["maxReplicationLagSeconds"],
        max_replicator_latency_ms=journal.data["thresholds"]["maxReplicatorLatencyMs"],
    )
    return _run(
        setup,
        journal,
        journal.data.get("overrideFence"),
        accepted,
        thresholds,
        dict(operator or {}) or None,
        on_progress,
    )


def _run(
    setup: DrillSetup,
    journal: Journal,
    override_fence: str | None,
    accept_unverified_canary: str | None,
    thresholds: Thresholds | None,
    operator: dict[str, Any] | None,
    on_progress: Progress | None = None,
) -> tuple[RunResult, Path, Path]:
    context = DrillContext(
        document=setup.document,
        plan=Plan.from_json(journal.data["plan"]),
        gateway=setup.gateway,
        data_plane=setup.data_plane,
        journal=journal,
        clock=setup.clock,
        timings=setup.timings,
        thresholds=thresholds or Thresholds(),
        override_fence=override_fence,
        accept_unverified_canary=accept_unverified_canary,
        operator=operator,
        on_progress=on_progress,
    )
    result = DrillRunner(context).run()
    json_path, md_path = evidence.write(journal.data, journal.path.parent)
    return result, json_path, md_path
