"""Route 53 (zones, records, health checks, DNSSEC), ACM, load balancers and ARC control config in the emulator."""

from __future__ import annotations

from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list
from finstack.engine.fake_cloud import digest

# Route 53 and the ARC control-plane API are global; their endpoints live in these regions.
ROUTE53_REGION = "us-east-1"
ARC_CONFIG_REGION = "us-west-2"


def _route53(ctx: HandlerContext) -> Any:
    return ctx.client("route53", ROUTE53_REGION)


def _delete_zone(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    route53 = _route53(ctx)
    for record in route53.list_resource_record_sets(HostedZoneId=resource_id)["ResourceRecordSets"]:
        if record["Type"] not in ("NS", "SOA"):
            route53.change_resource_record_sets(
                HostedZoneId=resource_id, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]}
            )
    route53.delete_hosted_zone(Id=resource_id)


@REGISTRY.register("aws:route53/zone:Zone", "route53", _delete_zone)
def create_zone(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Public hosted zone for the platform's domain."""
    zone = _route53(ctx).create_hosted_zone(
        Name=inputs["name"],
        CallerReference=f"finstack-{digest(name, inputs['name'])}",
        HostedZoneConfig={"Comment": inputs.get("comment") or "Managed by Pulumi", "PrivateZone": False},
    )
    zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
    return zone_id, {
        "zoneId": zone_id,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "nameServers": list(zone.get("DelegationSet", {}).get("NameServers", [])),
    }


def _record_set(inputs: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"Name": inputs["name"], "Type": inputs["type"]}
    if inputs.get("setIdentifier"):
        record["SetIdentifier"] = inputs["setIdentifier"]
    latency = inputs.get("latencyRoutingPolicies") or []
    if latency:
        record["Region"] = latency[0]["region"]
    if inputs.get("healthCheckId"):
        record["HealthCheckId"] = inputs["healthCheckId"]
    aliases = inputs.get("aliases") or []
    if aliases:
        alias = aliases[0]
        record["AliasTarget"] = {
            "HostedZoneId": alias["zoneId"],
            "DNSName": alias["name"],
            "EvaluateTargetHealth": bool(alias.get("evaluateTargetHealth", False)),
        }
    else:
        record["TTL"] = int(inputs.get("ttl", 60))
        record["ResourceRecords"] = [{"Value": v} for v in inputs.get("records") or []]
    return record


def _delete_record(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    _route53(ctx).change_resource_record_sets(
        HostedZoneId=outputs["zoneId"],
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": _record_set(outputs)}]},
    )


@REGISTRY.register("aws:route53/record:Record", "route53", _delete_record)
def create_record(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Record set (simple, alias or latency-routed)."""
    _route53(ctx).change_resource_record_sets(
        HostedZoneId=inputs["zoneId"],
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": _record_set(inputs)}]},
    )
    record_id = "_".join(
        p for p in (inputs["zoneId"], inputs["name"], inputs["type"], inputs.get("setIdentifier", "")) if p
    )
    return record_id, {"fqdn": inputs["name"]}


def _delete_health_check(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    _route53(ctx).delete_health_check(HealthCheckId=resource_id)


_HEALTH_KEYS = {
    "fqdn": "FullyQualifiedDomainName",
    "ipAddress": "IPAddress",
    "port": "Port",
    "resourcePath": "ResourcePath",
    "requestInterval": "RequestInterval",
    "failureThreshold": "FailureThreshold",
    "routingControlArn": "RoutingControlArn",
    "childHealthThreshold": "HealthThreshold",
    "searchString": "SearchString",
}


@REGISTRY.register("aws:route53/healthCheck:HealthCheck", "route53", _delete_health_check)
def create_health_check(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """HTTPS, CALCULATED or RECOVERY_CONTROL health check."""
    config: dict[str, Any] = {"Type": inputs["type"]}
    for key, aws in _HEALTH_KEYS.items():
        if inputs.get(key) not in (None, ""):
            config[aws] = inputs[key]
    if inputs.get("childHealthchecks"):
        config["ChildHealthChecks"] = list(inputs["childHealthchecks"])
    if inputs.get("regions"):
        config["Regions"] = list(inputs["regions"])
    if "invertHealthcheck" in inputs:
        config["Inverted"] = bool(inputs["invertHealthcheck"])
    if "measureLatency" in inputs:
        config["MeasureLatency"] = bool(inputs["measureLatency"])
    check = _route53(ctx).create_health_check(CallerReference=f"finstack-{digest(name)}", HealthCheckConfig=config)
    check_id = check["HealthCheck"]["Id"]
    if inputs.get("tags"):
        _route53(ctx).change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=check_id, AddTags=tag_list(inputs)
        )
    return check_id, {"arn": f"arn:aws:route53:::healthcheck/{check_id}"}


def _delete_key_signing_key(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    # As the provider does: an ACTIVE KSK is deactivated first (Route 53 deletes only INACTIVE ones).
    zone_id, ksk_name = resource_id.split(",", 1)
    route53 = _route53(ctx)
    listed = route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"]
    if any(k["Name"] == ksk_name and k["Status"] == "ACTIVE" for k in listed):
        route53.deactivate_key_signing_key(HostedZoneId=zone_id, Name=ksk_name)
    route53.delete_key_signing_key(HostedZoneId=zone_id, Name=ksk_name)


@REGISTRY.register("aws:route53/keySigningKey:KeySigningKey", "route53", _delete_key_signing_key)
def create_key_signing_key(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A hosted zone's KSK on a KMS key (refused unless Route 53 may sign with it: moto_ext/route53_dnssec)."""
    zone_id, ksk_name = inputs["hostedZoneId"], inputs["name"]
    ksk = _route53(ctx).create_key_signing_key(
        CallerReference=f"finstack-{digest(name, zone_id)}",
        HostedZoneId=zone_id,
        KeyManagementServiceArn=inputs["keyManagementServiceArn"],
        Name=ksk_name,
        # The provider's default (key_signing_key.go: status Default ACTIVE).
        Status=inputs.get("status") or "ACTIVE",
    )["KeySigningKey"]
    # The provider's id is "<zone id>,<name>" (terraform-provider-aws internal/service/route53/
    # key_signing_key.go: flex.FlattenResourceId([hostedZoneID, name])); it deactivates before deleting.
    return f"{zone_id},{ksk_name}", {
        "dsRecord": ksk["DSRecord"],
        "dnskeyRecord": ksk["DNSKEYRecord"],
        "digestValue": ksk["DigestValue"],
        "digestAlgorithmType": ksk["DigestAlgorithmType"],
        "digestAlgorithmMnemonic": ksk["DigestAlgorithmMnemonic"],
        "signingAlgorithmType": ksk["SigningAlgorithmType"],
        "signingAlgorithmMnemonic": ksk["SigningAlgorithmMnemonic"],
        "keyTag": ksk["KeyTag"],
        "flag": ksk["Flag"],
        "publicKey": ksk["PublicKey"],
        "status": ksk["Status"],
    }


def _disable_dnssec(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    _route53(ctx).disable_hosted_zone_dnssec(HostedZoneId=resource_id)


@REGISTRY.register("aws:route53/hostedZoneDnsSec:HostedZoneDnsSec", "route53", _disable_dnssec)
def create_hosted_zone_dnssec(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """DNSSEC signing of a zone: refused without an ACTIVE KSK, as on AWS; NOT_SIGNING leaves it off."""
    zone_id = inputs["hostedZoneId"]
    # The provider's default signing_status is SIGNING (hosted_zone_dnssec.go).
    if (inputs.get("signingStatus") or "SIGNING") == "SIGNING":
        _route53(ctx).enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    status = _route53(ctx).get_dnssec(HostedZoneId=zone_id)["Status"]["ServeSignature"]
    return zone_id, {"signingStatus": status}


def _delete_certificate(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("acm").delete_certificate(CertificateArn=resource_id)


@REGISTRY.register("aws:acm/certificate:Certificate", "acm", _delete_certificate)
def request_certificate(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """DNS-validated certificate request."""
    kwargs: dict[str, Any] = {
        "DomainName": inputs["domainName"],
        "ValidationMethod": inputs.get("validationMethod", "DNS"),
    }
    if inputs.get("subjectAlternativeNames"):
        kwargs["SubjectAlternativeNames"] = list(inputs["subjectAlternativeNames"])
    acm = ctx.client("acm")
    arn = acm.request_certificate(**kwargs, Tags=tag_list(inputs))["CertificateArn"]
    options = acm.describe_certificate(CertificateArn=arn)["Certificate"].get("DomainValidationOptions", [])
    validation = [
        {
            "domainName": o["DomainName"],
            "resourceRecordName": (o.get("ResourceRecord") or {}).get(
                "Name", f"_{digest(o['DomainName'])}.{o['DomainName']}."
            ),
            "resourceRecordType": (o.get("ResourceRecord") or {}).get("Type", "CNAME"),
            "resourceRecordValue": (o.get("ResourceRecord") or {}).get("Value", f"_{digest(arn)}.acm-validations.aws."),
        }
        for o in options
    ]
    status = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
    # A new request is PENDING_VALIDATION, in AWS as in the provider's state after create.
    return arn, {"arn": arn, "domainValidationOptions": validation, "status": status}


@REGISTRY.register("aws:acm/certificateValidation:CertificateValidation", "acm")
def validate_certificate(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Succeeds only if ACM issued the certificate (moto_ext `acm_issuance`: its CNAMEs are in a zone).

    The provider polls until ISSUED or its create timeout; the emulator has no DNS to wait for,
    so it checks once and fails as the provider does when the timeout runs out.
    """
    arn = str(inputs["certificateArn"])
    status = ctx.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
    if status != "ISSUED":
        raise RuntimeError(
            f"waiting for ACM Certificate ({arn}) to be issued: timeout while waiting for state to become "
            f"'ISSUED' (last state: '{status}'): are its validation records in a delegated zone? "
            "(docs/delegation.md)"
        )
    return arn, {"certificateArn": arn}


def _delete_lb(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    elb = ctx.client("elbv2")
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=resource_id, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
    )
    elb.delete_load_balancer(LoadBalancerArn=resource_id)


def create_load_balancer(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Application load balancer with its protective attributes."""
    elb = ctx.client("elbv2")
    balancer = elb.create_load_balancer(
        Name=physical_name(name, inputs)[:32],
        Subnets=list(inputs.get("subnets") or []),
        SecurityGroups=list(inputs.get("securityGroups") or []),
        Scheme="internal" if inputs.get("internal") else "internet-facing",
        Type=inputs.get("loadBalancerType", "application"),
        Tags=tag_list(inputs),
    )["LoadBalancers"][0]
    attributes = []
    if "enableDeletionProtection" in inputs:
        attributes.append(
            {"Key": "deletion_protection.enabled", "Value": str(bool(inputs["enableDeletionProtection"])).lower()}
        )
    if "dropInvalidHeaderFields" in inputs:
        attributes.append(
            {
                "Key": "routing.http.drop_invalid_header_fields.enabled",
                "Value": str(bool(inputs["dropInvalidHeaderFields"])).lower(),
            }
        )
    access_logs = inputs.get("accessLogs") or {}
    if access_logs.get("enabled"):
        # ELB checks the bucket when logs are turned on (moto_ext/elb_access_logs.py).
        attributes += [
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": str(access_logs.get("bucket", ""))},
            {"Key": "access_logs.s3.prefix", "Value": str(access_logs.get("prefix", ""))},
        ]
    if attributes:
        elb.modify_load_balancer_attributes(LoadBalancerArn=balancer["LoadBalancerArn"], Attributes=attributes)
    return balancer["LoadBalancerArn"], {
        "arn": balancer["LoadBalancerArn"],
        "dnsName": balancer["DNSName"],
        "zoneId": balancer.get("CanonicalHostedZoneId", "Z35SXDOTRQ7X7K"),
        "arnSuffix": balancer["LoadBalancerArn"].split(":loadbalancer/", 1)[-1],
    }


def _delete_listener(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client("elbv2").delete_listener(ListenerArn=resource_id)


def create_listener(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """HTTPS listener with its TLS policy and default action."""
    actions = []
    for action in inputs.get("defaultActions") or []:
        entry: dict[str, Any] = {"Type": action["type"]}
        fixed = action.get("fixedResponse")
        if fixed:
            entry["FixedResponseConfig"] = {
                "StatusCode": str(fixed.get("statusCode", "503")),
                "ContentType": fixed.get("contentType", "text/plain"),
                "MessageBody": fixed.get("messageBody", ""),
            }
        if action.get("targetGroupArn"):
            entry["TargetGroupArn"] = action["targetGroupArn"]
        actions.append(entry)
    kwargs: dict[str, Any] = {
        "LoadBalancerArn": inputs["loadBalancerArn"],
        "Protocol": inputs.get("protocol", "HTTPS"),
        "Port": int(inputs.get("port", 443)),
        "DefaultActions": actions,
    }
    if inputs.get("sslPolicy"):
        kwargs["SslPolicy"] = inputs["sslPolicy"]
    if inputs.get("certificateArn"):
        kwargs["Certificates"] = [{"CertificateArn": inputs["certificateArn"]}]
    listener = ctx.client("elbv2").create_listener(**kwargs)["Listeners"][0]
    return listener["ListenerArn"], {"arn": listener["ListenerArn"]}


for _module in ("lb", "alb"):
    REGISTRY.register(f"aws:{_module}/loadBalancer:LoadBalancer", "elbv2", _delete_lb)(create_load_balancer)
    REGISTRY.register(f"aws:{_module}/listener:Listener", "elbv2", _delete_listener)(create_listener)


def _arc(ctx: HandlerContext) -> Any:
    return ctx.client("route53-recovery-control-config", ARC_CONFIG_REGION)


@REGISTRY.register("aws:route53recoverycontrol/cluster:Cluster", "route53-recovery-control-config")
def create_arc_cluster(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """ARC cluster (served by finstack's moto extension)."""
    cluster = _arc(ctx).create_cluster(ClusterName=physical_name(name, inputs))["Cluster"]
    endpoints = [{"endpoint": e["Endpoint"], "region": e["Region"]} for e in cluster.get("ClusterEndpoints", [])]
    return cluster["ClusterArn"], {
        "arn": cluster["ClusterArn"],
        "clusterEndpoints": endpoints,
        "status": cluster.get("Status", "DEPLOYED"),
    }


@REGISTRY.register("aws:route53recoverycontrol/controlPanel:ControlPanel", "route53-recovery-control-config")
def create_control_panel(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """ARC control panel."""
    panel = _arc(ctx).create_control_panel(
        ClusterArn=inputs["clusterArn"], ControlPanelName=physical_name(name, inputs)
    )["ControlPanel"]
    return panel["ControlPanelArn"], {"arn": panel["ControlPanelArn"], "status": panel.get("Status", "DEPLOYED")}


@REGISTRY.register("aws:route53recoverycontrol/routingControl:RoutingControl", "route53-recovery-control-config")
def create_routing_control(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """ARC routing control (created Off, as AWS does)."""
    kwargs: dict[str, Any] = {"ClusterArn": inputs["clusterArn"], "RoutingControlName": physical_name(name, inputs)}
    if inputs.get("controlPanelArn"):
        kwargs["ControlPanelArn"] = inputs["controlPanelArn"]
    control = _arc(ctx).create_routing_control(**kwargs)["RoutingControl"]
    return control["RoutingControlArn"], {
        "arn": control["RoutingControlArn"],
        "status": control.get("Status", "DEPLOYED"),
    }


@REGISTRY.register("aws:route53recoverycontrol/safetyRule:SafetyRule", "route53-recovery-control-config")
def create_safety_rule(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """ARC assertion safety rule (e.g. at least one cell on)."""
    criteria = inputs.get("ruleConfig") or {}
    rule_config = {
        "Inverted": bool(criteria.get("inverted", False)),
        "Threshold": int(criteria.get("threshold", 1)),
        "Type": criteria.get("type", "ATLEAST"),
    }
    rule = _arc(ctx).create_safety_rule(
        AssertionRule={
            "AssertedControls": list(inputs.get("assertedControls") or []),
            "ControlPanelArn": inputs["controlPanelArn"],
            "Name": physical_name(name, inputs),
            "RuleConfig": rule_config,
            "WaitPeriodMs": int(inputs.get("waitPeriodMs", 5000)),
        }
    )
    arn = (rule.get("AssertionRule") or {}).get("SafetyRuleArn", "")
    return arn, {"arn": arn, "status": "DEPLOYED"}


def _delete_query_log(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    _route53(ctx).delete_query_logging_config(Id=resource_id)


@REGISTRY.register("aws:route53/queryLog:QueryLog", "route53", _delete_query_log)
def create_query_log(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """DNS query logging of a public zone into a us-east-1 log group (moto refuses a missing group or zone)."""
    config = _route53(ctx).create_query_logging_config(
        HostedZoneId=inputs["zoneId"], CloudWatchLogsLogGroupArn=inputs["cloudwatchLogGroupArn"]
    )["QueryLoggingConfig"]
    return config["Id"], {"arn": f"arn:aws:route53:::queryloggingconfig/{config['Id']}"}
