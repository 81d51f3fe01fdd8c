"""MSK Replicator (``kafka`` CreateReplicator, DescribeReplicator, ListReplicators, DeleteReplicator).

moto 5 implements MSK clusters but not replicators. A replicator here is created in its target
cluster's Region (as AWS requires), validates that both MSK clusters exist, and reports
``ReplicatorState`` RUNNING once created (the create call itself answers CREATING, deletion
DELETING). Its lag is an emulator setting (`set_replicator_lag`) that drills read the way they do on
AWS: the CloudWatch metrics ``AWS/Kafka`` ``ReplicationLatency`` (ms) and ``MessageLag`` (count),
dimension ``ReplicatorName``, published by `metrics`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.kafka import urls as kafka_urls
from moto.kafka.models import kafka_backends
from moto.kafka.responses import KafkaResponse
from moto.moto_api._internal import mock_random

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation
from finstack.emulator.moto_ext._responses import ClockedResponse

# AWS's form is cluster/<name>/<uuid>; moto's is cluster/<uuid>. Both are accepted.
_MSK_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:kafka:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):cluster/(?P<path>.+)$")

#: Replication latency a new replicator reports, in milliseconds: MSK Replicator's typical figure.
DEFAULT_LATENCY_MS = 250.0


class KafkaError(ServiceException):
    """A ``kafka`` API error with the AWS code (``NotFoundException``, ``BadRequestException``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass
class Replicator:
    """One MSK replicator and its emulated lag."""

    arn: str
    name: str
    region: str
    description: str | None
    kafka_clusters: list[dict[str, Any]]
    replication_info_list: list[dict[str, Any]]
    service_execution_role_arn: str
    tags: dict[str, str]
    creation_time: datetime = field(default_factory=utcnow)
    current_version: str = "1"
    state: str = "RUNNING"
    latency_ms: float = DEFAULT_LATENCY_MS
    message_lag: int = 0

    def alias(self, cluster_arn: str) -> str:
        """The alias AWS gives a cluster in this replicator: the MSK cluster's name."""
        match = _MSK_CLUSTER_ARN.match(cluster_arn)
        if not match:
            return cluster_arn
        cluster = kafka_backends[match["account"]][match["region"]].clusters.get(cluster_arn)
        return cluster.cluster_name if cluster is not None else match["path"].split("/")[0]

    def clusters_description(self) -> list[dict[str, Any]]:
        """``KafkaClusters`` as ``DescribeReplicator`` reports them."""
        described = []
        for cluster in self.kafka_clusters:
            arn = cluster["AmazonMskCluster"]["MskClusterArn"]
            item: dict[str, Any] = {"AmazonMskCluster": {"MskClusterArn": arn}, "KafkaClusterAlias": self.alias(arn)}
            if cluster.get("VpcConfig"):
                item["VpcConfig"] = cluster["VpcConfig"]
            described.append(item)
        return described

    def replication_description(self) -> list[dict[str, Any]]:
        """``ReplicationInfoList`` as ``DescribeReplicator`` reports it (aliases instead of ARNs)."""
        return [
            {
                "SourceKafkaClusterAlias": self.alias(info["SourceKafkaClusterArn"]),
                "TargetKafkaClusterAlias": self.alias(info["TargetKafkaClusterArn"]),
                "TargetCompressionType": info.get("TargetCompressionType", "NONE"),
                "TopicReplication": info.get("TopicReplication", {}),
                "ConsumerGroupReplication": info.get("ConsumerGroupReplication", {}),
            }
            for info in self.replication_info_list
        ]

    def describe(self) -> dict[str, Any]:
        """The ``DescribeReplicator`` response."""
        return {
            "CreationTime": self.creation_time,
            "CurrentVersion": self.current_version,
            "IsReplicatorReference": False,
            "KafkaClusters": self.clusters_description(),
            "ReplicationInfoList": self.replication_description(),
            "ReplicatorArn": self.arn,
            "ReplicatorDescription": self.description,
            "ReplicatorName": self.name,
            "ReplicatorResourceArn": self.arn,
            "ReplicatorState": self.state,
            "ServiceExecutionRoleArn": self.service_execution_role_arn,
            "Tags": self.tags,
        }

    def summary(self) -> dict[str, Any]:
        """One ``ListReplicators`` entry."""
        return {
            "CreationTime": self.creation_time,
            "CurrentVersion": self.current_version,
            "IsReplicatorReference": False,
            "KafkaClustersSummary": [
                {"AmazonMskCluster": c["AmazonMskCluster"], "KafkaClusterAlias": c["KafkaClusterAlias"]}
                for c in self.clusters_description()
            ],
            "ReplicationInfoSummaryList": [
                {
                    "SourceKafkaClusterAlias": r["SourceKafkaClusterAlias"],
                    "TargetKafkaClusterAlias": r["TargetKafkaClusterAlias"],
                }
                for r in self.replication_description()
            ],
            "ReplicatorArn": self.arn,
            "ReplicatorName": self.name,
            "ReplicatorResourceArn": self.arn,
            "ReplicatorState": self.state,
        }


class ReplicatorBackend(BaseBackend):
    """Replicators of one account and Region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.replicators: dict[str, Replicator] = {}

    def create_replicator(self, params: dict[str, Any]) -> Replicator:
        """Validate like AWS and create a RUNNING replicator."""
        name = params["ReplicatorName"]
        if any(r.name == name for r in self.replicators.values()):
            raise KafkaError("ConflictException", f"A replicator named {name} already exists in {self.region_name}.")
        clusters = params.get("KafkaClusters") or []
        cluster_arns = [c.get("AmazonMskCluster", {}).get("MskClusterArn", "") for c in clusters]
        if len(cluster_arns) != 2:
            raise KafkaError(
                "BadRequestException", "A replicator needs exactly two Kafka clusters (source and target)."
            )
        for arn in cluster_arns:
            self._check_cluster_exists(arn)
        infos = params.get("ReplicationInfoList") or []
        if not infos:
            raise KafkaError("BadRequestException", "ReplicationInfoList must contain one replication flow.")
        for info in infos:
            source, target = info.get("SourceKafkaClusterArn"), info.get("TargetKafkaClusterArn")
            if source not in cluster_arns or target not in cluster_arns or source == target:
                raise KafkaError(
                    "BadRequestException", "Source and target must be two different clusters of KafkaClusters."
                )
            target_region = _MSK_CLUSTER_ARN.match(target)["region"]  # type: ignore[arg-type,index]
            if target_region != self.region_name:
                raise KafkaError(
                    "BadRequestException",
                    f"Create the replicator in the target cluster's Region ({target_region}), not {self.region_name}.",
                )
        arn = f"arn:{self.partition}:kafka:{self.region_name}:{self.account_id}:replicator/{name}/{mock_random.uuid4()}"
        replicator = Replicator(
            arn=arn,
            name=name,
            region=self.region_name,
            description=params.get("Description"),
            kafka_clusters=clusters,
            replication_info_list=infos,
            service_execution_role_arn=params["ServiceExecutionRoleArn"],
            tags=params.get("Tags") or {},
        )
        self.replicators[arn] = replicator
        return replicator

    def _check_cluster_exists(self, arn: str) -> None:
        match = _MSK_CLUSTER_ARN.match(arn)
        if not match:
            raise KafkaError("BadRequestException", f"{arn} is not an MSK cluster ARN.")
        if arn not in kafka_backends[match["account"]][match["region"]].clusters:
            raise KafkaError("NotFoundException", f"MSK cluster {arn} does not exist.")

    def get(self, arn: str) -> Replicator:
        """The replicator, or ``NotFoundException``."""
        if arn not in self.replicators:
            raise KafkaError("NotFoundException", f"Replicator {arn} does not exist.")
        return self.replicators[arn]

    def delete(self, arn: str, current_version: str | None) -> Replicator:
        """Delete; a stale ``CurrentVersion`` is refused as on AWS."""
        replicator = self.get(arn)
        if current_version is not None and current_version != replicator.current_version:
            raise KafkaError(
                "BadRequestException", f"CurrentVersion {current_version} is stale ({replicator.current_version})."
            )
        del self.replicators[arn]
        replicator.state = "DELETING"
        return replicator


replicator_backends = BackendDict(ReplicatorBackend, "kafka")


def _region_of(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "kafka":
        raise KafkaError("BadRequestException", f"{arn} is not a replicator ARN.")
    return parts[4], parts[3]


def set_replicator_lag(
    replicator_arn: str,
    *,
    latency_ms: float | None = None,
    message_lag: int | None = None,
    account_id: str | None = None,
) -> None:
    """Fault injection: the replication latency (ms) and message lag a replicator reports."""
    account, region = _region_of(replicator_arn)
    with EXTENSION_LOCK:
        replicator = replicator_backends[account_id or account or DEFAULT_ACCOUNT_ID][region].get(replicator_arn)
        if latency_ms is not None:
            if latency_ms < 0:
                raise ValueError(f"latency_ms must be >= 0, got {latency_ms}")
            replicator.latency_ms = float(latency_ms)
        if message_lag is not None:
            if message_lag < 0:
                raise ValueError(f"message_lag must be >= 0, got {message_lag}")
            replicator.message_lag = int(message_lag)


class ReplicatorResponse(ClockedResponse, KafkaResponse):
    """moto's Kafka API plus the replicator operations."""

    def __init__(self) -> None:
        super().__init__()
        self.automated_parameter_parsing = True

    @property
    def replicator_backend(self) -> ReplicatorBackend:
        """Replicators of the request's account and Region."""
        return replicator_backends[self.current_account][self.region]

    def create_replicator(self) -> ActionResult:
        """``CreateReplicator``."""
        with EXTENSION_LOCK:
            replicator = self.replicator_backend.create_replicator(dict(self.params))
        return ActionResult(
            {"ReplicatorArn": replicator.arn, "ReplicatorName": replicator.name, "ReplicatorState": "CREATING"}
        )

    def describe_replicator(self) -> ActionResult:
        """``DescribeReplicator``."""
        with EXTENSION_LOCK:
            return ActionResult(self.replicator_backend.get(self._replicator_arn()).describe())

    def list_replicators(self) -> ActionResult:
        """``ListReplicators`` (``ReplicatorNameFilter`` matches a name prefix)."""
        prefix = self.params.get("ReplicatorNameFilter") or ""
        with EXTENSION_LOCK:
            found = [r.summary() for r in self.replicator_backend.replicators.values() if r.name.startswith(prefix)]
        return ActionResult({"Replicators": found})

    def delete_replicator(self) -> ActionResult:
        """``DeleteReplicator``."""
        with EXTENSION_LOCK:
            replicator = self.replicator_backend.delete(self._replicator_arn(), self.params.get("CurrentVersion"))
        return ActionResult({"ReplicatorArn": replicator.arn, "ReplicatorState": replicator.state})

    def _replicator_arn(self) -> str:
        return unquote(self.params.get("ReplicatorArn") or self.path.split("/replicators/", 1)[-1])


def register(installation: Installation) -> None:
    """Route ``/replication/v1/replicators`` to `ReplicatorResponse`."""
    installation.route(kafka_urls, "{0}/replication/v1/replicators$", ReplicatorResponse.dispatch)
    installation.route(kafka_urls, "{0}/replication/v1/replicators/(?P<replicatorArn>.+)$", ReplicatorResponse.dispatch)
