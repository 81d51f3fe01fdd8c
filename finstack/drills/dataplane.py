"""The data plane a drill measures: which regions accept writes, replication positions, canary writes.

A drill's two promises are about data, not API calls: at most one region accepts writes, and a
planned switchover loses no committed write. Two implementations answer the same questions:

- `EmulatorWriteModel` reads the emulator's write model (`finstack.emulator.writes`) in-process,
  or over the emulator server's admin API (`GET /_finstack/writes/<global-cluster>`): exact
  per-region positions, writable regions (detached clusters included) and lost write ids.
- `DataApiPlane` (real AWS) cannot see positions; it only writes canaries through the RDS Data
  API when the cluster has it enabled, and otherwise says "not verified". It never pretends.

Canary writes go through the gateway (`rds-data ExecuteStatement`) in both, so they are recorded
API calls like any other and the emulator's Data API applies them to its write model.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from finstack.drills import errors
from finstack.drills.dr import DrDocument
from finstack.drills.gateway import DrillGateway

#: The canary table: one row per drill verification, in the ledger database's `finstack_dr` schema.
CANARY_SQL = "INSERT INTO finstack_dr.canary (id, drill_id, written_at) VALUES (:id, :drill_id, now())"


@dataclass(frozen=True)
class Position:
    """How far one region's cluster is: writes applied (committed, for the writer) and the newest id."""

    region: str
    count: int
    last_write_id: str | None
    lag_seconds: float | None
    is_writer: bool

    def to_json(self) -> dict[str, Any]:
        """The evidence form."""
        return {
            "region": self.region,
            "count": self.count,
            "lastWriteId": self.last_write_id,
            "replicationLagSeconds": self.lag_seconds,
            "isWriter": self.is_writer,
        }


@dataclass(frozen=True)
class CanaryResult:
    """What one canary write showed: accepted, rejected (and why), or not verifiable."""

    region: str
    write_id: str
    verified: bool
    accepted: bool | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The evidence form."""
        return {
            "region": self.region,
            "writeId": self.write_id,
            "verified": self.verified,
            "accepted": self.accepted,
            "detail": self.detail,
        }


class DataPlane(Protocol):
    """What a drill can learn about (and do to) the database's data."""

    kind: str

    def writable_regions(self) -> list[str] | None:
        """Regions whose database accepts writes now (detached clusters included); None if unobservable."""
        ...

    def positions(self) -> dict[str, Position] | None:
        """Per-region replication position; None if unobservable."""
        ...

    def lost_write_ids(self) -> list[str] | None:
        """Ids of committed writes the database has lost so far; None if unobservable."""
        ...

    def canary(
        self, region: str, cluster_arn: str, write_id: str, drill_id: str, cluster: dict[str, Any] | None
    ) -> CanaryResult:
        """Try one write on `cluster_arn` in `region` and say what happened."""
        ...


def _canary_via_data_api(
    gateway: DrillGateway,
    region: str,
    cluster_arn: str,
    *,
    write_id: str,
    drill_id: str,
    secret_arn: str,
    database: str | None,
) -> CanaryResult:
    parameters = [
        {"name": "id", "value": {"stringValue": write_id}},
        {"name": "drill_id", "value": {"stringValue": drill_id}},
    ]
    try:
        gateway.execute_statement(
            region,
            cluster_arn,
            CANARY_SQL,
            secret_arn=secret_arn,
            database=database,
            parameters=parameters,
            mutating=True,
            # One canary id per drill and region (its primary key): a retry after a lost answer
            # is refused as a duplicate, which proves the first attempt committed.
            idempotent=True,
        )
    except errors.OutcomeUnknown as err:
        return CanaryResult(region, write_id, False, None, f"no answer, outcome unknown: {err}")
    except errors.RegionUnreachable as err:
        return CanaryResult(region, write_id, False, None, f"region unreachable: {err}")
    except errors.AwsError as err:
        lowered = str(err).lower()
        if "read-only" in lowered or "read only" in lowered:
            return CanaryResult(region, write_id, True, False, f"rejected as read-only: {err.code}")
        if err.code == "DatabaseUnavailableException":
            return CanaryResult(region, write_id, True, False, "rejected: database unavailable (writes suspended)")
        if "already committed" in lowered or "duplicate key" in lowered:
            # Canary ids are fixed per drill and region: a duplicate is this canary, committed by an
            # earlier attempt whose answer was lost (a timeout, or a crash before it was recorded).
            return CanaryResult(region, write_id, True, True, "committed by an earlier attempt (duplicate canary id)")
        return CanaryResult(region, write_id, False, None, f"inconclusive: {err}")
    return CanaryResult(region, write_id, True, True, "committed")


