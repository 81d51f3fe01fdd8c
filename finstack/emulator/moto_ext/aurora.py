"""Aurora Global Database operations moto lacks: switchover, failover, detach, and a data plane.

Control plane (``rds`` API, served by `AuroraResponse`, a subclass of moto's `RDSResponse`):

- ``SwitchoverGlobalCluster`` and ``FailoverGlobalCluster`` (``AllowDataLoss`` / ``Switchover``)
  start a `GlobalOperation`. ``DescribeGlobalClusters`` shows its ``FailoverState``
  (``pending`` -> ``switching-over`` | ``failing-over`` -> absent once done, or ``cancelling``
  -> absent when cancelled by fault injection); on completion ``GlobalClusterMembers[].IsWriter``
  flips, the old writer becomes a read-only secondary and every secondary's
  ``ReplicationSourceIdentifier`` names the new writer.
- ``RemoveFromGlobalCluster`` detaches a member in any region and promotes it to a standalone,
  writable cluster (moto's own version silently does nothing outside us-east-1).
- ``EnableHttpEndpoint`` (``CreateDBCluster`` / ``ModifyDBCluster`` ``EnableHttpEndpoint``) turns
  the RDS Data API on for provisioned aurora-postgresql at the versions AWS lists
  (`components.aurora_plan.DATA_API_MIN_VERSIONS`); moto only knows Serverless v1 and silently
  leaves it off, so a stack that never enables it would look the same as one that does.
- ``CreateDBInstance`` / ``ModifyDBInstance`` of a burstable class (``db.t*``) in a member of a global
  cluster, and ``CreateGlobalCluster`` from a cluster that has one, fail with AWS's
  ``InvalidParameterCombination`` (moto accepts them; AWS does not, see `refuse_burstable_in_global`).

moto keeps one `RDSBackend` per region but stores global clusters only in the us-east-1 backend;
members are the regional `DBCluster` objects themselves, so flipping ``is_writer`` on them is
visible from every region's client.

Data plane (``rds-data`` API, served by `AuroraDataResponse`): ``ExecuteStatement`` against a
cluster ARN commits a write (INSERT/UPDATE/DELETE) on the writer and fails on a secondary, or
reads (SELECT) the last write a cluster has applied. As on AWS it is refused on a cluster whose
HTTP endpoint is off and without a ``secretArn`` naming a secret of the cluster's region (the
Data API reads the credential from Secrets Manager with the caller's permissions; the IAM
extension authorizes that read). Writes and replication follow
`finstack.emulator.writes`. Operations progress on the emulator clock (`clock.get_clock`),
lazily: every request first *settles* the state of the account's global clusters at "now".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.rds import urls as rds_urls
from moto.rds.exceptions import (
    DBClusterNotFoundError,
    InvalidDBClusterStateFault,
    InvalidParameterCombination,
    InvalidParameterValue,
    RDSClientError,
)
from moto.rds.models import DBCluster, GlobalCluster, rds_backends
from moto.rds.responses import RDSResponse
from moto.rdsdata import urls as rdsdata_urls
from moto.rdsdata.responses import RDSDataServiceResponse

from components.aurora_plan import data_api_problem
from finstack.emulator import writes
from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation
from finstack.emulator.moto_ext._responses import ClockedResponse
from finstack.emulator.moto_ext.clock import get_clock

#: moto stores every global cluster in this region's backend (see `RDSResponse.global_backend`).
GLOBAL_CLUSTER_HOME = "us-east-1"

_CLUSTER_ARN = re.compile(
    r"^arn:aws[a-z-]*:rds:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):cluster:(?P<id>[A-Za-z][A-Za-z0-9-]*)$"
)


@dataclass
class AuroraTimings:
    """How long each phase of a global operation lasts on the emulator clock, in seconds.

    Real switchovers take about a minute; the defaults are short so a drill on wall-clock time
    still finishes in seconds, and tests use a virtual clock anyway.
    """

    pending: float = 1.0
    promoting: float = 3.0
    cancelling: float = 2.0


_timings = AuroraTimings()


def set_aurora_timings(timings: AuroraTimings) -> AuroraTimings:
    """Use `timings` for operations started from now on; returns the previous value."""
    global _timings
    previous, _timings = _timings, timings
    return previous


class GlobalClusterNotFoundFault(RDSClientError):
    """The global cluster does not exist (code as AWS: ``GlobalClusterNotFoundFault``)."""

    def __init__(self, identifier: str) -> None:
        super().__init__("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")


class InvalidGlobalClusterStateFault(RDSClientError):
    """The global cluster cannot take this operation in its current state."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidGlobalClusterStateFault", message)


