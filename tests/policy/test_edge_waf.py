"""Edge policies for WAFv2: the web ACL's rules, metrics and logs, and the public ALB's association."""

from __future__ import annotations

import pytest

from tests.policy import factories as f
from tests.policy.helpers import (
    DELETE,
    PRIMARY,
    UNKNOWN,
    UNKNOWN_ARRAY,
    check,
    check_stack,
    edit,
    messages,
    urn,
)

ACL_NAME = f"edge-{PRIMARY}-web-acl"
LOGGING_NAME = f"edge-{PRIMARY}-logging"
ASSOCIATION_NAME = f"edge-{PRIMARY}-association"
LB_NAME = f"traffic-alb-{PRIMARY}"
ACL_URN = urn(f.T_WEB_ACL, ACL_NAME)
LB_URN = urn(f.T_LB, LB_NAME)
LOGGING_URN = urn(f.T_WEB_ACL_LOGGING, LOGGING_NAME)
COMMON = "AWSManagedRulesCommonRuleSet"


def acl_without_rule(index: int) -> dict:
    props = f.web_acl()
    del props["rules"][index]
    return props


# --- wafv2-web-acl-managed-rules ------------------------------------------------------------------


def test_wafv2_web_acl_managed_rules__compliant_passes():
    assert check("wafv2-web-acl-managed-rules", f.T_WEB_ACL, f.web_acl()) == []


def test_wafv2_web_acl_managed_rules__other_types_are_ignored():
    assert check("wafv2-web-acl-managed-rules", f.T_LB, f.load_balancer()) == []


def test_wafv2_web_acl_managed_rules__missing_group_fails():
    assert check("wafv2-web-acl-managed-rules", f.T_WEB_ACL, acl_without_rule(4)) == [
        "Web ACL must run the AWS managed rule group AWSManagedRulesAmazonIpReputationList."
    ]


def test_wafv2_web_acl_managed_rules__count_override_fails():
    props = edit(f.web_acl(), {"rules.1.overrideAction": {"count": {}}})
    assert check("wafv2-web-acl-managed-rules", f.T_WEB_ACL, props) == [
        f"Web ACL rule aws-{COMMON} must enforce managed rule group {COMMON} (overrideAction none), not only count it."
    ]


def test_wafv2_web_acl_managed_rules__group_of_another_vendor_does_not_count():
    props = edit(f.web_acl(), {"rules.2.statement.managedRuleGroupStatement.vendorName": "SomeMarketplaceSeller"})
    assert check("wafv2-web-acl-managed-rules", f.T_WEB_ACL, props) == [
        "Web ACL must run the AWS managed rule group AWSManagedRulesKnownBadInputsRuleSet."
    ]


def test_wafv2_web_acl_managed_rules__required_groups_come_from_config():
    props = acl_without_rule(4)
    config = {"requiredManagedGroups": [COMMON]}
    assert check("wafv2-web-acl-managed-rules", f.T_WEB_ACL, props, config=config) == []


def test_wafv2_web_acl_managed_rules__unknown_rules_fail():
    props = edit(f.web_acl(), {"rules": UNKNOWN_ARRAY})
    [message] = check("wafv2-web-acl-managed-rules", f.T_WEB_ACL, props)
    assert message.startswith("Web ACL rules is unknown at preview")


# --- wafv2-web-acl-rate-limited -------------------------------------------------------------------


def test_wafv2_web_acl_rate_limited__compliant_passes():
    assert check("wafv2-web-acl-rate-limited", f.T_WEB_ACL, f.web_acl()) == []


def test_wafv2_web_acl_rate_limited__no_rate_rule_fails():
    assert check("wafv2-web-acl-rate-limited", f.T_WEB_ACL, acl_without_rule(0)) == [
        "Web ACL must have a rate-based rule per client IP (rateBasedStatement)."
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"rules.0.action": {"count": {}}}, "must block (action block) the clients over the limit"),
        (
            {"rules.0.statement.rateBasedStatement.aggregateKeyType": "CONSTANT"},
            "must aggregate per client (aggregateKeyType IP or FORWARDED_IP), not CONSTANT",
        ),
        (
            {"rules.0.statement.rateBasedStatement.limit": 20000},
            "limit must be at most 10000 requests per window, not 20000",
        ),
    ],
)
def test_wafv2_web_acl_rate_limited__weak_rate_rule_fails(changes, problem):
    props = edit(f.web_acl(), changes)
    assert check("wafv2-web-acl-rate-limited", f.T_WEB_ACL, props) == [
        f"Web ACL rate-based rule rate-per-client-ip {problem}."
    ]


def test_wafv2_web_acl_rate_limited__maximum_comes_from_config():
    props = edit(f.web_acl(), {"rules.0.statement.rateBasedStatement.limit": 20000})
    assert check("wafv2-web-acl-rate-limited", f.T_WEB_ACL, props, config={"maxRateLimit": 50000}) == []


def test_wafv2_web_acl_rate_limited__forwarded_ip_passes():
    props = edit(f.web_acl(), {"rules.0.statement.rateBasedStatement.aggregateKeyType": "FORWARDED_IP"})
    assert check("wafv2-web-acl-rate-limited", f.T_WEB_ACL, props) == []


# --- wafv2-web-acl-metrics-enabled ----------------------------------------------------------------


def test_wafv2_web_acl_metrics_enabled__compliant_passes():
    assert check("wafv2-web-acl-metrics-enabled", f.T_WEB_ACL, f.web_acl()) == []


