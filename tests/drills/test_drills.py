"""Each drill end to end against the emulator: writer, traffic, capacity, RTO/RPO and evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from finstack.drills import errors, session
from finstack.drills.observe import baseline_tag
from finstack.emulator.moto_ext import route53_health, set_replication_lag
from tests.drills import helpers
from tests.drills import platform as builder
from tests.drills.platform import EAST, GLOBAL_ID, WEST


def _assert_invariant_held(outcome: helpers.Outcome, workload: builder.Workload | None = None) -> None:
    broken = [c for c in outcome.report["invariantChecks"] if not c["ok"]]
    assert not broken, f"one-writer invariant broken: {broken}"
    assert outcome.report["invariantHeld"] is True
    if workload is not None:
        assert workload.violations == [], f"clients could write in two regions at once: {workload.violations}"


def _up_sets_limits(platform: builder.Platform, region: str, nodegroup: str, low: int, high: int) -> None:
    """What `pulumi up` does to a node group: min and max from config, the desired size left alone (ignored)."""
    _, desired, _ = platform.scaling(region, nodegroup)
    builder.client("eks", region).update_nodegroup_config(
        clusterName=platform.cell(region)["eksCluster"],
        nodegroupName=nodegroup,
        scalingConfig={"minSize": low, "desiredSize": desired, "maxSize": high},
    )


def _cluster_tags(region: str) -> dict[str, str]:
    return dict(builder.client("eks", region).describe_cluster(name=f"finstack-prod-{region}")["cluster"]["tags"])


# -- switchover -----------------------------------------------------------------------------------


def test_switchover__moves_writer_and_traffic_without_losing_a_write(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given: an application writing in us-east-1, with writes still replicating to us-west-2
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    assert arc_platform.database().replication_lag(arc_platform.cell(WEST)["auroraClusterArn"]) > 0, (
        "no write in flight"
    )

    # When
    outcome = helpers.run(arc_platform, "switchover", tmp_path / "drill", workload=workload)

    # Then: the writer and the traffic moved, nothing committed was lost, one writer throughout
    assert outcome.result.status == "completed", outcome.result.reason
    assert arc_platform.writer_region() == WEST
    assert (arc_platform.routing(EAST), arc_platform.routing(WEST)) == ("Off", "On")
    assert arc_platform.accepting_writes() == [WEST]
    assert workload.lost() == [], f"a planned switchover lost committed writes: {workload.lost()}"
    report = outcome.report
    assert report["writerBefore"]["region"] == EAST and report["writerAfter"]["region"] == WEST
    assert report["rpo"]["committedWritesLost"] == 0, report["rpo"]
    assert report["fence"]["confirmed"] is True and report["fence"]["method"] == "routing-control"
    assert report["canary"]["target"]["accepted"] is True, report["canary"]
    assert report["canary"]["source"] == {**report["canary"]["source"], "verified": True, "accepted": False}
    _assert_invariant_held(outcome, workload)


def test_switchover__rto_spans_fence_to_healthy_target_and_covers_the_aurora_switch(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    outcome = helpers.run(arc_platform, "switchover", tmp_path / "drill")

    rto = outcome.report["rto"]
    fence, health = outcome.step("fence-source"), outcome.step("verify-health")
    assert rto["startedAt"] == fence["startedAt"] and rto["endedAt"] == health["endedAt"]
    # The emulator's switchover takes 1 s pending + 3 s promoting: the RTO cannot be shorter.
    assert 4.0 <= rto["seconds"] < 10.0, rto
    assert all(s["durationSeconds"] >= 0 for s in outcome.report["steps"])


def test_switchover__scales_the_target_for_the_whole_load_and_records_the_baseline(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    helpers.run(arc_platform, "switchover", tmp_path / "drill")

    # Whole load: the sum of both cells' desired sizes, within the maximum `up` set (never raised).
    assert arc_platform.scaling(WEST, "general") == (3, 12, 12)
    assert arc_platform.scaling(WEST, "system") == (2, 4, 4)
    assert arc_platform.scaling(EAST, "general") == (3, 6, 12), "the fenced source must keep its capacity"
    tags = _cluster_tags(WEST)
    assert tags[baseline_tag("general")] == "3/6/12" and tags[baseline_tag("system")] == "2/2/4"


def test_switchover__without_arc_fences_by_inverting_the_source_health_check(
    plain_platform: builder.Platform, tmp_path: Path
) -> None:
    workload = builder.Workload(plain_platform)
    helpers.warm_up(plain_platform, workload)

    outcome = helpers.run(plain_platform, "switchover", tmp_path / "drill", workload=workload)

    assert outcome.result.status == "completed", outcome.result.reason
    assert plain_platform.writer_region() == WEST
    assert plain_platform.inverted(EAST) and not plain_platform.check_healthy(EAST)
    assert not plain_platform.inverted(WEST) and plain_platform.check_healthy(WEST)
    assert outcome.report["fence"]["method"] == "health-check-inversion"
    assert workload.lost() == []
    _assert_invariant_held(outcome, workload)


def test_switchover__records_request_ids_and_the_approval(arc_platform: builder.Platform, tmp_path: Path) -> None:
    outcome = helpers.run(arc_platform, "switchover", tmp_path / "drill")

    (switch,) = outcome.calls("SwitchoverGlobalCluster")
    assert switch["region"] == WEST and switch["request_id"], switch
    in_steps = sum(len(s["apiCalls"]) for s in outcome.report["steps"])
    assert outcome.report["apiCallCount"] == in_steps + len(outcome.report["otherApiCalls"])
    assert {c["step"] for c in outcome.report["otherApiCalls"]} == {"plan", "invariant-check"}
    assert outcome.report["approval"]["approvedBy"] == "drill-tester"
    assert outcome.report["approval"]["method"] == "--yes"
    assert {c["control"] for c in outcome.report["controls"]} >= {"12.10.2", "A1.3", "Art. 11(6)"}


def test_switchover__markdown_reads_as_a_timeline_with_the_rto_window(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    outcome = helpers.run(arc_platform, "switchover", tmp_path / "drill")

    text = outcome.markdown
    assert "```mermaid\ngantt" in text
    assert "section RTO window" in text and ":crit, rto," in text
    assert "## Controls evidenced" in text and "PCI DSS" in text and "DORA" in text
    assert "one-writer invariant held at every check" in text
    assert "SwitchoverGlobalCluster" in text


# -- refusals and dry runs ------------------------------------------------------------------------


def _snapshot() -> dict[str, Any]:
    return dict(builder.snapshot())


@pytest.mark.parametrize("kind", ["switchover", "failover", "failback"])
def test_dry_run__reads_and_plans_but_changes_nothing(arc_platform: builder.Platform, kind: str) -> None:
    before = _snapshot()

    preview = session.prepare(builder.setup_for(arc_platform), kind, to=WEST if kind == "failback" else None)  # type: ignore[arg-type]

    assert _snapshot() == before, "a dry run changed the platform"
    assert preview.plan.steps, "a dry run must print the plan"


def test_dry_run__failback_to_the_current_writer_is_refused(arc_platform: builder.Platform) -> None:
    with pytest.raises(errors.PreconditionFailed, match="already in us-east-1"):
        session.prepare(builder.setup_for(arc_platform), "failback")


def _refused(platform: builder.Platform, tmp_path: Path, check: str) -> helpers.Outcome:
    before = _snapshot()
    preview = session.prepare(builder.setup_for(platform), "switchover")
    failed = [c for c in preview.checks if not c.ok and c.blocking]
    assert [c.name for c in failed] == [check], failed
    assert not preview.executable
    outcome = helpers.run(platform, "switchover", tmp_path / "drill")
    assert outcome.result.status == "refused", outcome.result
    assert check in outcome.result.reason
    assert _snapshot() == before, "a refused drill changed the platform"
    assert outcome.step("preflight")["status"] == "failed"
    assert [s["status"] for s in outcome.report["steps"][1:]] == ["pending"] * (len(outcome.report["steps"]) - 1)
    return outcome


def test_switchover__refused_when_the_target_cell_is_unhealthy(arc_platform: builder.Platform, tmp_path: Path) -> None:
    route53_health.set_endpoint_health(arc_platform.cell(WEST)["healthCheckId"], False)

    outcome = _refused(arc_platform, tmp_path, "target-healthy")

    assert "endpoint (us-west-2) is not healthy" in outcome.result.reason


def test_switchover__refused_when_replication_lag_is_too_high(arc_platform: builder.Platform, tmp_path: Path) -> None:
    # Given: replication to us-west-2 paused while the application keeps writing for 5 s
    workload = builder.Workload(arc_platform)
    set_replication_lag(GLOBAL_ID, WEST, None)
    helpers.warm_up(arc_platform, workload, ticks=10, every=0.5)

    outcome = _refused(arc_platform, tmp_path, "replication-lag")

    assert outcome.report["preconditions"][8]["name"] == "replication-lag"


def test_switchover__refused_when_the_msk_replicator_is_not_keeping_up(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    from finstack.emulator.moto_ext import set_replicator_lag

    set_replicator_lag(arc_platform.cell(WEST)["replicatorArn"], latency_ms=60_000)

    _refused(arc_platform, tmp_path, "msk-replicator")


def test_switchover__refused_when_the_target_max_cannot_carry_the_whole_load(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given: `up` gave us-west-2's general node group maxSize 10; both cells run 6 nodes at baseline
    _up_sets_limits(arc_platform, WEST, "general", 3, 10)

    outcome = _refused(arc_platform, tmp_path, "target-headroom")

    assert "general needs 12, maxSize 10" in outcome.result.reason
    assert "raise finstack:eks.nodeMaxSize and run `pulumi up`" in outcome.result.reason
    assert arc_platform.scaling(WEST, "general") == (3, 6, 10), "a refused drill must not raise the maximum"


# -- failover -------------------------------------------------------------------------------------


def _expected_loss(platform: builder.Platform) -> list[str]:
    database = platform.database()
    west = platform.cell(WEST)["auroraClusterArn"]
    return [w.write_id for w in database.history[database.applied_count(west) :]]


def test_failover__loses_exactly_the_writes_inside_the_lag_window(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given: writes flowing, then us-east-1 is lost with its newest writes not yet replicated
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    arc_platform.lose_region(EAST)
    expected = _expected_loss(arc_platform)
    assert expected, "the scenario needs writes inside the lag window"

    # When
    outcome = helpers.run(arc_platform, "failover", tmp_path / "drill", workload=workload)

    # Then: promoted with the managed failover; the report's RPO is exactly the unreplicated writes
    assert outcome.result.status == "completed", outcome.result.reason
    assert outcome.report["promotion"] == "managed-failover"
    assert arc_platform.writer_region() == WEST
    rpo = outcome.report["rpo"]
    assert rpo["committedWritesLost"] == len(expected) and rpo["lostWriteIds"] == expected, rpo
    assert 0 < rpo["windowSeconds"] <= 1.0, rpo
    assert workload.lost() == expected
    assert (arc_platform.routing(EAST), arc_platform.routing(WEST)) == ("Off", "On")
    assert outcome.report["fence"]["confirmed"] is True
    fence, promote = outcome.step("fence-source"), outcome.step("promote")
    assert fence["endedAt"] <= promote["startedAt"], "the fence must precede the promotion"
    _assert_invariant_held(outcome, workload)


def test_failover__detaches_and_promotes_when_the_failed_region_api_is_unreachable(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    arc_platform.lose_region(EAST, api_down=True)
    expected = _expected_loss(arc_platform)

    outcome = helpers.run(arc_platform, "failover", tmp_path / "drill", workload=workload)

    # Every step ran, but nothing can prove the unreachable old writer refuses writes: in prod
    # the drill ends unverified, not completed.
    assert outcome.result.status == "unverified", outcome.result.reason
    assert "canary could not be verified" in outcome.result.reason
    assert "--accept-unverified-canary" in outcome.result.reason
    assert all(s["status"] == "completed" for s in outcome.report["steps"])
    assert outcome.report["promotion"] == "detach-and-promote"
    assert outcome.calls("RemoveFromGlobalCluster") and not outcome.calls("FailoverGlobalCluster")
    # The cut-off old writer still accepts writes at the database, but the fence keeps clients away.
    assert arc_platform.writable_regions() == [EAST, WEST]
    assert arc_platform.accepting_writes() == [WEST]
    assert outcome.report["rpo"]["committedWritesLost"] == len(expected)
    assert outcome.report["canary"]["source"]["verified"] is False, "an unreachable old writer cannot be verified"
    assert outcome.report["canary"]["verdict"] == "unverified"
    _assert_invariant_held(outcome, workload)

    # The operator accepts the gap on the record: the drill ends completed, nothing is repeated.
    reason = "INC-4711: us-east-1 API down; writes to it are fenced by ARC, confirmed from two endpoints"
    accepted = helpers.resume(arc_platform, tmp_path / "drill", workload=workload, accept_unverified_canary=reason)

    assert accepted.result.status == "completed", accepted.result.reason
    assert accepted.report["canary"]["verdict"] == "unverified-accepted"
    assert accepted.report["canary"]["acceptedBecause"] == reason
    assert any(e.get("reason") == reason for e in accepted.report["events"])
    assert len(accepted.calls("RemoveFromGlobalCluster")) == len(outcome.calls("RemoveFromGlobalCluster"))
    assert reason in accepted.markdown


def test_failover__without_arc_leaves_a_failing_endpoint_check_uninverted(
    plain_platform: builder.Platform, tmp_path: Path
) -> None:
    # Inverting the check of a dead endpoint would report it healthy and send clients back to it.
    plain_platform.lose_region(EAST)

    outcome = helpers.run(plain_platform, "failover", tmp_path / "drill")

    assert outcome.result.status == "completed", outcome.result.reason
    assert not plain_platform.inverted(EAST) and not plain_platform.check_healthy(EAST)
    assert "not a durable fence" in outcome.step("fence-source")["details"]["fence"]["note"]


def test_failover__proceeds_at_the_maximum_the_target_has(plain_platform: builder.Platform, tmp_path: Path) -> None:
    _up_sets_limits(plain_platform, WEST, "general", 3, 10)
    plain_platform.lose_region(EAST)

    outcome = helpers.run(plain_platform, "failover", tmp_path / "drill")

    assert outcome.result.status == "completed", outcome.result.reason
    assert plain_platform.scaling(WEST, "general") == (3, 10, 10), "desired capped at max; max never raised"
    headroom = next(c for c in outcome.report["preconditions"] if c["name"] == "target-headroom")
    assert (headroom["ok"], headroom["blocking"]) == (False, False), headroom
    assert headroom["reason"].endswith("the failover proceeds at the maxSize it has"), headroom


def _stuck_routing_control(model: Any, params: dict[str, Any], **_: Any) -> Any:
    """A fence that never takes: UpdateRoutingControlState answers 200 but changes nothing."""
    if model.name == "UpdateRoutingControlState" and params.get("body", b"").find(b'"Off"') >= 0:
        from botocore.awsrequest import AWSResponse

        return AWSResponse("https://arc.invalid", 200, {}, None), {"ResponseMetadata": {"RequestId": "stuck"}}
    return None


def test_failover__fails_closed_when_the_fence_cannot_be_confirmed(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    arc_platform.lose_region(EAST)

    outcome = helpers.run(arc_platform, "failover", tmp_path / "drill", hooks=[("before-call", _stuck_routing_control)])

    assert outcome.result.status == "aborted"
    assert "could not be confirmed" in outcome.result.reason and "--override-fence" in outcome.result.reason
    assert arc_platform.writer_region() == EAST, "nothing may be promoted without a confirmed fence"
    assert not outcome.calls("FailoverGlobalCluster") and not outcome.calls("RemoveFromGlobalCluster")
    assert outcome.step("promote")["status"] == "pending"


def test_failover__promotes_without_a_fence_only_with_a_recorded_override(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    arc_platform.lose_region(EAST)
    reason = "INC-4711: us-east-1 unreachable, ARC cluster endpoints timing out; approved by the duty CTO"

    outcome = helpers.run(
        arc_platform,
        "failover",
        tmp_path / "drill",
        hooks=[("before-call", _stuck_routing_control)],
        override_fence=reason,
    )

    assert outcome.result.status == "completed", outcome.result.reason
    assert outcome.report["fence"]["confirmed"] is False and outcome.report["fence"]["override"] == reason
    assert any(reason == e.get("overrideReason") for e in outcome.report["events"])
    assert reason in outcome.markdown


# -- failback -------------------------------------------------------------------------------------


def test_failback__restores_writer_traffic_and_capacity(arc_platform: builder.Platform, tmp_path: Path) -> None:
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    first = helpers.run(arc_platform, "switchover", tmp_path / "switchover", workload=workload)
    assert first.result.status == "completed", first.result.reason
    helpers.warm_up(arc_platform, workload)

    outcome = helpers.run(arc_platform, "failback", tmp_path / "failback", workload=workload)

    assert outcome.result.status == "completed", outcome.result.reason
    assert arc_platform.writer_region() == EAST
    assert (arc_platform.routing(EAST), arc_platform.routing(WEST)) == ("On", "On"), "active-active restored"
    for region in (EAST, WEST):
        assert arc_platform.scaling(region, "general") == (3, 6, 12), region
        assert arc_platform.scaling(region, "system") == (2, 2, 4), region
        assert not [k for k in _cluster_tags(region) if k.startswith("finstack:dr-baseline/")], region
    assert workload.lost() == []
    # Fencing us-west-2 while us-east-1 was Off needed the safety rule overridden, on the record.
    assert outcome.report["fence"]["overriddenSafetyRules"], outcome.report["fence"]
    _assert_invariant_held(outcome, workload)


def test_failback__restores_the_desired_size_and_keeps_the_min_and_max_up_set_in_between(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given: a switchover scaled us-west-2 (baseline tag 3/6/12), then a `pulumi refresh` + `pulumi up`
    # applied a new config to it: min 4, max 14 (the desired size 12 is ignored by `up`)
    first = helpers.run(arc_platform, "switchover", tmp_path / "switchover")
    assert first.result.status == "completed", first.result.reason
    _up_sets_limits(arc_platform, WEST, "general", 4, 14)

    outcome = helpers.run(arc_platform, "failback", tmp_path / "failback")

    # Then: only the desired size went back to the baseline; the drill did not revert up's min and max
    assert outcome.result.status == "completed", outcome.result.reason
    assert arc_platform.scaling(WEST, "general") == (4, 6, 14)
    assert arc_platform.scaling(WEST, "system") == (2, 2, 4)
    assert arc_platform.scaling(EAST, "general") == (3, 6, 12)
    assert not [k for k in _cluster_tags(WEST) if k.startswith("finstack:dr-baseline/")]


def test_switchover__keeps_the_min_and_max_an_up_set_after_the_plan_was_made(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given: the plan is made (it sees us-west-2's general group at 3/6/12), then, before it runs, a
    # `pulumi up` applies a new config to that group: min 4, max 14
    setup = builder.setup_for(arc_platform)
    preview = session.prepare(setup, "switchover")
    _up_sets_limits(arc_platform, WEST, "general", 4, 14)

    # When: the drill runs the plan it froze
    outcome = helpers.execute(setup, preview, "switchover", tmp_path / "drill")

    # Then: it set only the desired size (the summed load, 12) and kept up's min and max
    assert outcome.result.status == "completed", outcome.result.reason
    assert arc_platform.scaling(WEST, "general") == (4, 12, 14)


def test_failback__refused_until_the_old_region_is_healthy(arc_platform: builder.Platform, tmp_path: Path) -> None:
    helpers.run(arc_platform, "switchover", tmp_path / "switchover")
    route53_health.set_endpoint_health(arc_platform.cell(EAST)["healthCheckId"], False)

    preview = session.prepare(builder.setup_for(arc_platform), "failback")

    assert [c.name for c in preview.checks if c.blocking and not c.ok] == ["target-healthy"]


def test_failback__refused_after_a_detach_until_the_global_database_is_rebuilt(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    arc_platform.lose_region(EAST, api_down=True)
    helpers.run(arc_platform, "failover", tmp_path / "failover")
    arc_platform.outages.clear()
    arc_platform.api_down.clear()

    with pytest.raises(errors.PreconditionFailed, match="standalone writer detached"):
        session.prepare(builder.setup_for(arc_platform), "failback")


# -- ARC Region switch ----------------------------------------------------------------------------


def test_via_arc__is_refused_by_the_emulator_with_a_clear_message(arc_platform: builder.Platform) -> None:
    with pytest.raises(errors.NotEmulated, match="does not implement the ARC Region switch API"):
        session.prepare(builder.setup_for(arc_platform), "switchover", via="arc")


# -- ARC control plane unavailable ----------------------------------------------------------------

CONTROL_CONFIG = "route53-recovery-control-config"


def _control_config_unreachable(model: Any, context: dict[str, Any], **_: Any) -> None:
    """ARC's control-config API (served from us-west-2 only) cannot be reached, as in a us-west-2 outage."""
    from botocore.exceptions import EndpointConnectionError

    if model.service_model.service_name == CONTROL_CONFIG:
        raise EndpointConnectionError(endpoint_url=f"https://{CONTROL_CONFIG}.us-west-2.amazonaws.com")