OperationKind = Literal["switchover", "failover"]


@dataclass
class GlobalOperation:
    """A switchover or failover of one global cluster, from its start until it settles."""

    kind: OperationKind
    from_arn: str
    to_arn: str
    started_at: float
    timings: AuroraTimings
    cancelled_at: float | None = None

    @property
    def allow_data_loss(self) -> bool:
        """A failover may lose writes; a switchover never does."""
        return self.kind == "failover"

    @property
    def promoting_status(self) -> str:
        """The status AWS shows while the target is being promoted."""
        return "failing-over" if self.kind == "failover" else "switching-over"

    def failover_state(self, status: str) -> dict[str, Any]:
        """The ``FailoverState`` structure of ``DescribeGlobalClusters``."""
        return {
            "Status": status,
            "FromDbClusterArn": self.from_arn,
            "ToDbClusterArn": self.to_arn,
            "IsDataLossAllowed": self.allow_data_loss,
        }


@dataclass
class CompletedOperation:
    """What a finished operation did: for drill reports and tests."""

    global_cluster_id: str
    kind: OperationKind
    from_arn: str
    to_arn: str
    started_at: float
    finished_at: float
    cancelled: bool
    lost_write_ids: list[str] = field(default_factory=list)


class AuroraExtBackend(BaseBackend):
    """Per-account state of the Aurora extensions (reset together with moto's backends)."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        #: In-flight operations by global cluster identifier.
        self.operations: dict[str, GlobalOperation] = {}
        self.completed: list[CompletedOperation] = []
        #: Data planes by global cluster ARN (global databases) or cluster ARN (standalone clusters).
        self.databases: dict[str, writes.ReplicatedDatabase] = {}


aurora_ext_backends = BackendDict(AuroraExtBackend, "rds", use_boto3_regions=False, additional_regions=["aws"])


def _now() -> float:
    """The current emulator time, read through whichever clock is installed at the moment."""
    return get_clock().now()


def _ext(account_id: str) -> AuroraExtBackend:
    return aurora_ext_backends[account_id]["aws"]


def _global_clusters(account_id: str) -> dict[str, GlobalCluster]:
    return rds_backends[account_id][GLOBAL_CLUSTER_HOME].global_clusters  # type: ignore[return-value]


def _writer(gc: GlobalCluster) -> DBCluster | None:
    return next((m for m in gc.members if m.is_writer), None)


def _identifier(value: str) -> str:
    """A global cluster identifier from an identifier or a global-cluster ARN."""
    return value.rsplit(":", 1)[-1] if value.startswith("arn:") else value


def get_global_cluster(account_id: str, identifier: str) -> GlobalCluster:
    """The moto global cluster, or `GlobalClusterNotFoundFault`."""
    clusters = _global_clusters(account_id)
    key = _identifier(identifier)
    if key not in clusters:
        raise GlobalClusterNotFoundFault(identifier)
    return clusters[key]


def find_db_cluster(account_id: str, identifier: str, default_region: str) -> DBCluster:
    """A DB cluster by ARN (any region) or by identifier in `default_region`."""
    if identifier.startswith("arn:"):
        match = _CLUSTER_ARN.match(identifier)
        if not match:
            raise InvalidParameterValue(f"The parameter {identifier} is not a valid DB cluster ARN.")
        region, account, cluster_id = match["region"], match["account"], match["id"]
    else:
        region, account, cluster_id = default_region, account_id, identifier
    clusters = rds_backends[account][region].clusters
    if cluster_id not in clusters:
        raise DBClusterNotFoundError(identifier)
    return clusters[cluster_id]  # type: ignore[no-any-return]


# -- instance classes a global database refuses ---------------------------------------------------

#: Burstable classes (db.t2, db.t3, db.t4g, ...). An Aurora global database "requires DB instance classes that
#: are optimized for memory-intensive applications"
#: (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.configuration.requirements.html),
#: and AWS answers a burstable one with the error reported in hashicorp/terraform-provider-aws#27736:
#: "InvalidParameterCombination: The requested instance class is not supported by global databases: db.t4g.medium".
#: Only the T classes are refused here: that is the refusal on record; other unsupported classes fail on AWS
#: with messages this emulator has no source for.
_BURSTABLE_CLASS = re.compile(r"^db\.t\d")


def global_cluster_of(account_id: str, cluster: DBCluster) -> GlobalCluster | None:
    """The global cluster `cluster` is a member of, if any."""
    return next((gc for gc in _global_clusters(account_id).values() if cluster in gc.members), None)


def _http_endpoint(self: DBCluster) -> bool:
    return bool(getattr(self, "_enable_http_endpoint", False))


def _set_http_endpoint(self: DBCluster, value: bool | None) -> None:
    """What AWS does with EnableHttpEndpoint: on where the engine serves the Data API, else off."""
    supported = self.engine_mode == "serverless" or (
        self.engine == "aurora-postgresql" and data_api_problem(str(self.engine_version or "")) is None
    )
    self._enable_http_endpoint = bool(value) and supported


#: moto's property knows only Serverless v1 (where the Data API began); provisioned Aurora
#: PostgreSQL has served it since 13.11/14.8/15.3/16.1 (Aurora User Guide, "Supported Regions and
#: Aurora DB engines for RDS Data API").
HTTP_ENDPOINT_PROPERTY = property(_http_endpoint, _set_http_endpoint)


def refuse_burstable_in_global(instance_class: str | None) -> None:
    """Fail like AWS when a burstable class would run in a global database's member cluster."""
    if instance_class and _BURSTABLE_CLASS.match(instance_class):
        raise InvalidParameterCombination(
            f"The requested instance class is not supported by global databases: {instance_class}"
        )


