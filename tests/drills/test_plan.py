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
from finstack.drills.preflight import Thresholds, blocking_failures, evaluate

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


def _live(observed: Observed) -> dict[tuple[str, str], Scaling]:
    return {(g.region, g.name): g.scaling for groups in observed.nodegroups.values() for g in groups}


def _within(desired: int, live: Scaling) -> int:
    return min(max(desired, live.min_size), live.max_size)


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
        live = observed.nodegroups[s["target"]][i].scaling
        scaling = group["scaling"]
        assert group["region"] == s["target"]
        # The whole load, capped at the maximum `up` gave the node group (EKS refuses desired > max).
        assert scaling["desiredSize"] == _within(total, live), (scaling, total, live)
        assert (scaling["minSize"], scaling["maxSize"]) == (live.min_size, live.max_size), "min and max are up's"


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plan__no_step_changes_a_node_groups_min_or_max(s: dict[str, Any]) -> None:
    plan = _plan(s)
    live = _live(s["observed"])
    for step in plan.steps:
        for group in step.params.get("nodegroups", []):
            scaling, now = group["scaling"], live[(group["region"], group["nodegroup"])]
            assert (scaling["minSize"], scaling["maxSize"]) == (now.min_size, now.max_size), (step.id, group)
            assert scaling["minSize"] <= scaling["desiredSize"] <= scaling["maxSize"], (step.id, group)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plan__failback_restores_every_scaled_node_group_to_its_baseline(s: dict[str, Any]) -> None:
    plan = _plan({**s, "kind": "failback"})
    kinds = _kinds(plan)
    restore = plan.steps[kinds.index(StepKind.RESTORE_CAPACITY)]
    assert kinds.index(StepKind.RESTORE_CAPACITY) > kinds.index(StepKind.VERIFY_HEALTH)
    # Simulate the plan's effect on capacity: scale, then restore.
    live = _live(s["observed"])
    sizes = dict(live)
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
        # Only the desired size returns to the baseline; min and max stay what `up` set.
        now = live[key]
        expected = Scaling(now.min_size, _within(baselines[key].desired, now), now.max_size)
        assert sizes[key] == expected, (key, sizes[key], expected)


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


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_preflight__headroom_blocks_planned_drills_but_only_informs_a_failover(s: dict[str, Any]) -> None:
    checks = {
        c.name: c
        for c in evaluate(
            s["kind"], s["document"], s["observed"], source=s["source"], target=s["target"], thresholds=Thresholds()
        )
    }
    observed: Observed = s["observed"]
    loads = [
        sum(groups[i].base.desired for groups in observed.nodegroups.values())
        for i in range(len(observed.nodegroups[s["target"]]))
    ]
    fits = all(load <= g.scaling.max_size for load, g in zip(loads, observed.nodegroups[s["target"]], strict=True))
    headroom = checks["target-headroom"]
    assert headroom.ok == fits, (headroom, loads)
    assert headroom.blocking == (s["kind"] != "failover")


def test_whole_load__sums_baselines_not_current_sizes() -> None:
    # us-west-2 was scaled to 12 by an earlier switchover (baseline 6); us-east-1 runs its baseline 6.
    east = Nodegroup("us-east-1", "e", "ng", "arn", "ACTIVE", Scaling(3, 6, 12))
    west = Nodegroup("us-west-2", "w", "ng", "arn", "ACTIVE", Scaling(3, 12, 12), baseline=Scaling(3, 6, 12))

    assert whole_load(east, {"us-east-1": [east], "us-west-2": [west]}, 0) == Scaling(3, 12, 12)


def test_whole_load__caps_the_desired_size_at_the_live_maximum_and_never_raises_it() -> None:
    small = Nodegroup("us-east-1", "e", "ng", "arn", "ACTIVE", Scaling(1, 4, 5))
    other = replace(small, region="us-west-2")

    assert whole_load(small, {"a": [small], "b": [other]}, 0) == Scaling(1, 5, 5)


def test_whole_load__keeps_the_live_min_and_max_not_the_recorded_baseline() -> None:
    # us-east-1 carries a baseline tag 3/6/12 from an earlier drill; `up` has since set min 4, max 14.
    east = Nodegroup("us-east-1", "e", "ng", "arn", "ACTIVE", Scaling(4, 6, 14), baseline=Scaling(3, 6, 12))
    west = Nodegroup("us-west-2", "w", "ng", "arn", "ACTIVE", Scaling(3, 6, 12))

    assert whole_load(east, {"us-east-1": [east], "us-west-2": [west]}, 0) == Scaling(4, 12, 14)