def test_wafv2_web_acl_metrics_enabled__web_acl_metrics_off_fails():
    props = edit(f.web_acl(), {"visibilityConfig.cloudwatchMetricsEnabled": False})
    assert check("wafv2-web-acl-metrics-enabled", f.T_WEB_ACL, props) == [
        "Web ACL visibilityConfig.cloudwatchMetricsEnabled must be true."
    ]


def test_wafv2_web_acl_metrics_enabled__rule_metrics_off_fails():
    props = edit(f.web_acl(), {"rules.3.visibilityConfig.cloudwatchMetricsEnabled": False})
    assert check("wafv2-web-acl-metrics-enabled", f.T_WEB_ACL, props) == [
        "Web ACL rule aws-AWSManagedRulesSQLiRuleSet visibilityConfig.cloudwatchMetricsEnabled must be true."
    ]


# --- wafv2-web-acl-logging-redacted ---------------------------------------------------------------


def test_wafv2_web_acl_logging_redacted__compliant_passes():
    assert check_stack("wafv2-web-acl-logging-redacted", f.edge_stack().resources) == []


def test_wafv2_web_acl_logging_redacted__no_logging_fails():
    found = check_stack("wafv2-web-acl-logging-redacted", f.edge_stack().without(LOGGING_NAME))
    assert found == [
        (f"Web ACL {ACL_NAME} must log its traffic (aws.wafv2.WebAclLoggingConfiguration).", ACL_URN),
    ]


def test_wafv2_web_acl_logging_redacted__cookie_kept_fails():
    props = edit(f.waf_logging(), {"redactedFields": [{"singleHeader": {"name": "Authorization"}}]})
    found = check_stack("wafv2-web-acl-logging-redacted", f.edge_stack().replace(LOGGING_NAME, props))
    assert found == [
        (f"Web ACL {ACL_NAME} logging must redact the cookie header(s) (redactedFields singleHeader).", LOGGING_URN)
    ]


def test_wafv2_web_acl_logging_redacted__destination_without_prefix_fails():
    arn = f"arn:aws:logs:{PRIMARY}:111122223333:log-group:/finstack/waf"
    props = edit(f.waf_logging(), {"logDestinationConfigs": [arn]})
    found = check_stack("wafv2-web-acl-logging-redacted", f.edge_stack().replace(LOGGING_NAME, props))
    assert messages(found) == [
        f"Web ACL {ACL_NAME} logging destination /finstack/waf must be named aws-waf-logs-...; WAF refuses any other."
    ]


def test_wafv2_web_acl_logging_redacted__unknown_destination_resolves_to_the_log_group():
    stack = f.edge_stack()
    group = stack.props(f"edge-{PRIMARY}-logs")
    stack.replace(f"edge-{PRIMARY}-logs", edit(group, {"name": "/finstack/waf"}))
    props = edit(f.waf_logging(), {"logDestinationConfigs": [UNKNOWN], "resourceArn": UNKNOWN})
    found = check_stack("wafv2-web-acl-logging-redacted", stack.replace(LOGGING_NAME, props))
    assert messages(found) == [
        f"Web ACL {ACL_NAME} logging destination /finstack/waf must be named aws-waf-logs-...; WAF refuses any other."
    ]


# --- lb-public-waf-rate-limited -------------------------------------------------------------------


def test_lb_public_waf_rate_limited__compliant_passes():
    assert check_stack("lb-public-waf-rate-limited", f.edge_stack().resources) == []


def test_lb_public_waf_rate_limited__no_association_fails():
    found = check_stack("lb-public-waf-rate-limited", f.edge_stack().without(ASSOCIATION_NAME))
    assert found == [
        (
            f"Internet-facing load balancer {LB_NAME} must be associated with a WAFv2 web ACL "
            "(aws.wafv2.WebAclAssociation).",
            LB_URN,
        )
    ]


def test_lb_public_waf_rate_limited__web_acl_without_rate_rule_fails():
    found = check_stack("lb-public-waf-rate-limited", f.edge_stack().replace(ACL_NAME, acl_without_rule(0)))
    assert found == [
        (
            f"Internet-facing load balancer {LB_NAME} web ACL must have a rate-based rule per client IP that blocks.",
            LB_URN,
        )
    ]


def test_lb_public_waf_rate_limited__association_resolves_by_dependency_at_preview():
    acl = edit(f.web_acl(), {"arn": UNKNOWN})
    stack = f.edge_stack()
    stack.replace(ACL_NAME, acl)
    association = {"region": PRIMARY, "resourceArn": UNKNOWN, "webAclArn": UNKNOWN}
    assert check_stack("lb-public-waf-rate-limited", stack.replace(ASSOCIATION_NAME, association)) == []


def test_lb_public_waf_rate_limited__internal_lb_needs_none():
    lb = edit(f.load_balancer(), {"internal": True, "tags": f.cell_tags(PRIMARY)})
    resources = [r for r in f.edge_stack().replace(LB_NAME, lb) if r.name != ASSOCIATION_NAME]
    assert check_stack("lb-public-waf-rate-limited", resources) == []


def test_lb_public_waf_rate_limited__unset_type_is_application():
    lb = edit(f.load_balancer(), {"loadBalancerType": DELETE})
    resources = [r for r in f.edge_stack().replace(LB_NAME, lb) if r.name != ASSOCIATION_NAME]
    assert [urn_ for _, urn_ in check_stack("lb-public-waf-rate-limited", resources)] == [LB_URN]