class EmulatorWriteModel:
    """The emulator's write model, in-process or through the emulator server's admin API."""

    kind = "emulator-write-model"

    def __init__(self, gateway: DrillGateway, document: DrDocument, *, endpoint_url: str | None = None) -> None:
        self._gateway = gateway
        self._document = document
        self._endpoint_url = endpoint_url

    def snapshot(self) -> dict[str, Any]:
        """The write model of the stack's global cluster, in the shape of the admin API's answer."""
        gc_id = self._document.global_cluster_id
        if self._endpoint_url:
            url = f"{self._endpoint_url.rstrip('/')}/_finstack/writes/{gc_id}"
            with urllib.request.urlopen(url, timeout=10) as answer:
                loaded: dict[str, Any] = json.loads(answer.read())
                return loaded
        # moto is imported only in emulate mode: a drill against AWS never loads it.
        from finstack.emulator.moto_ext import aurora

        snapshot = aurora.global_database(gc_id).snapshot()
        snapshot["writableRegions"] = aurora.writable_regions(gc_id)
        snapshot["detached"] = [db.snapshot() for db in aurora.lineage(gc_id)[1:]]
        return snapshot

    def writable_regions(self) -> list[str] | None:
        """The model's `writableRegions` (global database and everything detached from it)."""
        return list(self.snapshot()["writableRegions"])

    def positions(self) -> dict[str, Position] | None:
        """Per region: the global database's member there, or a cluster detached from it."""
        snapshot = self.snapshot()
        found: dict[str, Position] = {}
        for database in [snapshot, *snapshot.get("detached", [])]:
            for member in database["members"].values():
                found[member["region"]] = Position(
                    region=member["region"],
                    count=int(member["appliedCount"]),
                    last_write_id=member["lastAppliedWriteId"],
                    lag_seconds=float(member["replicationLagSeconds"]),
                    is_writer=bool(member["isWriter"]) and not database["fenced"],
                )
        return found

    def lost_write_ids(self) -> list[str] | None:
        """Writes the global database has discarded (a failover keeps only what the target had)."""
        return list(self.snapshot().get("lostWriteIds", []))

    def canary(
        self, region: str, cluster_arn: str, write_id: str, drill_id: str, cluster: dict[str, Any] | None
    ) -> CanaryResult:
        """A canary through the emulator's Data API (which applies it to the write model).

        Authenticated as on AWS, with the cell's break-glass secret: under the emulator's IAM
        enforcement the automation role needs the same grants (Data API, secret, its key).
        """
        return _canary_via_data_api(
            self._gateway,
            region,
            cluster_arn,
            write_id=write_id,
            drill_id=drill_id,
            secret_arn=self._document.cell(region).break_glass_secret_arn,
            database=None,
        )


class DataApiPlane:
    """Real AWS: canaries through the RDS Data API where enabled; positions are not observable."""

    kind = "rds-data-api"

    def __init__(self, gateway: DrillGateway, document: DrDocument, database: str | None = None) -> None:
        self._gateway = gateway
        self._document = document
        self._database = database

    def writable_regions(self) -> list[str] | None:
        """Not observable from outside the database: the runner uses the control plane instead."""
        return None

    def positions(self) -> dict[str, Position] | None:
        """Not observable: RPO comes from the AuroraGlobalDBReplicationLag metric instead."""
        return None

    def lost_write_ids(self) -> list[str] | None:
        """Not observable on AWS from outside the application."""
        return None

    def canary(
        self, region: str, cluster_arn: str, write_id: str, drill_id: str, cluster: dict[str, Any] | None
    ) -> CanaryResult:
        """Write through the Data API if the cluster allows it, else record "not verified" and why."""
        if cluster is None:
            return CanaryResult(region, write_id, False, None, "not verified: the cluster could not be described")
        if not cluster.get("HttpEndpointEnabled"):
            return CanaryResult(
                region, write_id, False, None, "not verified: the RDS Data API is not enabled on the cluster"
            )
        # RDS-managed master secrets are not supported on global database members (Aurora User
        # Guide, "Limitations for Secrets Manager integration"): the stack's break-glass secret,
        # replicated into every cell, authenticates the Data API instead.
        secret = self._document.cell(region).break_glass_secret_arn
        database = self._database or cluster.get("DatabaseName")
        return _canary_via_data_api(
            self._gateway,
            region,
            cluster_arn,
            write_id=write_id,
            drill_id=drill_id,
            secret_arn=str(secret),
            database=database,
        )