def check_instance_class(account_id: str, region: str, cluster_identifier: str | None, instance_class: str) -> None:
    """Refuse `instance_class` for an instance of `cluster_identifier` when that cluster is a global member."""
    if not cluster_identifier:
        return
    try:
        cluster = find_db_cluster(account_id, cluster_identifier, region)
    except DBClusterNotFoundError:
        return  # moto reports the missing cluster itself
    if global_cluster_of(account_id, cluster) is not None:
        refuse_burstable_in_global(instance_class)


# -- settling: bring moto's objects and the data plane up to the emulator clock ------------------


def _database_for(ext: AuroraExtBackend, gc: GlobalCluster) -> writes.ReplicatedDatabase:
    """The data plane of `gc`, with its membership synchronised to moto's."""
    db = ext.databases.get(gc.global_cluster_arn)
    if db is None:
        db = writes.ReplicatedDatabase(name=gc.global_cluster_arn, clock=_now)
        ext.databases[gc.global_cluster_arn] = db
    if gc.members and _writer(gc) is None:
        # moto's CreateGlobalCluster(SourceDBClusterIdentifier=...) forgets to mark its source as
        # the writer; AWS always has one, and the source cluster is it.
        gc.members[0].is_writer = True
    arns = {m.db_cluster_arn: m for m in gc.members}
    for key in [k for k in db.members if k not in arns]:
        db.remove_member(key)
    for arn, member in arns.items():
        if arn not in db.members:
            db.add_member(arn, member.region, writer=member.is_writer and db.writer is None)
    writer = _writer(gc)
    for member in gc.members:
        # AWS reports a global secondary's source as the primary cluster's ARN.
        member.replication_source_identifier = None if member.is_writer or writer is None else writer.db_cluster_arn
    return db


