"""Emulated drills run as the DR automation role, with IAM authorization enforced as on AWS.

The role's policies are the stack's own (`components.dr_control`, generated from
`components.dr_permissions`); each test takes one grant away and watches the drill fail the way it
would on AWS, so a permission the role lacks can never pass offline.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.dr_control import automation_role_name
from components.dr_permissions import DRILL_CALLS, UnlistedCall
from finstack.drills import session
from finstack.drills.dataplane import DataApiPlane
from tests.drills import helpers
from tests.drills import platform as builder
from tests.drills.platform import ACCOUNT, EAST, WEST

ROLE = automation_role_name("prod")


def _revoke(action: str) -> None:
    """Remove `action` from every statement of the automation role's inline policies."""
    iam = builder.client("iam", EAST)
    for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        kept = []
        for statement in document["Statement"]:
            actions = [a for a in _listed(statement["Action"]) if a != action]
            if actions:
                kept.append({**statement, "Action": actions})
        iam.put_role_policy(RoleName=ROLE, PolicyName=name, PolicyDocument=json.dumps({**document, "Statement": kept}))


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_drill__every_call_is_made_as_the_automation_role_and_the_operator_is_named(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    setup = builder.setup_for(arc_platform)
    preview = session.prepare(setup, "switchover")

    outcome = helpers.execute(
        setup, preview, "switchover", tmp_path / "drill", operator=session.operator_identity(setup)
    )

    assert outcome.result.status == "completed", outcome.result.reason
    operator = outcome.report["operator"]
    assert operator["callerArn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/finstack-drill-drill-tester")
    assert operator["principalArn"] != operator["callerArn"], "the evidence must name who assumed the role"
    assert outcome.report["canary"]["verdict"] == "verified"
    assert "the DR automation role" in outcome.markdown


def test_drill__a_role_without_the_data_api_grant_cannot_verify_the_canary_and_ends_unverified(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given the automation role has lost rds-data:ExecuteStatement (as the stack once shipped)
    _revoke("rds-data:ExecuteStatement")

    # When a prod switchover runs
    outcome = helpers.run(arc_platform, "switchover", tmp_path / "drill")

    # Then the writer moved, but nothing proved one writer: the drill is not completed
    assert arc_platform.writer_region() == WEST
    assert outcome.result.status == "unverified", outcome.result.reason
    target = outcome.report["canary"]["target"]
    assert target["verified"] is False and "rds-data:ExecuteStatement" in target["detail"], target


def test_drill__a_role_that_cannot_decrypt_the_break_glass_secret_ends_unverified(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Secrets Manager decrypts with the caller's kms:Decrypt (via secretsmanager): without it the
    # Data API cannot read the credential, on AWS as here.
    _revoke("kms:Decrypt")

    outcome = helpers.run(arc_platform, "switchover", tmp_path / "drill")

    assert outcome.result.status == "unverified", outcome.result.reason
    assert "kms:Decrypt" in outcome.report["canary"]["target"]["detail"]


def test_drill__a_role_without_get_metric_data_cannot_read_the_lag_and_the_switchover_is_refused(
    arc_platform: builder.Platform,
) -> None:
    # On AWS the lag comes from CloudWatch (the emulator's write model is not visible there).
    emulated = builder.setup_for(arc_platform)
    setup = replace(emulated, data_plane=DataApiPlane(emulated.gateway, emulated.document), mode="aws")
    granted = next(c for c in session.prepare(setup, "switchover").checks if c.name == "replication-lag")
    assert granted.ok, granted

    _revoke("cloudwatch:GetMetricData")
    preview = session.prepare(setup, "switchover")

    assert not preview.executable
    lag = next(c for c in preview.checks if c.name == "replication-lag")
    assert not lag.ok and "unknown" in lag.actual, lag


def test_drill__a_role_without_the_node_group_grant_aborts_before_any_fence(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    _revoke("eks:UpdateNodegroupConfig")

    outcome = helpers.run(arc_platform, "switchover", tmp_path / "drill")

    assert outcome.result.status == "aborted", outcome.result.reason
    assert "eks:UpdateNodegroupConfig" in outcome.result.reason
    assert arc_platform.writer_region() == EAST and arc_platform.routing(EAST) == "On"


@pytest.mark.parametrize("call", DRILL_CALLS, ids=lambda c: f"{c.service}:{c.operation}")
def test_drill_calls__every_row_names_an_operation_of_its_service(call: Any) -> None:
    client = builder.client(call.service, EAST) if call.service != "sts" else builder.client("sts", EAST)
    assert call.operation in client.meta.service_model.operation_names, call


def test_gateway__a_call_missing_from_the_table_is_refused_before_it_is_sent(arc_platform: builder.Platform) -> None:
    setup = builder.setup_for(arc_platform)

    with pytest.raises(UnlistedCall, match=r"DeleteDBCluster is not in components\.dr_permissions\.DRILL_CALLS"):
        setup.gateway.call("rds", EAST, "delete_db_cluster", DBClusterIdentifier="finstack-prod-ledger-us-east-1")
