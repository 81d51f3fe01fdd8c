"""The offline engine: runs the real program, records what the engine would hand a policy pack."""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi
import pulumi_aws as aws
import pytest

from finstack.engine.export import plan_export
from finstack.engine.runner import ProgramError, run_callable
from finstack.project import load_stack
from tests.plan import PROJECT_DIR, plan_of, shipped_config, shipped_plan


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview__stack_runs_offline_and_every_aws_resource_has_a_region(stack: str) -> None:
    plan = shipped_plan(stack)
    aws_resources = [r for r in plan if r.type.startswith(("aws:", "pulumi:providers:aws"))]
    assert aws_resources, f"{stack}: the program declared no AWS resources"
    for record in aws_resources:
        assert record.region in plan.regions, f"{record.urn}: region {record.region!r} not one of {plan.regions}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_export__is_json_and_deterministic(stack: str) -> None:
    # Given two independent runs of the same stack
    files = load_stack(stack, PROJECT_DIR)
    from finstack.engine.runner import run_program

    first = json.dumps(plan_export(run_program(files), PROJECT_DIR), sort_keys=True)
    second = json.dumps(plan_export(run_program(files), PROJECT_DIR), sort_keys=True)
    # Then the exports are byte-identical and parse back
    assert first == second
    document = json.loads(first)
    assert document["project"] == "finstack" and document["stack"] == stack
    urns = [r["urn"] for r in document["resources"]]
    assert len(urns) == len(set(urns)), "duplicate URNs in export"


