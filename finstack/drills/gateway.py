"""The only code of the drills that touches boto3: clients, retries, typed errors, call recording.

- One `boto3.Session` per region is injected (credentials may differ per region: a break-glass
  role in the surviving region); clients are created lazily per (service, region, endpoint), never
  at module level.
- botocore's own retries are off (`total_max_attempts=1`): `RetryPolicy` is the single retry
  layer, so throttling and 5xx are retried with exponential backoff and full jitter on the
  drill's clock (virtual in tests), and every attempt is visible in the evidence.
- A call that may have reached AWS without an answer (read timeout, dropped connection, a 5xx on
  a non-idempotent change) raises `OutcomeUnknown` instead of being retried blindly: the runner
  verifies what happened first.
- Every attempt is recorded (`CallRecorder`) from botocore's `after-call` / `after-call-error`
  events: operation, region, HTTP status, error code and the request id AWS support asks for.
- Every call must be a row of `components.dr_permissions.DRILL_CALLS`, the table the DR
  automation role's policy is generated from (`UnlistedCall` otherwise): code and role cannot drift.
- In emulate mode a `before-send` guard refuses any request that would leave for a real endpoint.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from components.dr_permissions import drill_call
from finstack.drills import errors
from finstack.drills.clock import DrillClock, SystemClock, iso

log = logging.getLogger(__name__)

#: Route 53 and STS are global; their clients are made in us-east-1 as the SDKs do.
GLOBAL_REGION = "us-east-1"

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        # Route 53 answers this while a previous change to the same resource is still applying.
        "PriorRequestNotComplete",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NotFoundException",
        "NoSuchHealthCheck",
        "DBClusterNotFoundFault",
        "GlobalClusterNotFoundFault",
    }
)
INVALID_STATE_CODES = frozenset(
    {
        "InvalidGlobalClusterStateFault",
        "InvalidDBClusterStateFault",
        "InvalidDBInstanceState",
        "ResourceInUseException",
        "IllegalStateException",
    }
)
CONFLICT_CODES = frozenset({"ConflictException", "ConcurrentModification", "HealthCheckVersionMismatch"})
ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
    }
)


@dataclass
class ApiCall:
    """One attempt of one AWS API call, as the evidence lists it."""

    operation: str
    service: str
    region: str
    request_id: str | None
    http_status: int | None
    error_code: str | None
    attempt: int
    started_at: str
    duration_ms: float
    step: str | None
    outcome: str

    def to_json(self) -> dict[str, Any]:
        """The report's `apiCalls[]` entry."""
        return {k: v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class MetricQuery:
    """One CloudWatch metric: namespace, name and dimensions."""

    namespace: str
    metric: str
    dimensions: Mapping[str, str]


@dataclass
class _Observed:
    operation: str
    region: str
    request_id: str | None
    http_status: int | None
    error_code: str | None


class CallRecorder:
    """Collects every attempt; `step` tags the attempts with the step that made them."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.step: str | None = None
        self._pending = threading.local()

    def _queue(self) -> list[_Observed]:
        if not hasattr(self._pending, "items"):
            self._pending.items = []
        queue: list[_Observed] = self._pending.items
        return queue

    def after_call(
        self, http_response: Any, parsed: Mapping[str, Any], model: Any, context: Mapping[str, Any], **_: Any
    ) -> None:
        """Botocore `after-call` hook: the request id and status of the answer."""
        metadata = parsed.get("ResponseMetadata", {}) if isinstance(parsed, Mapping) else {}
        error = parsed.get("Error", {}) if isinstance(parsed, Mapping) else {}
        self._queue().append(
            _Observed(
                operation=model.name,
                region=str(context.get("client_region") or ""),
                request_id=metadata.get("RequestId") or None,
                http_status=getattr(http_response, "status_code", None),
                error_code=error.get("Code") or None,
            )
        )

    def after_call_error(self, exception: BaseException, context: Mapping[str, Any], **kwargs: Any) -> None:
        """Botocore `after-call-error` hook: a request that got no answer at all."""
        operation = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
        self._queue().append(
            _Observed(operation, str(context.get("client_region") or ""), None, None, type(exception).__name__)
        )

    def take(self) -> list[_Observed]:
        """What the hooks saw since the last `take` on this thread."""
        queue = self._queue()
        seen = list(queue)
        queue.clear()
        return seen


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").

    Attempt n (1-based) that fails retryably sleeps `uniform(0, min(cap, base * 2**(n-1)))`.
    Six attempts with base 0.5 s and cap 20 s ride out a throttling burst of about 30 s.
    """

    max_attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 20.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """The sleep before attempt `attempt + 1`."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return self.rng.uniform(0.0, ceiling)


def _classify(err: ClientError, operation: str, region: str, *, idempotent: bool) -> errors.AwsError:
    response = err.response
    code = str(response.get("Error", {}).get("Code", ""))
    message = str(response.get("Error", {}).get("Message", "")) or code
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    request_id = str(response.get("ResponseMetadata", {}).get("RequestId", "") or "")
    text = f"{operation} in {region}: {code}: {message}"
    kwargs = {"operation": operation, "region": region, "code": code, "request_id": request_id}
    kind: type[errors.AwsError]
    if code in THROTTLING_CODES or status == 429:
        kind = errors.Throttled
    elif code in TRANSIENT_CODES or status >= 500:
        # A 5xx may come after the change was applied: only an idempotent call may be repeated.
        kind = errors.TransientAwsError if idempotent else errors.OutcomeUnknown
    elif code in NOT_FOUND_CODES or code.startswith("NoSuch") or code.endswith("NotFound"):
        kind = errors.NotFound
    elif code in INVALID_STATE_CODES or "State" in code:
        kind = errors.InvalidState
    elif code in CONFLICT_CODES:
        kind = errors.Conflict
    elif code in ACCESS_CODES:
        kind = errors.AccessDenied
    else:
        kind = errors.BadRequest
    return kind(text, **kwargs)


def _classify_connection(err: Exception, operation: str, region: str, *, idempotent: bool) -> errors.AwsError:
    kwargs = {"operation": operation, "region": region, "code": type(err).__name__}
    if isinstance(err, EndpointConnectionError | ConnectTimeoutError):
        # Nothing was sent: always safe to try again.
        return errors.TransientAwsError(f"{operation} in {region}: cannot connect: {err}", **kwargs)
    if idempotent:
        return errors.TransientAwsError(f"{operation} in {region}: no answer: {err}", **kwargs)
    return errors.OutcomeUnknown(f"{operation} in {region}: sent, but no answer arrived: {err}", **kwargs)


def _with_idempotency_token(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """Fix the operation's idempotency token (EKS `clientRequestToken`, ...) once per logical call.

    botocore would draw a new token on every invocation, so our retries would look like new
    requests to AWS; with one token for all attempts, AWS applies a retried change only once.
    """
    api_name = client.meta.method_to_api_mapping.get(operation)
    if api_name is None:
        return params
    shape = client.meta.service_model.operation_model(api_name).input_shape
    if shape is None:
        return params
    tokens = {
        name: str(uuid.uuid4())
        for name, member in shape.members.items()
        if member.metadata.get("idempotencyToken") and name not in params
    }
    return {**params, **tokens}


CONNECTION_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


class DrillGateway:
    """boto3 for drills: per-region sessions, one retry layer, typed errors, every attempt recorded."""

    def __init__(
        self,
        sessions: Mapping[str, boto3.Session],
        *,
        clock: DrillClock | None = None,
        retry: RetryPolicy | None = None,
        recorder: CallRecorder | None = None,
        endpoint_url: str | None = None,
        local_only: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        utcnow: Callable[[], datetime] | None = None,
    ) -> None:
        if not sessions:
            raise ValueError("DrillGateway needs at least one boto3.Session")
        self._sessions = dict(sessions)
        self._default_session = next(iter(self._sessions.values()))
        self.clock: DrillClock = clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.recorder = recorder or CallRecorder()
        self.endpoint_url = endpoint_url
        self.local_only = local_only
        self._config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            user_agent_extra="finstack-drill",
        )
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self._lock = threading.Lock()
        # CloudWatch windows are AWS's timeline, not the drill's (possibly virtual) clock.
        self._utcnow = utcnow or SystemClock().wall
        self._arc_preferred: str | None = None

    # -- plumbing ---------------------------------------------------------------------------------

    def client(self, service: str, region: str, endpoint_url: str | None = None) -> Any:
        """A cached client for `service` in `region` (at `endpoint_url`, e.g. an ARC cluster endpoint)."""
        endpoint = endpoint_url or self.endpoint_url
        key = (service, region, endpoint)
        with self._lock:
            if key not in self._clients:
                session = self._sessions.get(region, self._default_session)
                kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
                if endpoint:
                    kwargs["endpoint_url"] = endpoint
                client = session.client(service, **kwargs)  # type: ignore[call-overload]
                client.meta.events.register("after-call", self.recorder.after_call)
                client.meta.events.register("after-call-error", self.recorder.after_call_error)
                if self.local_only:
                    # Imported in emulate mode only: real-AWS drills never load moto.
                    from finstack.emulator.moto_ext.guard import check_request_stays_local

                    client.meta.events.register("before-send", check_request_stays_local)
                self._clients[key] = client
            return self._clients[key]

    def call(
        self,
        service: str,
        region: str,
        operation: str,
        *,
        mutating: bool = False,
        idempotent: bool | None = None,
        endpoint_url: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Call `operation` (boto3 snake_case name) with retries; typed errors on failure.

        `idempotent` defaults to "not mutating": reads may always be repeated; a change only when
        the caller says repeating it is harmless (setting a routing control Off twice is).
        """
        repeatable = (not mutating) if idempotent is None else idempotent
        client = self.client(service, region, endpoint_url)
        method = getattr(client, operation)
        params = _with_idempotency_token(client, operation, params)
        api_name = client.meta.method_to_api_mapping.get(operation, operation)
        # Only what the DR automation role is granted: its policy is generated from this table.
        drill_call(service, api_name)
        return self._with_retries(lambda: method(**params), service, region, api_name, repeatable=repeatable)

    def paginate(self, service: str, region: str, operation: str, key: str, **params: Any) -> list[Any]:
        """Every item under `key` of every page of a read-only `operation` (restarted on a retry)."""
        paginator = self.client(service, region).get_paginator(operation)

        def collect() -> list[Any]:
            items: list[Any] = []
            for page in paginator.paginate(**params):
                items.extend(page.get(key, []))
            return items

        api_name = self.client(service, region).meta.method_to_api_mapping.get(operation, operation)
        drill_call(service, api_name)
        return self._with_retries(collect, service, region, api_name, repeatable=True)

    def _with_retries(
        self, attempt_call: Callable[[], Any], service: str, region: str, operation: str, *, repeatable: bool
    ) -> Any:
        attempt = 0
        unreachable = 0
        while True:
            attempt += 1
            started_wall = self.clock.wall()
            started = self.clock.monotonic()
            failure: errors.AwsError | None = None
            try:
                result = attempt_call()
            except ClientError as err:
                failure = _classify(err, operation, region, idempotent=repeatable)
            except CONNECTION_ERRORS as err:
                failure = _classify_connection(err, operation, region, idempotent=repeatable)
                if isinstance(err, EndpointConnectionError | ConnectTimeoutError):
                    unreachable += 1
            self._record(
                service=service,
                region=region,
                operation=operation,
                attempt=attempt,
                started_wall=started_wall,
                started=started,
                failure=failure,
            )
            if failure is None:
                return result
            retryable = isinstance(failure, errors.Throttled | errors.TransientAwsError)
            if not retryable or attempt >= self.retry.max_attempts:
                if unreachable == attempt:
                    raise errors.RegionUnreachable(
                        f"{operation} in {region}: the region's endpoint did not accept a connection in "
                        f"{attempt} attempts ({failure})",
                        operation=operation,
                        region=region,
                        code=failure.code,
                    ) from failure
                raise failure
            delay = self.retry.delay(attempt)
            log.info(
                "%s in %s: %s; retrying in %.2f s (attempt %d)", operation, region, failure.code, delay, attempt + 1
            )
            self.clock.sleep(delay)

    def _record(
        self,
        *,
        service: str,
        region: str,
        operation: str,
        attempt: int,
        started_wall: datetime,
        started: float,
        failure: errors.AwsError | None,
    ) -> None:
        seen = self.recorder.take() or [_Observed(operation, region, None, None, failure.code if failure else None)]
        duration_ms = round(max(0.0, self.clock.monotonic() - started) * 1000.0, 3)
        for observed in seen:
            self.recorder.calls.append(
                ApiCall(
                    operation=observed.operation,
                    service=service,
                    region=region,
                    request_id=observed.request_id or (failure.request_id if failure else None) or None,
                    http_status=observed.http_status,
                    error_code=observed.error_code or (failure.code if failure else None),
                    attempt=attempt,
                    started_at=iso(started_wall),
                    duration_ms=duration_ms,
                    step=self.recorder.step,
                    outcome="ok" if failure is None else type(failure).__name__,
                )
            )

    # -- identity ---------------------------------------------------------------------------------

    def caller_identity(self) -> dict[str, str]:
        """STS `GetCallerIdentity`: the account and the ARN of whoever runs the drill."""
        found = self.call("sts", GLOBAL_REGION, "get_caller_identity")
        return {"account": str(found.get("Account", "")), "arn": str(found.get("Arn", ""))}

    def assume_role(self, role_arn: str, session_name: str, duration_seconds: int) -> dict[str, str]:
        """STS `AssumeRole`: temporary credentials of `role_arn` (its trust policy decides)."""
        found = self.call(
            "sts",
            GLOBAL_REGION,
            "assume_role",
            RoleArn=role_arn,
            RoleSessionName=session_name,
            DurationSeconds=duration_seconds,
        )
        credentials = found["Credentials"]
        return {
            "accessKeyId": str(credentials["AccessKeyId"]),
            "secretAccessKey": str(credentials["SecretAccessKey"]),
            "sessionToken": str(credentials["SessionToken"]),
            "assumedRoleArn": str(found["AssumedRoleUser"]["Arn"]),
        }

    # -- Aurora -----------------------------------------------------------------------------------

    def describe_global_cluster(self, global_cluster_id: str, region: str) -> dict[str, Any]:
        """The global cluster as `DescribeGlobalClusters` shows it from `region`."""
        found = self.call("rds", region, "describe_global_clusters", GlobalClusterIdentifier=global_cluster_id)
        clusters = found.get("GlobalClusters", [])
        if not clusters:
            raise errors.NotFound(
                f"global cluster {global_cluster_id} not found", operation="DescribeGlobalClusters", region=region
            )
        return dict(clusters[0])

    def describe_db_cluster(self, cluster_arn: str, region: str) -> dict[str, Any]:
        """One DB cluster (`DescribeDBClusters` by ARN, in its region)."""
        found = self.call("rds", region, "describe_db_clusters", DBClusterIdentifier=cluster_arn)
        clusters = found.get("DBClusters", [])
        if not clusters:
            raise errors.NotFound(f"DB cluster {cluster_arn} not found", operation="DescribeDBClusters", region=region)
        return dict(clusters[0])

    def switchover_global_cluster(self, global_cluster_id: str, target_arn: str, region: str) -> dict[str, Any]:
        """`SwitchoverGlobalCluster` (planned, lossless): not idempotent, verified by the runner."""
        return self.call(
            "rds",
            region,
            "switchover_global_cluster",
            mutating=True,
            GlobalClusterIdentifier=global_cluster_id,
            TargetDbClusterIdentifier=target_arn,
        )

    def failover_global_cluster(self, global_cluster_id: str, target_arn: str, region: str) -> dict[str, Any]:
        """`FailoverGlobalCluster` with `AllowDataLoss=True` (managed failover after a region loss)."""
        return self.call(
            "rds",
            region,
            "failover_global_cluster",
            mutating=True,
            GlobalClusterIdentifier=global_cluster_id,
            TargetDbClusterIdentifier=target_arn,
            AllowDataLoss=True,
        )

    def remove_from_global_cluster(self, global_cluster_id: str, cluster_arn: str, region: str) -> dict[str, Any]:
        """`RemoveFromGlobalCluster`: detach `cluster_arn` and promote it to a standalone writer."""
        return self.call(
            "rds",
            region,
            "remove_from_global_cluster",
            mutating=True,
            GlobalClusterIdentifier=global_cluster_id,
            DbClusterIdentifier=cluster_arn,
        )

    def execute_statement(
        self,
        region: str,
        resource_arn: str,
        sql: str,
        *,
        secret_arn: str,
        database: str | None,
        parameters: Iterable[dict[str, Any]] = (),
        mutating: bool = False,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """RDS Data API `ExecuteStatement` against the cluster `resource_arn`.

        A write is never retried blindly unless the caller says repeating it is harmless
        (`idempotent`: the canary's INSERT carries a fixed primary key, so a repeat is refused as a
        duplicate instead of writing twice).
        """
        params: dict[str, Any] = {"resourceArn": resource_arn, "secretArn": secret_arn, "sql": sql}
        if database:
            params["database"] = database
        if parameters:
            params["parameters"] = list(parameters)
        return self.call("rds-data", region, "execute_statement", mutating=mutating, idempotent=idempotent, **params)

    # -- CloudWatch -------------------------------------------------------------------------------

    def latest_metrics(
        self, region: str, queries: Mapping[str, MetricQuery], *, window_minutes: int = 10, stat: str = "Maximum"
    ) -> dict[str, float | None]:
        """The newest 1-minute `stat` of each metric in the last `window_minutes` (None: no datapoint).

        One `GetMetricData` for all of them: a drill reads a region's Aurora and MSK lag in one call.
        """
        ids = {key: f"m{n}" for n, key in enumerate(queries)}
        end = self._utcnow() + timedelta(minutes=1)
        found = self.call(
            "cloudwatch",
            region,
            "get_metric_data",
            MetricDataQueries=[
                {
                    "Id": ids[key],
                    "MetricStat": {
                        "Metric": {
                            "Namespace": query.namespace,
                            "MetricName": query.metric,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in query.dimensions.items()],
                        },
                        "Period": 60,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
                for key, query in queries.items()
            ],
            StartTime=end - timedelta(minutes=window_minutes + 1),
            EndTime=end,
            ScanBy="TimestampDescending",
        )
        values = {r["Id"]: (r.get("Values") or []) for r in found.get("MetricDataResults", [])}
        return {key: (float(values[ids[key]][0]) if values.get(ids[key]) else None) for key in queries}

    # -- EKS --------------------------------------------------------------------------------------

    def describe_eks_cluster(self, cluster: str, region: str) -> dict[str, Any]:
        """`DescribeCluster`: the EKS cluster's ARN and tags (where drills keep node group baselines)."""
        return dict(self.call("eks", region, "describe_cluster", name=cluster)["cluster"])

    def describe_nodegroup(self, cluster: str, nodegroup: str, region: str) -> dict[str, Any]:
        """`DescribeNodegroup`: status, scaling config, ARN and tags."""
        return dict(
            self.call("eks", region, "describe_nodegroup", clusterName=cluster, nodegroupName=nodegroup)["nodegroup"]
        )

    def update_nodegroup_scaling(
        self, cluster: str, nodegroup: str, region: str, *, min_size: int, desired: int, max_size: int, token: str
    ) -> dict[str, Any]:
        """`UpdateNodegroupConfig` of the scaling config, idempotent through `token` (EKS clientRequestToken)."""
        return self.call(
            "eks",
            region,
            "update_nodegroup_config",
            mutating=True,
            clusterName=cluster,
            nodegroupName=nodegroup,
            scalingConfig={"minSize": min_size, "desiredSize": desired, "maxSize": max_size},
            clientRequestToken=token,
        )

    def tag_resource(self, service: str, region: str, arn: str, tags: Mapping[str, str]) -> None:
        """Tag an EKS resource (setting a tag twice is harmless)."""
        self.call(service, region, "tag_resource", mutating=True, idempotent=True, resourceArn=arn, tags=dict(tags))

    def untag_resource(self, service: str, region: str, arn: str, keys: Iterable[str]) -> None:
        """Remove tags from an EKS resource (removing twice is harmless)."""
        self.call(
            service, region, "untag_resource", mutating=True, idempotent=True, resourceArn=arn, tagKeys=list(keys)
        )

    # -- MSK --------------------------------------------------------------------------------------

    def describe_replicator(self, replicator_arn: str) -> dict[str, Any]:
        """`DescribeReplicator` in the replicator's region (its target cluster's)."""
        return dict(
            self.call("kafka", replicator_arn.split(":")[3], "describe_replicator", ReplicatorArn=replicator_arn)
        )

    # -- Route 53 ---------------------------------------------------------------------------------

    def get_health_check(self, health_check_id: str) -> dict[str, Any]:
        """`GetHealthCheck`: config (type, `Inverted`) and version."""
        return dict(
            self.call("route53", GLOBAL_REGION, "get_health_check", HealthCheckId=health_check_id)["HealthCheck"]
        )

    def health_check_observations(self, health_check_id: str) -> list[dict[str, Any]]:
        """`GetHealthCheckStatus`: what each Route 53 checker region reports now."""
        found = self.call("route53", GLOBAL_REGION, "get_health_check_status", HealthCheckId=health_check_id)
        return list(found.get("HealthCheckObservations", []))

    def set_health_check_inverted(self, health_check_id: str, inverted: bool) -> dict[str, Any]:
        """`UpdateHealthCheck(Inverted=...)`: the fence of a stack without ARC (idempotent)."""
        return self.call(
            "route53",
            GLOBAL_REGION,
            "update_health_check",
            mutating=True,
            idempotent=True,
            HealthCheckId=health_check_id,
            Inverted=inverted,
        )

    # -- ARC routing controls -----------------------------------------------------------------------
    # Only the data plane (route53-recovery-cluster), through the cluster endpoints the `dr`
    # document carries: ARC's control-config API (DescribeCluster, ListSafetyRules, ...) is served
    # from us-west-2 alone, one of the cells, and AWS advises against depending on it during a
    # recovery ("Best practices for routing control in ARC", ARC Developer Guide: use the data
    # plane, which is highly available across the cluster's five Regional endpoints, and try each
    # endpoint in turn until one succeeds).

    def _on_any_endpoint(self, endpoints: Sequence[tuple[str, str]], attempt: Callable[[str, str], Any]) -> Any:
        """Try the ARC cluster's endpoints in turn, as AWS recommends: one region may be the one that is down."""
        last: errors.AwsError | None = None
        # The endpoint that answered last goes first: no time lost on a dead region on every call.
        ordered = sorted(endpoints, key=lambda e: e[1] != self._arc_preferred)
        for region, url in ordered:
            try:
                result = attempt(region, url)
            except (errors.RegionUnreachable, errors.TransientAwsError, errors.Throttled) as err:
                last = err
                continue
            self._arc_preferred = url
            return result
        assert last is not None, "no ARC cluster endpoint to try"
        raise last

    def routing_control_state(self, routing_control_arn: str, endpoints: Sequence[tuple[str, str]]) -> str:
        """`GetRoutingControlState` ("On" or "Off") from the first cluster endpoint that answers."""

        def attempt(region: str, url: str) -> str:
            found = self.call(
                "route53-recovery-cluster",
                region,
                "get_routing_control_state",
                endpoint_url=url,
                RoutingControlArn=routing_control_arn,
            )
            return str(found["RoutingControlState"])

        return str(self._on_any_endpoint(endpoints, attempt))

    def routing_control_states_by_region(
        self, routing_control_arn: str, endpoints: Sequence[tuple[str, str]], regions: int
    ) -> dict[str, str]:
        """The control's state from the first `regions` endpoints that answer, one per Region.

        A read-back from endpoints in different Regions is not one endpoint's stale view; an
        endpoint that does not answer is skipped, its Region may be the one that is down.
        """
        states: dict[str, str] = {}
        for endpoint in endpoints:
            if endpoint[0] in states:
                continue
            try:
                states[endpoint[0]] = self.routing_control_state(routing_control_arn, [endpoint])
            except (errors.RegionUnreachable, errors.TransientAwsError, errors.Throttled):
                continue
            if len(states) == regions:
                break
        return states

    def set_routing_control_state(
        self,
        routing_control_arn: str,
        state: str,
        endpoints: Sequence[tuple[str, str]],
        *,
        override: Iterable[str] = (),
    ) -> None:
        """`UpdateRoutingControlState` (idempotent: the state is absolute, not a toggle)."""
        overrides = list(override)

        def attempt(region: str, url: str) -> None:
            params: dict[str, Any] = {"RoutingControlArn": routing_control_arn, "RoutingControlState": state}
            if overrides:
                params["SafetyRulesToOverride"] = overrides
            self.call(
                "route53-recovery-cluster",
                region,
                "update_routing_control_state",
                mutating=True,
                idempotent=True,
                endpoint_url=url,
                **params,
            )

        self._on_any_endpoint(endpoints, attempt)

    def set_routing_control_states(
        self, states: Mapping[str, str], endpoints: Sequence[tuple[str, str]], *, override: Iterable[str] = ()
    ) -> None:
        """`UpdateRoutingControlStates`: several controls in one transaction (idempotent: absolute states).

        ARC applies the entries together and evaluates the safety rules once, on the result
        (route53-recovery-cluster API Reference, UpdateRoutingControlStates).
        """
        overrides = list(override)
        entries = [{"RoutingControlArn": arn, "RoutingControlState": state} for arn, state in states.items()]

        def attempt(region: str, url: str) -> None:
            params: dict[str, Any] = {"UpdateRoutingControlStateEntries": entries}
            if overrides:
                params["SafetyRulesToOverride"] = overrides
            self.call(
                "route53-recovery-cluster",
                region,
                "update_routing_control_states",
                mutating=True,
                idempotent=True,
                endpoint_url=url,
                **params,
            )

        self._on_any_endpoint(endpoints, attempt)

    # -- ARC Region switch --------------------------------------------------------------------------

    def start_plan_execution(
        self, plan_arn: str, region: str, *, target_region: str, action: str, mode: str, comment: str, token: str
    ) -> str:
        """`StartPlanExecution`; returns the execution id. `token` (clientToken) makes a retry start nothing new."""
        found = self.call(
            "arc-region-switch",
            region,
            "start_plan_execution",
            mutating=True,
            planArn=plan_arn,
            targetRegion=target_region,
            action=action,
            mode=mode,
            comment=comment,
            clientToken=token,
        )
        return str(found["executionId"])

    def get_plan_execution(self, plan_arn: str, execution_id: str, region: str) -> dict[str, Any]:
        """`GetPlanExecution`: state and step states of a Region switch execution."""
        return dict(
            self.call("arc-region-switch", region, "get_plan_execution", planArn=plan_arn, executionId=execution_id)
        )

    def plan_execution_events(self, plan_arn: str, execution_id: str, step_name: str, region: str) -> list[Any]:
        """`ListPlanExecutionEvents` of one step (every page): what ARC recorded about it, and when."""
        return self.paginate(
            "arc-region-switch",
            region,
            "list_plan_execution_events",
            "items",
            planArn=plan_arn,
            executionId=execution_id,
            name=step_name,
        )


def sessions_for(regions: Iterable[str], profile: str | None = None) -> dict[str, boto3.Session]:
    """One `boto3.Session` per region from the default credential chain (or `profile`)."""
    return {region: boto3.Session(profile_name=profile, region_name=region) for region in regions}
