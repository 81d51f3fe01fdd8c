"""GlobalTraffic under mocks: zone, per-cell ALB ingress, health checks, latency routing, ARC controls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.traffic import (
    CERTIFICATE_VALIDATION_TIMEOUT,
    HEALTH_CHECKER_REGIONS,
    TLS_POLICY,
    GlobalTraffic,
    GlobalTrafficArgs,
    TrafficCellArgs,
)
from tests.plan import Plan, plan_of, plan_with, shipped_config, shipped_plan

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CERT = "aws:acm/certificate:Certificate"
CERT_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
ALERTS_TOPIC = "arn:aws:sns:us-east-1:111122223333:finstack-prod-alerts-use1"
ARC_TYPES = (
    "aws:route53recoverycontrol/cluster:Cluster",
    "aws:route53recoverycontrol/controlPanel:ControlPanel",
    "aws:route53recoverycontrol/routingControl:RoutingControl",
    "aws:route53recoverycontrol/safetyRule:SafetyRule",
)


def _cells(config: Any) -> tuple[TrafficCellArgs, ...]:
    """Wiring shaped like RegionalNetwork's: three public subnets and the lb security group per cell."""
    cells = []
    for index, region in enumerate(config.regions):
        subnets = [f"subnet-0{index}{az}1f2e3d4c5b6a7" for az in "abc"[: region.azs]]
        cells.append(
            TrafficCellArgs(region=region.name, public_subnet_ids=subnets, lb_sg_id=f"sg-0{index}9e8d7c6b5a4f3e2")
        )
    return tuple(cells)


def _traffic(stack: str, **overrides: Any) -> Callable[[], None]:
    config = shipped_config(stack)

    def build() -> None:
        args = GlobalTrafficArgs(
            environment=config.environment,
            domain=config.domain,
            primary_region=config.primary.name,
            cells=_cells(config),
            health_check_path=config.traffic.health_check_path,
            arc_enabled=config.traffic.arc_enabled,
            alarm_topic_arn=ALERTS_TOPIC,
            **{"certificate_validation": config.traffic.certificate_validation, **overrides},
        )
        traffic = GlobalTraffic("traffic", args)
        pulumi.export("health_check_ids", traffic.health_check_ids)
        pulumi.export("routing_control_arns", traffic.routing_control_arns)
        pulumi.export("api_hostnames", traffic.api_hostnames)
        pulumi.export("name_servers", traffic.name_servers)
        pulumi.export("zone_created", traffic.zone_created)

    return build


@pytest.fixture(scope="module")
def prod() -> Plan:
    return plan_of(_traffic("prod"), "prod")


@pytest.fixture(scope="module")
def dev() -> Plan:
    return plan_of(_traffic("dev"), "dev")


def _by_id(plan: Plan, type_: str) -> dict[str, Any]:
    return {r.id: r for r in plan.of_type(type_)}


def _latency_records(plan: Plan) -> list[Any]:
    return [r for r in plan.of_type(RECORD) if r.inputs.get("latencyRoutingPolicies")]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_global_traffic__one_latency_record_per_cell_each_health_checked(stack: str, request: Any) -> None:
    plan: Plan = request.getfixturevalue(stack)
    records = _latency_records(plan)
    assert sorted(r.inputs["setIdentifier"] for r in records) == sorted(plan.regions)
    checks = _by_id(plan, HEALTH_CHECK)
    for record in records:
        region = record.inputs["setIdentifier"]
        assert record.inputs["name"] == f"api.{plan.run.config.domain}", record.urn
        assert record.inputs["latencyRoutingPolicies"] == [{"region": region}], record.urn
        assert record.inputs["healthCheckId"] in checks, f"{record.urn}: health check is not one of the stack's"
        [alias] = record.inputs["aliases"]
        assert alias["evaluateTargetHealth"] is True, record.urn