def _two_cells(west: Scaling, east: Scaling, *, west_baseline: Scaling | None = None) -> dict[str, Any]:
    """us-east-1 writes, us-west-2 is the healthy target; one node group per cell with the given scaling."""
    regions = ("us-east-1", "us-west-2")
    cells = {
        r: Cell(
            region=r,
            aurora_cluster_arn=f"arn:aws:rds:{r}:{ACCOUNT}:cluster:ledger-{r}",
            aurora_cluster_id=f"ledger-{r}",
            eks_cluster=f"eks-{r}",
            nodegroups=("general",),
            msk_cluster_arn=f"arn:aws:kafka:{r}:{ACCOUNT}:cluster/msk-{r}/x",
            replicator_arn=None,
            health_check_id=f"hc-{r}",
            routing_control_arn=None,
            api_hostname=f"api.{r}.example.com",
            break_glass_secret_arn=f"arn:aws:secretsmanager:{r}:{ACCOUNT}:secret:finstack/prod/ledger/master-AbCdEf",
        )
        for r in regions
    }
    document = DrDocument(
        environment="prod",
        primary_region="us-east-1",
        global_cluster_id="ledger",
        automation_role_arn=f"arn:aws:iam::{ACCOUNT}:role/finstack-prod-dr-automation",
        arc_plan_arn=None,
        routing_control_cluster_arn=None,
        cells=cells,
        raw={},
    )
    arn = f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/eks"
    observed = Observed(
        global_cluster_id="ledger",
        global_status="available",
        failover_state=None,
        members={
            r: Member(r, cells[r].aurora_cluster_arn, r == "us-east-1", True, "available", "16.6", True)
            for r in regions
        },
        replication_lag_seconds={"us-east-1": 0.0, "us-west-2": 0.1},
        lag_source="test",
        nodegroups={
            "us-east-1": [Nodegroup("us-east-1", "eks-us-east-1", "general", arn, "ACTIVE", east)],
            "us-west-2": [Nodegroup("us-west-2", "eks-us-west-2", "general", arn, "ACTIVE", west, west_baseline)],
        },
        health={r: CellHealth(r, f"hc-{r}", False, True, "") for r in regions},
        routing={r: None for r in regions},
        replicators={r: None for r in regions},
        unreachable=(),
        db_writable_regions=["us-east-1"],
        positions=None,
    )
    return {"document": document, "observed": observed, "source": "us-east-1", "target": "us-west-2"}


def _checks(kind: str, world: dict[str, Any]) -> dict[str, Any]:
    found = evaluate(
        kind,  # type: ignore[arg-type]
        world["document"],
        world["observed"],
        source=world["source"],
        target=world["target"],
        thresholds=Thresholds(),
    )
    return {c.name: c for c in found}


def test_preflight__a_switchover_whose_target_max_cannot_carry_the_whole_load_is_refused() -> None:
    # Given: 6 + 6 nodes of load, the target's maxSize 10 (as `up` set it)
    world = _two_cells(Scaling(3, 6, 10), Scaling(3, 6, 12))

    headroom = _checks("switchover", world)["target-headroom"]

    assert (headroom.ok, headroom.blocking) == (False, True), headroom
    assert headroom.actual == "general: load 12, maxSize 10"
    assert headroom.reason == (
        "us-west-2's node groups cannot carry the whole load within their maxSize (general needs 12, maxSize 10); "
        "raise finstack:eks.nodeMaxSize and run `pulumi up` before a planned drill (drills never change maxSize)"
    )
    assert [c.name for c in blocking_failures(list(_checks("switchover", world).values()))] == ["target-headroom"]


def test_preflight__a_failover_proceeds_at_the_max_it_has() -> None:
    world = _two_cells(Scaling(3, 6, 10), Scaling(3, 6, 12))

    headroom = _checks("failover", world)["target-headroom"]
    plan = build("failover", "prod", world["document"], world["observed"], source="us-east-1", target="us-west-2")

    assert (headroom.ok, headroom.blocking) == (False, False), headroom
    assert headroom.reason.endswith("the failover proceeds at the maxSize it has"), headroom.reason
    [group] = plan.steps[_kinds(plan).index(StepKind.SCALE_TARGET)].params["nodegroups"]
    assert group["scaling"] == {"minSize": 3, "desiredSize": 10, "maxSize": 10}, group


def test_preflight__headroom_holds_when_max_equals_the_whole_load() -> None:
    headroom = _checks("switchover", _two_cells(Scaling(3, 6, 12), Scaling(3, 6, 12)))["target-headroom"]

    assert headroom.ok and headroom.actual == "general: load 12, maxSize 12", headroom


def test_plan__failback_restores_the_baseline_desired_size_within_the_min_and_max_up_set_since() -> None:
    # Given: a switchover scaled us-west-2 to 12 (baseline tag 3/6/12); `up` then set min 4, max 14
    world = _two_cells(Scaling(4, 12, 14), Scaling(3, 6, 12), west_baseline=Scaling(3, 6, 12))

    plan = build("failback", "prod", world["document"], world["observed"], source="us-west-2", target="us-east-1")

    restore = {
        g["region"]: g["scaling"]
        for g in plan.steps[_kinds(plan).index(StepKind.RESTORE_CAPACITY)].params["nodegroups"]
    }
    assert restore["us-west-2"] == {"minSize": 4, "desiredSize": 6, "maxSize": 14}, "min/max reverted to the tag"
    assert restore["us-east-1"] == {"minSize": 3, "desiredSize": 6, "maxSize": 12}
