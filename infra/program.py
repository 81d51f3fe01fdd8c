"""The stack program: validated config -> one regional cell per region + the global layer."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config import ConfigError, StackConfig, load_stack_config


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
    from pulumi.runtime import config as runtime_config

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


def build(config: StackConfig) -> None:
    """Declare the whole platform."""
    provider = aws.Provider(
        "aws",
        region=config.aws_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=platform_tags(config)),
    )
    pulumi.export("providerRegion", provider.region)


def main() -> None:
    """Program entry: validate config, then build."""
    build(read_config())