def _all_calls(outcome: helpers.Outcome) -> list[dict[str, Any]]:
    return [c for s in outcome.report["steps"] for c in s["apiCalls"]] + list(outcome.report["otherApiCalls"])


def test_failover__completes_through_the_arc_data_plane_when_the_control_config_api_is_unreachable(
    arc_platform: builder.Platform, tmp_path: Path
) -> None:
    # Given: us-east-1 (the writer) is lost and ARC's control-config API does not answer
    workload = builder.Workload(arc_platform)
    helpers.warm_up(arc_platform, workload)
    arc_platform.lose_region(EAST)

    # When
    outcome = helpers.run(
        arc_platform,
        "failover",
        tmp_path / "drill",
        workload=workload,
        hooks=[("before-call", _control_config_unreachable)],
    )

    # Then: fenced, promoted and moved through the cluster endpoints the `dr` document carries
    assert outcome.result.status == "completed", outcome.result.reason
    assert arc_platform.writer_region() == WEST
    assert (arc_platform.routing(EAST), arc_platform.routing(WEST)) == ("Off", "On")
    assert outcome.report["fence"]["confirmed"] is True
    assert not [c for c in _all_calls(outcome) if c["service"] == CONTROL_CONFIG]
    _assert_invariant_held(outcome, workload)


