"""Per-type handlers that create (and delete) Pulumi resources in the emulated AWS account.

A handler turns the resource's Pulumi inputs (camelCase wire names) into boto3 calls and
returns the id and the outputs AWS reported, so later resources reference real emulated
objects. Types without a handler are recorded with deterministic outputs and reported as
"not emulated" — never silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from finstack.emulator.gateway import AwsGateway


@dataclass
class HandlerContext:
    """What a handler needs: the gateway, the resource's region and the account."""

    gateway: AwsGateway
    region: str
    account_id: str

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client in the resource's region (or another one)."""
        return self.gateway.client(service, region or self.region)


CreateFn = Callable[[HandlerContext, str, dict[str, Any]], tuple[str, dict[str, Any]]]
DeleteFn = Callable[[HandlerContext, str, dict[str, Any]], None]


@dataclass(frozen=True)
class Handler:
    """How one Pulumi resource type is created in and deleted from the emulator."""

    create: CreateFn
    delete: DeleteFn | None = None
    service: str = ""


@dataclass
class Registry:
    """Type token -> Handler."""

    handlers: dict[str, Handler] = field(default_factory=dict)

    def register(self, type_: str, service: str, delete: DeleteFn | None = None) -> Callable[[CreateFn], CreateFn]:
        """Decorator: register `create` (and optionally `delete`) for a Pulumi type token."""

        def wrap(create: CreateFn) -> CreateFn:
            # One handler per type: a second registration would silently replace the first.
            if type_ in self.handlers:
                raise ValueError(f"{type_} already has a handler ({self.handlers[type_].create.__module__})")
            self.handlers[type_] = Handler(create=create, delete=delete, service=service)
            return create

        return wrap

    def get(self, type_: str) -> Handler | None:
        """The handler for `type_`, or None when the emulator cannot hold it."""
        return self.handlers.get(type_)


REGISTRY = Registry()


def tag_list(inputs: dict[str, Any]) -> list[dict[str, str]]:
    """Pulumi `tags` map -> AWS `[{"Key", "Value"}]`."""
    tags = inputs.get("tags") or {}
    return [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]


def tag_specs(resource_type: str, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """EC2 TagSpecifications for `resource_type` from the Pulumi `tags` map."""
    tags = tag_list(inputs)
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


def unwrap_secret(value: Any) -> Any:
    """The plain value of a Pulumi secret as the mock monitor hands it over (or `value` itself)."""
    from pulumi.runtime import rpc

    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value


def physical_name(name: str, inputs: dict[str, Any], key: str = "name") -> str:
    """The resource's physical name: its explicit input, else a Pulumi-style autoname."""
    from finstack.engine.fake_cloud import digest

    value = inputs.get(key)
    if isinstance(value, str) and value:
        return value
    prefix = inputs.get("namePrefix")
    if isinstance(prefix, str) and prefix:
        return f"{prefix}{digest(name, length=8)}"
    return f"{name}-{digest(name, length=7)}"


def load_all() -> Registry:
    """Import every handler module (they register themselves) and return the registry."""
    from finstack.emulator.handlers import (  # noqa: F401
        audit,
        backup,
        compute,
        data,
        dns,
        edge,
        identity,
        monitoring,
        network,
        posture,
        security,
        serverless,
        streaming,
    )

    return REGISTRY