def test_global_traffic__prod_latency_records_use_calculated_check_of_endpoint_and_routing_control(prod: Plan) -> None:
    checks = _by_id(prod, HEALTH_CHECK)
    for record in _latency_records(prod):
        region = record.inputs["setIdentifier"]
        gate = checks[record.inputs["healthCheckId"]]
        assert gate.inputs["type"] == "CALCULATED", record.urn
        children = [checks[child] for child in gate.inputs["childHealthchecks"]]
        assert sorted(c.inputs["type"] for c in children) == ["HTTPS", "RECOVERY_CONTROL"], gate.urn
        assert gate.inputs["childHealthThreshold"] == len(children), f"{gate.urn}: every child must be healthy"
        endpoint = next(c for c in children if c.inputs["type"] == "HTTPS")
        assert endpoint.inputs["fqdn"] == f"api.{region}.{prod.run.config.domain}", endpoint.urn
        switch = next(c for c in children if c.inputs["type"] == "RECOVERY_CONTROL")
        control = prod.named(f"traffic-routing-control-{region}")
        assert switch.inputs["routingControlArn"] == control.outputs["arn"], switch.urn


def test_global_traffic__dev_latency_records_use_endpoint_checks_and_no_arc(dev: Plan) -> None:
    for type_ in ARC_TYPES:
        assert dev.of_type(type_) == [], f"dev declares {type_}: {[r.urn for r in dev.of_type(type_)]}"
    checks = _by_id(dev, HEALTH_CHECK)
    assert {c.inputs["type"] for c in checks.values()} == {"HTTPS"}
    for record in _latency_records(dev):
        assert checks[record.inputs["healthCheckId"]].inputs["type"] == "HTTPS", record.urn
    assert dev.outputs["routing_control_arns"] is None


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_global_traffic__endpoint_checks_probe_https_healthz_of_each_cell(stack: str, request: Any) -> None:
    plan: Plan = request.getfixturevalue(stack)
    config = plan.run.config
    endpoints = [c for c in plan.of_type(HEALTH_CHECK) if c.inputs["type"] == "HTTPS"]
    assert sorted(c.inputs["fqdn"] for c in endpoints) == sorted(f"api.{r}.{config.domain}" for r in plan.regions)
    for check in endpoints:
        assert check.inputs["port"] == 443, check.urn
        assert check.inputs["resourcePath"] == config.traffic.health_check_path == "/healthz", check.urn
        assert check.inputs["enableSni"] is True, check.urn
        assert len(check.inputs["regions"]) >= 3, f"{check.urn}: Route 53 needs three checker regions"
        assert check.inputs["failureThreshold"] == 3, check.urn
    # The ids a drill inspects are the endpoint checks, per region.
    by_fqdn = {c.inputs["fqdn"]: c.id for c in endpoints}
    assert plan.outputs["health_check_ids"] == {r: by_fqdn[f"api.{r}.{config.domain}"] for r in plan.regions}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_global_traffic__endpoint_checks_keep_a_drill_fence_across_refresh_and_up(stack: str, request: Any) -> None:
    # Without ARC a drill fences a cell by inverting its endpoint check; `up` must not un-invert it.
    plan: Plan = request.getfixturevalue(stack)
    endpoints = [c for c in plan.of_type(HEALTH_CHECK) if c.inputs["type"] == "HTTPS"]
    assert len(endpoints) == len(plan.regions)
    for check in endpoints:
        assert "invertHealthcheck" in check.ignore_changes, f"{check.urn}: ignore_changes {check.ignore_changes}"


