"""Aurora global switchover/failover, detach-and-promote and the Data API write path, in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finstack.emulator.moto_ext import (
    VirtualClock,
    cancel_operation,
    completed_operations,
    global_database,
    set_replication_lag,
    writable_regions,
)
from tests.emulator.moto_ext_fixtures import (  # noqa: F401 - fixtures are used by name
    EAST,
    ENGINE,
    VERSION,
    WEST,
    GlobalDb,
    aws_fixture,
    clock_fixture,
    data_api,
    global_cluster,
    insert,
    last_applied,
    make_global_db,
    rds,
    secret_arn,
    writer_arn,
)

pytestmark = pytest.mark.usefixtures("aws")


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def test_global_cluster__first_member_is_writer_and_visible_from_every_region() -> None:
    db = make_global_db()

    assert writer_arn(db.global_id, EAST) == db.east_arn
    assert writer_arn(db.global_id, WEST) == db.east_arn
    (west,) = rds(WEST).describe_db_clusters(DBClusterIdentifier="ledger-west")["DBClusters"]
    assert west["ReplicationSourceIdentifier"] == db.east_arn


def test_switchover__flips_writer_without_loss_and_fences_old_writer(clock: VirtualClock) -> None:
    # Given writes committed in us-east-1, the last one 0.5 s before the switchover (lag is 1 s)
    db = make_global_db()
    committed = [insert(db.east_arn)]
    clock.advance(2)
    committed.append(insert(db.east_arn))
    clock.advance(0.5)

    # When the switchover runs to completion
    rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    clock.advance(10)

    # Then us-west-2 writes, has every committed write, and us-east-1 is a read-only secondary
    assert writer_arn(db.global_id, EAST) == db.west_arn
    assert last_applied(db.west_arn) == (committed[-1], 2)
    assert completed_operations()[-1].lost_write_ids == []
    with pytest.raises(ClientError) as excinfo:
        insert(db.east_arn)
    assert error_code(excinfo) == "DatabaseErrorException"
    assert "read-only" in str(excinfo.value)
    insert(db.west_arn)
    clock.advance(1)
    assert last_applied(db.east_arn)[1] == 3
    assert writable_regions(db.global_id) == [WEST]


def test_switchover__rejects_writes_everywhere_while_in_progress(clock: VirtualClock) -> None:
    db = make_global_db()
    rds(EAST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    clock.advance(2)

    assert writable_regions(db.global_id) == []
    for arn in (db.east_arn, db.west_arn):
        with pytest.raises(ClientError) as excinfo:
            insert(arn)
        assert error_code(excinfo) == "DatabaseUnavailableException"


def test_switchover__waits_for_replication_to_catch_up(clock: VirtualClock) -> None:
    # Given a secondary trailing by 30 s and a write just committed
    db = make_global_db()
    set_replication_lag(db.global_id, WEST, 30.0)
    last = insert(db.east_arn)

    # When the switchover's own phases (1 s + 3 s) are long over but replication is not
    rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    clock.advance(10)

    # Then it keeps switching over until the target has applied the write, and loses nothing
    assert global_cluster(db.global_id)["FailoverState"]["Status"] == "switching-over"
    assert writer_arn(db.global_id) == db.east_arn
    clock.advance(20)
    assert "FailoverState" not in global_cluster(db.global_id)
    assert writer_arn(db.global_id) == db.west_arn
    assert last_applied(db.west_arn)[0] == last
    assert completed_operations()[-1].lost_write_ids == []


def test_failover_allow_data_loss__loses_exactly_the_writes_inside_the_lag_window(clock: VirtualClock) -> None:
    # Given writes at t = 0, 0.4, 0.8, 1.2 and a 1 s lag to us-west-2
    db = make_global_db()
    writes = []
    for _ in range(4):
        writes.append(insert(db.east_arn))
        clock.advance(0.4)

    # When failing over at t = 1.6 (us-west-2 has applied the writes of t <= 0.6)
    rds(WEST).failover_global_cluster(
        GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, AllowDataLoss=True
    )
    clock.advance(10)

    # Then the two writes of the last second are lost, and only those
    assert writer_arn(db.global_id) == db.west_arn
    assert completed_operations()[-1].lost_write_ids == writes[2:]
    assert last_applied(db.west_arn) == (writes[1], 2)
    assert [w.write_id for w in global_database(db.global_id).lost] == writes[2:]
    # The old writer is resynchronised to the new history: its unreplicated writes are gone too.
    assert last_applied(db.east_arn) == (writes[1], 2)


def test_failover__replication_stops_when_failover_starts(clock: VirtualClock) -> None:
    db = make_global_db()
    written = insert(db.east_arn)
    rds(WEST).failover_global_cluster(
        GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, AllowDataLoss=True
    )

    # Even though the lag window passes during the failover, the isolated writer ships nothing more.
    clock.advance(10)

    assert completed_operations()[-1].lost_write_ids == [written]


def test_failover_state__progresses_pending_failing_over_then_absent(clock: VirtualClock) -> None:
    db = make_global_db()
    response = rds(WEST).failover_global_cluster(
        GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, AllowDataLoss=True
    )
    expected = {"FromDbClusterArn": db.east_arn, "ToDbClusterArn": db.west_arn, "IsDataLossAllowed": True}

    assert response["GlobalCluster"]["FailoverState"] == {"Status": "pending", **expected}
    clock.advance(1)
    for region in (EAST, WEST):
        described = global_cluster(db.global_id, region)
        assert described["FailoverState"] == {"Status": "failing-over", **expected}
        assert described["Status"] == "failing-over"
        assert writer_arn(db.global_id, region) == db.east_arn
    clock.advance(3)
    described = global_cluster(db.global_id, WEST)
    assert "FailoverState" not in described
    assert described["Status"] == "available"
    assert writer_arn(db.global_id, EAST) == db.west_arn


def test_failover_with_switchover_flag__is_a_lossless_switchover(clock: VirtualClock) -> None:
    db = make_global_db()
    response = rds(WEST).failover_global_cluster(
        GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, Switchover=True
    )
    clock.advance(1)

    assert response["GlobalCluster"]["FailoverState"]["IsDataLossAllowed"] is False
    assert global_cluster(db.global_id)["FailoverState"]["Status"] == "switching-over"


def test_describe_db_clusters__replication_source_follows_the_new_writer(clock: VirtualClock) -> None:
    db = make_global_db()
    rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    clock.advance(5)

    (east,) = rds(EAST).describe_db_clusters(DBClusterIdentifier="ledger-east")["DBClusters"]
    (west,) = rds(WEST).describe_db_clusters(DBClusterIdentifier="ledger-west")["DBClusters"]
    assert east["ReplicationSourceIdentifier"] == db.west_arn
    assert "ReplicationSourceIdentifier" not in west


LEDGER_WEST = "arn:aws:rds:us-west-2:123456789012:cluster:ledger-west"
LEDGER_EAST = "arn:aws:rds:us-east-1:123456789012:cluster:ledger-east"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"GlobalClusterIdentifier": "nope", "TargetDbClusterIdentifier": LEDGER_WEST}, "GlobalClusterNotFoundFault"),
        (
            {
                "GlobalClusterIdentifier": "ledger",
                "TargetDbClusterIdentifier": LEDGER_WEST.replace("ledger-west", "ghost"),
            },
            "DBClusterNotFoundFault",
        ),
        (
            {
                "GlobalClusterIdentifier": "ledger",
                "TargetDbClusterIdentifier": "arn:aws:rds:us-west-2:cluster/ledger-west",
            },
            "InvalidParameterValue",
        ),
        ({"GlobalClusterIdentifier": "ledger", "TargetDbClusterIdentifier": LEDGER_EAST}, "InvalidParameterValue"),
        (
            {
                "GlobalClusterIdentifier": "ledger",
                "TargetDbClusterIdentifier": LEDGER_WEST,
                "AllowDataLoss": True,
                "Switchover": False,
            },
            "InvalidParameterCombination",
        ),
    ],
    ids=["unknown-global-cluster", "unknown-target", "malformed-arn", "target-is-writer", "both-modes"],
)
def test_failover__invalid_requests_fail_with_aws_error_codes(kwargs: dict[str, object], code: str) -> None:
    make_global_db()

    with pytest.raises(ClientError) as excinfo:
        rds(WEST).failover_global_cluster(**kwargs)

    assert error_code(excinfo) == code
    assert writer_arn("ledger") == LEDGER_EAST


def test_failover__second_operation_while_one_is_in_progress_is_rejected() -> None:
    db = make_global_db()
    rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)

    with pytest.raises(ClientError) as excinfo:
        rds(WEST).failover_global_cluster(
            GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, AllowDataLoss=True
        )

    assert error_code(excinfo) == "InvalidGlobalClusterStateFault"


def test_switchover__target_outside_the_global_cluster_is_rejected() -> None:
    db = make_global_db()
    stranger = rds(WEST).create_db_cluster(
        DBClusterIdentifier="reporting", Engine=ENGINE, MasterUsername="u", MasterUserPassword="correct-horse"
    )["DBCluster"]["DBClusterArn"]

    with pytest.raises(ClientError) as excinfo:
        rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=stranger)

    assert error_code(excinfo) == "InvalidParameterValue"


def test_switchover__minor_version_mismatch_is_rejected_but_failover_allowed() -> None:
    db = make_global_db(east_version="15.4", west_version="15.3")

    with pytest.raises(ClientError) as excinfo:
        rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    assert error_code(excinfo) == "InvalidDBClusterStateFault"

    rds(WEST).failover_global_cluster(
        GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, AllowDataLoss=True
    )


def test_cancel_operation__shows_cancelling_then_the_old_writer_resumes(clock: VirtualClock) -> None:
    db = make_global_db()
    rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    clock.advance(1.5)

    cancel_operation(db.global_id)

    assert global_cluster(db.global_id)["FailoverState"]["Status"] == "cancelling"
    clock.advance(2)
    assert "FailoverState" not in global_cluster(db.global_id)
    assert writer_arn(db.global_id) == db.east_arn
    assert completed_operations()[-1].cancelled is True
    insert(db.east_arn)


def test_remove_from_global_cluster__promotes_the_secondary_to_a_standalone_writer(clock: VirtualClock) -> None:
    # Given a write us-west-2 has applied and one it has not
    db = make_global_db()
    applied = insert(db.east_arn)
    clock.advance(2)
    insert(db.east_arn)

    # When us-west-2 is detached from its own Region (detach-and-promote)
    response = rds(WEST).remove_from_global_cluster(
        GlobalClusterIdentifier=db.global_id, DbClusterIdentifier=db.west_arn
    )

    # Then it is a standalone writer with what it had applied, and both Regions now take writes
    assert [m["DBClusterArn"] for m in response["GlobalCluster"]["GlobalClusterMembers"]] == [db.east_arn]
    (west,) = rds(WEST).describe_db_clusters(DBClusterIdentifier="ledger-west")["DBClusters"]
    assert "ReplicationSourceIdentifier" not in west
    assert last_applied(db.west_arn) == (applied, 1)
    insert(db.west_arn)
    assert writable_regions(db.global_id) == [EAST, WEST]


def test_remove_from_global_cluster__primary_with_secondaries_is_rejected() -> None:
    db = make_global_db()

    with pytest.raises(ClientError) as excinfo:
        rds(EAST).remove_from_global_cluster(GlobalClusterIdentifier=db.global_id, DbClusterIdentifier=db.east_arn)

    assert error_code(excinfo) == "InvalidGlobalClusterStateFault"


def test_create_global_cluster__source_cluster_in_another_region_becomes_writer() -> None:
    source = rds(WEST).create_db_cluster(
        DBClusterIdentifier="payments", Engine=ENGINE, MasterUsername="u", MasterUserPassword="correct-horse"
    )["DBCluster"]["DBClusterArn"]

    rds(WEST).create_global_cluster(GlobalClusterIdentifier="payments-global", SourceDBClusterIdentifier=source)

    assert writer_arn("payments-global", EAST) == source
    assert global_cluster("payments-global")["Engine"] == ENGINE


def test_execute_statement__cluster_arn_from_another_region_is_rejected() -> None:
    db = make_global_db()

    with pytest.raises(ClientError) as excinfo:
        data_api(WEST).execute_statement(
            resourceArn=db.east_arn, secretArn=secret_arn(WEST), sql="INSERT INTO t VALUES (1)"
        )

    assert error_code(excinfo) == "BadRequestException"


def test_execute_statement__caller_supplied_ids_are_unique(clock: VirtualClock) -> None:
    db = make_global_db()
    assert insert(db.east_arn, "txn-1") == "txn-1"

    with pytest.raises(ClientError) as excinfo:
        insert(db.east_arn, "txn-1")

    assert error_code(excinfo) == "DatabaseErrorException"


def test_global_database__exposes_the_data_plane_in_process(clock: VirtualClock) -> None:
    db: GlobalDb = make_global_db()
    insert(db.east_arn)
    clock.advance(0.25)

    snapshot = global_database(db.global_id).snapshot()

    assert snapshot["writerRegion"] == EAST
    assert snapshot["members"][db.west_arn]["replicationLagSeconds"] == 0.25
    assert snapshot["members"][db.west_arn]["appliedCount"] == 0


def test_failover_state__a_stepping_clock_lets_a_polling_drill_finish_without_sleeping(clock: VirtualClock) -> None:
    # Given one second of emulator time per API request (pending 1 s, failing over 3 s)
    clock.step_per_request = 1.0
    db = make_global_db()
    rds(WEST).failover_global_cluster(
        GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, AllowDataLoss=True
    )

    # When a drill polls DescribeGlobalClusters until the FailoverState is gone
    seen = []
    for _ in range(10):
        state = global_cluster(db.global_id).get("FailoverState")
        seen.append(state["Status"] if state else None)
        if state is None:
            break

    # Then the progression is the same on every run: three polls failing over, then done
    assert seen == ["failing-over", "failing-over", "failing-over", None]
    assert writer_arn(db.global_id) == db.west_arn


def test_replication_lag_metric__cloudwatch_reports_the_secondary_lag(clock: VirtualClock) -> None:
    # Given replication to us-west-2 paused 7.5 s ago with a write still unapplied
    db = make_global_db()
    set_replication_lag(db.global_id, WEST, None)
    insert(db.east_arn)
    clock.advance(7.5)

    # When the drill reads AuroraGlobalDBReplicationLag in the secondary's Region
    now = datetime.now(UTC)
    points = boto3.client("cloudwatch", region_name=WEST).get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="AuroraGlobalDBReplicationLag",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": "ledger-west"}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]

    # Then it is the age of the oldest unapplied write, in milliseconds
    assert [p["Maximum"] for p in points] == [7500.0]


# -- instance classes: a global database refuses burstable ones, as AWS does -----------------------

#: AWS's answer to a burstable class in a global database (hashicorp/terraform-provider-aws#27736).
NOT_FOR_GLOBAL = "The requested instance class is not supported by global databases: {}"


def add_instance(region: str, cluster_id: str, instance_class: str, identifier: str | None = None) -> dict[str, Any]:
    """CreateDBInstance of `instance_class` in `cluster_id`."""
    return dict(
        rds(region).create_db_instance(
            DBInstanceIdentifier=identifier or f"{cluster_id}-1",
            DBClusterIdentifier=cluster_id,
            DBInstanceClass=instance_class,
            Engine=ENGINE,
        )["DBInstance"]
    )


@pytest.mark.parametrize(("region", "cluster_id"), [(EAST, "ledger-east"), (WEST, "ledger-west")])
@pytest.mark.parametrize("instance_class", ["db.t4g.medium", "db.t3.medium"])
def test_create_db_instance__burstable_class_in_a_global_member_is_refused(
    region: str, cluster_id: str, instance_class: str
) -> None:
    make_global_db()

    with pytest.raises(ClientError) as excinfo:
        add_instance(region, cluster_id, instance_class)

    assert error_code(excinfo) == "InvalidParameterCombination", f"{cluster_id}: {excinfo.value}"
    assert excinfo.value.response["Error"]["Message"] == NOT_FOR_GLOBAL.format(instance_class)
    assert rds(region).describe_db_instances()["DBInstances"] == [], f"{cluster_id}: the instance was created"


def test_create_db_instance__memory_optimized_member_and_burstable_standalone_cluster_are_accepted() -> None:
    make_global_db()
    rds(EAST).create_db_cluster(
        DBClusterIdentifier="scratch",
        Engine=ENGINE,
        MasterUsername="ledger",
        MasterUserPassword="correct-horse-battery",
    )

    assert add_instance(EAST, "ledger-east", "db.r7g.large")["DBInstanceClass"] == "db.r7g.large"
    assert add_instance(WEST, "ledger-west", "db.r6g.large")["DBInstanceClass"] == "db.r6g.large"
    # Outside a global database a burstable Aurora instance is fine.
    assert add_instance(EAST, "scratch", "db.t4g.medium")["DBInstanceClass"] == "db.t4g.medium"


def test_modify_db_instance__to_a_burstable_class_in_a_global_member_is_refused() -> None:
    make_global_db()
    add_instance(WEST, "ledger-west", "db.r7g.large")

    with pytest.raises(ClientError) as excinfo:
        rds(WEST).modify_db_instance(
            DBInstanceIdentifier="ledger-west-1", DBInstanceClass="db.t4g.medium", ApplyImmediately=True
        )

    assert error_code(excinfo) == "InvalidParameterCombination"
    assert excinfo.value.response["Error"]["Message"] == NOT_FOR_GLOBAL.format("db.t4g.medium")
    (instance,) = rds(WEST).describe_db_instances(DBInstanceIdentifier="ledger-west-1")["DBInstances"]
    assert instance["DBInstanceClass"] == "db.r7g.large"


def test_create_global_cluster__from_a_cluster_with_a_burstable_instance_is_refused() -> None:
    rds(EAST).create_db_cluster(
        DBClusterIdentifier="ledger-east",
        Engine=ENGINE,
        EngineVersion=VERSION,
        MasterUsername="ledger",
        MasterUserPassword="correct-horse-battery",
    )
    add_instance(EAST, "ledger-east", "db.t4g.medium")
    source = rds(EAST).describe_db_clusters(DBClusterIdentifier="ledger-east")["DBClusters"][0]["DBClusterArn"]

    with pytest.raises(ClientError) as excinfo:
        rds(EAST).create_global_cluster(GlobalClusterIdentifier="ledger", SourceDBClusterIdentifier=source)

    assert error_code(excinfo) == "InvalidParameterCombination"
    assert excinfo.value.response["Error"]["Message"] == NOT_FOR_GLOBAL.format("db.t4g.medium")
    assert rds(EAST).describe_global_clusters()["GlobalClusters"] == []


# -- the Data API as AWS gates it ----------------------------------------------------------------


def _cluster(identifier: str, version: str = VERSION, **extra: Any) -> str:
    return str(
        rds(EAST).create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine=ENGINE,
            EngineVersion=version,
            MasterUsername="ledger",
            MasterUserPassword="correct-horse-battery",
            **extra,
        )["DBCluster"]["DBClusterArn"]
    )


@pytest.mark.parametrize(("version", "enabled"), [("16.6", True), ("16.1", True), ("16.0", False), ("14.7", False)])
def test_create_db_cluster__http_endpoint_follows_the_versions_that_serve_the_data_api(
    version: str, enabled: bool
) -> None:
    # moto turns it on only for Serverless v1; AWS serves provisioned 16.1+, 15.3+, 14.8+, 13.11+.
    _cluster("ledger", version, EnableHttpEndpoint=True)

    (cluster,) = rds(EAST).describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"]
    assert cluster["HttpEndpointEnabled"] is enabled, f"{version}: {cluster.get('HttpEndpointEnabled')}"


def test_execute_statement__refused_while_the_http_endpoint_is_off() -> None:
    db = make_global_db()
    arn = _cluster("no-data-api")

    with pytest.raises(ClientError) as excinfo:
        data_api(EAST).execute_statement(resourceArn=arn, secretArn=secret_arn(EAST), sql="INSERT INTO t VALUES (1)")

    assert error_code(excinfo) == "BadRequestException"
    assert "HttpEndpoint is not enabled for cluster no-data-api" in str(excinfo.value)
    insert(db.east_arn)  # the same request on a member with the Data API on commits


def test_execute_statement__refused_without_a_secret_of_the_clusters_region() -> None:
    db = make_global_db()
    other_region_secret = secret_arn(WEST)

    with pytest.raises(ClientError) as excinfo:
        data_api(EAST).execute_statement(
            resourceArn=db.east_arn, secretArn=other_region_secret, sql="INSERT INTO t VALUES (1)"
        )

    assert error_code(excinfo) == "BadRequestException"
    assert f"Error fetching secret {other_region_secret}" in str(excinfo.value)
