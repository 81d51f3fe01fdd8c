"""The pack's conversion memo (policy/conversion_cache.py): same answers as the stock SDK, less work.

The equivalence tests run the SDK's own analyzer servicer in process, once stock and once with
the faster path installed (the method copies for the pinned SDK, or the memos an unknown SDK
falls back to), over every resource of both shipped stacks and over a prod plan with every
mutation of tests/check/mutations.py applied at once, and compare the serialized responses byte
for byte.
The pack's policies run alongside two probes that report everything a policy can see of a
resource (its props, options, provider, parent and dependencies), so that a difference in what
the memo hands a policy shows even where no finstack policy reads it.
"""

from __future__ import annotations

import contextvars
import importlib.metadata
import json
import sys
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
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
    seen = _seen(args.props, args.opts, args.provider) | {
        "type": args.resource_type,
        "urn": args.urn,
        "name": args.name,
        "config": args.get_config(),
        "stackTags": dict(args.stack_tags),
    }
    report_violation(json.dumps(seen, sort_keys=True, default=repr), None)


def _probe_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def urn(resource: PolicyResource | None) -> str | None:
        return None if resource is None else resource.urn

    report_violation(
        json.dumps({"config": args.get_config(), "stackTags": dict(args.stack_tags)}, sort_keys=True), None
    )
    for resource in args.resources:
        seen = _seen(resource.props, resource.opts, resource.provider) | {
            "type": resource.resource_type,
            "name": resource.name,
            "parent": urn(resource.parent),
            "dependencies": [urn(d) for d in resource.dependencies],
            "propertyDependencies": {k: [urn(d) for d in v] for k, v in resource.property_dependencies.items()},
        }
        report_violation(json.dumps(seen, sort_keys=True, default=repr), resource.urn)


def _no_change(args: ResourceValidationArgs) -> None:
    return None