def test_global_traffic__health_alarms_live_in_us_east_1_and_notify_the_topic(prod: Plan) -> None:
    endpoint_ids = {c.id for c in prod.of_type(HEALTH_CHECK) if c.inputs["type"] == "HTTPS"}
    alarms = prod.of_type(ALARM)
    assert len(alarms) == len(prod.regions)
    for alarm in alarms:
        assert alarm.inputs["region"] == "us-east-1", f"{alarm.urn}: Route 53 metrics exist only in us-east-1"
        assert alarm.inputs["namespace"] == "AWS/Route53" and alarm.inputs["metricName"] == "HealthCheckStatus"
        assert alarm.inputs["dimensions"]["HealthCheckId"] in endpoint_ids, alarm.urn
        assert alarm.inputs["comparisonOperator"] == "LessThanThreshold" and alarm.inputs["threshold"] == 1
        assert alarm.inputs["treatMissingData"] == "breaching", alarm.urn
        assert alarm.inputs["alarmActions"] == [ALERTS_TOPIC], alarm.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_global_traffic__https_listener_uses_tls13_policy_validated_certificate_and_503(
    stack: str, request: Any
) -> None:
    plan: Plan = request.getfixturevalue(stack)
    listeners = plan.of_type(LISTENER)
    assert sorted(r.region for r in listeners) == sorted(plan.regions)
    validated = {v.region: v.outputs["certificateArn"] for v in plan.of_type(CERT_VALIDATION)}
    albs = {a.region: a for a in plan.of_type(ALB)}
    for listener in listeners:
        assert listener.inputs["sslPolicy"] == TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06", listener.urn
        assert listener.inputs["protocol"] == "HTTPS" and listener.inputs["port"] == 443, listener.urn
        assert listener.inputs["certificateArn"] == validated[listener.region], (
            f"{listener.urn}: not the validated cert"
        )
        assert listener.inputs["loadBalancerArn"] == albs[listener.region].outputs["arn"], listener.urn
        [action] = listener.inputs["defaultActions"]
        assert action["type"] == "fixed-response" and action["fixedResponse"]["statusCode"] == "503", listener.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_global_traffic__alb_is_internet_facing_in_public_subnets_and_drops_invalid_headers(
    stack: str, request: Any
) -> None:
    plan: Plan = request.getfixturevalue(stack)
    cells = {c.region: c for c in _cells(plan.run.config)}
    for alb in plan.of_type(ALB):
        cell = cells[alb.region]
        assert alb.inputs["internal"] is False and alb.inputs["loadBalancerType"] == "application", alb.urn
        assert alb.inputs["subnets"] == list(cell.public_subnet_ids), alb.urn
        assert alb.inputs["securityGroups"] == [cell.lb_sg_id], alb.urn
        assert alb.inputs["dropInvalidHeaderFields"] is True, alb.urn
        # Deletion protection costs nothing: on in every environment (lb-deletion-protection-enabled).
        assert alb.inputs["enableDeletionProtection"] is True, alb.urn
        assert alb.inputs["desyncMitigationMode"] == "defensive", alb.urn
        # The public entry: tagged with its security group's role (lb-internal-unless-public-entry).
        assert alb.inputs["tags"]["finstack:role"] == "lb", alb.urn
        assert len(alb.inputs["name"]) <= 32, f"{alb.urn}: ALB names are at most 32 characters"


def test_global_traffic__certificates_are_dns_validated_with_one_record_per_name(prod: Plan) -> None:
    domain = prod.run.config.domain
    records_by_fqdn = {r.outputs["fqdn"]: r for r in prod.of_type(RECORD) if r.inputs["type"] == "CNAME"}
    # One CNAME per distinct name: the regional names plus the shared global name, once.
    assert len(records_by_fqdn) == len(prod.regions) + 1
    certificates = {c.region: c for c in prod.of_type(CERT)}
    for validation in prod.of_type(CERT_VALIDATION):
        certificate = certificates[validation.region]
        assert certificate.inputs["validationMethod"] == "DNS", certificate.urn
        assert certificate.inputs["domainName"] == f"api.{validation.region}.{domain}", certificate.urn
        assert certificate.inputs["subjectAlternativeNames"] == [f"api.{domain}"], certificate.urn
        assert validation.inputs["certificateArn"] == certificate.outputs["arn"], validation.urn
        expected = {o["resourceRecordName"].rstrip(".") for o in certificate.outputs["domainValidationOptions"]}
        assert set(validation.inputs["validationRecordFqdns"]) == expected, validation.urn
        for fqdn in expected:
            option = next(
                o for o in certificate.outputs["domainValidationOptions"] if o["resourceRecordName"].rstrip(".") == fqdn
            )
            assert records_by_fqdn[fqdn].inputs["records"] == [option["resourceRecordValue"]], records_by_fqdn[fqdn].urn


