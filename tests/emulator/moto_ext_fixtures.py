"""Fixtures and builders shared by the moto extension tests (imported explicitly by each module).

Kept out of a conftest so they bind only the modules that import them (``*_fixture`` names, so
importing them does not shadow the parameters that request them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from finstack.emulator.moto_ext import AuroraTimings, VirtualClock, restricted_mock_aws, set_aurora_timings, set_clock

EAST, WEST = "us-east-1", "us-west-2"
ENGINE, VERSION = "aurora-postgresql", "15.4"
#: The master credential, replicated into both regions: the Data API reads it in the cluster's region.
SECRET_NAME = "ledger-admin"
#: Phases used by every test: 1 s pending, 3 s promoting, 2 s cancelling.
TIMINGS = AuroraTimings(pending=1.0, promoting=3.0, cancelling=2.0)


@pytest.fixture(name="clock")
def clock_fixture() -> Iterator[VirtualClock]:
    """A virtual clock at t=0 and known operation timings, restored afterwards."""
    virtual = VirtualClock()
    previous_clock = set_clock(virtual)
    previous_timings = set_aurora_timings(TIMINGS)
    yield virtual
    set_clock(previous_clock)
    set_aurora_timings(previous_timings)


@pytest.fixture(name="aws")
def aws_fixture(clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The in-process emulator: moto, our extensions, allowed services only, no way out."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with restricted_mock_aws():
        yield


@dataclass
class GlobalDb:
    """A two-Region Aurora global database built through the rds API."""

    global_id: str
    east_arn: str
    west_arn: str

    def arn(self, region: str) -> str:
        """The member cluster ARN in `region`."""
        return self.east_arn if region == EAST else self.west_arn


def make_global_db(
    global_id: str = "ledger", east_version: str = VERSION, west_version: str = VERSION, endpoint_url: str | None = None
) -> GlobalDb:
    """Global cluster with a writer in us-east-1 and a secondary in us-west-2 (the Pulumi pattern)."""
    east, west = rds(EAST, endpoint_url), rds(WEST, endpoint_url)
    for region in (EAST, WEST):
        secrets = boto3.client("secretsmanager", region_name=region, endpoint_url=endpoint_url)
        secrets.create_secret(Name=SECRET_NAME, SecretString='{"username": "ledger"}')
    east.create_global_cluster(GlobalClusterIdentifier=global_id, Engine=ENGINE, EngineVersion=east_version)
    east_arn = east.create_db_cluster(
        DBClusterIdentifier=f"{global_id}-east",
        Engine=ENGINE,
        EngineVersion=east_version,
        GlobalClusterIdentifier=global_id,
        MasterUsername="ledger",
        MasterUserPassword="correct-horse-battery",
        EnableHttpEndpoint=True,
    )["DBCluster"]["DBClusterArn"]
    west_arn = west.create_db_cluster(
        DBClusterIdentifier=f"{global_id}-west",
        Engine=ENGINE,
        EngineVersion=west_version,
        GlobalClusterIdentifier=global_id,
        EnableHttpEndpoint=True,
    )["DBCluster"]["DBClusterArn"]
    return GlobalDb(global_id, east_arn, west_arn)


def rds(region: str, endpoint_url: str | None = None) -> Any:
    """An rds client in `region`."""
    return boto3.client("rds", region_name=region, endpoint_url=endpoint_url)


def data_api(region: str, endpoint_url: str | None = None) -> Any:
    """An rds-data client in `region`."""
    return boto3.client("rds-data", region_name=region, endpoint_url=endpoint_url)


def secret_arn(region: str, endpoint_url: str | None = None) -> str:
    """The ARN of the master credential's copy in `region` (Secrets Manager adds a random suffix)."""
    secrets = boto3.client("secretsmanager", region_name=region, endpoint_url=endpoint_url)
    return str(secrets.describe_secret(SecretId=SECRET_NAME)["ARN"])


def insert(cluster_arn: str, write_id: str | None = None, endpoint_url: str | None = None) -> str:
    """Commit one write through the Data API on `cluster_arn`; returns its write id."""
    params = [{"name": "id", "value": {"stringValue": write_id}}] if write_id else []
    response = data_api(cluster_arn.split(":")[3], endpoint_url).execute_statement(
        resourceArn=cluster_arn,
        secretArn=secret_arn(cluster_arn.split(":")[3], endpoint_url),
        sql="INSERT INTO ledger_entries (id, amount) VALUES (:id, 100)",
        parameters=params,
    )
    return str(response["generatedFields"][0]["stringValue"])


def last_applied(cluster_arn: str, endpoint_url: str | None = None) -> tuple[str | None, int]:
    """(last applied write id, applied count) read through the Data API on `cluster_arn`."""
    response = data_api(cluster_arn.split(":")[3], endpoint_url).execute_statement(
        resourceArn=cluster_arn,
        secretArn=secret_arn(cluster_arn.split(":")[3], endpoint_url),
        sql="SELECT last_write_id, applied_count FROM finstack",
    )
    last, count, _is_writer = response["records"][0]
    return last.get("stringValue"), int(count["longValue"])


def global_cluster(global_id: str, region: str = EAST, endpoint_url: str | None = None) -> dict[str, Any]:
    """DescribeGlobalClusters for one global cluster, from `region`'s client."""
    response = rds(region, endpoint_url).describe_global_clusters(GlobalClusterIdentifier=global_id)
    return dict(response["GlobalClusters"][0])


def writer_arn(global_id: str, region: str = EAST, endpoint_url: str | None = None) -> str:
    """The member with IsWriter, as `region`'s client sees it."""
    members = global_cluster(global_id, region, endpoint_url)["GlobalClusterMembers"]
    (writer,) = [m["DBClusterArn"] for m in members if m["IsWriter"]]
    return str(writer)
