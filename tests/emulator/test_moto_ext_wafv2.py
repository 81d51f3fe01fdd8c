"""WAFv2 in the emulator refuses what AWS refuses, and the edge handlers deploy the web ACL as declared."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from components.edge_defence import REDACTED_HEADERS, WAF_LOG_PREFIX
from finstack.emulator.gateway import AwsGateway
from finstack.emulator.handlers import HandlerContext, load_all
from finstack.emulator.handlers.edge import api_shape
from tests.emulator.moto_ext_fixtures import EAST, WEST, aws_fixture, clock_fixture  # noqa: F401 - fixtures by name

pytestmark = pytest.mark.usefixtures("aws")

ACCOUNT = "123456789012"
VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "edge"}


def load_balancer(region: str = EAST, kind: str = "application", name: str = "api") -> str:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    elb = boto3.client("elbv2", region_name=region)
    created = elb.create_load_balancer(Name=name, Subnets=subnets, Type=kind, Scheme="internet-facing")
    return str(created["LoadBalancers"][0]["LoadBalancerArn"])


def web_acl(region: str = EAST, name: str = "edge") -> str:
    waf = boto3.client("wafv2", region_name=region)
    summary = waf.create_web_acl(
        Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=VISIBILITY, Rules=[]
    )["Summary"]
    return str(summary["ARN"])


def error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


# --- AssociateWebACL --------------------------------------------------------------------------------


def test_associate_web_acl__an_application_load_balancer_of_its_region_is_protected() -> None:
    acl, alb = web_acl(), load_balancer()
    waf = boto3.client("wafv2", region_name=EAST)
    waf.associate_web_acl(WebACLArn=acl, ResourceArn=alb)
    assert waf.get_web_acl_for_resource(ResourceArn=alb)["WebACL"]["ARN"] == acl


def test_list_resources_for_web_acl__names_the_protected_albs() -> None:
    # moto lacks the call; posture scanners (Prowler's elbv2_waf_acl_attached) ask it.
    acl, alb = web_acl(), load_balancer()
    waf = boto3.client("wafv2", region_name=EAST)
    assert waf.list_resources_for_web_acl(WebACLArn=acl)["ResourceArns"] == []
    waf.associate_web_acl(WebACLArn=acl, ResourceArn=alb)
    assert waf.list_resources_for_web_acl(WebACLArn=acl, ResourceType="APPLICATION_LOAD_BALANCER")["ResourceArns"] == [
        alb
    ]
    assert waf.list_resources_for_web_acl(WebACLArn=acl, ResourceType="API_GATEWAY")["ResourceArns"] == []
    with pytest.raises(ClientError) as err:
        waf.list_resources_for_web_acl(WebACLArn=acl.replace(acl.rsplit("/", 1)[1], "0" * 36))
    assert error_code(err) == "WAFNonexistentItemException"


def test_associate_web_acl__a_network_load_balancer_is_refused() -> None:
    acl, nlb = web_acl(), load_balancer(kind="network", name="nlb")
    with pytest.raises(ClientError) as err:
        boto3.client("wafv2", region_name=EAST).associate_web_acl(WebACLArn=acl, ResourceArn=nlb)
    assert error_code(err) == "WAFInvalidParameterException"
    assert "network load balancer" in str(err.value)


def test_associate_web_acl__a_load_balancer_that_does_not_exist_is_refused() -> None:
    acl = web_acl()
    missing = f"arn:aws:elasticloadbalancing:{EAST}:{ACCOUNT}:loadbalancer/app/gone/0123456789abcdef"
    with pytest.raises(ClientError) as err:
        boto3.client("wafv2", region_name=EAST).associate_web_acl(WebACLArn=acl, ResourceArn=missing)
    assert error_code(err) == "WAFNonexistentItemException"


def test_associate_web_acl__a_load_balancer_of_another_region_is_refused() -> None:
    acl, alb = web_acl(EAST), load_balancer(WEST)
    with pytest.raises(ClientError) as err:
        boto3.client("wafv2", region_name=EAST).associate_web_acl(WebACLArn=acl, ResourceArn=alb)
    assert error_code(err) == "WAFInvalidParameterException"


# --- PutLoggingConfiguration ------------------------------------------------------------------------


def put_logging(acl: str, destination: str) -> dict[str, Any]:
    waf = boto3.client("wafv2", region_name=EAST)
    configuration = {"ResourceArn": acl, "LogDestinationConfigs": [destination]}
    return dict(waf.put_logging_configuration(LoggingConfiguration=configuration))


def log_group_arn(name: str) -> str:
    boto3.client("logs", region_name=EAST).create_log_group(logGroupName=name)
    return f"arn:aws:logs:{EAST}:{ACCOUNT}:log-group:{name}"


def test_put_logging_configuration__an_aws_waf_logs_log_group_is_accepted() -> None:
    acl = web_acl()
    destination = log_group_arn(f"{WAF_LOG_PREFIX}edge")
    assert put_logging(acl, destination)["LoggingConfiguration"]["LogDestinationConfigs"] == [destination]


def test_put_logging_configuration__a_destination_without_the_prefix_is_refused() -> None:
    acl = web_acl()
    with pytest.raises(ClientError) as err:
        put_logging(acl, log_group_arn("/finstack/waf"))
    assert error_code(err) == "WAFInvalidParameterException"
    assert "LOG_DESTINATION" in str(err.value)


def test_put_logging_configuration__a_web_acl_that_does_not_exist_is_refused() -> None:
    missing = f"arn:aws:wafv2:{EAST}:{ACCOUNT}:regional/webacl/gone/0f1e2d3c"
    with pytest.raises(ClientError) as err:
        put_logging(missing, log_group_arn(f"{WAF_LOG_PREFIX}edge"))
    assert error_code(err) == "WAFNonexistentItemException"


# --- the edge handlers --------------------------------------------------------------------------


def test_api_shape__pulumi_wire_names_become_the_waf_api_shape() -> None:
    rule = {
        "name": "rate-per-client-ip",
        "priority": 0.0,
        "action": {"block": {}},
        "statement": {"rateBasedStatement": {"aggregateKeyType": "IP", "limit": 2000.0, "evaluationWindowSec": 300.0}},
        "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "rate", "sampledRequestsEnabled": True},
    }
    assert api_shape(rule) == {
        "Name": "rate-per-client-ip",
        "Priority": 0,
        "Action": {"Block": {}},
        "Statement": {"RateBasedStatement": {"AggregateKeyType": "IP", "Limit": 2000, "EvaluationWindowSec": 300}},
        "VisibilityConfig": {"CloudWatchMetricsEnabled": True, "MetricName": "rate", "SampledRequestsEnabled": True},
    }


def test_edge_handlers__deploy_the_web_acl_in_front_of_the_alb_with_redacted_logs() -> None:
    # Given the registry's WAFv2 handlers and an ALB and log group in the emulated account
    registry = load_all()
    ctx = HandlerContext(gateway=AwsGateway(), region=EAST, account_id=ACCOUNT)
    alb = load_balancer()
    destination = log_group_arn(f"{WAF_LOG_PREFIX}finstack-prod-{EAST}")
    rules = [
        {
            "name": "aws-AWSManagedRulesCommonRuleSet",
            "priority": 1.0,
            "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}},
            "visibilityConfig": {
                "cloudwatchMetricsEnabled": True,
                "metricName": "common",
                "sampledRequestsEnabled": True,
            },
        }
    ]
    # When the web ACL, its association and its logging are created as the program declares them
    handler = registry.get("aws:wafv2/webAcl:WebAcl")
    assert handler is not None
    acl_id, acl = handler.create(
        ctx,
        "edge-us-east-1-web-acl",
        {
            "name": "finstack-prod-use1-edge",
            "scope": "REGIONAL",
            "defaultAction": {"allow": {}},
            "rules": rules,
            "visibilityConfig": {
                "cloudwatchMetricsEnabled": True,
                "metricName": "edge",
                "sampledRequestsEnabled": True,
            },
            "tags": {"finstack:cell": EAST},
        },
    )
    association = registry.get("aws:wafv2/webAclAssociation:WebAclAssociation")
    logging = registry.get("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert association is not None and logging is not None
    association.create(ctx, "edge-us-east-1-association", {"webAclArn": acl["arn"], "resourceArn": alb})
    redacted = [{"singleHeader": {"name": header}} for header in REDACTED_HEADERS]
    logging.create(
        ctx,
        "edge-us-east-1-logging",
        {"resourceArn": acl["arn"], "logDestinationConfigs": [destination], "redactedFields": redacted},
    )
    # Then WAF protects the ALB with those rules and logs without the credential headers
    waf = boto3.client("wafv2", region_name=EAST)
    found = waf.get_web_acl_for_resource(ResourceArn=alb)["WebACL"]
    assert (found["Id"], found["Name"]) == (acl_id, "finstack-prod-use1-edge")
    assert found["Rules"][0]["Statement"]["ManagedRuleGroupStatement"]["Name"] == "AWSManagedRulesCommonRuleSet"
    logged = waf.get_logging_configuration(ResourceArn=acl["arn"])["LoggingConfiguration"]
    assert logged["LogDestinationConfigs"] == [destination]
    assert logged["RedactedFields"] == [{"SingleHeader": {"Name": h}} for h in REDACTED_HEADERS]