def test_global_traffic__regional_name_aliases_the_cells_alb(prod: Plan) -> None:
    zone = prod.of_type("aws:route53/zone:Zone")[0]
    for region in prod.regions:
        record = prod.named(f"traffic-api-{region}")
        alb = prod.named(f"traffic-alb-{region}")
        assert record.inputs["name"] == f"api.{region}.{prod.run.config.domain}", record.urn
        assert record.inputs["zoneId"] == zone.outputs["zoneId"], record.urn
        assert record.inputs["aliases"] == [
            {"name": alb.outputs["dnsName"], "zoneId": alb.outputs["zoneId"], "evaluateTargetHealth": False}
        ], record.urn
    assert prod.outputs["api_hostnames"] == {r: f"api.{r}.{prod.run.config.domain}" for r in prod.regions}


def test_global_traffic__safety_rule_keeps_at_least_one_cell_on(prod: Plan) -> None:
    [rule] = prod.of_type("aws:route53recoverycontrol/safetyRule:SafetyRule")
    controls = prod.of_type("aws:route53recoverycontrol/routingControl:RoutingControl")
    assert sorted(rule.inputs["assertedControls"]) == sorted(c.outputs["arn"] for c in controls), rule.urn
    assert rule.inputs["ruleConfig"] == {"type": "ATLEAST", "threshold": 1, "inverted": False}, rule.urn
    assert prod.outputs["routing_control_arns"] == {
        r: prod.named(f"traffic-routing-control-{r}").outputs["arn"] for r in prod.regions
    }


def test_global_traffic__existing_zone_is_used_not_created() -> None:
    plan = plan_of(_traffic("prod", hosted_zone_id="Z0123456789ABCDEFGHIJ"), "prod")
    assert plan.of_type("aws:route53/zone:Zone") == []
    for record in plan.of_type(RECORD):
        assert record.inputs["zoneId"] == "Z0123456789ABCDEFGHIJ", record.urn


def test_global_traffic__regional_resources_name_their_region_and_global_ones_none(prod: Plan) -> None:
    regional = (ALB, LISTENER, CERT, CERT_VALIDATION, ALARM)
    global_ = (HEALTH_CHECK, RECORD, "aws:route53/zone:Zone", *ARC_TYPES)
    for record in prod:
        if record.type in regional:
            assert record.inputs.get("region") in (*prod.regions, "us-east-1"), f"{record.urn}: no explicit region"
        elif record.type in global_:
            assert "region" not in record.inputs, f"{record.urn}: a global resource takes no region"


def test_global_traffic__checker_regions_span_two_continents() -> None:
    continents = {region.split("-")[0] for region in HEALTH_CHECKER_REGIONS}
    assert len(HEALTH_CHECKER_REGIONS) >= 3 and len(continents) >= 2


def test_global_traffic_args__primary_must_be_a_cell() -> None:
    cell = TrafficCellArgs(region="us-west-2", public_subnet_ids=["subnet-0a"], lb_sg_id="sg-0a")
    with pytest.raises(ValueError, match="primary region us-east-1 is not one of the cells"):
        GlobalTrafficArgs(
            environment="prod",
            domain="pay.example.com",
            primary_region="us-east-1",
            cells=(cell,),
            health_check_path="/healthz",
            arc_enabled=True,
            certificate_validation="wait",
        )


@pytest.fixture(scope="module")
def deferred() -> Plan:
    return plan_of(_traffic("dev", certificate_validation="defer"), "dev")


