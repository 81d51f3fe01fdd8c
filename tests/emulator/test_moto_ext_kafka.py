"""MSK replicators: CRUD, AWS-like validation, lag published as CloudWatch metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finstack.emulator.moto_ext import set_replicator_lag
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

pytestmark = pytest.mark.usefixtures("aws")

ROLE = "arn:aws:iam::123456789012:role/msk-replicator"


def kafka(region: str) -> Any:
    return boto3.client("kafka", region_name=region)


def msk_cluster(region: str, name: str) -> str:
    return str(
        kafka(region).create_cluster_v2(
            ClusterName=name,
            Provisioned={
                "BrokerNodeGroupInfo": {"InstanceType": "kafka.m7g.large", "ClientSubnets": ["subnet-a", "subnet-b"]},
                "KafkaVersion": "3.6.0",
                "NumberOfBrokerNodes": 2,
            },
        )["ClusterArn"]
    )


def create_replicator(region: str, source: str, target: str, name: str = "events-east-to-west") -> dict[str, Any]:
    return dict(
        kafka(region).create_replicator(
            ReplicatorName=name,
            ServiceExecutionRoleArn=ROLE,
            KafkaClusters=[
                {"AmazonMskCluster": {"MskClusterArn": source}, "VpcConfig": {"SubnetIds": ["subnet-a"]}},
                {"AmazonMskCluster": {"MskClusterArn": target}, "VpcConfig": {"SubnetIds": ["subnet-b"]}},
            ],
            ReplicationInfoList=[
                {
                    "SourceKafkaClusterArn": source,
                    "TargetKafkaClusterArn": target,
                    "TargetCompressionType": "NONE",
                    "TopicReplication": {"TopicsToReplicate": ["payments.*"]},
                    "ConsumerGroupReplication": {"ConsumerGroupsToReplicate": [".*"]},
                }
            ],
        )
    )


def test_replicator__create_describe_list_delete() -> None:
    source, target = msk_cluster("us-east-1", "events-east"), msk_cluster("us-west-2", "events-west")

    created = create_replicator("us-west-2", source, target)

    assert created["ReplicatorState"] == "CREATING"
    described = kafka("us-west-2").describe_replicator(ReplicatorArn=created["ReplicatorArn"])
    assert described["ReplicatorState"] == "RUNNING"
    assert described["ReplicationInfoList"][0]["SourceKafkaClusterAlias"] == "events-east"
    assert described["ReplicationInfoList"][0]["TargetKafkaClusterAlias"] == "events-west"
    assert [r["ReplicatorName"] for r in kafka("us-west-2").list_replicators()["Replicators"]] == [
        "events-east-to-west"
    ]
    assert kafka("us-east-1").list_replicators()["Replicators"] == []

    deleted = kafka("us-west-2").delete_replicator(ReplicatorArn=created["ReplicatorArn"])

    assert deleted["ReplicatorState"] == "DELETING"
    with pytest.raises(ClientError) as excinfo:
        kafka("us-west-2").describe_replicator(ReplicatorArn=created["ReplicatorArn"])
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"


def test_create_replicator__outside_the_target_region_is_rejected() -> None:
    source, target = msk_cluster("us-east-1", "events-east"), msk_cluster("us-west-2", "events-west")

    with pytest.raises(ClientError) as excinfo:
        create_replicator("us-east-1", source, target)

    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"


def test_create_replicator__unknown_cluster_is_not_found() -> None:
    target = msk_cluster("us-west-2", "events-west")
    ghost = "arn:aws:kafka:us-east-1:123456789012:cluster/ghost/0000"

    with pytest.raises(ClientError) as excinfo:
        create_replicator("us-west-2", ghost, target)

    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"


def test_create_replicator__duplicate_name_conflicts() -> None:
    source, target = msk_cluster("us-east-1", "events-east"), msk_cluster("us-west-2", "events-west")
    create_replicator("us-west-2", source, target)

    with pytest.raises(ClientError) as excinfo:
        create_replicator("us-west-2", source, target)

    assert excinfo.value.response["Error"]["Code"] == "ConflictException"


def test_replicator_lag__is_read_from_cloudwatch_in_the_target_region() -> None:
    source, target = msk_cluster("us-east-1", "events-east"), msk_cluster("us-west-2", "events-west")
    arn = create_replicator("us-west-2", source, target)["ReplicatorArn"]

    set_replicator_lag(arn, latency_ms=1500, message_lag=42)

    now = datetime.now(UTC)
    results = boto3.client("cloudwatch", region_name="us-west-2").get_metric_data(
        MetricDataQueries=[
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Kafka",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "ReplicatorName", "Value": "events-east-to-west"}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
            for query_id, metric in (("latency", "ReplicationLatency"), ("lag", "MessageLag"))
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
    )["MetricDataResults"]
    assert {r["Id"]: r["Values"] for r in results} == {"latency": [1500.0], "lag": [42.0]}
