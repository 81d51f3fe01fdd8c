"""The stack's DR dashboard as a plain dict: a pure function of names and ids (no Pulumi imports).

`dr_dashboard_body(spec)` returns the CloudWatch dashboard body (the JSON document of
`PutDashboard`) for one stack. `components/dr_control.py` serialises it into an
`aws.cloudwatch.Dashboard` in the primary region once the ids are known. One widget answers
one DR question an operator asks during a drill:

- is each cell's API reachable? Route 53 `HealthCheckStatus` of the endpoint health checks;
- how far behind is each Aurora secondary? `AuroraGlobalDBReplicationLag` of every member
  cluster outside the writer's home region (the writer itself emits none);
- how far behind is each MSK replicator? `ReplicationLatency` and `MessageLag` per replicator;
- does the surviving cell have the nodes to take the load? Container Insights
  `cluster_node_count` / `cluster_failed_node_count` per EKS cluster (published by the
  `amazon-cloudwatch-observability` add-on; the widget stays empty without it);
- is the edge failing requests? ALB `HTTPCode_ELB_5XX_Count` against `RequestCount`;
- is the edge defending itself? WAF `AllowedRequests`/`BlockedRequests` of each cell's web ACL
  and the rate rule's `BlockedRequests` (rate-limited clients), `AWS/WAFV2` by `WebACL`,
  `Region` and `Rule` ("AWS WAF metrics and dimensions", WAF Developer Guide; `Rule` `ALL` is
  the whole web ACL).
- are the backups there to restore from? AWS Backup `NumberOfBackupJobsFailed` and
  `NumberOfCopyJobsFailed` per cell vault (`BackupVaultName`; CloudWatch User Guide, the `AWS/Backup`
  metrics), next to `NumberOfBackupJobsCompleted`.
- is anyone attacking the cells? GuardDuty findings of medium severity and up, counted by each cell's
  findings rule (`AWS/Events` `MatchedEvents`), and alerts the rule failed to deliver
  (`FailedInvocations`).

CloudWatch draws metrics of other regions in one widget when each metric carries its
`region`, so every metric line below names the region it lives in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Route 53 publishes health-check metrics only in us-east-1, whatever the checked endpoint.
ROUTE53_METRICS_REGION = "us-east-1"
# One-minute points: the finest granularity these services publish without detailed monitoring.
PERIOD_SECONDS = 60
# CloudWatch lays dashboards out on a 24-column grid.
GRID_WIDTH = 24
HALF_WIDTH = GRID_WIDTH // 2
# Sparse event counts (AWS Backup publishes job counts every five minutes; GuardDuty findings are
# rare): hourly sums read better than mostly empty minutes.
HOURLY_PERIOD_SECONDS = 3600
WIDGET_HEIGHT = 6

Widget = dict[str, Any]


class DashboardSpecError(ValueError):
    """A dashboard spec that cannot describe a stack (no cells, duplicate regions)."""


@dataclass(frozen=True)
class CellPanel:
    """What the dashboard shows for one cell; plain strings (resolved ids), no Outputs.

    `is_writer_home`: the primary region, whose Aurora cluster holds the writer at deploy
    time and emits no replication lag. `replicator_name`: the MSK replicator that runs in
    (replicates into) this cell, if any. `load_balancer_suffix`: the ALB's `arnSuffix`
    (`app/<name>/<id>`), the value of the `LoadBalancer` metric dimension. `backup_vault_name`: the
    cell's AWS Backup vault, the value of the `BackupVaultName` metric dimension.
    """

    region: str
    health_check_id: str
    eks_cluster_name: str
    aurora_cluster_id: str
    is_writer_home: bool
    replicator_name: str | None = None
    load_balancer_suffix: str | None = None
    waf_web_acl_name: str | None = None
    backup_vault_name: str | None = None
    findings_rule_name: str | None = None


@dataclass(frozen=True)
class DashboardSpec:
    """One stack's dashboard: title, the cells in config order, the alarms to show."""

    title: str
    cells: tuple[CellPanel, ...]
    health_alarm_arns: tuple[str, ...] = ()
    replication_lag_alarm_seconds: float | None = None


def dr_dashboard_body(spec: DashboardSpec) -> dict[str, Any]:
    """The dashboard body (`{"widgets": [...]}`) for `spec`, laid out top to bottom."""
    if not spec.cells:
        raise DashboardSpecError("a dashboard needs at least one cell")
    regions = [cell.region for cell in spec.cells]
    if len(set(regions)) != len(regions):
        raise DashboardSpecError(f"each cell appears once on the dashboard, got regions {regions}")
    rows: list[list[Widget]] = [[_header(spec)]]
    if spec.health_alarm_arns:
        rows.append([_alarm_status(spec.health_alarm_arns)])
    rows.append([_health_checks(spec.cells), _aurora_lag(spec.cells, spec.replication_lag_alarm_seconds)])
    rows.append([_replicator_lag(spec.cells), _eks_nodes(spec.cells)])
    if any(cell.load_balancer_suffix for cell in spec.cells):
        rows.append([_edge_errors(spec.cells)])
    if any(cell.waf_web_acl_name for cell in spec.cells):
        rows.append([_waf_requests(spec.cells)])
    if any(cell.backup_vault_name for cell in spec.cells):
        rows.append([_backup_jobs(spec.cells)])
    if any(cell.findings_rule_name for cell in spec.cells):
        rows.append([_threat_findings(spec.cells)])
    return {"widgets": _layout(rows)}


