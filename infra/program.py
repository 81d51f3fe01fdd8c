"""The stack program: validated config -> one regional cell per region + the global layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from components.alerts import AlertTopic, AlertTopicArgs
from components.aurora_global import AuroraCellArgs, AuroraGlobal, AuroraGlobalArgs
from components.keys import MultiRegionKeys, MultiRegionKeysArgs
from components.msk import MskCellArgs, MskPlatform, MskPlatformArgs
from components.network import CellPeering, CellPeeringArgs, PeeringCell, RegionalNetwork, RegionalNetworkArgs
from components.subnet_plan import tier_cidrs
from infra.config import ConfigError, RegionConfig, StackConfig, load_stack_config


def read_config() -> StackConfig:
    """Validate the stack's config before anything is declared.

    Invalid config ends the program with pulumi.RunError: the CLI shows the message
    without a traceback and declares nothing.
    """
    try:
        return load_stack_config(_config_bag())
    except ConfigError as err:
        raise pulumi.RunError("invalid stack config:\n" + "\n".join(err.problems)) from None


def _config_bag() -> dict[str, Any]:
    """All `ns:key` config values the engine handed the program (JSON text for structured ones)."""
    bag: dict[str, Any] = dict(runtime_config.get_config_env())
    bag.update(runtime_config.CONFIG.get())
    return {k: v for k, v in bag.items() if k.startswith(("finstack:", "aws:region"))}


def platform_tags(config: StackConfig) -> dict[str, str]:
    """Tags every taggable resource carries (provider default tags)."""
    return {
        **config.tags,
        "finstack:environment": config.environment,
        "finstack:stack": pulumi.get_stack(),
    }


@dataclass(frozen=True)
class Foundation:
    """What every later layer (EKS, Aurora, MSK, traffic, DR) builds on."""

    provider: aws.Provider
    keys: MultiRegionKeys
    networks: dict[str, RegionalNetwork]
    alerts: dict[str, AlertTopic]
    peering: CellPeering | None


def build(config: StackConfig) -> None:
    """Declare the whole platform."""
    foundation = build_foundation(config)
    opts = pulumi.ResourceOptions(provider=foundation.provider)
    aurora = _aurora(config, foundation, opts)
    msk = _msk(config, foundation, opts)
    pulumi.export("providerRegion", foundation.provider.region)
    pulumi.export("auroraGlobalClusterId", aurora.global_cluster_id)
    pulumi.export("mskClusterArns", msk.cluster_arns)


def _aurora(config: StackConfig, foundation: Foundation, opts: pulumi.ResourceOptions) -> AuroraGlobal:
    keys = foundation.keys
    cells = tuple(
        AuroraCellArgs(
            region=cell.name,
            data_subnet_ids=foundation.networks[cell.name].data_subnet_ids,
            db_sg_id=foundation.networks[cell.name].db_sg_id,
            data_key_arn=keys.arn("data", cell.name),
            secrets_key_arn=keys.arn("secrets", cell.name),
            logs_key_arn=keys.arn("logs", cell.name),
            alert_topic_arn=foundation.alerts[cell.name].topic_arn,
            availability_zones=foundation.networks[cell.name].availability_zones,
        )
        for cell in config.regions
    )
    return AuroraGlobal("aurora", AuroraGlobalArgs.from_config(config, cells), opts)


def _msk(config: StackConfig, foundation: Foundation, opts: pulumi.ResourceOptions) -> MskPlatform:
    keys, msk = foundation.keys, config.msk
    cells = tuple(
        MskCellArgs(
            region=cell.name,
            data_subnet_ids=foundation.networks[cell.name].data_subnet_ids,
            kafka_sg_id=foundation.networks[cell.name].kafka_sg_id,
            streaming_key_arn=keys.arn("streaming", cell.name),
            logs_key_arn=keys.arn("logs", cell.name),
            alert_topic_arn=foundation.alerts[cell.name].topic_arn,
        )
        for cell in config.regions
    )
    args = MskPlatformArgs(
        environment=config.environment,
        kafka_version=msk.kafka_version,
        broker_instance_type=msk.broker_instance_type,
        brokers_per_az=msk.brokers_per_az,
        volume_gib=msk.volume_gib,
        max_volume_gib=msk.max_volume_gib,
        default_replication_factor=msk.default_replication_factor,
        min_insync_replicas=msk.min_insync_replicas,
        topics=msk.topics,
        namespaces=config.namespaces,
        log_retention_days=config.log_retention_days,
        cells=cells,
        primary_region=config.primary.name,
    )
    return MskPlatform("msk", args, opts)


def build_foundation(config: StackConfig) -> Foundation:
    """Provider, keys, and per cell its network and alert topic; then the peering mesh."""
    provider = aws.Provider(
        "aws",
        region=config.aws_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=platform_tags(config)),
    )
    opts = pulumi.ResourceOptions(provider=provider)
    account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
    keys = _keys(config, account_id, opts)
    networks = {cell.name: _network(config, cell, keys, opts) for cell in config.regions}
    alerts = {
        cell.name: AlertTopic(
            f"alerts-{cell.name}",
            AlertTopicArgs(region=cell.name, secrets_key_arn=keys.arn("secrets", cell.name)),
            opts,
        )
        for cell in config.regions
    }
    return Foundation(provider, keys, networks, alerts, _peering(config, networks, opts))


def _keys(config: StackConfig, account_id: pulumi.Input[str], opts: pulumi.ResourceOptions) -> MultiRegionKeys:
    return MultiRegionKeys(
        "keys",
        MultiRegionKeysArgs(
            environment=config.environment,
            primary_region=config.primary.name,
            regions=tuple(cell.name for cell in config.regions),
            deletion_window_days=config.keys.deletion_window_days,
            account_id=account_id,
        ),
        opts,
    )


def _network(
    config: StackConfig, cell: RegionConfig, keys: MultiRegionKeys, opts: pulumi.ResourceOptions
) -> RegionalNetwork:
    return RegionalNetwork(
        f"cell-{cell.name}",
        RegionalNetworkArgs(
            region=cell.name,
            cidr=str(cell.cidr),
            azs=cell.azs,
            environment=config.environment,
            nat_gateways=config.network.nat_gateways,
            log_retention_days=config.log_retention_days,
            logs_key_arn=keys.arn("logs", cell.name),
            peer_app_cidrs=_peer_app_cidrs(config, cell),
        ),
        opts,
    )


def _peered(config: StackConfig) -> bool:
    return config.network.cross_region_peering and len(config.regions) > 1


def _peer_app_cidrs(config: StackConfig, cell: RegionConfig) -> tuple[str, ...]:
    """The other cells' app subnets, from their subnet plans: what this cell's app tier admits."""
    if not _peered(config):
        return ()
    peers = [other for other in config.regions if other.name != cell.name]
    return tuple(str(cidr) for other in peers for cidr in tier_cidrs(other.cidr, other.azs, "app"))


def _peering(
    config: StackConfig, networks: dict[str, RegionalNetwork], opts: pulumi.ResourceOptions
) -> CellPeering | None:
    if not _peered(config):
        return None
    cells = tuple(PeeringCell.of(networks[cell.name]) for cell in config.regions)
    return CellPeering("peering", CellPeeringArgs(cells=cells), opts)


def main() -> None:
    """Program entry: validate config, then build."""
    build(read_config())