def test_global_traffic__deferred_validation_declares_no_wait_and_no_listener(deferred: Plan) -> None:
    # ELBv2 refuses an HTTPS listener on a certificate that is not ISSUED: without the wait,
    # no listener may be declared at all, on any certificate.
    assert deferred.of_type(CERT_VALIDATION) == [], [r.urn for r in deferred.of_type(CERT_VALIDATION)]
    assert deferred.of_type(LISTENER) == [], [r.urn for r in deferred.of_type(LISTENER)]
    for certificate in deferred.of_type(CERT):
        assert deferred.referencing(certificate, "arn") == [], (
            f"{certificate.urn}: something binds the pending certificate"
        )


def test_global_traffic__deferred_validation_still_requests_certificates_and_writes_their_records(
    deferred: Plan,
) -> None:
    # ACM keeps trying for 72 hours: the records must be in the zone when the delegation lands.
    assert sorted(c.region for c in deferred.of_type(CERT)) == sorted(deferred.regions)
    cnames = {r.inputs["name"] for r in deferred.of_type(RECORD) if r.inputs["type"] == "CNAME"}
    for certificate in deferred.of_type(CERT):
        for option in certificate.outputs["domainValidationOptions"]:
            assert option["resourceRecordName"] in cnames, f"{certificate.urn}: no record for {option['domainName']}"
    # The cell is still routed and probed; its checks report it unhealthy until the listener exists.
    assert sorted(a.region for a in deferred.of_type(ALB)) == sorted(deferred.regions)
    endpoints = [c for c in deferred.of_type(HEALTH_CHECK) if c.inputs["type"] == "HTTPS"]
    assert len(endpoints) == len(deferred.regions) == len(_latency_records(deferred))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_global_traffic__certificate_validation_fails_in_minutes_not_75(stack: str, request: Any) -> None:
    plan: Plan = request.getfixturevalue(stack)
    assert CERTIFICATE_VALIDATION_TIMEOUT == "20m"
    validations = plan.of_type(CERT_VALIDATION)
    assert len(validations) == len(plan.regions)
    for validation in validations:
        assert validation.custom_timeouts == {"create": CERTIFICATE_VALIDATION_TIMEOUT}, (
            f"{validation.urn}: no explicit create timeout (the provider's default is 75 minutes)"
        )


