"""The drills' boto3 gateway: retry policy, typed errors, call recording, idempotency, no escape."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from finstack.drills import errors
from finstack.drills.clock import ManualClock
from finstack.drills.gateway import DrillGateway, RetryPolicy, _classify
from finstack.emulator.moto_ext.guard import RequestEscaped
from tests.drills import platform as builder
from tests.drills.faults import _answer
from tests.drills.platform import EAST, WEST


def _gateway(hooks: list[tuple[str, Any]] = (), *, local_only: bool = True) -> tuple[DrillGateway, ManualClock]:
    clock = ManualClock()
    sessions = {}
    for region in (EAST, WEST):
        session = builder.fresh_session(region)
        for event, handler in hooks:
            session.events.register(event, handler)
        sessions[region] = session
    return DrillGateway(sessions, clock=clock, retry=RetryPolicy(rng=random.Random(7)), local_only=local_only), clock


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@given(st.integers(1, 30), st.floats(0.01, 5), st.floats(0.1, 60), st.integers(0, 2**32))
def test_retry_policy__full_jitter_stays_within_the_capped_exponential_bound(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    policy = RetryPolicy(base_seconds=base, cap_seconds=cap, rng=random.Random(seed))

    delay = policy.delay(attempt)

    assert 0.0 <= delay <= min(cap, base * 2 ** (attempt - 1))


@pytest.mark.parametrize(
    ("code", "status", "mutating", "expected"),
    [
        ("Throttling", 400, False, errors.Throttled),
        ("ThrottlingException", 400, True, errors.Throttled),
        ("RequestLimitExceeded", 400, False, errors.Throttled),
        ("PriorRequestNotComplete", 400, True, errors.Throttled),
        ("InternalFailure", 500, False, errors.TransientAwsError),
        ("InternalFailure", 500, True, errors.OutcomeUnknown),
        ("ServiceUnavailable", 503, True, errors.OutcomeUnknown),
        ("GlobalClusterNotFoundFault", 404, False, errors.NotFound),
        ("InvalidGlobalClusterStateFault", 400, True, errors.InvalidState),
        ("ConflictException", 409, True, errors.Conflict),
        ("AccessDeniedException", 403, False, errors.AccessDenied),
        ("ValidationException", 400, True, errors.BadRequest),
    ],
)
def test_classify__maps_client_error_codes_to_typed_errors(
    code: str, status: int, mutating: bool, expected: type[errors.AwsError]
) -> None:
    error = _classify(_client_error(code, status), "Op", EAST, idempotent=not mutating)

    assert type(error) is expected, f"{code} ({status}, mutating={mutating}) -> {type(error).__name__}"
    assert error.code == code and error.region == EAST


def test_call__retries_throttling_with_backoff_on_the_drill_clock_and_records_every_attempt(
    arc_platform: builder.Platform,
) -> None:
    answers = iter([_answer(400, "ThrottlingException"), _answer(400, "Throttling"), None])
    gateway, clock = _gateway([("before-call", lambda **_: next(answers))])

    found = gateway.describe_global_cluster(builder.GLOBAL_ID, EAST)

    assert found["GlobalClusterIdentifier"] == builder.GLOBAL_ID
    assert len(clock.slept) == 2, "two throttled attempts, two backoff sleeps (virtual)"
    attempts = [(c.attempt, c.outcome, c.error_code) for c in gateway.recorder.calls]
    assert attempts == [(1, "Throttled", "ThrottlingException"), (2, "Throttled", "Throttling"), (3, "ok", None)]
    assert gateway.recorder.calls[-1].request_id, "the successful attempt must carry AWS's request id"


def test_call__gives_up_after_the_retry_budget_with_the_typed_error(arc_platform: builder.Platform) -> None:
    gateway, _ = _gateway([("before-call", lambda **_: _answer(400, "ThrottlingException"))])

    with pytest.raises(errors.Throttled, match="ThrottlingException"):
        gateway.describe_global_cluster(builder.GLOBAL_ID, EAST)

    assert len(gateway.recorder.calls) == RetryPolicy().max_attempts


def test_call__connection_failures_on_every_attempt_mean_the_region_is_unreachable(
    arc_platform: builder.Platform,
) -> None:
    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com")

    gateway, _ = _gateway([("before-call", refuse)])

    with pytest.raises(errors.RegionUnreachable, match="did not accept a connection"):
        gateway.describe_global_cluster(builder.GLOBAL_ID, EAST)


def test_call__a_lost_answer_to_a_non_idempotent_change_is_outcome_unknown_never_retried(
    arc_platform: builder.Platform,
) -> None:
    def lose_answer(model: Any, **_: Any) -> None:
        if model.name == "SwitchoverGlobalCluster":
            raise ReadTimeoutError(endpoint_url="https://rds.us-west-2.amazonaws.com")

    gateway, _ = _gateway([("after-call", lose_answer)])

    with pytest.raises(errors.OutcomeUnknown):
        gateway.switchover_global_cluster(builder.GLOBAL_ID, arc_platform.cell(WEST)["auroraClusterArn"], WEST)

    assert [c.operation for c in gateway.recorder.calls] == ["SwitchoverGlobalCluster"], "retried blindly"
    state = builder.client("rds", WEST).describe_global_clusters(GlobalClusterIdentifier=builder.GLOBAL_ID)
    assert state["GlobalClusters"][0].get("FailoverState"), (
        "the switchover did start: the runner must verify, not assume"
    )


def test_call__keeps_one_idempotency_token_across_retries(arc_platform: builder.Platform) -> None:
    tokens: list[str] = []
    answers = iter([_answer(503, "ServiceUnavailable"), None])

    def watch(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.name == "TagResource":
            return None
        tokens.append(str(params.get("body")))
        return next(answers)

    gateway, _ = _gateway([("before-call", watch)])
    cell = arc_platform.cell(WEST)

    with pytest.raises(errors.OutcomeUnknown):
        gateway.update_nodegroup_scaling(
            cell["eksCluster"], "general", WEST, min_size=3, desired=7, max_size=12, token="t-1"
        )
    gateway.update_nodegroup_scaling(
        cell["eksCluster"], "general", WEST, min_size=3, desired=7, max_size=12, token="t-1"
    )

    assert len(tokens) == 2 and tokens[0] == tokens[1] and "t-1" in tokens[0]


def test_client__in_emulate_mode_a_request_for_a_service_the_emulator_lacks_never_leaves(
    arc_platform: builder.Platform,
) -> None:
    gateway, _ = _gateway()

    with pytest.raises(RequestEscaped, match="not an emulated AWS endpoint"):
        gateway.get_plan_execution(arc_platform.dr["arcPlanArn"], "no-such-execution", EAST)


def test_routing_control_state__falls_over_to_the_next_arc_endpoint_and_remembers_it(
    arc_platform: builder.Platform,
) -> None:
    def east_endpoint_down(model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.service_model.service_name == "route53-recovery-cluster" and context.get("client_region") == EAST:
            raise EndpointConnectionError(endpoint_url="https://route53-recovery-cluster.us-east-1.amazonaws.com")

    gateway, _ = _gateway([("before-call", east_endpoint_down)])
    endpoints = list(arc_platform.document.arc_cluster_endpoints)
    assert endpoints[0].region == EAST

    assert gateway.routing_control_state(arc_platform.cell(WEST)["routingControlArn"], endpoints) == "On"
    east_calls = [c for c in gateway.recorder.calls if c.region == EAST and c.service == "route53-recovery-cluster"]
    gateway.recorder.calls.clear()
    assert gateway.routing_control_state(arc_platform.cell(EAST)["routingControlArn"], endpoints) == "On"

    assert east_calls, "the first read tried us-east-1 first"
    assert [c.region for c in gateway.recorder.calls] == [WEST], "the endpoint that answered goes first next time"
