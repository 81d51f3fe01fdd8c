"""Global traffic: the hosted zone, one internet-facing ALB per cell, latency routing to healthy cells.

`GlobalTraffic(name, GlobalTrafficArgs, opts)` (`finstack:traffic:GlobalTraffic`) declares:

- the public hosted zone of `domain` (or uses `hosted_zone_id`, an existing zone of that name);
  a zone it creates logs its name servers on every `up`, because nothing resolves in it until the
  parent zone delegates to them (docs/delegation.md);
- per cell an internet-facing Application Load Balancer in the cell's public subnets, behind
  the cell's `lb` security group (443 only), with an HTTPS listener on a DNS-validated ACM
  certificate for `api.<region>.<domain>` + `api.<domain>` and the TLS 1.3 policy. Its default
  action is a fixed 503 until workloads attach: the AWS Load Balancer Controller in each EKS
  cluster binds Kubernetes Services to target groups and listener rules of this ALB through
  `TargetGroupBinding`, so the ALB's lifecycle stays with the platform, not with a Deployment.
  With `certificate_validation="defer"` the certificates and their validation records are
  declared but neither the validation wait nor the listener (see `CertificateValidationMode`);
- per cell the regional name `api.<region>.<domain>`, an alias of that cell's ALB;
- per cell an HTTPS Route 53 health check of `https://api.<region>.<domain><health_check_path>`
  and a CloudWatch alarm on it (in us-east-1, where Route 53 publishes health-check metrics);
- the global name `api.<domain>`: one latency record per cell, each gated by a health check;
- with `arc_enabled` (prod): the ARC routing-control cluster, a control panel, one routing
  control per cell, a safety rule "at least one cell on", and per cell a RECOVERY_CONTROL
  health check combined with the endpoint check in a CALCULATED check (both must be healthy).
  The latency record then uses the calculated check, so switching a cell's control Off drains
  it from `api.<domain>` within the record's TTL, whatever its endpoint says.

Why the routing controls live here and not in `DrControl`: the latency records must reference
the calculated checks, which need the routing controls, and `DrControl` is declared after
this component (it needs the health checks and alarms). `DrControl` takes the routing control
ARNs from here and re-exposes them for the `dr` stack output.

ARC routing controls are created Off ("Routing control states", ARC Developer Guide: a new
routing control is Off). Until an operator arms the platform once after the first deploy
(`finstack arm --stack S --execute`, which turns every cell's control On through the data
plane), every cell's calculated check is unhealthy and Route 53 answers as if all were healthy
(its fail-open rule, "How Amazon Route 53 chooses records when health checking is configured"),
so traffic flows but a drain has no effect yet; the drills refuse to start until it is armed.

The ARC cluster's regional data-plane endpoints and the panel's safety rule ARNs are exposed
for the `dr` output: during a recovery a drill reads and flips routing controls only through
those endpoints, never through the control-config API, which is served from us-west-2 alone
(ARC Developer Guide, "Best practices for routing control": "rely on the data plane, not the
control plane, during recovery"; "try each of the cluster's Regional endpoints in turn").

Attributes: `zone_id`, `name_servers` (None for an existing zone), `zone_created`,
`listeners_deferred`, `api_hostname` (`api.<domain>`), `api_hostnames` (region -> str),
`load_balancer_arns`, `load_balancer_arn_suffixes`, `health_check_ids` (region -> the endpoint
check, what a drill inspects or inverts), `routing_health_check_ids` (region -> the check the
latency record uses), `health_alarm_arns`, `routing_control_cluster_arn`, `arc_cluster_endpoints`,
`control_panel_arn`, `routing_control_arns`, `safety_rule_arns` (the last five None when ARC is off).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.naming import cell_tags, short_region
from components.zone_signing import ZoneSigning, ZoneSigningArgs

# Modern TLS only: TLS 1.3 and TLS 1.2 with forward-secret AEAD ciphers (PCI DSS 4.2.1).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HTTPS_PORT = 443
# The ALB's `finstack:role` tag: the same role as its security group (components/network.py).
PUBLIC_ENTRY_ROLE = "lb"
DESYNC_MITIGATION_MODE = "defensive"
# Must match the prefix the log archive's bucket policy grants ELB (components/log_archive.py ALB_PREFIX).
ACCESS_LOG_PREFIX = "alb"
# Route 53 publishes query logs under this log group prefix (Route 53 API reference, CreateQueryLoggingConfig).
QUERY_LOG_GROUP_PREFIX = "/aws/route53/"
# Route 53 publishes HealthCheckStatus only in us-east-1, so alarms on it must live there; DNS
# query logs likewise go only to a log group in us-east-1.
ROUTE53_METRICS_REGION = "us-east-1"
# Checkers on both US coasts and in Europe (Route 53 needs at least three regions): one
# checker region's network trouble must not mark a healthy cell down.
HEALTH_CHECKER_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
# 10 s interval x 3 failures: a dead cell leaves DNS answers in about 30 s plus the record TTL.
HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_FAILURE_THRESHOLD = 3
# Validation CNAMEs never change once ACM issued them; 5 minutes is plenty.
VALIDATION_RECORD_TTL = 300
# The provider waits 75 minutes for an ISSUED certificate by default (terraform-provider-aws,
# internal/service/acm/certificate_validation.go: `Create: schema.DefaultTimeout(75 * time.Minute)`),
# which is how long a first `up` into an undelegated zone hangs before it fails. 20 minutes is
# four times what the AWS SDK's own CertificateValidated waiter allows (botocore
# data/acm/2015-12-08/waiters-2.json: delay 60 s x 5 attempts) and several validation-record
# TTLs: a delegated zone validates well within it, a forgotten delegation fails in minutes.
CERTIFICATE_VALIDATION_TIMEOUT = "20m"

CertificateValidationMode = Literal["wait", "defer"]
"""`wait`: validate and create the HTTPS listeners. `defer`: request the certificates and write
their validation records only. ELBv2 refuses an HTTPS listener whose ACM certificate is not yet
ISSUED (CreateListener answers CertificateNotFound or UnsupportedCertificate: aws/aws-cdk#6081,
govuk-paas/paas-cf#3063), so a deferred validation must defer the listener too. ACM keeps trying
a pending certificate for 72 hours (ACM API reference, CertificateDetail.Status), so the `up`
with `wait` that follows the delegation finds it issued. The health checks, alarms and records
stay: the checks report the cell unhealthy, which it is (as with the 503 default action before
workloads bind), and the `dr` output keeps every id a drill reads."""
# Browsers pin HTTPS for a year once they have seen the API (OWASP ASVS 14.4.5).
HSTS_HEADER = "max-age=31536000; includeSubDomains"
# ARC rejects a state change that would leave fewer controls On: zero cells serving is an outage.
MIN_CELLS_ON = 1
# How long ARC waits after a change before evaluating the safety rule again.
SAFETY_RULE_WAIT_MS = 5000


def query_log_group_name(domain: str) -> str:
    """`/aws/route53/<domain>`: the prefix Route 53 recommends and the resource policy grants."""
    return f"{QUERY_LOG_GROUP_PREFIX}{domain}"


def query_log_policy(account_id: str, domain: str) -> iam_docs.Document:
    """CloudWatch Logs resource policy: Route 53 may write this account's zone query logs, nothing else."""
    group = (
        f"arn:{iam_docs.PARTITION}:logs:{ROUTE53_METRICS_REGION}:{account_id}:log-group:{query_log_group_name(domain)}"
    )
    return iam_docs.document(
        iam_docs.statement(
            "Route53QueryLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{group}:*"],
            principal=iam_docs.service_principal("route53.amazonaws.com"),
            # Confused deputy: only hosted zones of this account (Route 53 Developer Guide,
            # "Public DNS query logging": aws:SourceAccount / aws:SourceArn in the resource policy).
            conditions={
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{iam_docs.PARTITION}:route53:::hostedzone/*"},
            },
        )
    )


def api_hostname(domain: str) -> str:
    """The global API name clients use: `api.<domain>`."""
    return f"api.{domain}"


def regional_api_hostname(region: str, domain: str) -> str:
    """A cell's own API name, `api.<region>.<domain>`: what its health check probes."""
    return f"api.{region}.{domain}"


def health_alarm_name(environment: str, region: str) -> str:
    """Physical name of a cell's health alarm; known before creation so IAM can scope to it."""
    return f"finstack-{environment}-api-{region}-unhealthy"


def load_balancer_name(environment: str, region: str) -> str:
    """ALB names are at most 32 characters: `finstack-<env>-<use1>-api`."""
    return f"finstack-{environment}-{short_region(region)}-api"


@dataclass(frozen=True)
class TrafficCellArgs:
    """One cell's ingress wiring (from `RegionalNetwork`).

    `access_log_bucket`: the cell's log archive bucket (components/log_archive.py: same region,
    SSE-S3, a policy that lets the region's ELB log delivery write `alb/AWSLogs/<account>/*`);
    None leaves access logs off. ALB log delivery writes only to SSE-S3 buckets ("Enable access
    logs for your Application Load Balancer", ELB User Guide), so it cannot be a house SSE-KMS bucket.
    """

    region: str
    public_subnet_ids: Sequence[pulumi.Input[str]]
    lb_sg_id: pulumi.Input[str]
    access_log_bucket: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class QueryLogArgs:
    """DNS query logging of the zone the stack creates: the us-east-1 logs key, retention, account.

    Route 53 writes query logs only to a log group in us-east-1 of the zone's account, through a
    CloudWatch Logs resource policy that lets route53.amazonaws.com create streams and put events
    (Route 53 API reference, CreateQueryLoggingConfig, "Log Group and Resource Policy"). The log
    group may be KMS-encrypted: CloudWatch Logs encrypts on ingestion, so the key policy needs
    the regional logs service (components/keys.py already grants logs.us-east-1.amazonaws.com for
    any log group of the account), not Route 53.
    """

    logs_key_arn: pulumi.Input[str]
    retention_days: int
    account_id: pulumi.Input[str]


@dataclass(frozen=True)
class GlobalTrafficArgs:
    """Plain settings from `StackConfig` (environment, domain, traffic block) plus cell wiring.

    `alarm_topic_arn`: an SNS topic in us-east-1 for the health alarms (an alarm can only
    notify a topic of its own region); None when no cell is in us-east-1, the alarms then
    only feed the dashboard and the Region switch plan.
    """

    environment: str
    domain: str
    primary_region: str
    cells: tuple[TrafficCellArgs, ...]
    health_check_path: str
    arc_enabled: bool
    certificate_validation: CertificateValidationMode
    hosted_zone_id: str | None = None
    alarm_topic_arn: pulumi.Input[str] | None = None
    query_log: QueryLogArgs | None = None
    dnssec_account_id: pulumi.Input[str] | None = None
    """The account of the zone, to DNSSEC-sign a zone this stack creates (components/zone_signing.py);
    None leaves it unsigned. Route 53 signs only with a us-east-1 key and the signing alarms notify
    `alarm_topic_arn`, so it needs that too."""

    def __post_init__(self) -> None:
        regions = [cell.region for cell in self.cells]
        if not regions:
            raise ValueError("GlobalTraffic needs at least one cell")
        if len(set(regions)) != len(regions):
            raise ValueError(f"GlobalTraffic: each region is one cell, got {regions}")
        if self.primary_region not in regions:
            raise ValueError(f"GlobalTraffic: primary region {self.primary_region} is not one of the cells {regions}")
        if self.dnssec_account_id is not None and self.alarm_topic_arn is None:
            raise ValueError("GlobalTraffic: DNSSEC signing needs alarm_topic_arn (its us-east-1 alarms)")

    @property
    def ordered_cells(self) -> tuple[TrafficCellArgs, ...]:
        """Cells with the primary first: it owns the records that several cells share."""
        return tuple(sorted(self.cells, key=lambda cell: cell.region != self.primary_region))


@dataclass(frozen=True)
class _Ingress:
    load_balancer: aws.lb.LoadBalancer
    listener: aws.lb.Listener | None


class GlobalTraffic(pulumi.ComponentResource):
    """Hosted zone, per-cell ALB ingress and health checks, latency routing, ARC routing controls."""

    zone_id: pulumi.Output[str]
    """The hosted zone that holds every name of the stack."""
    zone_created: bool
    """Whether this stack created the zone (False: `hosted_zone_id` named an existing one)."""
    name_servers: pulumi.Output[Sequence[str]] | None
    """The created zone's name servers, what the parent zone must delegate to; None for an existing zone."""
    ds_record: pulumi.Output[str] | None
    """The signed zone's DS record, what the parent zone publishes for the chain of trust; None when unsigned."""
    listeners_deferred: bool
    """True with `certificate_validation="defer"`: no validation wait and no HTTPS listener yet."""
    api_hostname: str
    """`api.<domain>`: the latency-routed name clients use."""
    api_hostnames: dict[str, str]
    """Region -> `api.<region>.<domain>`."""
    load_balancer_arns: dict[str, pulumi.Output[str]]
    """Region -> the cell's ALB ARN."""
    load_balancer_arn_suffixes: dict[str, pulumi.Output[str]]
    """Region -> `app/<name>/<id>`, the ALB's CloudWatch dimension."""
    health_check_ids: dict[str, pulumi.Output[str]]
    """Region -> the endpoint (HTTPS) health check: what drills inspect or invert."""
    routing_health_check_ids: dict[str, pulumi.Output[str]]
    """Region -> the check the latency record uses (calculated with ARC, else the endpoint check)."""
    health_alarm_arns: dict[str, pulumi.Output[str]]
    """Region -> the us-east-1 alarm on the endpoint check."""
    routing_control_cluster_arn: pulumi.Output[str] | None
    """The ARC cluster; None when ARC is off."""
    arc_cluster_endpoints: pulumi.Output[list[dict[str, str]]] | None
    """The ARC cluster's regional data-plane endpoints `[{"region", "endpoint"}]`, by region; None without ARC."""
    control_panel_arn: pulumi.Output[str] | None
    """The control panel holding the routing controls; None when ARC is off."""
    routing_control_arns: dict[str, pulumi.Output[str]] | None
    """Region -> the cell's routing control; None when ARC is off."""
    safety_rule_arns: list[pulumi.Output[str]] | None
    """The control panel's safety rules (what a fence of the last cell On overrides); None when ARC is off."""

    def __init__(self, name: str, args: GlobalTrafficArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("finstack:traffic:GlobalTraffic", name, None, opts)
        self._name = name
        self._args = args
        self.api_hostname = api_hostname(args.domain)
        self.api_hostnames = {c.region: regional_api_hostname(c.region, args.domain) for c in args.cells}
        self.zone_created = args.hosted_zone_id is None
        self.name_servers = None
        self.ds_record = None
        self.listeners_deferred = args.certificate_validation == "defer"
        self.zone_id = self._create_zone()
        certificates = self._create_certificates()
        ingress = {c.region: self._create_ingress(c, certificates.get(c.region)) for c in args.cells}
        self.load_balancer_arns = {r: i.load_balancer.arn for r, i in ingress.items()}
        self.load_balancer_arn_suffixes = {r: i.load_balancer.arn_suffix for r, i in ingress.items()}
        for cell in args.cells:
            self._create_regional_record(cell.region, ingress[cell.region])
        self.health_check_ids = {c.region: self._create_endpoint_check(c.region) for c in args.cells}
        self.health_alarm_arns = {r: self._create_health_alarm(r, hc) for r, hc in self.health_check_ids.items()}
        self.routing_control_cluster_arn = None
        self.arc_cluster_endpoints = None
        self.control_panel_arn = None
        self.routing_control_arns = None
        self.safety_rule_arns = None
        self.routing_health_check_ids = dict(self.health_check_ids)
        if args.arc_enabled:
            self._create_routing_controls()
        for cell in args.cells:
            self._create_latency_record(cell.region, ingress[cell.region])
        self.register_outputs(
            {
                "zone_id": self.zone_id,
                "zone_created": self.zone_created,
                "name_servers": self.name_servers,
                "ds_record": self.ds_record,
                "listeners_deferred": self.listeners_deferred,
                "api_hostname": self.api_hostname,
                "api_hostnames": self.api_hostnames,
                "load_balancer_arns": self.load_balancer_arns,
                "load_balancer_arn_suffixes": self.load_balancer_arn_suffixes,
                "health_check_ids": self.health_check_ids,
                "routing_health_check_ids": self.routing_health_check_ids,
                "health_alarm_arns": self.health_alarm_arns,
                "routing_control_cluster_arn": self.routing_control_cluster_arn,
                "arc_cluster_endpoints": self.arc_cluster_endpoints,
                "control_panel_arn": self.control_panel_arn,
                "routing_control_arns": self.routing_control_arns,
                "safety_rule_arns": self.safety_rule_arns,
            }
        )

    # -- zone and certificates -------------------------------------------------------------
    def _child(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)

    def _create_zone(self) -> pulumi.Output[str]:
        if self._args.hosted_zone_id is not None:
            return pulumi.Output.from_input(self._args.hosted_zone_id)
        zone = aws.route53.Zone(
            f"{self._name}-zone",
            name=self._args.domain,
            comment=f"finstack {self._args.environment}: API names of every cell",
            # Never delete records we do not manage (delegations, mail) with the zone.
            force_destroy=False,
            # The parent domain delegates to this zone's name servers: a replacement would
            # break resolution until the delegation is updated by hand.
            opts=self._child(protect=self._args.environment == "prod"),
        )
        self.name_servers = zone.name_servers
        if self._args.query_log is not None:
            self._create_query_log(zone, self._args.query_log)
        if self._args.dnssec_account_id is not None and self._args.alarm_topic_arn is not None:
            signing = ZoneSigning(
                f"{self._name}-dnssec",
                ZoneSigningArgs(
                    environment=self._args.environment,
                    hosted_zone_id=zone.zone_id,
                    account_id=self._args.dnssec_account_id,
                    alarm_topic_arn=self._args.alarm_topic_arn,
                    protect=self._args.environment == "prod",
                ),
                opts=self._child(),
            )
            self.ds_record = signing.ds_record
        # Logged as soon as the zone exists, before any certificate waits on it: when the
        # validation times out because nobody delegated the zone, the servers are already on screen.
        zone.name_servers.apply(lambda servers: _log_delegation(zone, self._args.domain, servers))
        return zone.zone_id

    def _create_query_log(self, zone: aws.route53.Zone, settings: QueryLogArgs) -> None:
        """The zone's DNS query log: a us-east-1 log group, the Route 53 resource policy, the QueryLog.

        Only for a zone this stack creates: an existing zone (`hosted_zone_id`) may already have
        its one query logging configuration (Route 53 allows one per zone), owned by whoever owns
        the zone, and the pack only sees zones the stack declares.
        """
        group = aws.cloudwatch.LogGroup(
            f"{self._name}-query-log-group",
            name=query_log_group_name(self._args.domain),
            kms_key_id=settings.logs_key_arn,
            retention_in_days=settings.retention_days,
            # DNS query logs are evidence of who resolved the API: prod keeps them from deletion.
            deletion_protection_enabled=self._args.environment == "prod",
            region=ROUTE53_METRICS_REGION,
            opts=self._child(),
        )
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{self._name}-query-log-policy",
            policy_name=f"finstack-{self._args.environment}-route53-query-logs",
            policy_document=pulumi.Output.from_input(settings.account_id).apply(
                lambda account: iam_docs.dumps(query_log_policy(account, self._args.domain))
            ),
            region=ROUTE53_METRICS_REGION,
            opts=self._child(),
        )
        aws.route53.QueryLog(
            f"{self._name}-query-log",
            zone_id=zone.zone_id,
            cloudwatch_log_group_arn=group.arn,
            # Route 53 checks the resource policy when the configuration is created.
            opts=self._child(depends_on=[policy]),
        )

    def _create_certificates(self) -> dict[str, pulumi.Output[str]]:
        """Per cell an ACM certificate for its regional name + the global name, DNS-validated.

        ACM derives a name's validation CNAME from the account and the name only, the same in
        every region, so `api.<domain>` (on every cell's certificate) gets one record, created
        from the primary's certificate, and every validation waits for it.

        Returns region -> the validated certificate ARN; empty when the validation is deferred
        (the records are written all the same, so ACM issues as soon as the zone is delegated).
        """
        validation_fqdns: dict[str, pulumi.Output[str]] = {}
        certificates: dict[str, aws.acm.Certificate] = {}
        for cell in self._args.ordered_cells:
            region = cell.region
            names = (self.api_hostnames[region], self.api_hostname)
            certificate = aws.acm.Certificate(
                f"{self._name}-cert-{region}",
                domain_name=names[0],
                subject_alternative_names=list(names[1:]),
                validation_method="DNS",
                region=region,
                tags=cell_tags(region),
                opts=self._child(),
            )
            certificates[region] = certificate
            for domain in names:
                if domain in validation_fqdns:
                    continue
                label = "global" if domain == self.api_hostname else region
                options = certificate.domain_validation_options
                record = aws.route53.Record(
                    f"{self._name}-cert-validation-{label}",
                    zone_id=self.zone_id,
                    name=options.apply(_validation_field(domain, "name")),
                    type="CNAME",
                    records=[options.apply(_validation_field(domain, "value"))],
                    ttl=VALIDATION_RECORD_TTL,
                    opts=self._child(),
                )
                validation_fqdns[domain] = record.fqdn
        validated: dict[str, pulumi.Output[str]] = {}
        if self.listeners_deferred:
            return validated
        for cell in self._args.cells:
            region = cell.region
            validation = aws.acm.CertificateValidation(
                f"{self._name}-cert-validation-{region}",
                certificate_arn=certificates[region].arn,
                validation_record_fqdns=[
                    validation_fqdns[self.api_hostnames[region]],
                    validation_fqdns[self.api_hostname],
                ],
                region=region,
                opts=self._child(custom_timeouts=pulumi.CustomTimeouts(create=CERTIFICATE_VALIDATION_TIMEOUT)),
            )
            # The listener takes the ARN from the validation, so it waits for an issued certificate.
            validated[region] = validation.certificate_arn
        return validated

    # -- per-cell ingress ---------------------------------------------------------------------
    def _create_ingress(self, cell: TrafficCellArgs, certificate_arn: pulumi.Output[str] | None) -> _Ingress:
        """The cell's ALB, and its HTTPS listener once there is a validated certificate to bind."""
        region = cell.region
        access_logs = (
            # The archive is the cell's own (one per region), so the prefix needs no region.
            aws.lb.LoadBalancerAccessLogsArgs(bucket=cell.access_log_bucket, prefix=ACCESS_LOG_PREFIX, enabled=True)
            if cell.access_log_bucket is not None
            else None
        )
        load_balancer = aws.lb.LoadBalancer(
            f"{self._name}-alb-{region}",
            name=load_balancer_name(self._args.environment, region),
            internal=False,
            load_balancer_type="application",
            subnets=list(cell.public_subnet_ids),
            security_groups=[cell.lb_sg_id],
            # Requests with malformed headers never reach a workload (request smuggling).
            drop_invalid_header_fields=True,
            # HTTP Desync Guardian drops requests it classifies as a severe smuggling risk. AWS's
            # default, written out so that the policy pack (and a reader) sees it ("Desync
            # mitigation mode", ALB user guide); `monitor` would let them through.
            desync_mitigation_mode=DESYNC_MITIGATION_MODE,
            # In every environment: it costs nothing and a mistaken replacement or `destroy` must not
            # take the cell's only entry down. To remove an ALB on purpose, turn it off in the change
            # that removes it (or `aws elbv2 modify-load-balancer-attributes --attributes
            # Key=deletion_protection.enabled,Value=false` before `finstack destroy`).
            enable_deletion_protection=True,
            access_logs=access_logs,
            region=region,
            # The public entry of the cell: the only load balancer the policy pack lets face the
            # internet (lb-internal-unless-public-entry), and only behind the lb security group.
            tags=cell_tags(region, role=PUBLIC_ENTRY_ROLE),
            opts=self._child(),
        )
        if certificate_arn is None:
            return _Ingress(load_balancer, None)
        # Only 443 is open on the lb security group, so there is no HTTP listener to redirect.
        listener = aws.lb.Listener(
            f"{self._name}-https-{region}",
            load_balancer_arn=load_balancer.arn,
            port=HTTPS_PORT,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate_arn,
            routing_http_response_strict_transport_security_header_value=HSTS_HEADER,
            routing_http_response_server_enabled=False,
            # 503 until the AWS Load Balancer Controller binds workloads (TargetGroupBinding):
            # the health check then fails honestly instead of routing clients to nothing.
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="text/plain",
                        status_code="503",
                        message_body="no workload is bound to this cell yet",
                    ),
                )
            ],
            region=region,
            tags=cell_tags(region),
            opts=self._child(),
        )
        return _Ingress(load_balancer, listener)

    def _create_regional_record(self, region: str, ingress: _Ingress) -> None:
        aws.route53.Record(
            f"{self._name}-api-{region}",
            zone_id=self.zone_id,
            name=self.api_hostnames[region],
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=ingress.load_balancer.dns_name,
                    zone_id=ingress.load_balancer.zone_id,
                    # A single answer: health evaluation could not change it, and an operator
                    # must still reach a drained cell by its own name.
                    evaluate_target_health=False,
                )
            ],
            opts=self._child(),
        )

    # -- health -----------------------------------------------------------------------------
    def _check_tags(self, region: str, purpose: str) -> dict[str, str]:
        return {**cell_tags(region), "Name": f"finstack-{self._args.environment}-api-{region}-{purpose}"}

    def _create_endpoint_check(self, region: str) -> pulumi.Output[str]:
        check = aws.route53.HealthCheck(
            f"{self._name}-health-{region}",
            type="HTTPS",
            fqdn=self.api_hostnames[region],
            port=HTTPS_PORT,
            resource_path=self._args.health_check_path,
            # SNI so the ALB presents the certificate of the probed name.
            enable_sni=True,
            regions=list(HEALTH_CHECKER_REGIONS),
            request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
            failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
            tags=self._check_tags(region, "endpoint"),
            # Without ARC the drills fence a cell by inverting this check (UpdateHealthCheck
            # Inverted=true, finstack/drills/gateway.py set_health_check_inverted). A `pulumi
            # refresh` + `pulumi up` must not un-invert it and reopen a fenced cell to writes;
            # the drills own the flag (a failback or the drill's safe state clears it).
            opts=self._child(ignore_changes=["invertHealthcheck"]),
        )
        return check.id

    def _create_health_alarm(self, region: str, health_check_id: pulumi.Output[str]) -> pulumi.Output[str]:
        topic = [self._args.alarm_topic_arn] if self._args.alarm_topic_arn is not None else []
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-health-alarm-{region}",
            name=health_alarm_name(self._args.environment, region),
            alarm_description=(
                f"{self.api_hostnames[region]}{self._args.health_check_path} fails its Route 53 health check"
            ),
            # HealthCheckStatus exists only in us-east-1, whichever cell the check probes.
            region=ROUTE53_METRICS_REGION,
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": health_check_id},
            statistic="Minimum",
            period=60,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="LessThanThreshold",
            # No data from the checkers is no evidence of health.
            treat_missing_data="breaching",
            alarm_actions=topic,
            ok_actions=topic,
            # The alarm watches the cell in `region`, though it lives in us-east-1.
            tags=cell_tags(region),
            opts=self._child(),
        )
        return alarm.arn

    # -- ARC routing controls -------------------------------------------------------------------
    def _create_routing_controls(self) -> None:
        env = self._args.environment
        cluster = aws.route53recoverycontrol.Cluster(
            f"{self._name}-arc-cluster", name=f"finstack-{env}", opts=self._child()
        )
        panel = aws.route53recoverycontrol.ControlPanel(
            f"{self._name}-arc-panel", cluster_arn=cluster.arn, name=f"finstack-{env}-cells", opts=self._child()
        )
        controls = {
            cell.region: aws.route53recoverycontrol.RoutingControl(
                f"{self._name}-routing-control-{cell.region}",
                cluster_arn=cluster.arn,
                control_panel_arn=panel.arn,
                name=f"finstack-{env}-{cell.region}",
                opts=self._child(),
            )
            for cell in self._args.cells
        }
        min_cells_on = aws.route53recoverycontrol.SafetyRule(
            f"{self._name}-arc-min-cells-on",
            control_panel_arn=panel.arn,
            name="at-least-one-cell-on",
            asserted_controls=[control.arn for control in controls.values()],
            rule_config=aws.route53recoverycontrol.SafetyRuleRuleConfigArgs(
                type="ATLEAST", threshold=MIN_CELLS_ON, inverted=False
            ),
            wait_period_ms=SAFETY_RULE_WAIT_MS,
            opts=self._child(),
        )
        gates: dict[str, pulumi.Output[str]] = {}
        for region, control in controls.items():
            switch = aws.route53.HealthCheck(
                f"{self._name}-control-health-{region}",
                type="RECOVERY_CONTROL",
                routing_control_arn=control.arn,
                tags=self._check_tags(region, "routing-control"),
                opts=self._child(),
            )
            children = [self.health_check_ids[region], switch.id]
            gate = aws.route53.HealthCheck(
                f"{self._name}-gate-health-{region}",
                type="CALCULATED",
                child_healthchecks=children,
                # Healthy only if the endpoint answers AND the operator left the cell On.
                child_health_threshold=len(children),
                tags=self._check_tags(region, "gate"),
                opts=self._child(),
            )
            gates[region] = gate.id
        self.routing_control_cluster_arn = cluster.arn
        self.arc_cluster_endpoints = cluster.cluster_endpoints.apply(cluster_endpoint_list)
        self.control_panel_arn = panel.arn
        self.safety_rule_arns = [min_cells_on.arn]
        self.routing_control_arns = {region: control.arn for region, control in controls.items()}
        self.routing_health_check_ids = gates

    def _create_latency_record(self, region: str, ingress: _Ingress) -> None:
        aws.route53.Record(
            f"{self._name}-api-latency-{region}",
            zone_id=self.zone_id,
            name=self.api_hostname,
            type="A",
            set_identifier=region,
            latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=region)],
            health_check_id=self.routing_health_check_ids[region],
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=ingress.load_balancer.dns_name,
                    zone_id=ingress.load_balancer.zone_id,
                    # Also drop the cell when its ALB has no healthy target at all.
                    evaluate_target_health=True,
                )
            ],
            opts=self._child(),
        )


def cluster_endpoint_list(endpoints: Sequence[Any] | None) -> list[dict[str, str]]:
    """The ARC cluster's `cluster_endpoints` as `[{"region", "endpoint"}]`, sorted by region.

    Each entry is the provider's `ClusterClusterEndpoint` (attributes `region`, `endpoint`) or,
    from a raw state, a mapping with those keys.
    """

    def field(entry: Any, name: str) -> str:
        return str(entry[name] if isinstance(entry, Mapping) else getattr(entry, name))

    found = [{"region": field(e, "region"), "endpoint": field(e, "endpoint")} for e in endpoints or []]
    return sorted(found, key=lambda e: e["region"])


def _log_delegation(zone: aws.route53.Zone, domain: str, servers: Sequence[str]) -> None:
    pulumi.log.info(
        f"{domain}: the parent zone must delegate to this hosted zone with NS records {', '.join(servers)}; "
        "until it does, nothing resolves and ACM cannot validate the certificates (docs/delegation.md)",
        resource=zone,
    )


def _validation_field(domain: str, field: str) -> Callable[[Sequence[Any]], str]:
    """Picks `name` or `value` of the validation CNAME ACM asks for `domain` (for `.apply`)."""

    def pick(options: Sequence[Any]) -> str:
        for option in options:
            if option.domain_name == domain:
                return str(option.resource_record_name if field == "name" else option.resource_record_value)
        raise ValueError(f"ACM returned no DNS validation record for {domain}")

    return pick
