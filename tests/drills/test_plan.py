"""Properties of the pure planning logic (plan.build, plan.whole_load, preflight.evaluate), with hypothesis.

Documents and observed states are generated directly (no AWS): any number of cells from two to
four, ARC on or off, any routing and inversion state, node groups of any size with or without a
recorded baseline, unreachable regions. Every plan must keep the safety order.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from finstack.drills.dr import ArcEndpoint, Cell, DrDocument
from finstack.drills.observe import CellHealth, Member, Nodegroup, Observed, Scaling
from finstack.drills.plan import Plan, StepKind, build, whole_load
from finstack.drills.preflight import Thresholds, evaluate

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
ACCOUNT = "123456789012"


@st.composite
def scalings(draw: st.DrawFn) -> Scaling:
    low = draw(st.integers(0, 10))
    desired = draw(st.integers(low, low + 20))
    return Scaling(low, desired, draw(st.integers(desired, desired + 20)))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=2, max_size=4, unique=True))
    arc = draw(st.booleans())
    groups = draw(st.integers(1, 3))
    cells = {
        r: Cell(
            region=r,
            aurora_cluster_arn=f"arn:aws:rds:{r}:{ACCOUNT}:cluster:ledger-{r}",
            aurora_cluster_id=f"ledger-{r}",
            eks_cluster=f"eks-{r}",
            nodegroups=tuple(f"ng{i}" for i in range(groups)),
            msk_cluster_arn=f"arn:aws:kafka:{r}:{ACCOUNT}:cluster/msk-{r}/x",
            replicator_arn=None,
            health_check_id=f"hc-{r}",
            routing_control_arn=f"rc-{r}" if arc else None,
            api_hostname=f"api.{r}.example.com",
            break_glass_secret_arn=f"arn:aws:secretsmanager:{r}:{ACCOUNT}:secret:finstack/prod/ledger/master-AbCdEf",
        )
        for r in regions
    }
    document = DrDocument(
        environment="prod",
        primary_region=regions[0],
        global_cluster_id="ledger",
        automation_role_arn=f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-dr-automation",
        arc_plan_arn=f"arn:aws:arc-region-switch::{ACCOUNT}:plan/p:abc" if arc else None,
        routing_control_cluster_arn="cluster" if arc else None,
        cells=cells,
        raw={},
        arc_cluster_endpoints=tuple(ArcEndpoint(r, f"https://arc.{r}.example.com/v1") for r in regions) if arc else (),
        arc_safety_rule_arns=("safety-rule",) if arc else (),
    )
    writer = draw(st.sampled_from(regions))
    target = draw(st.sampled_from([r for r in regions if r != writer]))
    unreachable = tuple(r for r in regions if r != target and draw(st.booleans()) and draw(st.booleans()))
    nodegroups = {
        r: [
            Nodegroup(
                r,
                f"eks-{r}",
                f"ng{i}",
                f"arn:aws:eks:{r}:{ACCOUNT}:cluster/eks-{r}",
                draw(st.sampled_from(["ACTIVE", "ACTIVE", "UPDATING"])),
                draw(scalings()),
                draw(st.one_of(st.none(), scalings())),
            )
            for i in range(groups)
        ]
        for r in regions
    }
    observed = Observed(
        global_cluster_id="ledger",
        global_status=draw(st.sampled_from(["available", "available", "modifying"])),
        failover_state=draw(st.one_of(st.none(), st.just({"Status": "switching-over"}))),
        members={
            r: Member(r, cells[r].aurora_cluster_arn, r == writer, True, "available", "16.6", r not in unreachable)
            for r in regions
        },
        replication_lag_seconds={r: (0.0 if r == writer else draw(st.floats(0, 10))) for r in regions},
        lag_source="test",
        nodegroups=nodegroups,
        health={r: CellHealth(r, f"hc-{r}", draw(st.booleans()), draw(st.booleans()), "") for r in regions},
        routing={r: (draw(st.sampled_from(["On", "Off"])) if arc else None) for r in regions},
        replicators={r: None for r in regions},
        unreachable=unreachable,
        db_writable_regions=[writer],
        positions=None,
    )
    kind = draw(st.sampled_from(["switchover", "failover", "failback"]))
    via = draw(st.sampled_from(["direct", "arc"])) if arc else "direct"
    return {"document": document, "observed": observed, "source": writer, "target": target, "kind": kind, "via": via}


def _plan(s: dict[str, Any]) -> Plan:
    return build(s["kind"], "prod", s["document"], s["observed"], source=s["source"], target=s["target"], via=s["via"])


def _kinds(plan: Plan) -> list[StepKind]:
    return [step.kind for step in plan.steps]


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plan__fence_is_confirmed_before_any_promotion(s: dict[str, Any]) -> None:
    plan = _plan(s)
    kinds = _kinds(plan)
    if plan.via == "arc":
        # The Region switch plan drains the source before it switches the writer; we confirm it after.
        assert (
            kinds.index(StepKind.REGION_SWITCH)
            < kinds.index(StepKind.CONFIRM_FENCE)
            < kinds.index(StepKind.CONFIRM_WRITER)
        )
        assert StepKind.PROMOTE not in kinds
        return
    assert kinds.index(StepKind.FENCE) < kinds.index(StepKind.CONFIRM_FENCE) < kinds.index(StepKind.PROMOTE), kinds
    assert kinds.count(StepKind.PROMOTE) == 1
    fence = plan.steps[kinds.index(StepKind.FENCE)]
    assert fence.region == s["source"] and fence.params["region"] == s["source"]


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plan__traffic_moves_to_the_target_only_after_the_writer_is_confirmed(s: dict[str, Any]) -> None:
    plan = _plan(s)
    kinds = _kinds(plan)
    writer_confirmed = kinds.index(StepKind.CONFIRM_WRITER)
    admitting = [i for i, step in enumerate(plan.steps) if step.kind in (StepKind.MOVE_TRAFFIC, StepKind.READMIT)]
    assert admitting and all(i > writer_confirmed for i in admitting), kinds
    move = plan.steps[kinds.index(StepKind.MOVE_TRAFFIC)]
    assert move.params["region"] == s["target"]
    assert (
        kinds.index(StepKind.VERIFY_WRITES) < kinds.index(StepKind.MOVE_TRAFFIC) < kinds.index(StepKind.VERIFY_HEALTH)
    )


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plan__target_carries_the_whole_load_before_it_takes_traffic(s: dict[str, Any]) -> None:
    plan = _plan(s)
    kinds = _kinds(plan)
    assert (
        kinds.index(StepKind.SCALE_TARGET) < kinds.index(StepKind.AWAIT_CAPACITY) < kinds.index(StepKind.MOVE_TRAFFIC)
    )
    observed: Observed = s["observed"]
    for i, group in enumerate(plan.steps[kinds.index(StepKind.SCALE_TARGET)].params["nodegroups"]):
        total = sum(groups[i].base.desired for groups in observed.nodegroups.values())
        scaling = group["scaling"]
        assert group["region"] == s["target"]
        assert scaling["desiredSize"] >= total, (scaling, total)
        assert scaling["minSize"] <= scaling["desiredSize"] <= scaling["maxSize"]
        assert scaling["maxSize"] >= observed.nodegroups[s["target"]][i].scaling.max_size, "max is never lowered"


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plan__failback_restores_every_scaled_node_group_to_its_baseline(s: dict[str, Any]) -> None:
    plan = _plan({**s, "kind": "failback"})
    kinds = _kinds(plan)
    restore = plan.steps[kinds.index(StepKind.RESTORE_CAPACITY)]
    assert kinds.index(StepKind.RESTORE_CAPACITY) > kinds.index(StepKind.VERIFY_HEALTH)
    # Simulate the plan's effect on capacity: scale, then restore.
    sizes = {(g.region, g.name): g.scaling for groups in s["observed"].nodegroups.values() for g in groups}
    baselines = {(g.region, g.name): g.base for groups in s["observed"].nodegroups.values() for g in groups}
    for step in (plan.steps[kinds.index(StepKind.SCALE_TARGET)], restore):
        for group in step.params["nodegroups"]:
            sizes[(group["region"], group["nodegroup"])] = Scaling(
                group["scaling"]["minSize"], group["scaling"]["desiredSize"], group["scaling"]["maxSize"]
            )
    touched = {(g["region"], g["nodegroup"]) for g in restore.params["nodegroups"]}
    recorded = {
        key
        for groups in s["observed"].nodegroups.values()
        for g in groups
        if g.baseline
        for key in [(g.region, g.name)]
    }
    assert recorded <= touched, "a node group with a recorded baseline was left scaled"
    for key in touched:
        assert sizes[key] == baselines[key], (key, sizes[key], baselines[key])


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_plan__failover_detaches_only_when_the_source_region_is_unreachable(s: dict[str, Any]) -> None:
    plan = _plan({**s, "kind": "failover", "via": "direct"})
    expected = "detach-and-promote" if s["source"] in s["observed"].unreachable else "managed-failover"
    assert plan.promotion == expected
    confirm = plan.steps[_kinds(plan).index(StepKind.CONFIRM_FENCE)]
    assert confirm.params["failClosed"] is True, "a failover's fence confirmation must fail closed"


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_plan__fence_overrides_arc_safety_rules_only_when_no_other_cell_is_on(s: dict[str, Any]) -> None:
    plan = _plan({**s, "via": "direct"})
    fence = plan.steps[_kinds(plan).index(StepKind.FENCE)]
    others_on = [r for r, state in s["observed"].routing.items() if r != s["source"] and state == "On"]
    assert fence.params["overrideSafetyRules"] == bool(s["document"].arc and not others_on)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_plan__survives_the_journal_round_trip_with_unique_ordered_ids(s: dict[str, Any]) -> None:
    plan = _plan(s)
    assert Plan.from_json(plan.to_json()) == plan
    ids = [step.id for step in plan.steps]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.floats(0.1, 5))
def test_preflight__lag_blocks_planned_drills_but_only_informs_a_failover(s: dict[str, Any], threshold: float) -> None:
    checks = {
        c.name: c
        for c in evaluate(
            s["kind"],
            s["document"],
            s["observed"],
            source=s["source"],
            target=s["target"],
            thresholds=Thresholds(threshold),
        )
    }
    lag = checks["replication-lag"]
    assert lag.ok == (s["observed"].replication_lag_seconds[s["target"]] <= threshold)
    assert lag.blocking == (s["kind"] != "failover")
    assert all(c.ok or c.reason for c in checks.values()), "a failed check must say why"


def test_whole_load__sums_baselines_not_current_sizes() -> None:
    # us-west-2 was scaled to 12 by an earlier switchover (baseline 6); us-east-1 runs its baseline 6.
    east = Nodegroup("us-east-1", "e", "ng", "arn", "ACTIVE", Scaling(3, 6, 12))
    west = Nodegroup("us-west-2", "w", "ng", "arn", "ACTIVE", Scaling(3, 12, 12), baseline=Scaling(3, 6, 12))

    assert whole_load(east, {"us-east-1": [east], "us-west-2": [west]}, 0) == Scaling(3, 12, 12)


def test_whole_load__raises_the_maximum_to_allow_the_desired_size() -> None:
    small = Nodegroup("us-east-1", "e", "ng", "arn", "ACTIVE", Scaling(1, 4, 5))
    other = replace(small, region="us-west-2")

    assert whole_load(small, {"a": [small], "b": [other]}, 0) == Scaling(1, 8, 8)