_PROBES = [
    ResourceValidationPolicy(name="probe-resource", description="Everything Analyze shows.", validate=_probe_resource),
    StackValidationPolicy(name="probe-stack", description="Everything AnalyzeStack shows.", validate=_probe_stack),
    # Remediation only: Analyze reports it as not applicable.
    ResourceValidationPolicy(name="probe-remediation-only", description="Fixes, never reports.", remediate=_no_change),
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


_FINGERPRINTS = (
    "SDK_ANALYZE_SHA256",
    "SDK_ANALYZE_STACK_SHA256",
    "SDK_CONFIGURE_RUNTIME_SETTINGS_SHA256",
    "PULUMI_GET_CONFIG_ENV_SHA256",
)


def _as_if_the_sdk_changed(monkeypatch: pytest.MonkeyPatch, *fingerprints: str) -> None:
    for name in fingerprints:
        monkeypatch.setattr(conversion_cache, name, "0" * 64)


@pytest.fixture(params=["copies", "memos"])
def faster_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which faster path install() puts in place: the method copies (the pinned SDK), or the memos."""
    if request.param == "memos":
        _as_if_the_sdk_changed(monkeypatch, *_FINGERPRINTS)
    return str(request.param)


def _compare(stack: str, export: dict[str, Any], faster_path: str) -> None:
    stock = _responses(stack, export)
    assert conversion_cache.install()
    try:
        assert conversion_cache.memos_installed() == (faster_path == "memos")
        faster = _responses(stack, export)
    finally:
        conversion_cache.uninstall()
    assert stock[0].keys() == faster[0].keys()
    differing = [urn for urn, answer in stock[0].items() if faster[0][urn] != answer]
    assert differing == [], f"Analyze answers differ ({faster_path}) for {differing[:5]}"
    assert stock[1] == faster[1], f"AnalyzeStack answers differ ({faster_path})"


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_conversion_cache__same_answers_as_the_stock_sdk_on_the_shipped_stacks(
    stack: str, stock_sdk: None, faster_path: str
) -> None:
    export = plan_export(shipped_plan(stack).run, PROJECT_DIR)
    _compare(stack, export, faster_path)


def test_conversion_cache__same_answers_as_the_stock_sdk_with_every_mutation_applied(
    stock_sdk: None, faster_path: str
) -> None:
    export = _every_mutation(plan_export(shipped_plan("prod").run, PROJECT_DIR))
    stock = _responses("prod", export)
    assert any(b"must" in answer for answer in stock[0].values()), "the mutated plan should violate resource policies"
    assert b"must" in stock[1], "the mutated plan should violate stack policies"
    _compare("prod", export, faster_path)


def _sdk_state() -> tuple[Any, ...]:
    servicer = sdk._PolicyAnalyzerServicer
    methods = (*conversion_cache.COPIES, "_get_resource_options", "_get_provider_resource")
    return (
        sdk.json_format,
        sdk.deserialize_properties,
        sdk.unknown_checking_proxy,
        *(getattr(servicer, name) for name in methods),
    )


def test_conversion_cache__installs_the_copies_over_the_pinned_sdk_and_uninstall_restores(stock_sdk: None) -> None:
    stock = _sdk_state()
    assert conversion_cache.install()
    installed = _sdk_state()
    for name, copy in conversion_cache.COPIES.items():
        assert getattr(sdk._PolicyAnalyzerServicer, name) is copy, name
    assert not conversion_cache.memos_installed(), "with both analyzer copies in place the memos serve nothing"
    assert conversion_cache.install()
    assert _sdk_state() == installed, "a second install must not wrap or copy again"
    conversion_cache.uninstall()
    assert _sdk_state() == stock


def test_conversion_cache__an_unknown_sdk_keeps_its_methods_and_gets_the_memos(
    stock_sdk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = _sdk_state()
    _as_if_the_sdk_changed(monkeypatch, *_FINGERPRINTS)
    assert conversion_cache.install()
    try:
        for name, method in conversion_cache.COPIES.items():
            assert getattr(sdk._PolicyAnalyzerServicer, name) is not method, name
        assert conversion_cache.memos_installed()
    finally:
        conversion_cache.uninstall()
    assert _sdk_state() == stock


@pytest.mark.parametrize(
    ("changed", "kept"),
    [
        ("SDK_ANALYZE_SHA256", "Analyze"),
        ("SDK_ANALYZE_STACK_SHA256", "AnalyzeStack"),
        ("SDK_CONFIGURE_RUNTIME_SETTINGS_SHA256", "_configure_runtime_settings"),
        ("PULUMI_GET_CONFIG_ENV_SHA256", "_configure_runtime_settings"),
    ],
)
def test_conversion_cache__each_copy_needs_the_exact_source_it_was_written_from(
    changed: str, kept: str, stock_sdk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = getattr(sdk._PolicyAnalyzerServicer, kept)
    _as_if_the_sdk_changed(monkeypatch, changed)
    assert conversion_cache.install()
    try:
        assert getattr(sdk._PolicyAnalyzerServicer, kept) is stock
        for name, copy in conversion_cache.COPIES.items():
            if name != kept:
                assert getattr(sdk._PolicyAnalyzerServicer, name) is copy, name
        # The memos stand in wherever an analyzer method stays the SDK's own.
        assert conversion_cache.memos_installed() == (kept != "_configure_runtime_settings")
    finally:
        conversion_cache.uninstall()


def test_conversion_cache__a_pulumi_without_get_config_env_keeps_the_sdks_runtime_settings(
    stock_sdk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = sdk._PolicyAnalyzerServicer._configure_runtime_settings
    monkeypatch.delattr("pulumi.runtime.get_config_env")
    assert conversion_cache.install(), "the pack must still start"
    try:
        assert sdk._PolicyAnalyzerServicer._configure_runtime_settings is stock
        assert sdk._PolicyAnalyzerServicer.Analyze is conversion_cache.analyze_once
    finally:
        conversion_cache.uninstall()


_PACK_ENVIRONMENT = {
    "PULUMI_CONFIG": json.dumps({"aws:region": "eu-west-1", "finstack:regions": '["eu-west-1","eu-central-1"]'}),
    "PULUMI_PROJECT": "finstack",
    "PULUMI_STACK": "prod",
    "PULUMI_DRY_RUN": "true",
    "PULUMI_ORGANIZATION": "acme",
}


def _runtime_after(configure: Callable[[Any], None], calls: int = 1) -> list[dict[str, Any]]:
    """The runtime state (config and settings) after each call, in a context of its own.

    A fresh config store in a copied context: the test leaves the process's runtime as it was.
    """

    def run() -> list[dict[str, Any]]:
        runtime_config.CONFIG.set({})
        states = []
        for _ in range(calls):
            configure(None)
            settings = runtime_settings.SETTINGS
            states.append(
                {
                    "config": dict(runtime_config.CONFIG.get()),
                    "settings": {
                        name: getattr(settings, name)
                        for name in ("project", "stack", "dry_run", "organization", "parallel", "root_directory")
                    },
                    "legacy_apply_enabled": settings.legacy_apply_enabled,
                    "monitor": settings.monitor,
                    "engine": settings.engine,
                    "rpc_manager": settings.rpc_manager,
                }
            )
        return states

    return contextvars.copy_context().run(run)


def _without_identities(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "rpc_manager"}


@pytest.mark.parametrize("environment", [_PACK_ENVIRONMENT, {}, {"PULUMI_CONFIG": "{}", "PULUMI_DRY_RUN": "false"}])
def test_configure_runtime_settings_once__leaves_the_runtime_as_the_sdk_does(
    environment: dict[str, str], stock_sdk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _PACK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    stock = _runtime_after(sdk._PolicyAnalyzerServicer._configure_runtime_settings, calls=2)
    copied = _runtime_after(conversion_cache.configure_runtime_settings_once, calls=2)
    assert [_without_identities(s) for s in copied] == [_without_identities(s) for s in stock]
    if "PULUMI_PROJECT" in environment:
        assert stock[0]["settings"]["organization"] == "acme"
        # Each call configures a fresh Settings (its RPC manager with it), as the SDK's does.
        assert copied[0]["rpc_manager"] is not copied[1]["rpc_manager"]


def test_configure_runtime_settings_once__reads_a_changed_config_and_never_shares_a_mutable_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"aws:region": "eu-west-1"}))
    assert _runtime_after(conversion_cache.configure_runtime_settings_once)[0]["config"] == {"aws:region": "eu-west-1"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"aws:region": "eu-central-1"}))
    assert _runtime_after(conversion_cache.configure_runtime_settings_once)[0]["config"] == {
        "aws:region": "eu-central-1"
    }
    # The CLI sends strings; a structured value is parsed afresh each call, as the SDK does.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"finstack:tags": {"team": "sre"}}))
    first, second = _runtime_after(conversion_cache.configure_runtime_settings_once, calls=2)
    assert first["config"] == second["config"] == {"finstack:tags": {"team": "sre"}}
    assert first["config"]["finstack:tags"] is not second["config"]["finstack:tags"]


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


def test_conversion_cache__every_copy_matches_the_pinned_sdk(stock_sdk: None) -> None:
    # policy/requirements.txt pins the SDK whose methods the copies reproduce. A different SDK
    # keeps its own (slower) methods: review the new ones, then update the pin and the
    # fingerprints in conversion_cache.py together.
    mismatched = [o.method for o in conversion_cache._overrides() if not o.matches()]
    assert mismatched == [], f"the installed SDK's {mismatched} are not the sources the copies were written from"
    pinned = [line for line in (PROJECT_DIR / "policy" / "requirements.txt").read_text().splitlines() if "==" in line]
    assert pinned == [f"pulumi-policy=={importlib.metadata.version('pulumi-policy')}"], pinned


def test_conversion_cache__pyproject_and_the_pack_requirements_pin_one_sdk() -> None:
    # The project (pyproject.toml) and the pack's own environment (policy/requirements.txt, what
    # `pulumi preview --policy-pack` installs) must run the SDK the copies were written from.
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["dependencies"]
    in_project = [d.replace(" ", "") for d in project if d.replace(" ", "").startswith("pulumi-policy")]
    in_pack = [
        line.strip()
        for line in (PROJECT_DIR / "policy" / "requirements.txt").read_text().splitlines()
        if line.strip().startswith("pulumi-policy")
    ]
    assert in_project == in_pack == [f"pulumi-policy=={importlib.metadata.version('pulumi-policy')}"], (
        in_project,
        in_pack,
    )


# --- skipping policies by resource type ----------------------------------------------------------


def _policy_named(name: str) -> Any:
    return next(p for p in ALL_POLICIES if p.name == name)


def test_type_probe__learns_which_types_a_validator_ignores():
    probe = _policy_named("aurora-storage-encrypted").finstack_type_probe
    assert probe.ignores("aws:s3/bucket:Bucket")
    assert not probe.ignores("aws:rds/cluster:Cluster")


def test_type_probe__a_validator_that_reads_more_than_the_type_is_never_skipped():
    from policy.rules._util import TypeProbe

    def reads_props_first(args: Any, report: Any) -> None:
        if args.props.get("x") and args.resource_type != "aws:s3/bucket:Bucket":
            return

    def reports_everything(args: Any, report: Any) -> None:
        report("Everything must be reported.", None)

    assert not TypeProbe(reads_props_first).ignores("aws:sns/topic:Topic")
    assert not TypeProbe(reports_everything).ignores("aws:sns/topic:Topic")


def test_type_probe__never_skips_a_policy_whose_config_has_waivers():
    policy = _policy_named("aurora-storage-encrypted")
    waiver = {"resource": "b", "reason": "r" * 10, "owner": "o", "approver": "a", "approved": "2026-01-01"}
    assert conversion_cache._ignores(policy, "aws:s3/bucket:Bucket", {})
    assert not conversion_cache._ignores(policy, "aws:s3/bucket:Bucket", {"waivers": [waiver | {"expires": "x"}]})


def test_type_probe__every_finstack_resource_policy_carries_one():
    resource_policies = [p for p in ALL_POLICIES if isinstance(p, ResourceValidationPolicy)]
    assert [p.name for p in resource_policies if not hasattr(p, "finstack_type_probe")] == []