def _settle_global_cluster(ext: AuroraExtBackend, gc: GlobalCluster) -> None:
    db = _database_for(ext, gc)
    op = ext.operations.get(gc.global_cluster_identifier)
    if op is None:
        _set_failover_state(gc, None)
        return
    now = _now()
    if op.cancelled_at is not None:
        if now < op.cancelled_at + op.timings.cancelling:
            _show(gc, op, "cancelling")
            return
        db.unfence()
        _finish(ext, gc, op, now, cancelled=True, lost=[])
        return
    promoting_from = op.started_at + op.timings.pending
    if now < promoting_from:
        _show(gc, op, "pending")
        return
    target_caught_up = db.applied_count(op.to_arn) == len(db.history)
    if now < promoting_from + op.timings.promoting or not (op.allow_data_loss or target_caught_up):
        # A switchover also waits for the target to apply every write: that is its no-loss promise.
        _show(gc, op, op.promoting_status)
        return
    lost = db.promote(op.to_arn, allow_data_loss=op.allow_data_loss)
    for member in gc.members:
        member.is_writer = member.db_cluster_arn == op.to_arn
    _database_for(ext, gc)  # refresh ReplicationSourceIdentifier from the new writer
    _finish(ext, gc, op, now, cancelled=False, lost=lost)


def _set_failover_state(gc: GlobalCluster, state: dict[str, Any] | None) -> None:
    # moto's serializer reads each output member from the attribute of the same snake_case name,
    # so this attribute is all ``DescribeGlobalClusters`` needs to report ``FailoverState``.
    gc.failover_state = state  # type: ignore[attr-defined]


def _show(gc: GlobalCluster, op: GlobalOperation, status: str) -> None:
    _set_failover_state(gc, op.failover_state(status))
    gc.status = "failing-over" if op.kind == "failover" else "switching-over"


def _finish(
    ext: AuroraExtBackend,
    gc: GlobalCluster,
    op: GlobalOperation,
    now: float,
    *,
    cancelled: bool,
    lost: list[writes.Write],
) -> None:
    del ext.operations[gc.global_cluster_identifier]
    _set_failover_state(gc, None)
    gc.status = "available"
    ext.completed.append(
        CompletedOperation(
            global_cluster_id=gc.global_cluster_identifier,
            kind=op.kind,
            from_arn=op.from_arn,
            to_arn=op.to_arn,
            started_at=op.started_at,
            finished_at=now,
            cancelled=cancelled,
            lost_write_ids=[w.write_id for w in lost],
        )
    )


