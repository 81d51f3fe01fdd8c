"""Pulumi mocks that create every supported resource in the emulated AWS account.

The stack program runs unchanged; each registration becomes real boto3 calls against moto
(in-process or a running emulator server) in the resource's own region, and the ids, ARNs
and endpoints moto returns flow back into the program. Types the emulator cannot hold get
the offline engine's deterministic outputs and are listed as "not emulated".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from finstack.emulator.gateway import AwsGateway
from finstack.emulator.handlers import HandlerContext, Registry
from finstack.emulator.state import DeployState, StateEntry
from finstack.engine.export import plain
from finstack.engine.fake_cloud import FakeCloud


class EmulationError(Exception):
    """A resource could not be created in the emulator; names the resource and the AWS error."""


class EmulatorMocks(FakeCloud):
    """FakeCloud whose answers come from the emulated account where a handler exists."""

    def __init__(
        self,
        default_region: str,
        gateway: AwsGateway,
        registry: Registry,
        state: DeployState,
        on_resource: Callable[[StateEntry], None] | None = None,
    ):
        self.gateway = gateway
        self.registry = registry
        self.state = state
        self.on_resource = on_resource
        super().__init__(default_region=default_region, account_id=gateway.account_id())

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Create (or, when already held, reuse) the resource in the emulator."""
        if not args.custom or args.typ.startswith("pulumi:providers:"):
            return super().new_resource(args)
        inputs = dict(args.inputs)
        existing = self.state.get(args.typ, args.name)
        if existing is not None:
            # Already in the emulator: same id, the outputs AWS gave, today's inputs.
            return existing.id, {**inputs, **existing.outputs}
        fake_id, fake_state = super().new_resource(args)
        # Outputs keep only what AWS computed; inputs are kept with secrets redacted (for delete).
        computed = {k: v for k, v in fake_state.items() if k not in inputs}
        region = self.region_of(inputs, args.provider)
        handler = self.registry.get(args.typ)
        if handler is None:
            self._record(
                StateEntry(
                    args.typ, args.name, fake_id or "", region, emulated=False, outputs=computed, inputs=plain(inputs)
                )
            )
            return fake_id, fake_state
        context = HandlerContext(self.gateway, region, self.account_id)
        try:
            resource_id, outputs = handler.create(context, args.name, integral(inputs))
        except Exception as err:
            raise EmulationError(f"{args.typ} {args.name} ({region}): {err}") from err
        computed.update(outputs)
        self._record(
            StateEntry(args.typ, args.name, resource_id, region, emulated=True, outputs=computed, inputs=plain(inputs))
        )
        return resource_id, {**inputs, **computed}

    def _record(self, entry: StateEntry) -> None:
        self.state.add(entry)
        if self.on_resource is not None:
            self.on_resource(entry)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Answer account and AZ lookups from the emulator itself."""
        region = self.region_of(dict(args.args), args.provider)
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = self.gateway.client("ec2", region).describe_availability_zones()["AvailabilityZones"]
            names = sorted(z["ZoneName"] for z in zones if z.get("State", "available") == "available")
            ids = [next(z["ZoneId"] for z in zones if z["ZoneName"] == n) for n in names]
            return {
                "id": region,
                "names": names,
                "zoneIds": ids,
                "groupNames": [region] * len(names),
                "region": region,
            }, []
        return super().call(args)


def integral(value: Any) -> Any:
    """Pulumi's wire format carries every number as a float; AWS APIs want ints where they are whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value
