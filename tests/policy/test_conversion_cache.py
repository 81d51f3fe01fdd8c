"""The pack's conversion memo (policy/conversion_cache.py): same answers as the stock SDK, less work.

The equivalence tests run the SDK's own analyzer servicer in process, once stock and once
memoized, over every resource of both shipped stacks and over a prod plan with every mutation of
tests/check/mutations.py applied at once, and compare the serialized responses byte for byte.
The pack's policies run alongside two probes that report everything a policy can see of a
resource (its props, options, provider, parent and dependencies), so that a difference in what
the memo hands a policy shows even where no finstack policy reads it.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk

from finstack.check import wire
from finstack.check.policy_config import PolicyConfig, load_policy_config
from finstack.engine.export import plan_export
from finstack.project import load_stack
from policy import conversion_cache
from policy.conversion_cache import IdentityMemo, memoized
from policy.rules import ALL_POLICIES, PACK_NAME
from policy.rules._util import plain
from tests.check.mutations import MUTATIONS, SelectorMatchedNothing
from tests.plan import PROJECT_DIR, shipped_plan


@pytest.fixture
def stock_sdk() -> Iterator[None]:
    """The SDK without the memo for the test, as it was before it (the pack may have installed it)."""
    was_installed = getattr(sdk, "_finstack_conversion_cache", False)
    conversion_cache.uninstall()
    yield
    if was_installed:
        conversion_cache.install()


def _seen(props: Any, opts: Any, provider: Any) -> dict[str, Any]:
    """What a policy sees of a resource besides its graph, as plain JSON-able values."""
    return {
        "props": plain(props),
        "opts": {name: _fields(value) for name, value in vars(opts).items()},
        "provider": None
        if provider is None
        else [provider.resource_type, provider.urn, provider.name, plain(provider.props)],
    }


def _fields(value: Any) -> Any:
    """An option's value: plain objects (custom timeouts) as their fields, sequences as lists."""
    if hasattr(value, "__dict__"):
        return {name: _fields(field) for name, field in vars(value).items()}
    if isinstance(value, (list, tuple)) or type(value).__name__.endswith("Container"):
        return [_fields(item) for item in value]
    return value


def _probe_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_violation(json.dumps(_seen(args.props, args.opts, args.provider), sort_keys=True, default=repr), None)


def _probe_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def urn(resource: PolicyResource | None) -> str | None:
        return None if resource is None else resource.urn

    for resource in args.resources:
        seen = _seen(resource.props, resource.opts, resource.provider) | {
            "type": resource.resource_type,
            "name": resource.name,
            "parent": urn(resource.parent),
            "dependencies": [urn(d) for d in resource.dependencies],
            "propertyDependencies": {k: [urn(d) for d in v] for k, v in resource.property_dependencies.items()},
        }
        report_violation(json.dumps(seen, sort_keys=True, default=repr), resource.urn)


_PROBES = [
    ResourceValidationPolicy(name="probe-resource", description="Everything Analyze shows.", validate=_probe_resource),
    StackValidationPolicy(name="probe-stack", description="Everything AnalyzeStack shows.", validate=_probe_stack),
]


def _servicer(stack: str) -> Any:
    policies = [*ALL_POLICIES, *_PROBES]
    servicer = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.0.1", policies, EnforcementLevel.MANDATORY)
    config = load_policy_config(PROJECT_DIR / "policy" / f"config.{stack}.json")
    request = analyzer_pb2.ConfigureAnalyzerRequest(
        policyConfig={
            name: PolicyConfig(entry.enforcement_level or "mandatory", entry.properties).to_wire()
            for name, entry in config.items()
        }
    )
    servicer.Configure(request, None)
    return servicer


def _responses(stack: str, export: dict[str, Any]) -> tuple[dict[str, bytes], bytes]:
    """Every Analyze response by URN and the AnalyzeStack response, serialized deterministically."""
    servicer = _servicer(stack)
    index = wire.ResourceIndex(export, load_stack(stack, PROJECT_DIR).pulumi_config())
    analyzed = {
        resource["urn"]: servicer.Analyze(wire.analyze_request_with(resource, index.provider_of(resource)), None)
        for resource in index.all_resources()
    }
    stacked = servicer.AnalyzeStack(wire.stack_request(index), None)
    return (
        {urn: answer.SerializeToString(deterministic=True) for urn, answer in analyzed.items()},
        stacked.SerializeToString(deterministic=True),
    )


def _every_mutation(export: dict[str, Any]) -> dict[str, Any]:
    """The prod export with every mutation applied, one after another (those that still apply)."""
    mutated = export
    for mutation in MUTATIONS:
        try:
            mutated, _ = mutation.apply(mutated)
        except (SelectorMatchedNothing, KeyError, IndexError):  # an earlier mutation removed its target
            continue
    return mutated