def settle(account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Advance every global cluster of the account to the current emulator time."""
    with EXTENSION_LOCK:
        ext = _ext(account_id)
        for gc in list(_global_clusters(account_id).values()):
            _settle_global_cluster(ext, gc)


# -- control plane operations ---------------------------------------------------------------------


def start_operation(
    account_id: str, global_cluster_id: str, target: str, *, kind: OperationKind, request_region: str
) -> GlobalCluster:
    """Validate and start a switchover or failover of `global_cluster_id` to `target`."""
    with EXTENSION_LOCK:
        settle(account_id)
        gc = get_global_cluster(account_id, global_cluster_id)
        ext = _ext(account_id)
        if gc.global_cluster_identifier in ext.operations:
            raise InvalidGlobalClusterStateFault(
                f"Global cluster {gc.global_cluster_identifier} already has a switchover or failover in progress."
            )
        cluster = find_db_cluster(account_id, target, request_region)
        writer = _writer(gc)
        if cluster not in gc.members:
            raise InvalidParameterValue(
                f"DB cluster {cluster.db_cluster_arn} is not a member of global cluster {gc.global_cluster_identifier}."
            )
        if writer is None:
            raise InvalidGlobalClusterStateFault(
                f"Global cluster {gc.global_cluster_identifier} has no primary cluster."
            )
        if cluster is writer:
            raise InvalidParameterValue(
                f"DB cluster {cluster.db_cluster_arn} is already the primary cluster of global cluster "
                f"{gc.global_cluster_identifier}; choose a secondary cluster in another Region."
            )
        _check_compatible(writer, cluster, kind)
        if cluster.status not in ("available", "creating"):  # moto reports "creating" exactly once
            raise InvalidDBClusterStateFault(f"DB cluster {cluster.db_cluster_arn} is {cluster.status}, not available.")
        db = _database_for(ext, gc)
        db.fence(isolate=kind == "failover")
        op = GlobalOperation(
            kind=kind,
            from_arn=writer.db_cluster_arn,
            to_arn=cluster.db_cluster_arn,
            started_at=_now(),
            timings=_timings,
        )
        ext.operations[gc.global_cluster_identifier] = op
        _settle_global_cluster(ext, gc)
        return gc


def _check_compatible(writer: DBCluster, target: DBCluster, kind: OperationKind) -> None:
    if writer.engine != target.engine:
        raise InvalidDBClusterStateFault(
            f"DB cluster {target.db_cluster_arn} runs {target.engine}, the primary runs {writer.engine}."
        )
    # A switchover needs matching major and minor versions; a failover only the major version.
    parts = 2 if kind == "switchover" else 1
    if str(writer.engine_version).split(".")[:parts] != str(target.engine_version).split(".")[:parts]:
        raise InvalidDBClusterStateFault(
            f"A global {kind} needs compatible engine versions: primary {writer.engine_version}, "
            f"target {target.engine_version}."
        )


def cancel_operation(global_cluster_id: str, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Fault injection: cancel an in-flight operation; it shows ``cancelling``, then the old writer resumes."""
    with EXTENSION_LOCK:
        settle(account_id)
        gc = get_global_cluster(account_id, global_cluster_id)
        op = _ext(account_id).operations.get(gc.global_cluster_identifier)
        if op is None or op.cancelled_at is not None:
            raise InvalidGlobalClusterStateFault(
                f"Global cluster {gc.global_cluster_identifier} has no operation to cancel."
            )
        op.cancelled_at = _now()
        _settle_global_cluster(_ext(account_id), gc)


def remove_from_global_cluster(
    account_id: str, global_cluster_id: str, cluster_identifier: str, request_region: str
) -> GlobalCluster:
    """Detach a member (any region) and promote it to a standalone, writable cluster."""
    with EXTENSION_LOCK:
        settle(account_id)
        gc = get_global_cluster(account_id, global_cluster_id)
        ext = _ext(account_id)
        cluster = find_db_cluster(account_id, cluster_identifier, request_region)
        if cluster not in gc.members:
            raise InvalidParameterValue(
                f"DB cluster {cluster.db_cluster_arn} is not a member of global cluster {gc.global_cluster_identifier}."
            )
        if gc.global_cluster_identifier in ext.operations:
            raise InvalidGlobalClusterStateFault(
                f"Global cluster {gc.global_cluster_identifier} has a switchover or failover in progress."
            )
        if cluster.is_writer and len(gc.members) > 1:
            raise InvalidGlobalClusterStateFault(
                f"DB cluster {cluster.db_cluster_arn} is the primary of global cluster {gc.global_cluster_identifier}; "
                "remove the secondary clusters first."
            )
        db = _database_for(ext, gc)
        ext.databases[cluster.db_cluster_arn] = db.detach(cluster.db_cluster_arn, name=cluster.db_cluster_arn)
        gc.members.remove(cluster)
        cluster.is_writer = False
        cluster.global_cluster_identifier = None
        cluster.replication_source_identifier = None
        _database_for(ext, gc)
        return gc


# -- data plane -----------------------------------------------------------------------------------


def database_of(account_id: str, cluster_arn: str) -> writes.ReplicatedDatabase:
    """The data plane a cluster writes to: its global database, or its own if standalone."""
    with EXTENSION_LOCK:
        settle(account_id)
        ext = _ext(account_id)
        cluster = find_db_cluster(account_id, cluster_arn, GLOBAL_CLUSTER_HOME)
        for gc in _global_clusters(account_id).values():
            if cluster in gc.members:
                return _database_for(ext, gc)
        db = ext.databases.get(cluster.db_cluster_arn)
        if db is None:
            # A cluster outside any global database is its own writer.
            db = writes.ReplicatedDatabase(name=cluster.db_cluster_arn, clock=_now)
            db.add_member(cluster.db_cluster_arn, cluster.region, writer=True)
            ext.databases[cluster.db_cluster_arn] = db
        return db


def global_database(global_cluster_id: str, account_id: str = DEFAULT_ACCOUNT_ID) -> writes.ReplicatedDatabase:
    """The settled data plane of a global cluster (in-process API for tests and drills)."""
    with EXTENSION_LOCK:
        settle(account_id)
        return _database_for(_ext(account_id), get_global_cluster(account_id, global_cluster_id))


def lineage(global_cluster_id: str, account_id: str = DEFAULT_ACCOUNT_ID) -> list[writes.ReplicatedDatabase]:
    """The global database plus every cluster ever detached from it (transitively)."""
    with EXTENSION_LOCK:
        root = global_database(global_cluster_id, account_id)
        family = [root]
        names = {root.name}
        for db in _ext(account_id).databases.values():
            if db.detached_from in names and db.name not in names:
                family.append(db)
                names.add(db.name)
        return family


def writable_regions(global_cluster_id: str, account_id: str = DEFAULT_ACCOUNT_ID) -> list[str]:
    """Regions accepting writes for this global database now, detached clusters included.

    The drills' one-writer invariant: this list never has more than one entry.
    """
    with EXTENSION_LOCK:
        return writes.writable_regions(lineage(global_cluster_id, account_id))


def set_replication_lag(
    global_cluster_id: str, region: str, seconds: float | None, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Fault injection: set (or pause with `None`) the replication lag of the member in `region`."""
    with EXTENSION_LOCK:
        db = global_database(global_cluster_id, account_id)
        keys = [k for k, m in db.members.items() if m.region == region]
        if not keys:
            raise ValueError(f"global cluster {global_cluster_id} has no member in {region}")
        for key in keys:
            db.set_lag(key, seconds)


def secondary_replication_lags(region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> dict[str, float]:
    """Replication lag in seconds of every global-database secondary in `region`, by cluster identifier.

    The figure behind the ``AWS/RDS`` ``AuroraGlobalDBReplicationLag`` metric: how old the oldest
    write this secondary has not applied yet is (0 when caught up; growing while paused).
    """
    with EXTENSION_LOCK:
        settle(account_id)
        ext = _ext(account_id)
        lags: dict[str, float] = {}
        for gc in _global_clusters(account_id).values():
            db = _database_for(ext, gc)
            for member in gc.members:
                if member.region == region and not member.is_writer:
                    lags[member.db_cluster_identifier] = db.replication_lag(member.db_cluster_arn)
        return lags


def completed_operations(account_id: str = DEFAULT_ACCOUNT_ID) -> list[CompletedOperation]:
    """Switchovers and failovers that have finished (or been cancelled), oldest first."""
    with EXTENSION_LOCK:
        settle(account_id)
        return list(_ext(account_id).completed)


# -- responses ------------------------------------------------------------------------------------


class AuroraResponse(ClockedResponse, RDSResponse):
    """moto's RDS API plus global switchover/failover and a region-aware RemoveFromGlobalCluster."""

    def _begin(self) -> None:
        settle(self.current_account)

    def failover_global_cluster(self) -> ActionResult:
        """``FailoverGlobalCluster``: a failover with ``AllowDataLoss``, else a switchover."""
        self._begin()
        allow_data_loss = self.params.get("AllowDataLoss")
        switchover = self.params.get("Switchover")
        if allow_data_loss is not None and switchover is not None:
            raise InvalidParameterCombination("AllowDataLoss and Switchover cannot be specified together.")
        gc = start_operation(
            self.current_account,
            self.params["GlobalClusterIdentifier"],
            self.params["TargetDbClusterIdentifier"],
            kind="failover" if allow_data_loss else "switchover",
            request_region=self.region,
        )
        return ActionResult({"GlobalCluster": gc})

    def switchover_global_cluster(self) -> ActionResult:
        """``SwitchoverGlobalCluster``: a planned, lossless change of writer."""
        self._begin()
        gc = start_operation(
            self.current_account,
            self.params["GlobalClusterIdentifier"],
            self.params["TargetDbClusterIdentifier"],
            kind="switchover",
            request_region=self.region,
        )
        return ActionResult({"GlobalCluster": gc})

    def remove_from_global_cluster(self) -> ActionResult:
        """``RemoveFromGlobalCluster`` for a member in any region (detach and promote)."""
        self._begin()
        gc = remove_from_global_cluster(
            self.current_account,
            self.params["GlobalClusterIdentifier"],
            self.params["DbClusterIdentifier"],
            request_region=self.region,
        )
        return ActionResult({"GlobalCluster": gc})

    def describe_global_clusters(self) -> ActionResult:
        """``DescribeGlobalClusters`` with operations settled, filtered by identifier like AWS."""
        self._begin()
        identifier = self.params.get("GlobalClusterIdentifier")
        if identifier:
            return ActionResult({"GlobalClusters": [get_global_cluster(self.current_account, identifier)]})
        return super().describe_global_clusters()

    def describe_db_clusters(self) -> ActionResult:
        """``DescribeDBClusters`` after settling, so a completed flip is visible in every region."""
        self._begin()
        return super().describe_db_clusters()

    def create_db_instance(self) -> ActionResult:
        """``CreateDBInstance``, refusing a burstable class in a global database's member cluster."""
        self._begin()
        with EXTENSION_LOCK:
            check_instance_class(
                self.current_account,
                self.region,
                self.params.get("DBClusterIdentifier"),
                str(self.params.get("DBInstanceClass") or ""),
            )
        return super().create_db_instance()

    def modify_db_instance(self) -> ActionResult:
        """``ModifyDBInstance``, refusing a change to a burstable class in a global database's member cluster."""
        self._begin()
        new_class = self.params.get("DBInstanceClass")
        instance = self.backend.databases.get(self.params.get("DBInstanceIdentifier"))
        if new_class and instance is not None:
            with EXTENSION_LOCK:
                check_instance_class(
                    self.current_account, self.region, getattr(instance, "db_cluster_identifier", None), new_class
                )
        return super().modify_db_instance()

    def create_global_cluster(self) -> ActionResult:
        """``CreateGlobalCluster``; a source cluster in any region becomes the primary (writer)."""
        self._begin()
        source = self.params.get("SourceDBClusterIdentifier")
        if not source:
            return super().create_global_cluster()
        with EXTENSION_LOCK:
            cluster = find_db_cluster(self.current_account, source, self.region)
            for instance in cluster.members:
                # The source's instances join the global database with it.
                refuse_burstable_in_global(instance.db_instance_class)
            params = self.params
            if params.get("Engine") is not None:
                raise InvalidParameterCombination(
                    "When creating global cluster from existing db cluster, value for engineName should not be "
                    "specified since it will be inherited from source cluster"
                )
            gc = GlobalCluster(
                backend=rds_backends[self.current_account][GLOBAL_CLUSTER_HOME],
                global_cluster_identifier=params["GlobalClusterIdentifier"],
                engine=cluster.engine,
                engine_version=cluster.engine_version,
                storage_encrypted=params.get("StorageEncrypted"),
                deletion_protection=params.get("DeletionProtection"),
            )
            _global_clusters(self.current_account)[gc.global_cluster_identifier] = gc
            cluster.global_cluster_identifier = gc.global_cluster_identifier
            cluster.is_writer = True
            gc.members.append(cluster)
            settle(self.current_account)
        return ActionResult({"GlobalCluster": gc})


class DataApiError(ServiceException):
    """An ``rds-data`` error with the AWS code (``DatabaseErrorException``, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "REPLACE")
_LEADING_COMMENTS = re.compile(r"^\s*(?:(?:--[^\n]*\n)|(?:/\*.*?\*/)|\s)*", re.DOTALL)
#: ``SELECT`` answers with these columns: what the cluster in the request has applied.
SELECT_COLUMNS = ("last_write_id", "applied_count", "is_writer")


class AuroraDataResponse(ClockedResponse, RDSDataServiceResponse):
    """``rds-data ExecuteStatement`` on the emulated write model.

    The emulator does not run SQL. It classifies the statement by its first keyword:
    INSERT/UPDATE/DELETE/UPSERT/MERGE/REPLACE commit one write (id from the ``id`` parameter,
    else generated, returned in ``generatedFields``); SELECT returns one row
    (``last_write_id``, ``applied_count``, ``is_writer``) for the cluster addressed. Anything
    else falls through to moto's canned-result behaviour.
    """

    def execute_statement(self) -> str:
        """``ExecuteStatement`` against a cluster ARN in the request's region."""
        resource_arn = self._get_param("resourceArn")
        sql = self._get_param("sql") or ""
        verb = _LEADING_COMMENTS.sub("", sql).split(None, 1)[0].upper() if sql.strip() else ""
        if verb not in (*_WRITE_VERBS, "SELECT"):
            return super().execute_statement()
        match = _CLUSTER_ARN.match(resource_arn or "")
        if not match:
            raise DataApiError("BadRequestException", f"Invalid resourceArn: {resource_arn}")
        if match["region"] != self.region:
            raise DataApiError("BadRequestException", f"{resource_arn} is not in {self.region}.")
        with EXTENSION_LOCK:  # settle, read and commit as one step: no flip can land in between
            try:
                db = database_of(self.current_account, resource_arn)
            except DBClusterNotFoundError:
                raise DataApiError("BadRequestException", f"DB cluster {resource_arn} not found.") from None
            cluster = find_db_cluster(self.current_account, resource_arn, self.region)
            self._refuse_unauthenticated(cluster)
            cluster_arn = cluster.db_cluster_arn
            if verb == "SELECT":
                return _json(self._select(db, cluster_arn))
            try:
                write = db.commit(cluster_arn, self._write_id())
            except writes.WriteRejected as rejected:
                raise _data_api_error(rejected, verb) from None
        return _json({"numberOfRecordsUpdated": 1, "generatedFields": [{"stringValue": write.write_id}]})

    def _refuse_unauthenticated(self, cluster: DBCluster) -> None:
        """AWS's refusals before any SQL runs: Data API off, or no credential in this region."""
        if not cluster.http_endpoint_enabled:
            raise DataApiError(
                "BadRequestException", f"HttpEndpoint is not enabled for cluster {cluster.db_cluster_identifier}."
            )
        secret_arn = str(self._get_param("secretArn") or "")
        if not secret_arn:
            raise DataApiError("BadRequestException", "secretArn is required.")
        from moto.secretsmanager.models import secretsmanager_backends

        secrets = secretsmanager_backends[self.current_account][self.region].secrets
        if not any(secret_arn in (secret.arn, secret.name) for secret in secrets.values()):
            raise DataApiError("BadRequestException", f"Error fetching secret {secret_arn}: it does not exist.")

    def _write_id(self) -> str | None:
        for parameter in self._get_param("parameters") or []:
            if parameter.get("name") in ("id", "write_id"):
                value = parameter.get("value", {})
                return str(value.get("stringValue") or value.get("longValue"))
        return None

    def _select(self, db: writes.ReplicatedDatabase, cluster_arn: str) -> dict[str, Any]:
        last = db.last_applied(cluster_arn)
        row = [
            {"stringValue": last.write_id} if last else {"isNull": True},
            {"longValue": db.applied_count(cluster_arn)},
            {"booleanValue": cluster_arn in db.writable_members()},
        ]
        result: dict[str, Any] = {"records": [row], "numberOfRecordsUpdated": 0}
        if self._get_param("includeResultMetadata"):
            types = ("varchar", "int8", "bool")
            result["columnMetadata"] = [
                {"name": n, "label": n, "typeName": t} for n, t in zip(SELECT_COLUMNS, types, strict=True)
            ]
        return result


def _data_api_error(rejected: writes.WriteRejected, verb: str) -> DataApiError:
    if rejected.reason == "unavailable":
        return DataApiError("DatabaseUnavailableException", str(rejected))
    if rejected.reason == "read-only":
        # What Aurora PostgreSQL says on a read-only cluster, wrapped as the Data API does.
        return DataApiError(
            "DatabaseErrorException", f"ERROR: cannot execute {verb} in a read-only transaction ({rejected})"
        )
    return DataApiError("DatabaseErrorException", str(rejected))


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body)


def register(installation: Installation) -> None:
    """Serve the RDS and RDS Data APIs with the responses above."""
    installation.patch(DBCluster, "enable_http_endpoint", HTTP_ENDPOINT_PROPERTY)
    installation.route(rds_urls, "{0}/$", AuroraResponse.dispatch)
    installation.route(rdsdata_urls, "{0}/Execute$", AuroraDataResponse.dispatch)