def test_global_traffic__created_zone_logs_the_name_servers_to_delegate(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        plan = plan_of(_traffic("dev"), "dev")
    [zone] = plan.of_type("aws:route53/zone:Zone")
    servers = zone.outputs["nameServers"]
    assert plan.outputs["name_servers"] == servers and plan.outputs["zone_created"] is True
    assert len(servers) == 4, zone.urn
    messages = [r.getMessage() for r in caplog.records if "must delegate" in r.getMessage()]
    assert messages == [
        f"{plan.run.config.domain}: the parent zone must delegate to this hosted zone with NS records "
        f"{', '.join(servers)}; until it does, nothing resolves and ACM cannot validate the certificates "
        "(docs/delegation.md)"
    ]


def test_global_traffic__existing_zone_logs_nothing_and_has_no_name_servers(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        plan = plan_of(_traffic("dev", hosted_zone_id="Z0123456789ABCDEFGHIJ"), "dev")
    assert (plan.outputs["name_servers"], plan.outputs["zone_created"]) == (None, False)
    assert not [r for r in caplog.records if "must delegate" in r.getMessage()]


def test_program__dns_output_names_the_created_zone_and_its_name_servers() -> None:
    plan = shipped_plan("dev")
    [zone] = plan.of_type("aws:route53/zone:Zone")
    assert plan.outputs["dns"] == {
        "domain": "dev.pay.example.com",
        "zoneId": zone.outputs["zoneId"],
        "zoneCreated": True,
        "nameServers": zone.outputs["nameServers"],
        "dsRecord": plan.of_type("aws:route53/keySigningKey:KeySigningKey")[0].outputs["dsRecord"],
        "certificateValidation": "wait",
        "delegationVerified": True,
    }, zone.urn


def test_program__deferred_stack_deploys_without_listeners_and_says_the_delegation_is_unverified() -> None:
    plan = plan_with("dev", lambda raw: raw["finstack:traffic"].update(certificateValidation="defer"))
    assert plan.of_type(CERT_VALIDATION) == [] and plan.of_type(LISTENER) == []
    # The DR plane is unchanged: every cell keeps the ids a drill reads.
    for region, cell in plan.outputs["dr"]["regions"].items():
        assert cell["healthCheckId"], f"dr.regions.{region}: no health check"
    dns = plan.outputs["dns"]
    assert (dns["certificateValidation"], dns["delegationVerified"], dns["zoneCreated"]) == ("defer", False, True)
    assert len(dns["nameServers"]) == 4


def test_program__existing_zone_exports_its_id_and_no_name_servers() -> None:
    plan = plan_with("dev", lambda raw: raw["finstack:traffic"].update(hostedZoneId="Z0123456789ABCDEFGHIJ"))
    dns = plan.outputs["dns"]
    assert (dns["zoneId"], dns["zoneCreated"], dns["nameServers"]) == ("Z0123456789ABCDEFGHIJ", False, None)
    # Whoever owns an existing zone signs it (or not): no KSK, no DS record from this stack.
    assert dns["dsRecord"] is None and plan.of_type("aws:route53/keySigningKey:KeySigningKey") == []


# -- DNS query logging -----------------------------------------------------------------------------

QUERY_LOG = "aws:route53/queryLog:QueryLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
LOGS_KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef"


def _query_log() -> Any:
    from components.traffic import QueryLogArgs

    return QueryLogArgs(logs_key_arn=LOGS_KEY, retention_days=400, account_id="111122223333")


def test_global_traffic__created_zone_logs_queries_to_a_us_east_1_group() -> None:
    import json

    plan = plan_of(_traffic("prod", query_log=_query_log()), "prod")
    [zone] = plan.of_type("aws:route53/zone:Zone")
    [group] = plan.of_type(LOG_GROUP)
    [policy] = plan.of_type(LOG_POLICY)
    [query_log] = plan.of_type(QUERY_LOG)
    assert group.inputs["name"] == "/aws/route53/pay.example.com", group.urn
    assert group.region == "us-east-1" and policy.region == "us-east-1", group.urn
    assert group.inputs["kmsKeyId"] == LOGS_KEY and group.inputs["retentionInDays"] == 400, group.urn
    assert group.inputs["deletionProtectionEnabled"] is True, group.urn
    [statement] = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "route53.amazonaws.com"}, policy.urn
    assert statement["Resource"] == ("arn:aws:logs:us-east-1:111122223333:log-group:/aws/route53/pay.example.com:*"), (
        policy.urn
    )
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}, policy.urn
    assert query_log.inputs["zoneId"] == zone.outputs["zoneId"], query_log.urn
    assert query_log.inputs["cloudwatchLogGroupArn"] == group.outputs["arn"], query_log.urn
    # Route 53 checks the resource policy when the configuration is created.
    assert policy.urn in query_log.dependencies, query_log.urn


def test_global_traffic__existing_zone_gets_no_query_log() -> None:
    # An existing zone's one query logging configuration belongs to whoever owns the zone.
    plan = plan_of(_traffic("prod", hosted_zone_id="Z0123456789ABCDEFGHIJ", query_log=_query_log()), "prod")
    assert plan.of_type(QUERY_LOG) == [] and plan.of_type(LOG_POLICY) == []


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_program__shipped_zone_has_a_query_log_under_the_us_east_1_logs_key(stack: str) -> None:
    plan = shipped_plan(stack)
    [query_log] = plan.of_type(QUERY_LOG)
    [group] = [g for g in plan.of_type(LOG_GROUP) if g.name == "traffic-query-log-group"]
    [logs_key] = [k for k in plan.of_type("aws:kms/key:Key") if k.name == "keys-logs"]
    assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"], group.urn
    assert query_log.inputs["cloudwatchLogGroupArn"] == group.outputs["arn"], query_log.urn
