"""Every extension through the local server, with plain boto3 and ``AWS_ENDPOINT_URL`` only."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finstack.emulator.moto_ext import MonotonicClock, VirtualClock, set_clock
from finstack.emulator.server import AdminClient, EmulatorServer, start_server
from tests.emulator.moto_ext_fixtures import (  # noqa: F401 - fixtures are used by name
    EAST,
    WEST,
    clock_fixture,
    global_cluster,
    insert,
    last_applied,
    make_global_db,
    rds,
    writer_arn,
)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """One emulator on a free loopback port for the module."""
    running = start_server(port=0)
    yield running
    running.stop()


@pytest.fixture
def admin(server: EmulatorServer, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[AdminClient]:
    """A clean emulator reached the way a drill reaches it: environment variables only."""
    for name, value in {
        "AWS_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": EAST,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    urllib.request.urlopen(urllib.request.Request(f"{server.endpoint_url}/moto-api/reset", method="POST")).close()
    yield server.admin


def client(service: str, region: str = EAST, **kwargs: Any) -> Any:
    return boto3.client(service, region_name=region, **kwargs)


def test_emulator_server__refuses_to_bind_beyond_loopback() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        EmulatorServer(host="0.0.0.0")


def test_server__endpoint_is_loopback(server: EmulatorServer) -> None:
    assert server.endpoint_url.startswith("http://127.0.0.1:")


def test_server__switchover_flips_the_writer_with_no_loss(admin: AdminClient) -> None:
    db = make_global_db()
    committed = insert(db.east_arn)
    admin.advance_clock(2)

    rds(WEST).switchover_global_cluster(GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn)
    assert global_cluster(db.global_id, WEST)["FailoverState"]["Status"] == "pending"
    admin.advance_clock(1)
    assert global_cluster(db.global_id, EAST)["FailoverState"]["Status"] == "switching-over"
    admin.advance_clock(3)

    assert writer_arn(db.global_id, EAST) == writer_arn(db.global_id, WEST) == db.west_arn
    assert last_applied(db.west_arn) == (committed, 1)
    state = admin.writes(db.global_id)
    assert state["writableRegions"] == [WEST]
    assert state["completedOperations"][-1]["lost_write_ids"] == []
    with pytest.raises(ClientError) as excinfo:
        insert(db.east_arn)
    assert excinfo.value.response["Error"]["Code"] == "DatabaseErrorException"


def test_server__failover_loses_the_writes_inside_the_lag_window(admin: AdminClient) -> None:
    db = make_global_db()
    replicated = insert(db.east_arn)
    admin.advance_clock(1.5)
    unreplicated = insert(db.east_arn)
    admin.advance_clock(0.5)

    rds(WEST).failover_global_cluster(
        GlobalClusterIdentifier=db.global_id, TargetDbClusterIdentifier=db.west_arn, AllowDataLoss=True
    )
    admin.advance_clock(4)

    state = admin.writes(db.global_id)
    assert state["writerRegion"] == WEST
    assert state["lostWriteIds"] == [unreplicated]
    assert last_applied(db.west_arn) == (replicated, 1)


def test_server__paused_replication_and_remove_from_global_cluster(admin: AdminClient) -> None:
    db = make_global_db()
    admin.set_replication_lag(db.global_id, WEST, None)
    insert(db.east_arn)
    admin.advance_clock(60)

    rds(WEST).remove_from_global_cluster(GlobalClusterIdentifier=db.global_id, DbClusterIdentifier=db.west_arn)

    assert last_applied(db.west_arn) == (None, 0)
    assert admin.writes(db.global_id)["writableRegions"] == [EAST, WEST]


def test_server__arc_endpoints_point_back_at_the_server(admin: AdminClient, server: EmulatorServer) -> None:
    # Given a cluster, two routing controls and an ATLEAST 1 safety rule, created over the server
    config = client("route53-recovery-control-config", WEST)
    cluster = config.create_cluster(ClusterName="finstack")["Cluster"]
    controls = [
        config.create_routing_control(ClusterArn=cluster["ClusterArn"], RoutingControlName=f"cell-{region}")[
            "RoutingControl"
        ]
        for region in (EAST, WEST)
    ]
    arns = [c["RoutingControlArn"] for c in controls]
    config.create_safety_rule(
        AssertionRule={
            "AssertedControls": arns,
            "ControlPanelArn": controls[0]["ControlPanelArn"],
            "Name": "one-cell-serves",
            "RuleConfig": {"Type": "ATLEAST", "Threshold": 1, "Inverted": False},
            "WaitPeriodMs": 5000,
        }
    )
    endpoint = cluster["ClusterEndpoints"][0]
    assert endpoint["Endpoint"] == f"{server.endpoint_url}/v1"

    # When a drill uses the cluster endpoint it was given
    data = client("route53-recovery-cluster", endpoint["Region"], endpoint_url=endpoint["Endpoint"])
    data.update_routing_control_states(
        UpdateRoutingControlStateEntries=[{"RoutingControlArn": arn, "RoutingControlState": "On"} for arn in arns]
    )
    data.update_routing_control_state(RoutingControlArn=arns[0], RoutingControlState="Off")

    # Then the safety rule holds the last cell On and the recovery-control check follows the state
    with pytest.raises(ClientError) as excinfo:
        data.update_routing_control_state(RoutingControlArn=arns[1], RoutingControlState="Off")
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    route53 = client("route53")
    check_id = route53.create_health_check(
        CallerReference="cell-east", HealthCheckConfig={"Type": "RECOVERY_CONTROL", "RoutingControlArn": arns[0]}
    )["HealthCheck"]["Id"]
    report = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"][0]["StatusReport"]
    assert report["Status"].startswith("Failure")
    assert admin.health_check_status(check_id) is False


def test_server__endpoint_health_injection_and_inversion(admin: AdminClient) -> None:
    route53 = client("route53")
    check_id = route53.create_health_check(
        CallerReference="api-east",
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": "api.pay.example.com", "Port": 443},
    )["HealthCheck"]["Id"]

    def status() -> str:
        return str(
            route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"][0]["StatusReport"][
                "Status"
            ]
        )

    admin.set_endpoint_health(check_id, False)
    assert status().startswith("Failure")
    route53.update_health_check(HealthCheckId=check_id, Inverted=True)
    assert status().startswith("Success")


def test_server__replicator_crud_and_lag(admin: AdminClient) -> None:
    kafka_east, kafka_west = client("kafka", EAST), client("kafka", WEST)
    provisioned = {
        "BrokerNodeGroupInfo": {"InstanceType": "kafka.m7g.large", "ClientSubnets": ["subnet-a", "subnet-b"]},
        "KafkaVersion": "3.6.0",
        "NumberOfBrokerNodes": 2,
    }
    source = kafka_east.create_cluster_v2(ClusterName="events-east", Provisioned=provisioned)["ClusterArn"]
    target = kafka_west.create_cluster_v2(ClusterName="events-west", Provisioned=provisioned)["ClusterArn"]
    arn = kafka_west.create_replicator(
        ReplicatorName="events-east-to-west",
        ServiceExecutionRoleArn="arn:aws:iam::123456789012:role/msk-replicator",
        KafkaClusters=[
            {"AmazonMskCluster": {"MskClusterArn": a}, "VpcConfig": {"SubnetIds": ["s"]}} for a in (source, target)
        ],
        ReplicationInfoList=[
            {
                "SourceKafkaClusterArn": source,
                "TargetKafkaClusterArn": target,
                "TargetCompressionType": "NONE",
                "TopicReplication": {"TopicsToReplicate": [".*"]},
                "ConsumerGroupReplication": {"ConsumerGroupsToReplicate": [".*"]},
            }
        ],
    )["ReplicatorArn"]

    admin.set_replicator_lag(arn, latency_ms=900, message_lag=7)

    assert kafka_west.describe_replicator(ReplicatorArn=arn)["ReplicatorState"] == "RUNNING"
    assert [r["ReplicatorArn"] for r in kafka_west.list_replicators()["Replicators"]] == [arn]
    metrics = client("cloudwatch", WEST).list_metrics(Namespace="AWS/Kafka")["Metrics"]
    assert {m["MetricName"] for m in metrics} == {"ReplicationLatency", "MessageLag"}
    kafka_west.delete_replicator(ReplicatorArn=arn)
    assert kafka_west.list_replicators()["Replicators"] == []


def test_server__admin_api_reports_errors_as_http_statuses(admin: AdminClient) -> None:
    assert admin.request("GET", "clock")["kind"] == "virtual"
    for method, path, body, status in [
        ("GET", "no-such-route", None, 404),
        ("GET", "writes/no-such-global-cluster", None, 404),
        ("POST", "health-checks/abc", {"healthy": "yes"}, 400),
        ("DELETE", "clock", None, 405),
    ]:
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            admin.request(method, path, body)
        assert excinfo.value.code == status, path


def test_server__advancing_a_wall_clock_is_a_conflict(admin: AdminClient) -> None:
    previous = set_clock(MonotonicClock())
    try:
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            admin.advance_clock(1)
        assert excinfo.value.code == 409
    finally:
        set_clock(previous)


def test_server__eks_access_entries_of_role_arns(admin: AdminClient) -> None:
    # Over HTTP the principal ARN's "/" arrives decoded (werkzeug), so the access-entry routes must
    # match ARNs with slashes, as the in-process emulator does.
    eks = client("eks")
    role = "arn:aws:iam::123456789012:role/platform/admin"
    policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    eks.create_cluster(name="c", roleArn="arn:aws:iam::123456789012:role/eks", resourcesVpcConfig={"subnetIds": []})
    eks.create_access_entry(clusterName="c", principalArn=role)
    eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=policy, accessScope={"type": "cluster"})
    listed = eks.list_associated_access_policies(clusterName="c", principalArn=role)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in listed] == [policy]
    assert eks.describe_access_entry(clusterName="c", principalArn=role)["accessEntry"]["principalArn"] == role