def test_export__has_every_contract_field() -> None:
    document = plan_export(shipped_plan("prod").run, PROJECT_DIR)
    required = {
        "urn",
        "type",
        "name",
        "custom",
        "parent",
        "provider",
        "region",
        "inputs",
        "outputs",
        "options",
        "dependencies",
        "propertyDependencies",
        "source",
    }
    for resource in document["resources"]:
        assert required <= resource.keys(), f"{resource['urn']}: missing {required - resource.keys()}"
        assert set(resource["options"]) == {"protect", "ignoreChanges", "deleteBeforeReplace", "retainOnDelete"}
    stack_resources = [r for r in document["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    assert len(stack_resources) == 1
    providers = [r for r in document["resources"] if r["type"] == "pulumi:providers:aws"]
    assert providers, "the explicit aws provider is missing from the export"


def test_export__custom_resources_point_at_program_source() -> None:
    document = plan_export(shipped_plan("prod").run, PROJECT_DIR)
    for resource in document["resources"]:
        if resource["custom"]:
            source = resource["source"]
            assert source is not None, f"{resource['urn']}: no source position"
            assert not source["file"].startswith((".venv", "/")), (
                f"{resource['urn']}: source {source} is not program code"
            )
            assert (PROJECT_DIR / source["file"]).is_file() and source["line"] > 0, resource["urn"]


def _options_program() -> None:
    vpc = aws.ec2.Vpc("probe-vpc", cidr_block="10.0.0.0/16", region="us-west-2")
    parent = pulumi.ComponentResource("finstack:test:Probe", "probe")
    aws.ec2.Subnet(
        "probe-subnet",
        vpc_id=vpc.id,
        cidr_block="10.0.1.0/24",
        opts=pulumi.ResourceOptions(
            parent=parent,
            protect=True,
            ignore_changes=["cidrBlock"],
            delete_before_replace=True,
            retain_on_delete=True,
            depends_on=[vpc],
        ),
    )


def test_recording__keeps_what_the_engine_hands_a_policy_pack() -> None:
    plan = plan_of(_options_program)
    vpc, subnet, parent = plan.named("probe-vpc"), plan.named("probe-subnet"), plan.named("probe")
    assert subnet.parent == parent.urn, subnet.urn
    assert subnet.protect and subnet.retain_on_delete and subnet.delete_before_replace, subnet.urn
    assert subnet.ignore_changes == ["cidrBlock"], subnet.urn
    assert vpc.urn in subnet.dependencies, subnet.urn
    assert subnet.property_dependencies["vpcId"] == [vpc.urn], subnet.urn
    assert subnet.inputs["vpcId"] == vpc.id and vpc.id.startswith("vpc-"), subnet.urn
    assert subnet.source_file and subnet.source_file.endswith("tests/test_engine.py"), subnet.source_file
    assert vpc.region == "us-west-2", vpc.urn
    # no region input and no provider: the stack's aws:region
    assert subnet.region == "us-east-1", subnet.urn


def test_fake_cloud__arns_carry_region_and_service() -> None:
    def program() -> None:
        aws.rds.Cluster("db", cluster_identifier="ledger-west", engine="aurora-postgresql", region="us-west-2")
        aws.kms.Key("key", multi_region=True, region="us-east-1")

    plan = plan_of(program)
    cluster, key = plan.named("db"), plan.named("key")
    assert cluster.outputs["arn"] == "arn:aws:rds:us-west-2:111122223333:cluster:ledger-west", cluster.urn
    assert key.outputs["arn"].startswith("arn:aws:kms:us-east-1:111122223333:key/mrk-"), key.urn


def test_fake_cloud__az_names_map_to_ids_per_account_not_in_order() -> None:
    def program() -> None:
        zones = aws.get_availability_zones_output(region="us-east-1", state="available")
        pulumi.export("zones", pulumi.Output.all(zones.names, zones.zone_ids))

    names, ids = plan_of(program).outputs["zones"]
    assert names == [f"us-east-1{letter}" for letter in "abcdef"]
    assert sorted(ids) == [f"use1-az{n}" for n in range(1, 7)]
    # As in real accounts, an early name is the zone EKS refuses: taking the first names is a bug here too.
    assert dict(zip(names, ids, strict=True))["us-east-1b"] == "use1-az3"
    assert ids != sorted(ids)


def _cluster_in(*zones: str) -> None:
    vpc = aws.ec2.Vpc("probe-vpc", cidr_block="10.0.0.0/16", region="us-east-1")
    subnets = [
        aws.ec2.Subnet(f"probe-{zone}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24", availability_zone=zone)
        for i, zone in enumerate(zones)
    ]
    aws.eks.Cluster(
        "probe-eks",
        name="ledger",
        role_arn="arn:aws:iam::111122223333:role/eks",
        vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=[s.id for s in subnets]),
        region="us-east-1",
    )


def test_fake_cloud__eks_refuses_a_cluster_subnet_in_an_unsupported_zone_like_aws() -> None:
    # us-east-1b is use1-az3 in the offline account
    with pytest.raises(ProgramError) as caught:
        run_callable(lambda: _cluster_in("us-east-1a", "us-east-1b"), shipped_config("dev"))
    assert str(caught.value) == (
        "creating EKS Cluster (ledger): UnsupportedAvailabilityZoneException: Cannot create cluster 'ledger' "
        "because us-east-1b, the targeted availability zone, does not currently have sufficient capacity to "
        "support the cluster. Retry and choose from these availability zones: "
        "us-east-1a, us-east-1c, us-east-1d, us-east-1e, us-east-1f"
    )


def test_fake_cloud__eks_accepts_subnets_in_supported_zones() -> None:
    plan = plan_of(lambda: _cluster_in("us-east-1a", "us-east-1c"))
    cluster = plan.named("probe-eks")
    assert cluster.outputs["status"] == "ACTIVE", cluster.urn
    assert plan.named("probe-us-east-1c").outputs["availabilityZoneId"] == "use1-az4"


def test_runner__program_error_is_reported_not_swallowed() -> None:
    def program() -> None:
        raise pulumi.RunError("boom")

    with pytest.raises(ProgramError, match="boom"):
        run_callable(program, shipped_config("dev"))


def test_program__invalid_config_stops_with_one_clean_message() -> None:
    # Given the program run the way the Pulumi CLI runs it, with a broken config bag
    import runpy

    from pulumi.runtime import config as runtime_config

    bag = load_stack("dev", PROJECT_DIR).pulumi_config()
    bag["finstack:environment"] = "qa"

    def program() -> None:
        runtime_config.set_all_config(bag)
        runpy.run_path(str(PROJECT_DIR / "infra" / "__main__.py"), run_name="__main__")

    # Then it raises RunError (shown by the CLI without a traceback) naming the keys, and declares nothing
    with pytest.raises(ProgramError) as caught:
        run_callable(program, shipped_config("dev"))
    message = str(caught.value)
    assert (
        message == "invalid stack config:\nfinstack:environment: Input should be 'dev', 'staging' or 'prod' (got 'qa')"
    )


def test_runner__component_refusal_surfaces_as_program_error_with_its_cause() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("probe-vpc", cidr_block="10.0.0.0/16")

        def refuse(vpc_id: str) -> str:
            raise ValueError(f"{vpc_id} is not acceptable here")

        aws.ec2.Subnet("probe-subnet", vpc_id=vpc.id.apply(refuse), cidr_block="10.0.1.0/24")

    with pytest.raises(ProgramError, match=r"^vpc-[0-9a-f]{17} is not acceptable here$"):
        run_callable(program, shipped_config("dev"))


def test_runner__every_run_gets_its_own_pending_outputs() -> None:
    # The SDK's pending-outputs set defaults to one process-wide set; a run that failed midway
    # would leave tasks of its closed event loop there for the next run to await.
    from pulumi.runtime import settings as pulumi_settings

    seen: list[int] = []

    def program() -> None:
        seen.append(id(pulumi_settings.SETTINGS.outputs))
        _options_program()

    plan_of(program)
    plan_of(program)
    assert len(set(seen)) == 2, "two runs shared one pending-outputs set"
    assert id(pulumi_settings.SETTINGS.outputs) not in seen, "a run used the process-wide default set"


@pytest.mark.parametrize("fails", [False, True], ids=["completes", "fails midway"])
def test_runner__leaves_no_open_event_loop_or_registration_thread(fails: bool) -> None:
    # Under mocks the SDK registers each resource from an executor thread that needs its own
    # event loop; a run must close those loops and end those threads, whether it completes or not.
    import asyncio
    import gc
    import threading

    def open_loops() -> set[int]:
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and not o.is_closed()}

    before = open_loops()

    def program() -> None:
        vpc = aws.ec2.Vpc("probe-vpc", cidr_block="10.0.0.0/16")
        aws.ec2.Subnet("probe-subnet", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
        if fails:
            raise pulumi.RunError("boom")

    if fails:
        with pytest.raises(ProgramError, match="boom"):
            run_callable(program, shipped_config("dev"))
    else:
        run_callable(program, shipped_config("dev"))
    left = open_loops() - before
    assert left == set(), f"{len(left)} event loop(s) left open by the run"
    threads = [t.name for t in threading.enumerate() if t.name.startswith("finstack-registration")]
    assert threads == [], f"registration threads still running: {threads}"


def _aurora_member_program(instance_class: str, in_global: bool) -> Callable[[], None]:
    def program() -> None:
        global_id = aws.rds.GlobalCluster("g", global_cluster_identifier="ledger", engine="aurora-postgresql").id
        cluster = aws.rds.Cluster(
            "c",
            cluster_identifier="ledger-east",
            engine="aurora-postgresql",
            global_cluster_identifier=global_id if in_global else None,
        )
        aws.rds.ClusterInstance(
            "i", cluster_identifier=cluster.id, instance_class=instance_class, engine="aurora-postgresql"
        )

    return program


@pytest.mark.parametrize("instance_class", ["db.t4g.medium", "db.t3.medium"])
def test_fake_cloud__burstable_instance_in_a_global_member_is_refused_like_aws(instance_class: str) -> None:
    with pytest.raises(ProgramError) as caught:
        run_callable(_aurora_member_program(instance_class, in_global=True), shipped_config("dev"))
    assert str(caught.value) == (
        "aws:rds/clusterInstance:ClusterInstance i: InvalidParameterCombination: The requested instance class "
        f"is not supported by global databases: {instance_class}"
    )


@pytest.mark.parametrize(("instance_class", "in_global"), [("db.r7g.large", True), ("db.t4g.medium", False)])
def test_fake_cloud__memory_optimized_member_or_standalone_burstable_is_accepted(
    instance_class: str, in_global: bool
) -> None:
    plan = plan_of(_aurora_member_program(instance_class, in_global))
    (instance,) = plan.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert instance.inputs["instanceClass"] == instance_class, instance.urn