def replicator_name_from_arn(arn: str) -> str:
    """`arn:aws:kafka:<region>:<account>:replicator/<name>/<uuid>` -> `<name>` (the metric dimension)."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    name = rest.split("/", 1)[0]
    if kind != "replicator" or not name:
        raise DashboardSpecError(f"{arn!r} is not an MSK replicator ARN")
    return name


def _layout(rows: list[list[Widget]]) -> list[Widget]:
    """Place each row's widgets side by side, splitting the grid width evenly."""
    placed: list[Widget] = []
    y = 0
    for row in rows:
        width = GRID_WIDTH // len(row)
        height = max(widget.pop("_height", WIDGET_HEIGHT) for widget in row)
        for index, widget in enumerate(row):
            placed.append({**widget, "x": index * width, "y": y, "width": width, "height": height})
        y += height
    return placed


def _header(spec: DashboardSpec) -> Widget:
    cells = ", ".join(f"{c.region}{' (writer home)' if c.is_writer_home else ''}" for c in spec.cells)
    markdown = (
        f"# {spec.title}\n"
        f"Cells: {cells}. Route 53 health checks are evaluated from several checker regions; "
        "their metrics live in us-east-1."
    )
    return {"type": "text", "_height": 2, "properties": {"markdown": markdown}}


def _alarm_status(alarm_arns: tuple[str, ...]) -> Widget:
    return {
        "type": "alarm",
        "_height": 2,
        "properties": {"title": "Cell health alarms", "alarms": list(alarm_arns), "sortBy": "stateUpdatedTimestamp"},
    }


def _metric_widget(title: str, metrics: list[list[Any]], region: str, **properties: Any) -> Widget:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "view": "timeSeries",
            "region": region,
            "period": PERIOD_SECONDS,
            "metrics": metrics,
            **properties,
        },
    }


def _line(
    namespace: str, metric: str, dimension: tuple[str, str], region: str, label: str, **options: str
) -> list[Any]:
    """One metric line: `[namespace, metric, dimension name, value, {region, label, ...}]`."""
    return [namespace, metric, *dimension, {"region": region, "label": label, **options}]


def _health_checks(cells: tuple[CellPanel, ...]) -> Widget:
    metrics = [
        _line(
            "AWS/Route53",
            "HealthCheckStatus",
            ("HealthCheckId", c.health_check_id),
            ROUTE53_METRICS_REGION,
            f"api {c.region}",
        )
        for c in cells
    ]
    return _metric_widget(
        "Cell API health (1 = healthy)",
        metrics,
        ROUTE53_METRICS_REGION,
        stat="Minimum",
        yAxis={"left": {"min": 0, "max": 1}},
    )


def _aurora_lag(cells: tuple[CellPanel, ...], alarm_seconds: float | None) -> Widget:
    lag = "AuroraGlobalDBReplicationLag"
    metrics = [
        _line(
            "AWS/RDS",
            lag,
            ("DBClusterIdentifier", c.aurora_cluster_id),
            c.region,
            f"{c.aurora_cluster_id} ({c.region})",
        )
        for c in cells
        if not c.is_writer_home
    ]
    properties: dict[str, Any] = {"stat": "Maximum", "yAxis": {"left": {"min": 0, "label": "ms"}}}
    if alarm_seconds is not None:
        # The metric is in milliseconds; the config threshold is in seconds.
        properties["annotations"] = {
            "horizontal": [{"label": "lag alarm", "value": alarm_seconds * 1000, "color": "#d62728"}]
        }
    return _metric_widget("Aurora global replication lag", metrics, _home_region(cells), **properties)


def _replicator_lag(cells: tuple[CellPanel, ...]) -> Widget:
    metrics: list[list[Any]] = []
    for c in cells:
        if c.replicator_name is None:
            continue
        replicator = ("ReplicatorName", c.replicator_name)
        metrics.append(_line("AWS/Kafka", "ReplicationLatency", replicator, c.region, f"latency into {c.region} (ms)"))
        metrics.append(
            _line("AWS/Kafka", "MessageLag", replicator, c.region, f"message lag into {c.region}", yAxis="right")
        )
    return _metric_widget("MSK replicator lag", metrics, _home_region(cells), stat="Maximum")


