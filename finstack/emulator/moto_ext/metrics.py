"""Emulated AWS-published CloudWatch metrics, so drills read lag and health the way they do on AWS.

On AWS these series are published by the services themselves; moto publishes nothing. Before
serving ``GetMetricData``, ``GetMetricStatistics`` or ``ListMetrics`` in a Region, one datapoint per
series is recorded at the current wall-clock time:

- ``AWS/Kafka`` ``ReplicationLatency`` (Milliseconds) and ``MessageLag`` (Count), dimension
  ``ReplicatorName``, for each MSK replicator of the Region (its target cluster's Region);
- ``AWS/RDS`` ``AuroraGlobalDBReplicationLag`` (Milliseconds), dimension ``DBClusterIdentifier``,
  for each Aurora global database secondary of the Region (from the write model);
- ``AWS/Route53`` ``HealthCheckStatus`` (1 healthy, 0 unhealthy), dimension ``HealthCheckId``, for
  every health check, and ``ChildHealthCheckHealthyCount`` for calculated ones, in us-east-1 only
  (where Route 53 publishes them).

Datapoints accumulate like real ones, so read the newest datapoint (or a short period's Minimum)
rather than a long average.
"""

from __future__ import annotations

from moto.cloudwatch import urls as cloudwatch_urls
from moto.cloudwatch.models import MetricDatum, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from finstack.emulator.moto_ext import aurora, kafka_replicator, route53_health
from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

#: Route 53 publishes health check metrics in this Region only.
ROUTE53_METRICS_REGION = "us-east-1"


def publish(account_id: str, region: str) -> int:
    """Record the current value of every emulated series in `region`; returns how many."""
    now = utcnow()
    data: list[MetricDatum] = []
    with EXTENSION_LOCK:
        for replicator in kafka_replicator.replicator_backends[account_id][region].replicators.values():
            dimensions = [{"Name": "ReplicatorName", "Value": replicator.name}]
            data.append(
                MetricDatum("AWS/Kafka", "ReplicationLatency", replicator.latency_ms, dimensions, now, "Milliseconds")
            )
            data.append(MetricDatum("AWS/Kafka", "MessageLag", float(replicator.message_lag), dimensions, now, "Count"))
        for cluster_id, lag in aurora.secondary_replication_lags(region, account_id).items():
            dimensions = [{"Name": "DBClusterIdentifier", "Value": cluster_id}]
            data.append(
                MetricDatum("AWS/RDS", "AuroraGlobalDBReplicationLag", lag * 1000.0, dimensions, now, "Milliseconds")
            )
        if region == ROUTE53_METRICS_REGION:
            for check_id, check in route53_health.all_health_checks(account_id).items():
                dimensions = [{"Name": "HealthCheckId", "Value": check_id}]
                healthy, _reason = route53_health.evaluate(account_id, check_id)
                data.append(
                    MetricDatum("AWS/Route53", "HealthCheckStatus", 1.0 if healthy else 0.0, dimensions, now, "None")
                )
                if check.type_ == "CALCULATED":
                    count = sum(
                        1 for child in check.children or [] if route53_health.health_check_status(child, account_id)
                    )
                    data.append(
                        MetricDatum(
                            "AWS/Route53", "ChildHealthCheckHealthyCount", float(count), dimensions, now, "Count"
                        )
                    )
        cloudwatch_backends[account_id][region].metric_data.extend(data)
    return len(data)


class MetricsResponse(CloudWatchResponse):
    """moto's CloudWatch API, with the emulated series published before every read."""

    def get_metric_data(self) -> ActionResult:
        """``GetMetricData``."""
        publish(self.current_account, self.region)
        return super().get_metric_data()

    def get_metric_statistics(self) -> ActionResult:
        """``GetMetricStatistics``."""
        publish(self.current_account, self.region)
        return super().get_metric_statistics()

    def list_metrics(self) -> ActionResult:
        """``ListMetrics``."""
        publish(self.current_account, self.region)
        return super().list_metrics()


def register(installation: Installation) -> None:
    """Serve CloudWatch with `MetricsResponse`."""
    installation.route(cloudwatch_urls, "{0}/$", MetricsResponse.dispatch)