def test_drills__make_no_control_config_call_on_any_path(arc_platform: builder.Platform, tmp_path: Path) -> None:
    # Given: the control-config API is unreachable for the whole sequence
    hooks = [("before-call", _control_config_unreachable)]
    document = arc_platform.document

    # When: a switchover, a failback that must override the safety rule, then a failover
    outcomes = [helpers.run(arc_platform, "switchover", tmp_path / "switchover", hooks=hooks)]
    outcomes.append(helpers.run(arc_platform, "failback", tmp_path / "failback", hooks=hooks))
    arc_platform.lose_region(EAST)
    outcomes.append(helpers.run(arc_platform, "failover", tmp_path / "failover", hooks=hooks))

    # Then: each completed, and the only ARC calls went to the data plane's cluster endpoints
    for outcome in outcomes:
        drill = outcome.report["drill"]
        assert outcome.result.status == "completed", f"{drill}: {outcome.result.reason}"
        calls = _all_calls(outcome)
        assert not [c for c in calls if c["service"] == CONTROL_CONFIG], f"{drill} called {CONTROL_CONFIG}"
        assert {c["service"] for c in calls if "route53-recovery" in c["service"]} == {"route53-recovery-cluster"}
    # The failback fenced the last cell On past the safety rules the document names.
    assert outcomes[1].report["fence"]["overriddenSafetyRules"] == list(document.arc_safety_rule_arns)
    assert document.arc_safety_rule_arns, arc_platform.dr["arcSafetyRuleArns"]