def _eks_nodes(cells: tuple[CellPanel, ...]) -> Widget:
    metrics: list[list[Any]] = []
    for c in cells:
        cluster = ("ClusterName", c.eks_cluster_name)
        metrics.append(_line("ContainerInsights", "cluster_node_count", cluster, c.region, f"nodes {c.region}"))
        metrics.append(
            _line("ContainerInsights", "cluster_failed_node_count", cluster, c.region, f"failed nodes {c.region}")
        )
    return _metric_widget("EKS nodes per cell", metrics, _home_region(cells), stat="Average")


def _edge_errors(cells: tuple[CellPanel, ...]) -> Widget:
    metrics: list[list[Any]] = []
    for c in cells:
        if c.load_balancer_suffix is None:
            continue
        balancer = ("LoadBalancer", c.load_balancer_suffix)
        metrics.append(_line("AWS/ApplicationELB", "RequestCount", balancer, c.region, f"requests {c.region}"))
        metrics.append(
            _line(
                "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", balancer, c.region, f"ALB 5xx {c.region}", yAxis="right"
            )
        )
    return _metric_widget("Edge: requests and load balancer 5xx", metrics, _home_region(cells), stat="Sum")


# The web ACL's own Rule dimension value, and the rate rule's metric name (components/edge_defence.py).
WAF_ALL_RULES = "ALL"
WAF_RATE_RULE = "rate-per-client-ip"


def _waf_requests(cells: tuple[CellPanel, ...]) -> Widget:
    metrics: list[list[Any]] = []
    for c in cells:
        if c.waf_web_acl_name is None:
            continue
        for metric, rule, label, axis in (
            ("AllowedRequests", WAF_ALL_RULES, f"allowed {c.region}", "left"),
            ("BlockedRequests", WAF_ALL_RULES, f"blocked {c.region}", "left"),
            ("BlockedRequests", WAF_RATE_RULE, f"rate-limited {c.region}", "right"),
        ):
            metrics.append(
                [
                    "AWS/WAFV2",
                    metric,
                    "WebACL",
                    c.waf_web_acl_name,
                    "Region",
                    c.region,
                    "Rule",
                    rule,
                    {"region": c.region, "label": label, "yAxis": axis},
                ]
            )
    title = "Edge: WAF allowed, blocked and rate-limited requests"
    return _metric_widget(title, metrics, _home_region(cells), stat="Sum")


def _backup_jobs(cells: tuple[CellPanel, ...]) -> Widget:
    """AWS Backup job outcomes per cell vault: failed backup and copy jobs, completed backups for scale.

    A copy job runs in (and is counted under) its source vault. AWS Backup publishes these counts
    every five minutes, hence the hourly sums.
    """
    metrics: list[list[Any]] = []
    for c in cells:
        if c.backup_vault_name is None:
            continue
        vault = ("BackupVaultName", c.backup_vault_name)
        for metric, label in (
            ("NumberOfBackupJobsFailed", f"backup jobs failed {c.region}"),
            ("NumberOfCopyJobsFailed", f"copy jobs failed {c.region}"),
        ):
            metrics.append(_line("AWS/Backup", metric, vault, c.region, label, color="#d62728"))
        metrics.append(
            _line("AWS/Backup", "NumberOfBackupJobsCompleted", vault, c.region, f"backups {c.region}", yAxis="right")
        )
    return _metric_widget(
        "AWS Backup: failed backup and copy jobs",
        metrics,
        _home_region(cells),
        stat="Sum",
        period=HOURLY_PERIOD_SECONDS,
    )


def _threat_findings(cells: tuple[CellPanel, ...]) -> Widget:
    """GuardDuty findings of medium severity and up per cell, and whether they reached the alert topic.

    GuardDuty publishes no finding-count metric; the cell's findings rule does: EventBridge counts
    `MatchedEvents` (events that matched the rule: one per finding or finding update) and
    `FailedInvocations` (deliveries to the topic that failed) per `RuleName` in `AWS/Events`
    (EventBridge User Guide, "Monitoring Amazon EventBridge": metrics and dimensions).
    """
    metrics: list[list[Any]] = []
    for c in cells:
        if c.findings_rule_name is None:
            continue
        rule = ("RuleName", c.findings_rule_name)
        metrics.append(_line("AWS/Events", "MatchedEvents", rule, c.region, f"GuardDuty findings {c.region}"))
        metrics.append(
            _line("AWS/Events", "FailedInvocations", rule, c.region, f"undelivered alerts {c.region}", color="#d62728")
        )
    return _metric_widget(
        "Threat detection: GuardDuty findings (medium and up) and undelivered alerts",
        metrics,
        _home_region(cells),
        stat="Sum",
        period=HOURLY_PERIOD_SECONDS,
    )


def _home_region(cells: tuple[CellPanel, ...]) -> str:
    """The region a multi-region widget is filed under: the writer's home, else the first cell."""
    return next((c.region for c in cells if c.is_writer_home), cells[0].region)
