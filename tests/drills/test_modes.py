"""The real-AWS code paths, exercised against the emulator: control-plane invariant, Data API
canaries that cannot be verified, the ARC Region switch (`--via arc`), and journal guards."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from finstack.drills import errors, session
from finstack.drills.clock import ManualClock
from finstack.drills.dataplane import DataApiPlane
from finstack.emulator.moto_ext import aurora
from tests.drills import helpers
from tests.drills import platform as builder
from tests.drills.platform import EAST, GLOBAL_ID, WEST


def _as_aws(setup: session.DrillSetup) -> session.DrillSetup:
    """The setup a real-AWS drill gets: no view into the database, the control plane only."""
    return replace(setup, data_plane=DataApiPlane(setup.gateway, setup.document), mode="aws")


def test_switchover__on_aws_semantics_records_what_it_cannot_verify_instead_of_pretending(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    setup = _as_aws(builder.setup_for(arc_platform))

    outcome = helpers.start(setup, arc_platform, "switchover", tmp_path / "drill")

    assert outcome.result.status == "completed", outcome.result.reason
    assert arc_platform.writer_region() == WEST
    # The canary goes through the RDS Data API with the cell's break-glass secret, as on AWS.
    canary = outcome.report["canary"]
    assert canary["verdict"] == "verified", canary
    assert canary["target"]["accepted"] is True and canary["source"]["accepted"] is False, canary
    rpo = outcome.report["rpo"]
    assert rpo["committedWritesLost"] is None and rpo["method"].startswith("not measured"), rpo
    assert {c["observedThrough"] for c in outcome.report["invariantChecks"]} == {"control-plane"}
    assert all(c["ok"] for c in outcome.report["invariantChecks"])
    assert "CloudWatch" in outcome.step("capture-positions")["details"]["targetLagSource"]


def test_switchover__on_aws_a_member_without_the_data_api_leaves_the_canary_unverified(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given the target member's HTTP endpoint is off (a stack that never enabled the Data API)
    cluster = arc_platform.cell(WEST)["auroraClusterId"]
    builder.client("rds", WEST).modify_db_cluster(DBClusterIdentifier=cluster, EnableHttpEndpoint=False)
    setup = _as_aws(builder.setup_for(arc_platform))

    outcome = helpers.start(setup, arc_platform, "switchover", tmp_path / "drill")

    # Then the writer moved, but a prod drill without proof of one writer is not completed
    assert arc_platform.writer_region() == WEST
    assert outcome.result.status == "unverified", outcome.result.reason
    target = outcome.report["canary"]["target"]
    assert target["verified"] is False and "Data API is not enabled" in target["detail"], target
    assert "--accept-unverified-canary" in outcome.markdown


APPROVER_ROLE = "arn:aws:iam::111122223333:role/finstack-prod-dr-approver"
APPROVING_PERSON = "arn:aws:sts::111122223333:assumed-role/finstack-prod-dr-approver/alice"


class FakeRegionSwitch:
    """ARC Region switch as a botocore before-call responder, executing the plan on the emulator.

    StartPlanExecution drains the deactivated cell and starts the Aurora switchover, as the plan's
    deactivate workflow does; GetPlanExecution waits at the manual approval step until a person
    (`approver`, never the drill: the drill's calls are the ones this hook sees) approves it, then
    reports completed once the writer has moved. The execution's `plan` names the step's approval
    role, and ListPlanExecutionEvents reports the step's events, shaped as botocore's
    `ExecutionEvent` (no caller field: ARC's model has none).
    """

    def __init__(self, platform: builder.Platform, approval_role: str = APPROVER_ROLE) -> None:
        self.platform = platform
        self.approval_role = approval_role
        self.started: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.polls_pending = 0
        self.approved_at: datetime | None = None

    def _person_approves(self) -> None:
        """Someone else, as the approver role, approves once the drill has seen the step pending."""
        self.polls_pending += 1
        if self.polls_pending >= 2 and self.approved_at is None:
            self.approved_at = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.service_model.service_name != "arc-region-switch":
            return None
        import json

        body = json.loads(params["body"] or b"{}")
        self.calls.append(model.name)
        if model.name == "StartPlanExecution":
            self.started.append(body)
            source = body["targetRegion"]
            target = next(r for r in builder.REGIONS if r != source)
            arc_backend_states = builder.client("route53-recovery-cluster", WEST)
            arc_backend_states.update_routing_control_state(
                RoutingControlArn=self.platform.cell(source)["routingControlArn"], RoutingControlState="Off"
            )
            builder.client("rds", target).switchover_global_cluster(
                GlobalClusterIdentifier=GLOBAL_ID,
                TargetDbClusterIdentifier=self.platform.cell(target)["auroraClusterArn"],
            )
            return self._answer({"executionId": "exec-1"})
        if model.name == "GetPlanExecution":
            moved = aurora.global_database(GLOBAL_ID).snapshot()["writerRegion"] == WEST
            if self.approved_at is None:
                self._person_approves()
            if self.approved_at is None:
                state, steps = "pendingManualApproval", [{"name": "approve-writer-switch", "status": "pendingApproval"}]
            else:
                state = "completed" if moved else "inProgress"
                steps = [{"name": "approve-writer-switch", "status": "completed"}]
            return self._answer(
                {"executionId": "exec-1", "executionState": state, "stepStates": steps, "plan": self._plan()}
            )
        if model.name == "ListPlanExecutionEvents":
            assert body["name"] == "approve-writer-switch", body
            events = [{"type": "stepPendingApproval", "stepName": body["name"], "eventId": "e1"}]
            if self.approved_at is not None:
                events.append(
                    {
                        "type": "stepSucceeded",
                        "stepName": body["name"],
                        "eventId": "e2",
                        "previousEventId": "e1",
                        "timestamp": self.approved_at,
                        "executionBlockType": "ManualApproval",
                    }
                )
            return self._answer({"items": events})
        raise AssertionError(f"unexpected ARC Region switch call {model.name} from the drill")

    def _plan(self) -> dict[str, Any]:
        approval = {"approvalRole": self.approval_role, "timeoutMinutes": 60}
        step = {
            "name": "approve-writer-switch",
            "executionBlockType": "ManualApproval",
            "executionBlockConfiguration": {"executionApprovalConfig": approval},
        }
        return {"workflows": [{"workflowTargetAction": "deactivate", "steps": [step]}]}

    @staticmethod
    def _answer(body: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://arc-region-switch.invalid", 200, {}, None), {
            **body,
            "ResponseMetadata": {"RequestId": "arc-fake", "HTTPStatusCode": 200},
        }


def _via_arc(platform: builder.Platform, fake: FakeRegionSwitch, report_dir: Path) -> tuple[Any, Any]:
    setup = _as_aws(builder.setup_for(platform, hooks=[("before-call", fake)]))
    preview = session.prepare(setup, "switchover", via="arc")
    assert isinstance(setup.clock, ManualClock)
    result, _, _ = session.start(
        setup,
        preview,
        report_dir,
        drill_id=session.new_drill_id("switchover", setup.clock),
        operator=helpers.OPERATOR,
        approval_method="--yes",
    )
    return result, helpers.read(report_dir, result)


def test_via_arc__starts_and_follows_the_plan_waits_for_another_principals_approval_and_verifies_everything(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    fake = FakeRegionSwitch(arc_platform)

    result, outcome = _via_arc(arc_platform, fake, tmp_path / "drill")

    assert result.status == "completed", result.reason
    assert fake.started == [{**fake.started[0], "targetRegion": EAST, "action": "deactivate", "mode": "graceful"}]
    # The drill never approves its own gate: a person acting as the approver role did.
    assert "ApprovePlanExecutionStep" not in fake.calls, fake.calls
    region_switch = outcome.step("region-switch")["details"]
    assert region_switch["awaitedApprovals"] == ["approve-writer-switch"], region_switch
    [approval] = region_switch["approvals"]
    assert approval["approvedBy"] == APPROVER_ROLE, approval
    assert approval["approvedByFrom"] == "the plan's approval role", approval
    assert approval["approvedAt"] == "2030-01-01T12:00:00.000Z", approval
    assert approval["independentOfDrill"] is True, approval
    assert arc_platform.dr["automationRoleArn"] != approval["approvedBy"]
    waits = [e for e in outcome.report["events"] if e["message"].startswith("waiting for a person")]
    assert [w["approvalRole"] for w in waits] == [APPROVER_ROLE], waits
    assert outcome.report["promotion"] == "arc-region-switch"
    assert outcome.report["fence"]["confirmed"] is True, "the plan's fence is read back independently"
    assert arc_platform.writer_region() == WEST and arc_platform.routing(WEST) == "On"
    assert outcome.report["rto"]["seconds"] is not None
    assert region_switch["executionId"] == "exec-1"


def test_via_arc__a_plan_the_drills_own_role_may_approve_is_recorded_as_no_independent_gate(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given a plan deployed before the approver role existed: its approval step names the automation role
    automation_role = arc_platform.dr["automationRoleArn"]
    fake = FakeRegionSwitch(arc_platform, approval_role=automation_role)

    result, outcome = _via_arc(arc_platform, fake, tmp_path / "drill")

    # Then the drill still does not approve, and the evidence says the gate was not independent
    assert "ApprovePlanExecutionStep" not in fake.calls, fake.calls
    [approval] = outcome.step("region-switch")["details"]["approvals"]
    assert approval["approvedBy"] == automation_role and approval["independentOfDrill"] is False, approval
    assert result.status == "completed", result.reason


def test_resume__refuses_a_drill_that_already_completed(arc_platform: builder.Platform, tmp_path: Path) -> None:
    helpers.run(arc_platform, "switchover", tmp_path / "drill")

    with pytest.raises(errors.DocumentError, match="already ended"):
        session.resume(builder.setup_for(arc_platform), tmp_path / "drill")


def test_start__refuses_to_overwrite_another_drills_journal(arc_platform: builder.Platform, tmp_path: Path) -> None:
    helpers.run(arc_platform, "switchover", tmp_path / "drill")

    with pytest.raises(errors.DocumentError, match="already exists: resume that drill"):
        helpers.run(arc_platform, "failback", tmp_path / "drill")