def _compare(stack: str, export: dict[str, Any]) -> None:
    stock = _responses(stack, export)
    assert conversion_cache.install()
    try:
        memoized_run = _responses(stack, export)
    finally:
        conversion_cache.uninstall()
    assert stock[0].keys() == memoized_run[0].keys()
    differing = [urn for urn, answer in stock[0].items() if memoized_run[0][urn] != answer]
    assert differing == [], f"Analyze answers differ for {differing[:5]}"
    assert stock[1] == memoized_run[1], "AnalyzeStack answers differ"


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_conversion_cache__same_answers_as_the_stock_sdk_on_the_shipped_stacks(stack: str, stock_sdk: None) -> None:
    export = plan_export(shipped_plan(stack).run, PROJECT_DIR)
    _compare(stack, export)


def test_conversion_cache__same_answers_as_the_stock_sdk_with_every_mutation_applied(stock_sdk: None) -> None:
    export = _every_mutation(plan_export(shipped_plan("prod").run, PROJECT_DIR))
    stock = _responses("prod", export)
    assert any(b"must" in answer for answer in stock[0].values()), "the mutated plan should violate resource policies"
    assert b"must" in stock[1], "the mutated plan should violate stack policies"
    _compare("prod", export)


def test_conversion_cache__install_is_idempotent_and_uninstall_restores(stock_sdk: None) -> None:
    servicer = sdk._PolicyAnalyzerServicer
    originals = (sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy)
    methods = (servicer._get_resource_options, servicer._get_provider_resource, servicer.AnalyzeStack)
    assert conversion_cache.install()
    memo = sdk.deserialize_properties
    assert servicer.AnalyzeStack is conversion_cache.analyze_stack_once
    assert conversion_cache.install()
    assert sdk.deserialize_properties is memo, "a second install must not wrap the wrappers"
    conversion_cache.uninstall()
    assert (sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy) == originals
    assert (servicer._get_resource_options, servicer._get_provider_resource, servicer.AnalyzeStack) == methods


def test_conversion_cache__keeps_an_sdk_analyze_stack_it_was_not_written_from(
    stock_sdk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = sdk._PolicyAnalyzerServicer.AnalyzeStack
    monkeypatch.setattr(conversion_cache, "SDK_ANALYZE_STACK_SHA256", "0" * 64)  # as if the SDK had changed
    assert conversion_cache.install()
    try:
        assert sdk._PolicyAnalyzerServicer.AnalyzeStack is stock
        assert hasattr(sdk.deserialize_properties, "memo"), "the conversion memos are installed all the same"
    finally:
        conversion_cache.uninstall()
    assert sdk._PolicyAnalyzerServicer.AnalyzeStack is stock


def test_identity_memo__computes_once_per_object_not_per_equal_value() -> None:
    calls: list[Any] = []
    memo = IdentityMemo()
    first, equal = {"a": 1}, {"a": 1}
    assert memo.get(first, lambda: calls.append(first) or "first") == "first"
    assert memo.get(first, lambda: calls.append(first) or "again") == "first"
    assert memo.get(equal, lambda: calls.append(equal) or "equal") == "equal"
    assert calls == [first, equal]


def test_identity_memo__keeps_its_keys_alive_so_an_id_is_never_reused_while_cached() -> None:
    memo = IdentityMemo()
    key = object()
    references = sys.getrefcount(key)
    memo.get(key, lambda: "value")
    assert sys.getrefcount(key) == references + 1


def test_identity_memo__starts_over_when_full_and_stays_correct() -> None:
    memo = IdentityMemo(max_entries=3)
    keys = [object() for _ in range(10)]
    for number, key in enumerate(keys):
        assert memo.get(key, lambda number=number: number) == number
    assert len(memo) <= 3
    assert memo.get(keys[-1], lambda: "recomputed") == 9
    assert memo.get(keys[0], lambda: "recomputed") == "recomputed"


def test_memoized__calls_with_more_arguments_are_never_shared() -> None:
    # deserialize_properties(props, True) is Remediate's: a remediation may rewrite what it gets.
    convert = memoized(lambda props, *rest: {"copy": dict(props), "rest": rest})
    props = {"a": 1}
    assert convert(props) is convert(props)
    assert convert(props, True) is not convert(props, True)


def test_conversion_cache__fast_analyze_stack_matches_the_pinned_sdk(stock_sdk: None) -> None:
    # policy/requirements.txt pins the SDK whose AnalyzeStack analyze_stack_once reproduces. A
    # different SDK keeps its own (slower) method: review the new one, then update the pin and
    # SDK_ANALYZE_STACK_SHA256 together.
    fingerprint = conversion_cache._fingerprint(sdk._PolicyAnalyzerServicer.AnalyzeStack)
    assert fingerprint == conversion_cache.SDK_ANALYZE_STACK_SHA256, (
        "pulumi-policy's AnalyzeStack is not the one analyze_stack_once was written from"
    )
    pinned = [line for line in (PROJECT_DIR / "policy" / "requirements.txt").read_text().splitlines() if "==" in line]
    assert pinned == [f"pulumi-policy=={importlib.metadata.version('pulumi-policy')}"], pinned
