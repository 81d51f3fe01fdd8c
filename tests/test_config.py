"""The stack config model: every validation branch gives one exact message naming the key."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.subnet_plan import largest_prefix_for
from infra.config import ConfigError, StackConfig, load_stack_config

ROOT = Path(__file__).resolve().parent.parent


def shipped(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def broken(edit: Callable[[dict[str, Any]], None], stack: str = "prod") -> str:
    """Apply `edit` to a copy of a shipped config and return the single problem it causes."""
    raw = copy.deepcopy(shipped(stack))
    edit(raw)
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


def test_config__shipped_stacks_load() -> None:
    dev = load_stack_config(shipped("dev"))
    prod = load_stack_config(shipped("prod"))
    assert (dev.environment, prod.environment) == ("dev", "prod")
    assert prod.primary.name == "us-east-1"
    assert [r.name for r in prod.secondaries] == ["us-west-2"]
    assert all(r.azs == 3 for r in prod.regions)
    assert prod.aurora.instances_per_region >= 2


def test_config__structured_values_arrive_as_json_text() -> None:
    # Given the config bag as the Pulumi engine hands it to a program (JSON text)
    import json

    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in shipped("prod").items()}
    # Then it validates to the same model as the decoded YAML
    assert load_stack_config(raw) == load_stack_config(shipped("prod"))


def test_config__model_is_frozen() -> None:
    config = load_stack_config(shipped("prod"))
    with pytest.raises(Exception, match="frozen"):
        config.environment = "dev"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("us_east_1", "finstack:regions[1].name: 'us_east_1' is not an AWS region name; write it like us-east-1"),
        ("us-east-9", "finstack:regions[1].name: 'us-east-9' is not a region finstack supports; use one of "),
    ],
)
def test_config__unknown_or_malformed_region(name: str, expected: str) -> None:
    problem = broken(lambda raw: raw["finstack:regions"][1].update(name=name))
    assert problem.startswith(expected)


def test_config__region_outside_residency() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:regions"][1]["name"] = "eu-west-1"

    assert broken(edit) == (
        "finstack:regions[1].name: eu-west-1 is outside finstack:residency 'us' "
        "(us-east-1, us-east-2, us-west-1, us-west-2); pick a region of that jurisdiction"
    )


def test_config__eu_residency_accepts_eu_regions_and_rejects_uk() -> None:
    raw = copy.deepcopy(shipped("prod"))
    raw.update({"aws:region": "eu-central-1", "finstack:residency": "eu"})
    raw["finstack:regions"][0]["name"] = "eu-central-1"
    raw["finstack:regions"][1]["name"] = "eu-west-1"
    assert load_stack_config(raw).primary.name == "eu-central-1"
    raw["finstack:regions"][1]["name"] = "eu-west-2"
    with pytest.raises(ConfigError, match=r"eu-west-2 is outside finstack:residency 'eu'"):
        load_stack_config(raw)


def test_config__unknown_residency() -> None:
    assert broken(lambda raw: raw.update({"finstack:residency": "mars"})).startswith(
        "finstack:residency: 'mars' is not a jurisdiction finstack knows; use one of us, eu"
    )


def test_config__public_cidr() -> None:
    assert broken(lambda raw: raw["finstack:regions"][1].update(cidr="8.8.0.0/16")) == (
        "finstack:regions[1].cidr: 8.8.0.0/16 is not private address space; "
        "use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
    )


def test_config__cgnat_space_is_not_private_enough() -> None:
    assert "100.64.0.0/16 is not private address space" in broken(
        lambda raw: raw["finstack:regions"][1].update(cidr="100.64.0.0/16")
    )


def test_config__overlapping_cidrs() -> None:
    assert broken(lambda raw: raw["finstack:regions"][1].update(cidr="10.10.128.0/17")) == (
        "finstack:regions[1].cidr: 10.10.128.0/17 (us-west-2) overlaps 10.10.0.0/16 (us-east-1); "
        "give every cell its own block so the VPCs can be peered"
    )


def test_config__cidr_too_small_for_subnet_plan() -> None:
    assert broken(lambda raw: raw["finstack:regions"][1].update(cidr="10.20.0.0/24")) == (
        "finstack:regions[1].cidr: 10.20.0.0/24 is too small for the subnet plan of 3 AZs "
        "(app subnets would be /27, need /24 or larger); use a /21 or larger"
    )


def test_config__cidr_larger_than_a_vpc() -> None:
    assert broken(lambda raw: raw["finstack:regions"][1].update(cidr="10.0.0.0/8")) == (
        "finstack:regions[1].cidr: 10.0.0.0/8 is larger than AWS allows for a VPC; use a /16 to /21"
    )


def test_config__more_azs_than_the_region_has() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:regions"][1].update(name="us-west-1", azs=3)

    assert broken(edit) == (
        "finstack:regions[1].azs: us-west-1 offers 2 availability zones, not 3; lower azs to 2 or pick another region"
    )


def test_config__more_azs_than_eks_supports_in_the_region() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:regions"][0].update(azs=6)

    assert broken(edit) == (
        "finstack:regions[0].azs: us-east-1 offers 5 availability zones that Amazon EKS supports "
        "(use1-az3 excluded), not 6; lower azs to 5 or pick another region"
    )


def test_config__zone_ids_pin_the_cells_zones() -> None:
    raw = copy.deepcopy(shipped("prod"))
    raw["finstack:regions"][0]["zoneIds"] = ["use1-az6", "use1-az1", "use1-az2"]
    config = load_stack_config(raw)
    assert config.regions[0].zone_ids == ("use1-az6", "use1-az1", "use1-az2")
    assert config.regions[1].zone_ids is None


@pytest.mark.parametrize(
    ("zone_ids", "expected"),
    [
        (
            ["use1-az1", "use1-az2"],
            "finstack:regions[0].zoneIds: 2 listed for azs: 3; list one AZ ID per AZ or drop zoneIds",
        ),
        (
            ["use1-az1", "usw2-az1", "us-east-1c"],
            "finstack:regions[0].zoneIds: usw2-az1, us-east-1c: not an AZ ID of us-east-1; its AZ IDs look like "
            "use1-az1 (aws ec2 describe-availability-zones lists yours)",
        ),
        (
            ["use1-az1", "use1-az2", "use1-az1"],
            "finstack:regions[0].zoneIds: use1-az1 listed twice; every AZ of a cell must differ",
        ),
        (
            ["use1-az1", "use1-az3", "use1-az4"],
            "finstack:regions[0].zoneIds: Amazon EKS does not accept cluster subnets in use1-az3; "
            "choose other AZ IDs of us-east-1",
        ),
    ],
    ids=["count", "other region", "twice", "eks unsupported"],
)
def test_config__zone_ids_refused(zone_ids: list[str], expected: str) -> None:
    assert broken(lambda raw: raw["finstack:regions"][0].update(zoneIds=zone_ids)) == expected


@pytest.mark.parametrize("roles", [("secondary", "secondary"), ("primary", "primary")])
def test_config__not_exactly_one_primary(roles: tuple[str, str]) -> None:
    def edit(raw: dict[str, Any]) -> None:
        for region, role in zip(raw["finstack:regions"], roles, strict=True):
            region["role"] = role

    problem = broken(edit)
    assert problem.startswith("finstack:regions: exactly one region must have role: primary, found ")
    assert problem.endswith("; mark one primary and the others secondary")


def test_config__duplicate_region() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:regions"][1].update(name="us-east-1", cidr="10.20.0.0/16")

    assert broken(edit) == "finstack:regions: us-east-1 is listed twice; one cell per region"


def test_config__prod_needs_two_regions() -> None:
    assert broken(lambda raw: raw["finstack:regions"].pop()) == (
        "finstack:regions: prod needs at least two regions for active-active, found 1; add a secondary"
    )


def test_config__prod_needs_three_azs() -> None:
    assert broken(lambda raw: raw["finstack:regions"][1].update(azs=2)) == (
        "finstack:regions[1].azs: prod needs 3 availability zones per region, us-west-2 has 2; set azs: 3"
    )


def test_config__dev_may_run_one_region_with_two_azs() -> None:
    raw = copy.deepcopy(shipped("dev"))
    raw["finstack:regions"].pop()
    assert len(load_stack_config(raw).regions) == 1


def test_config__aws_region_differs_from_primary() -> None:
    assert broken(lambda raw: raw.update({"aws:region": "us-west-2"})) == (
        "aws:region: us-west-2 differs from the primary region us-east-1; set aws:region to us-east-1"
    )


def test_config__duplicate_namespace() -> None:
    assert broken(lambda raw: raw.update({"finstack:namespaces": ["ledger", "risk", "ledger"]})) == (
        "finstack:namespaces: 'ledger' is listed twice; list each namespace once"
    )


def test_config__reserved_namespace() -> None:
    assert broken(lambda raw: raw.update({"finstack:namespaces": ["kube-system"]})).startswith(
        "finstack:namespaces: 'kube-system' is not a usable Kubernetes namespace"
    )


@pytest.mark.parametrize("tag", ["owner", "costCenter", "dataClassification"])
def test_config__missing_required_tag(tag: str) -> None:
    assert broken(lambda raw: raw["finstack:tags"].pop(tag)) == (
        f"finstack:tags: missing required tag(s) {tag}; add them under finstack:tags"
    )


def test_config__unknown_data_classification() -> None:
    assert broken(lambda raw: raw["finstack:tags"].update(dataClassification="secret-ish")) == (
        "finstack:tags: dataClassification 'secret-ish' is not one of public, internal, confidential, restricted"
    )


def test_config__unknown_finstack_key() -> None:
    assert broken(lambda raw: raw.update({"finstack:region": "us-east-1"})).startswith(
        "finstack:region: not a finstack setting; known keys are aws:region, finstack:aurora"
    )


def test_config__missing_required_key() -> None:
    assert broken(lambda raw: raw.pop("finstack:domain")) == (
        "finstack:domain: missing; it is required (see the README's config reference)"
    )


def test_config__unknown_nested_key_names_the_path() -> None:
    assert broken(lambda raw: raw["finstack:aurora"].update(instanceCount=3)) == (
        "finstack:aurora.instanceCount: Extra inputs are not permitted (got 3)"
    )


def test_config__bad_domain() -> None:
    assert broken(lambda raw: raw.update({"finstack:domain": "Pay_Example"})) == (
        "finstack:domain: 'Pay_Example' is not a DNS domain; write it lower-case like pay.example.com"
    )


def test_config__log_retention_not_a_cloudwatch_value() -> None:
    assert broken(lambda raw: raw.update({"finstack:logRetentionDays": 366})).startswith(
        "finstack:logRetentionDays: 366 is not a CloudWatch Logs retention; use one of (1, 3,"
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda raw: raw.update({"finstack:logRetentionDays": 90}),
            "finstack:logRetentionDays: prod keeps logs >= 365 days (PCI DSS 10.5.1), got 90",
        ),
        (
            lambda raw: raw["finstack:aurora"].update(backupRetentionDays=7),
            "finstack:aurora.backupRetentionDays: prod keeps 35 days of backups, got 7",
        ),
        (
            lambda raw: raw["finstack:aurora"].update(instancesPerRegion=1),
            "finstack:aurora.instancesPerRegion: prod needs >= 2 instances per region "
            "(writer + failover reader), got 1",
        ),
        (
            lambda raw: raw["finstack:aurora"].update(deletionProtection=False),
            "finstack:aurora.deletionProtection: prod must keep deletion protection on; set it to true",
        ),
        (
            lambda raw: raw["finstack:eks"].update(publicAccessCidrs=["203.0.113.0/24"]),
            "finstack:eks.publicAccessCidrs: prod keeps the Kubernetes API private; remove the list",
        ),
        (
            lambda raw: raw["finstack:keys"].update(deletionWindowDays=7),
            "finstack:keys.deletionWindowDays: prod uses 30 days, got 7",
        ),
        (
            lambda raw: raw["finstack:msk"].update(minInsyncReplicas=1),
            "finstack:msk: prod needs minInsyncReplicas >= 2 and defaultReplicationFactor >= 3, got 1 and 3",
        ),
    ],
)
def test_config__prod_floors(edit: Callable[[dict[str, Any]], None], expected: str) -> None:
    assert broken(edit) == expected


def test_config__eks_endpoint_never_open_to_the_internet() -> None:
    assert broken(lambda raw: raw["finstack:eks"].update(publicAccessCidrs=["0.0.0.0/0"]), "dev") == (
        "finstack:eks.publicAccessCidrs: 0.0.0.0/0 opens the Kubernetes API to the internet; "
        "list your office/VPN CIDRs instead"
    )


def test_config__eks_node_sizes_ordered() -> None:
    assert broken(lambda raw: raw["finstack:eks"].update(nodeMinSize=8)) == (
        "finstack:eks: nodeMinSize <= nodeDesiredSize <= nodeMaxSize must hold, got 8, 6, 12; reorder them"
    )


def test_config__eks_node_max_too_small_for_one_cell_to_carry_every_cell() -> None:
    # The drills raise only the desired size (never the maximum) to the sum of every cell's baseline.
    assert broken(lambda raw: raw["finstack:eks"].update(nodeMaxSize=11)) == (
        "finstack:eks.nodeMaxSize: 11 cannot carry all traffic in one cell: nodeDesiredSize 6 x 2 regions "
        "= 12 nodes after a failover; raise nodeMaxSize to at least 12"
    )


def test_config__eks_node_max_counts_every_region() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:regions"].append({"name": "us-east-2", "cidr": "10.30.0.0/16", "azs": 3})
        raw["finstack:traffic"]["arcEnabled"] = False

    assert broken(edit) == (
        "finstack:eks.nodeMaxSize: 12 cannot carry all traffic in one cell: nodeDesiredSize 6 x 3 regions "
        "= 18 nodes after a failover; raise nodeMaxSize to at least 18"
    )


def test_config__eks_node_max_exactly_the_whole_load_loads() -> None:
    raw = copy.deepcopy(shipped("dev"))
    eks = load_stack_config(raw).eks
    assert eks.node_max_size == eks.node_desired_size * len(raw["finstack:regions"]) == 4


def test_config__eks_kube_proxy_built_for_another_minor() -> None:
    # EKS offers each kube-proxy build for one cluster minor; the default pins are for 1.33.
    assert broken(lambda raw: raw["finstack:eks"].update(version="1.34")) == (
        "finstack:eks: addons.kube-proxy v1.33.3-eksbuild.4 is built for Kubernetes 1.33, not version 1.34; "
        "pin every add-on to a build for 1.34 "
        "(aws eks describe-addon-versions --kubernetes-version 1.34 --addon-name kube-proxy)"
    )


def test_config__eks_kube_proxy_matching_the_version_loads() -> None:
    raw = copy.deepcopy(shipped("prod"))
    addons = {"vpc-cni": "v1.20.4-eksbuild.2", "coredns": "v1.12.3-eksbuild.1", "kube-proxy": "v1.34.0-eksbuild.2"}
    raw["finstack:eks"].update(version="1.34", addons=addons)
    assert load_stack_config(raw).eks.addons["kube-proxy"] == "v1.34.0-eksbuild.2"


def test_config__eks_role_arn_malformed() -> None:
    assert broken(lambda raw: raw["finstack:eks"].update(adminRoleArn="platform-admin")) == (
        "finstack:eks.adminRoleArn: 'platform-admin' is not an IAM role ARN; "
        "write arn:aws:iam::<12-digit account>:role/<name>"
    )


AURORA_CLASS_FIX = (
    "use a memory-optimized class (db.r5, db.r6g, db.r6gd, db.r6i, db.r6id, db.r7g, db.r7i, db.r8g, db.r8gd, "
    "db.x2g), e.g. db.r7g.large (large is the smallest size)"
)


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("instance_class", ["db.t4g.medium", "db.t3.large", "db.t2.small"])
def test_config__aurora_burstable_class_refused(stack: str, instance_class: str) -> None:
    assert broken(lambda raw: raw["finstack:aurora"].update(instanceClass=instance_class), stack) == (
        f"finstack:aurora.instanceClass: {instance_class} is a burstable class: AWS refuses it in an Aurora "
        f"global database and the RDS Data API does not run on T classes; {AURORA_CLASS_FIX}"
    )


@pytest.mark.parametrize(
    ("version", "why"),
    [
        ("16.0", "the RDS Data API needs aurora-postgresql 16.1 or later on provisioned clusters"),
        ("14.7", "the RDS Data API needs aurora-postgresql 14.8 or later on provisioned clusters"),
        (
            "12.20",
            "aurora-postgresql 12 has no RDS Data API on provisioned clusters (majors 13, 14, 15, 16, 17, 18 do)",
        ),
    ],
)
def test_config__aurora_engine_without_data_api_refused(version: str, why: str) -> None:
    assert broken(lambda raw: raw["finstack:aurora"].update(engineVersion=version)) == (
        f"finstack:aurora.engineVersion: {why}: the drills' canary writes through it; use e.g. 16.6"
    )


@pytest.mark.parametrize("version", ["13.11", "14.8", "15.3", "16.1", "16.6", "17.4"])
def test_config__aurora_engine_with_data_api_accepted(version: str) -> None:
    raw = copy.deepcopy(shipped("dev"))
    raw["finstack:aurora"]["engineVersion"] = version
    assert load_stack_config(raw).aurora.engine_version == version


def test_config__aurora_class_not_for_global_databases_refused() -> None:
    assert broken(lambda raw: raw["finstack:aurora"].update(instanceClass="db.m5.large")) == (
        "finstack:aurora.instanceClass: db.m5.large is not a class an Aurora global database supports; "
        f"{AURORA_CLASS_FIX}"
    )


@pytest.mark.parametrize("instance_class", ["db.r6g.large", "db.r6gd.xlarge", "db.r8g.large", "db.x2g.large"])
def test_config__aurora_memory_optimized_classes_accepted(instance_class: str) -> None:
    raw = copy.deepcopy(shipped("dev"))
    raw["finstack:aurora"]["instanceClass"] = instance_class
    assert load_stack_config(raw).aurora.instance_class == instance_class


def test_config__shipped_dev_uses_the_smallest_global_database_class() -> None:
    from infra.config import GLOBAL_DATABASE_INSTANCE_FAMILIES, SMALLEST_GLOBAL_DATABASE_INSTANCE_CLASS

    dev = load_stack_config(shipped("dev"))
    assert dev.aurora.instance_class == SMALLEST_GLOBAL_DATABASE_INSTANCE_CLASS == "db.r7g.large"
    assert dev.aurora.instance_class.split(".")[1] in GLOBAL_DATABASE_INSTANCE_FAMILIES


def test_config__aurora_backup_window_malformed() -> None:
    assert broken(lambda raw: raw["finstack:aurora"].update(backupWindow="3am")) == (
        "finstack:aurora.backupWindow: '3am' is not a window; write hh:mm-hh:mm in UTC, e.g. 03:00-04:00"
    )


def test_config__aurora_maintenance_window_malformed() -> None:
    assert broken(lambda raw: raw["finstack:aurora"].update(maintenanceWindow="sunday")).startswith(
        "finstack:aurora.maintenanceWindow: 'sunday' is not a window; write ddd:hh:mm-ddd:hh:mm"
    )


def test_config__msk_insync_above_replication_factor() -> None:
    assert broken(lambda raw: raw["finstack:msk"].update(minInsyncReplicas=4)) == (
        "finstack:msk: minInsyncReplicas (4) must not exceed defaultReplicationFactor (3); every write would fail"
    )


def test_config__msk_replication_factor_above_broker_count() -> None:
    assert broken(lambda raw: raw["finstack:msk"].update(defaultReplicationFactor=5, minInsyncReplicas=1), "dev") == (
        "finstack:msk.defaultReplicationFactor: 5 exceeds the 4 brokers of the smallest cell; "
        "lower it or add brokersPerAz"
    )


def test_config__msk_max_volume_below_volume() -> None:
    assert broken(lambda raw: raw["finstack:msk"].update(maxVolumeGib=10)) == (
        "finstack:msk: maxVolumeGib (10) must be >= volumeGib (2000)"
    )


def test_config__msk_duplicate_topic() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:msk"]["topics"].append({"name": "ledger.entries"})

    assert broken(edit) == "finstack:msk: topics: duplicate topic name 'ledger.entries'; list each topic once"


def test_config__wrong_type_names_value() -> None:
    assert broken(lambda raw: raw["finstack:regions"][0].update(azs="three")) == (
        "finstack:regions[0].azs: Input should be a valid integer, unable to parse string as an integer (got 'three')"
    )


def test_config__several_problems_each_get_a_line() -> None:
    raw = copy.deepcopy(shipped("prod"))
    raw["finstack:regions"][1]["cidr"] = "8.8.0.0/16"
    raw["finstack:regions"][0]["name"] = "moon-1"
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    assert len(caught.value.problems) == 2
    assert all(re.match(r"^finstack:regions\[\d\]\.(name|cidr): ", p) for p in caught.value.problems)


# -- property-based: layouts ---------------------------------------------------------------

REGION_POOL = ("us-east-1", "us-east-2", "us-west-2")


@st.composite
def disjoint_layouts(draw: st.DrawFn) -> list[dict[str, Any]]:
    """2-3 regions with distinct /16-/21 blocks carved from distinct /12s of 10/8."""
    count = draw(st.integers(min_value=2, max_value=3))
    regions = draw(st.permutations(REGION_POOL))[:count]
    firsts = draw(st.lists(st.integers(0, 15), min_size=count, max_size=count, unique=True))
    layout = []
    for index, (region, first) in enumerate(zip(regions, firsts, strict=True)):
        azs = draw(st.integers(min_value=1, max_value=3))
        prefix = draw(st.integers(min_value=16, max_value=largest_prefix_for(azs)))
        base = IPv4Network(f"10.{first * 16}.0.0/12")
        offset = draw(st.integers(0, (1 << (prefix - 12)) - 1))
        cidr = (
            list(base.subnets(new_prefix=prefix))[offset]
            if prefix - 12 <= 6
            else IPv4Network((int(base.network_address) + offset * (1 << (32 - prefix)), prefix))
        )
        layout.append({"name": region, "cidr": str(cidr), "azs": azs, "role": "primary" if index == 0 else "secondary"})
    return layout


def dev_with(layout: list[dict[str, Any]]) -> dict[str, Any]:
    raw = copy.deepcopy(shipped("dev"))
    raw["finstack:regions"] = layout
    raw["aws:region"] = layout[0]["name"]
    raw["finstack:msk"].update(defaultReplicationFactor=1, brokersPerAz=3)
    # One cell carries every cell's nodes after a failover.
    raw["finstack:eks"].update(nodeMaxSize=2 * len(layout))
    return raw


@settings(max_examples=60, deadline=None)
@given(disjoint_layouts())
def test_config__random_disjoint_layouts_validate(layout: list[dict[str, Any]]) -> None:
    config = load_stack_config(dev_with(layout))
    assert isinstance(config, StackConfig)
    assert config.primary.name == layout[0]["name"]


@settings(max_examples=60, deadline=None)
@given(disjoint_layouts(), st.data())
def test_config__random_overlapping_layouts_are_rejected(layout: list[dict[str, Any]], data: st.DataObject) -> None:
    # Given a valid layout, When one cell gets a block inside (or around) another cell's block
    victim, other = data.draw(st.permutations(range(len(layout))))[:2]
    target = IPv4Network(layout[other]["cidr"])
    azs = layout[victim]["azs"]
    prefix = data.draw(st.integers(min_value=16, max_value=largest_prefix_for(azs)))
    overlapping = (
        target.supernet(new_prefix=prefix) if prefix <= target.prefixlen else next(target.subnets(new_prefix=prefix))
    )
    layout[victim]["cidr"] = str(overlapping)
    # Then validation names the overlap
    with pytest.raises(ConfigError, match=r"overlaps"):
        load_stack_config(dev_with(layout))


def test_config__msk_brokers_too_small_to_replicate() -> None:
    assert broken(lambda raw: raw["finstack:msk"].update(brokerInstanceType="kafka.t3.small"), "dev") == (
        "finstack:msk: brokerInstanceType kafka.t3.small does not support multi-VPC private connectivity, which "
        "cross-region MSK Replicator needs; use an m5 or m7g size such as kafka.m7g.large "
        "(cells replicate to each other)"
    )


def test_config__msk_too_few_brokers_to_replicate() -> None:
    assert broken(lambda raw: raw["finstack:msk"].update(brokersPerAz=1, defaultReplicationFactor=1), "dev") == (
        "finstack:msk: a cell has 2 brokers; MSK Replicator needs a source of at least 3; raise brokersPerAz "
        "(cells replicate to each other)"
    )


def test_config__arc_needs_exactly_two_regions() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:regions"].append({"name": "us-east-2", "cidr": "10.30.0.0/16", "azs": 3})

    assert broken(edit) == (
        "finstack:traffic.arcEnabled: an ARC Region switch plan spans exactly two regions, found 3; "
        "use two regions or set arcEnabled: false"
    )


def test_config__certificate_validation_defaults_to_wait_and_dev_may_defer() -> None:
    assert load_stack_config(shipped("prod")).traffic.certificate_validation == "wait"
    raw = copy.deepcopy(shipped("dev"))
    raw["finstack:traffic"]["certificateValidation"] = "defer"
    assert load_stack_config(raw).traffic.certificate_validation == "defer"


def test_config__prod_may_not_defer_certificate_validation() -> None:
    assert broken(lambda raw: raw["finstack:traffic"].update(certificateValidation="defer")) == (
        "finstack:traffic.certificateValidation: 'defer' leaves prod without its HTTPS listeners "
        "(finstack:environment: prod); use wait, and delegate the zone first or set "
        "finstack:traffic.hostedZoneId to a delegated zone (docs/delegation.md)"
    )


def test_config__certificate_validation_is_wait_or_defer() -> None:
    assert broken(lambda raw: raw["finstack:traffic"].update(certificateValidation="skip"), "dev") == (
        "finstack:traffic.certificateValidation: Input should be 'wait' or 'defer' (got 'skip')"
    )


def test_config__scaled_workload_in_unknown_namespace() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:traffic"]["scaledWorkloads"] = [{"namespace": "billing", "deployment": "billing-api"}]

    assert broken(edit) == (
        "finstack:traffic.scaledWorkloads[0].namespace: 'billing' is not one of finstack:namespaces "
        "(ledger, payments, risk, notifications); add it there or fix the name"
    )


def test_config__approver_role_arn_loads_on_a_stack_with_arc() -> None:
    raw = copy.deepcopy(shipped("prod"))
    raw["finstack:traffic"]["approverRoleArn"] = "arn:aws:iam::111122223333:role/dr-approvers"
    assert load_stack_config(raw).traffic.approver_role_arn == "arn:aws:iam::111122223333:role/dr-approvers"
    assert load_stack_config(shipped("prod")).traffic.approver_role_arn is None


def test_config__approver_role_arn_malformed() -> None:
    assert broken(lambda raw: raw["finstack:traffic"].update(approverRoleArn="dr-approvers")) == (
        "finstack:traffic.approverRoleArn: 'dr-approvers' is not an IAM role ARN; "
        "write arn:aws:iam::<12-digit account>:role/<name>"
    )


def test_config__approver_role_arn_without_arc() -> None:
    arn = "arn:aws:iam::111122223333:role/dr-approvers"
    assert broken(lambda raw: raw["finstack:traffic"].update(approverRoleArn=arn), "dev") == (
        "finstack:traffic.approverRoleArn is set but finstack:traffic.arcEnabled is false: without ARC "
        "there is no Region switch approval step; remove approverRoleArn or enable ARC"
    )


def test_config__approver_role_arn_is_the_dr_automation_role() -> None:
    arn = "arn:aws:iam::111122223333:role/finstack-prod-dr-automation"
    assert broken(lambda raw: raw["finstack:traffic"].update(approverRoleArn=arn)) == (
        f"finstack:traffic.approverRoleArn: {arn} is the DR automation role of finstack:environment prod, "
        "the role drills run as; the approval must come from another principal"
    )


def test_config__security_backup_retention_outside_the_vault_lock() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:security"]["backup"]["retentionDays"] = 5

    assert broken(edit) == (
        "finstack:security.backup: retentionDays: 5 is outside the vault lock's 7..400 days; AWS Backup fails "
        "every job whose retention the lock refuses: change retentionDays or the lock bounds"
    )


def test_config__security_continuous_backup_keeps_at_most_35_days() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:security"]["backup"]["retentionDays"] = 90

    assert "exceeds the 35 days continuous backups keep" in broken(edit)


def test_config__security_backup_lock_cooling_off_at_least_three_days() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:security"]["backup"]["lockChangeableDays"] = 1

    assert broken(edit).startswith("finstack:security.backup.lockChangeableDays:")


def test_config__security_waf_override_names_a_group_the_acl_runs() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:security"]["waf"]["ruleOverrides"] = {"AWSManagedRulesLinuxRuleSet": "count"}

    assert broken(edit).startswith(
        "finstack:security.waf.ruleOverrides: 'AWSManagedRulesLinuxRuleSet' is not a managed rule group"
    )


def test_config__prod_locks_audit_logs_for_a_year() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:security"]["auditRetentionDays"] = 90

    assert broken(edit) == (
        "finstack:security.auditRetentionDays: prod locks audit logs >= 365 days (PCI DSS 10.5.1), got 90"
    )


def test_config__continuous_backup_retention_equals_the_clusters() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["finstack:aurora"]["backupRetentionDays"] = 1

    assert broken(edit, "dev") == (
        "finstack:security.backup.retentionDays: 7 differs from finstack:aurora.backupRetentionDays 1; with "
        "continuous backup AWS Backup sets the cluster's retention, so make them equal"
    )
