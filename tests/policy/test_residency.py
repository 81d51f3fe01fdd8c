"""Residency policies: every regional resource (before it is created) and every provider."""

from __future__ import annotations

from tests.policy import factories as f
from tests.policy.helpers import ACCOUNT, DELETE, PRIMARY, SECONDARY, UNKNOWN, check, check_stack, edit, resource, urn

US = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
CONFIG = {"allowedRegions": US}
SHOWN = ", ".join(US)
UNCONFIGURED = "Residency allowedRegions must be configured for this stack (policy/config.<stack>.json)."


def test_resource_region_in_jurisdiction__compliant_stack_passes():
    for r in f.compliant_stack().resources:
        assert check("resource-region-in-jurisdiction", r.resource_type, r.props, name=r.name, config=CONFIG) == []


def test_resource_region_in_jurisdiction__unconfigured_fails_closed_on_each_resource():
    assert check("resource-region-in-jurisdiction", f.T_LOG_GROUP, f.log_group()) == [UNCONFIGURED]


def test_resource_region_in_jurisdiction__resource_outside_jurisdiction_fails():
    props = f.log_group("eu-west-1")
    assert check("resource-region-in-jurisdiction", f.T_LOG_GROUP, props, name="stray-logs", config=CONFIG) == [
        f"stray-logs region eu-west-1 must be one of {SHOWN}."
    ]


def test_resource_region_in_jurisdiction__region_inherited_from_provider():
    props = edit(f.sns_topic(), {"region": DELETE})
    found = check(
        "resource-region-in-jurisdiction", f.T_TOPIC, props, name="eu-topic", config=CONFIG, provider_region="eu-west-1"
    )
    assert found == [f"eu-topic region eu-west-1 must be one of {SHOWN}."]


def test_resource_region_in_jurisdiction__explicit_region_wins_over_provider():
    props = edit(f.sns_topic(), {"region": "eu-west-1"})
    assert check("resource-region-in-jurisdiction", f.T_TOPIC, props, name="t", config=CONFIG) == [
        f"t region eu-west-1 must be one of {SHOWN}."
    ]


def test_resource_region_in_jurisdiction__unknown_region_fails():
    props = edit(f.sns_topic(), {"region": UNKNOWN})
    found = check(
        "resource-region-in-jurisdiction", f.T_TOPIC, props, name="lost-topic", config=CONFIG, provider_region=None
    )
    assert found == [f"lost-topic must have a known region, one of {SHOWN}."]


def test_resource_region_in_jurisdiction__cross_region_reference_fails():
    stack = f.compliant_stack()
    name = f"msk-{SECONDARY}-replicator"
    props = edit(
        stack.props(name),
        {"kafkaClusters.0.amazonMskCluster.mskClusterArn": f"arn:aws:kafka:eu-west-1:{ACCOUNT}:cluster/prod-euw1/z"},
    )
    assert check("resource-region-in-jurisdiction", f.T_REPLICATOR, props, name=name, config=CONFIG) == [
        f"{name} references region eu-west-1, which must be one of {SHOWN}."
    ]


def test_resource_region_in_jurisdiction__source_region_property_checked():
    stack = f.compliant_stack()
    name = f"aurora-{SECONDARY}-cluster"
    props = edit(stack.props(name), {"sourceRegion": "eu-west-1"})
    assert check("resource-region-in-jurisdiction", f.T_CLUSTER, props, name=name, config=CONFIG) == [
        f"{name} references region eu-west-1, which must be one of {SHOWN}."
    ]


def test_resource_region_in_jurisdiction__global_and_kubernetes_resources_exempt():
    hc = {"fqdn": "api.pay.example.com", "regions": ["eu-west-1", "ap-southeast-1"]}
    for type_, props in ((f.T_ROLE, f.node_role()), (f.T_HEALTH_CHECK, hc), (f.T_NAMESPACE, f.namespace())):
        assert check("resource-region-in-jurisdiction", type_, props, config=CONFIG, provider_region=None) == []


def test_resource_region_in_jurisdiction__primary_only_allow_list_flags_secondary():
    stack = f.compliant_stack()
    found = [
        message
        for r in stack.resources
        for message in check(
            "resource-region-in-jurisdiction",
            r.resource_type,
            r.props,
            name=r.name,
            config={"allowedRegions": [PRIMARY]},
            provider_region=None,
        )
    ]
    assert found and all(f"must be one of {PRIMARY}." in message for message in found)


def test_provider_region_in_jurisdiction__compliant_stack_passes():
    assert check_stack("provider-region-in-jurisdiction", f.compliant_stack().resources, config=CONFIG) == []


def test_provider_region_in_jurisdiction__unconfigured_fails_closed_once():
    assert check_stack("provider-region-in-jurisdiction", f.compliant_stack().resources) == [(UNCONFIGURED, None)]


def test_provider_region_in_jurisdiction__provider_outside_jurisdiction_fails():
    stack = f.compliant_stack()
    stack.add(f.T_AWS_PROVIDER, "aws-eu", {"region": "eu-central-1"})
    assert check_stack("provider-region-in-jurisdiction", stack.resources, config=CONFIG) == [
        (f"aws-eu region eu-central-1 must be one of {SHOWN}.", urn(f.T_AWS_PROVIDER, "aws-eu"))
    ]


def test_provider_region_in_jurisdiction__provider_without_region_fails():
    stack = f.compliant_stack()
    stack.resources.append(resource(f.T_AWS_PROVIDER, "aws-unset", {"region": UNKNOWN}, provider_region=None))
    assert check_stack("provider-region-in-jurisdiction", stack.resources, config=CONFIG) == [
        (f"aws-unset must have a known region, one of {SHOWN}.", urn(f.T_AWS_PROVIDER, "aws-unset"))
    ]
