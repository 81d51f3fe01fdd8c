"""Security Hub, AWS Config and VPC Block Public Access in the emulator (components/posture.py).

Standards, finding aggregators and conformance packs are served by
`finstack.emulator.moto_ext.posture_services`, the BPA mode by `moto_ext.vpc_block_public_access`;
the hub, recorder, channel and recorder status by moto.
"""

from __future__ import annotations

from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name

SECURITYHUB = "securityhub"
CONFIG = "config"
EC2 = "ec2"


def _disable_hub(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(SECURITYHUB).disable_security_hub()


@REGISTRY.register("aws:securityhub/account:Account", SECURITYHUB, _disable_hub)
def enable_hub(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Security Hub in the region, without the default standards when so declared."""
    hub = ctx.client(SECURITYHUB)
    kwargs: dict[str, Any] = {"EnableDefaultStandards": bool(inputs.get("enableDefaultStandards", True))}
    if inputs.get("controlFindingGenerator"):
        kwargs["ControlFindingGenerator"] = inputs["controlFindingGenerator"]
    hub.enable_security_hub(**kwargs)
    arn = hub.describe_hub()["HubArn"]
    return ctx.account_id, {"arn": arn}


def _unsubscribe(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(SECURITYHUB).batch_disable_standards(StandardsSubscriptionArns=[resource_id])


@REGISTRY.register("aws:securityhub/standardsSubscription:StandardsSubscription", SECURITYHUB, _unsubscribe)
def subscribe(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One standards subscription (refused while the region's hub is off)."""
    answer = ctx.client(SECURITYHUB).batch_enable_standards(
        StandardsSubscriptionRequests=[{"StandardsArn": inputs["standardsArn"]}]
    )
    (subscription,) = answer["StandardsSubscriptions"]
    return subscription["StandardsSubscriptionArn"], {"standardsArn": inputs["standardsArn"]}


def _delete_aggregator(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(SECURITYHUB).delete_finding_aggregator(FindingAggregatorArn=resource_id)


@REGISTRY.register("aws:securityhub/findingAggregator:FindingAggregator", SECURITYHUB, _delete_aggregator)
def create_aggregator(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The account's finding aggregator in its aggregation region."""
    kwargs: dict[str, Any] = {"RegionLinkingMode": inputs["linkingMode"]}
    if inputs.get("specifiedRegions"):
        kwargs["Regions"] = list(inputs["specifiedRegions"])
    answer = ctx.client(SECURITYHUB).create_finding_aggregator(**kwargs)
    return answer["FindingAggregatorArn"], {"arn": answer["FindingAggregatorArn"]}


def _delete_recorder(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(CONFIG).delete_configuration_recorder(ConfigurationRecorderName=resource_id)


@REGISTRY.register("aws:cfg/recorder:Recorder", CONFIG, _delete_recorder)
def put_recorder(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Configuration recorder with its role and recording group."""
    recorder_name = physical_name(name, inputs)
    group = inputs.get("recordingGroup") or {}
    ctx.client(CONFIG).put_configuration_recorder(
        ConfigurationRecorder={
            "name": recorder_name,
            "roleARN": inputs["roleArn"],
            "recordingGroup": {
                "allSupported": bool(group.get("allSupported", True)),
                "includeGlobalResourceTypes": bool(group.get("includeGlobalResourceTypes", False)),
            },
        }
    )
    return recorder_name, {"name": recorder_name}


def _delete_channel(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(CONFIG).delete_delivery_channel(DeliveryChannelName=resource_id)


@REGISTRY.register("aws:cfg/deliveryChannel:DeliveryChannel", CONFIG, _delete_channel)
def put_channel(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Delivery channel to the bucket (and key) declared."""
    channel_name = physical_name(name, inputs)
    channel: dict[str, Any] = {"name": channel_name, "s3BucketName": inputs["s3BucketName"]}
    for key, wire in (("s3KeyPrefix", "s3KeyPrefix"), ("s3KmsKeyArn", "s3KmsKeyArn"), ("snsTopicArn", "snsTopicARN")):
        if inputs.get(key):
            channel[wire] = inputs[key]
    frequency = (inputs.get("snapshotDeliveryProperties") or {}).get("deliveryFrequency")
    if frequency:
        channel["configSnapshotDeliveryProperties"] = {"deliveryFrequency": frequency}
    ctx.client(CONFIG).put_delivery_channel(DeliveryChannel=channel)
    return channel_name, {"name": channel_name}


def _stop_recorder(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(CONFIG).stop_configuration_recorder(ConfigurationRecorderName=resource_id)


@REGISTRY.register("aws:cfg/recorderStatus:RecorderStatus", CONFIG, _stop_recorder)
def set_recording(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Start (or stop) the recorder; starting needs a delivery channel, as on AWS."""
    config = ctx.client(CONFIG)
    if inputs.get("isEnabled"):
        config.start_configuration_recorder(ConfigurationRecorderName=inputs["name"])
    else:
        config.stop_configuration_recorder(ConfigurationRecorderName=inputs["name"])
    return inputs["name"], {}


def _delete_pack(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(CONFIG).delete_conformance_pack(ConformancePackName=resource_id)


@REGISTRY.register("aws:cfg/conformancePack:ConformancePack", CONFIG, _delete_pack)
def put_pack(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Conformance pack from its template body."""
    pack_name = physical_name(name, inputs)
    kwargs: dict[str, Any] = {"ConformancePackName": pack_name}
    if inputs.get("templateBody"):
        kwargs["TemplateBody"] = inputs["templateBody"]
    if inputs.get("templateS3Uri"):
        kwargs["TemplateS3Uri"] = inputs["templateS3Uri"]
    answer = ctx.client(CONFIG).put_conformance_pack(**kwargs)
    return pack_name, {"arn": answer["ConformancePackArn"]}


def _bpa_off(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    # What the provider does on delete (terraform-provider-aws vpc_block_public_access_options.go).
    ctx.client(EC2).modify_vpc_block_public_access_options(InternetGatewayBlockMode="off")


@REGISTRY.register("aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions", EC2, _bpa_off)
def set_bpa_mode(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The region's VPC Block Public Access mode (moto_ext.vpc_block_public_access); its id is the region."""
    options = ctx.client(EC2).modify_vpc_block_public_access_options(
        InternetGatewayBlockMode=inputs["internetGatewayBlockMode"]
    )["VpcBlockPublicAccessOptions"]
    return options["AwsRegion"], {"awsAccountId": options["AwsAccountId"], "awsRegion": options["AwsRegion"]}
