"""Residency policy."""

from __future__ import annotations

from tests.policy import factories as f
from tests.policy.helpers import ACCOUNT, DELETE, PRIMARY, SECONDARY, UNKNOWN, check_stack, edit, resource, urn

US = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
CONFIG = {"allowedRegions": US}
SHOWN = ", ".join(US)


def test_resource_region_in_jurisdiction__compliant_stack_passes():
    assert check_stack("resource-region-in-jurisdiction", f.compliant_stack().resources, config=CONFIG) == []


def test_resource_region_in_jurisdiction__unconfigured_fails_closed():
    assert check_stack("resource-region-in-jurisdiction", f.compliant_stack().resources) == [
        ("Residency allowedRegions must be configured for this stack (policy/config.<stack>.json).", None)
    ]


def test_resource_region_in_jurisdiction__resource_outside_jurisdiction_fails():
    stack = f.compliant_stack()
    stack.add(f.T_LOG_GROUP, "stray-logs", f.log_group("eu-west-1"))
    assert check_stack("resource-region-in-jurisdiction", stack.resources, config=CONFIG) == [
        (f"stray-logs region eu-west-1 must be one of {SHOWN}.", urn(f.T_LOG_GROUP, "stray-logs"))
    ]


def test_resource_region_in_jurisdiction__provider_outside_jurisdiction_fails():
    stack = f.compliant_stack()
    stack.add(f.T_AWS_PROVIDER, "aws-eu", {"region": "eu-central-1"})
    assert check_stack("resource-region-in-jurisdiction", stack.resources, config=CONFIG) == [
        (f"aws-eu region eu-central-1 must be one of {SHOWN}.", urn(f.T_AWS_PROVIDER, "aws-eu"))
    ]


def test_resource_region_in_jurisdiction__region_inherited_from_provider():
    stack = f.compliant_stack()
    stack.resources.append(
        resource(f.T_TOPIC, "eu-topic", edit(f.sns_topic(), {"region": DELETE}), provider_region="eu-west-1")
    )
    assert check_stack("resource-region-in-jurisdiction", stack.resources, config=CONFIG) == [
        (f"eu-topic region eu-west-1 must be one of {SHOWN}.", urn(f.T_TOPIC, "eu-topic"))
    ]


def test_resource_region_in_jurisdiction__unknown_region_fails():
    stack = f.compliant_stack()
    stack.resources.append(
        resource(f.T_TOPIC, "lost-topic", edit(f.sns_topic(), {"region": UNKNOWN}), provider_region=None)
    )
    assert check_stack("resource-region-in-jurisdiction", stack.resources, config=CONFIG) == [
        (f"lost-topic must have a known region, one of {SHOWN}.", urn(f.T_TOPIC, "lost-topic"))
    ]


def test_resource_region_in_jurisdiction__cross_region_reference_fails():
    stack = f.compliant_stack()
    name = f"msk-{SECONDARY}-replicator"
    props = edit(
        stack.props(name),
        {"kafkaClusters.0.amazonMskCluster.mskClusterArn": f"arn:aws:kafka:eu-west-1:{ACCOUNT}:cluster/prod-euw1/z"},
    )
    assert check_stack("resource-region-in-jurisdiction", stack.replace(name, props), config=CONFIG) == [
        (f"{name} references region eu-west-1, which must be one of {SHOWN}.", urn(f.T_REPLICATOR, name))
    ]


def test_resource_region_in_jurisdiction__source_region_property_checked():
    stack = f.compliant_stack()
    name = f"aurora-{SECONDARY}-cluster"
    props = edit(stack.props(name), {"sourceRegion": "eu-west-1"})
    assert check_stack("resource-region-in-jurisdiction", stack.replace(name, props), config=CONFIG) == [
        (f"{name} references region eu-west-1, which must be one of {SHOWN}.", urn(f.T_CLUSTER, name))
    ]


def test_resource_region_in_jurisdiction__global_and_kubernetes_resources_exempt():
    resources = [
        resource(f.T_ROLE, "role", f.node_role(), provider_region=None),
        resource(
            f.T_HEALTH_CHECK,
            "hc",
            {"fqdn": "api.pay.example.com", "regions": ["eu-west-1", "ap-southeast-1"]},
            provider_region=None,
        ),
        resource(f.T_NAMESPACE, "ns", f.namespace(), provider_region=None),
    ]
    assert check_stack("resource-region-in-jurisdiction", resources, config=CONFIG) == []


def test_resource_region_in_jurisdiction__primary_only_allow_list_flags_secondary():
    found = check_stack(
        "resource-region-in-jurisdiction", f.compliant_stack().resources, config={"allowedRegions": [PRIMARY]}
    )
    assert found and all(f"must be one of {PRIMARY}." in message for message, _ in found)
