"""Do the SDK analyzer's repeated work once per call, not once per policy.

The pulumi-policy SDK's analyzer turns a resource's protobuf properties into the proxy a policy
sees (`MessageToDict`, then `deserialize_properties`, then `unknown_checking_proxy`) inside its
loop over policies: `Analyze` converts a resource and its provider once for each of the pack's
resource policies, and `AnalyzeStack` converts every resource of the stack once for each stack
policy. Before either, it re-reads the runtime settings from the environment. With ~40 resource
and ~20 stack policies this repeated work was most of the pack's CPU time
(benchmarks/check_overhead.py), which is what `finstack check` and a policy-checked
`pulumi preview` wait for.

For the SDK version policy/requirements.txt pins, `install()` replaces three methods of the
SDK's servicer with copies that do the repeated work once. Each copy is installed only over the
exact source it was written from (a sha256 in `_OVERRIDES`); any other SDK keeps its own method.

- `analyze_once` (`Analyze`): the request's properties, options and provider are converted on
  the first enabled policy and shared by the rest, and a finstack policy whose validator decides
  from the resource type alone that the resource is not its kind is not called at all (its
  `TypeProbe` learns that once per type; see `_ignores`);
- `analyze_stack_once` (`AnalyzeStack`): the SDK rebuilds the whole stack as `PolicyResource`
  objects for every stack policy and links each one's parent and dependencies, which costs more
  than the policies themselves; the copy builds that graph once per call and hands each policy
  its own list of the shared resources (so one that reorders its list cannot affect the next);
- `configure_runtime_settings_once` (`_configure_runtime_settings`, which both call first): the
  SDK parses `PULUMI_CONFIG` as JSON and inspects the signature of `pulumi.runtime.Settings` on
  every call, a quarter of the pack's time per `Analyze`. The copy parses each distinct
  `PULUMI_CONFIG` once and inspects the signature once, and still sets the config and a fresh
  `Settings` on every call, as the SDK does (they live in context variables, so each of the
  server's threads needs its own).

Where `Analyze` or `AnalyzeStack` stays the SDK's own, `install()` wraps the three conversion
functions, as the SDK's analyzer module refers to them, and the servicer's two helpers that build
a request's options and provider, in memos keyed by the identity of their argument: the same
protobuf message (the SDK reads `request.properties` from the one request for every policy)
yields the same converted object.

Either way the SDK and its policies behave exactly as before, only the repeated work is skipped:

- a memo keeps a strong reference to its key, so an id cannot be reused while it is cached;
  past MAX_ENTRIES (a stack of a few thousand resources) it starts over;
- only the plain one-argument forms are memoized: `Remediate` deserializes with secrets
  preserved and gets a fresh object, because a remediation may rewrite it;
- the policies of one call share the converted properties, options and provider; no finstack
  policy writes to them (tests/policy/test_conversion_cache.py compares every response of the
  stock and the faster analyzer, copies and memos alike, over both shipped stacks and every
  mutation).

Installing is idempotent, and a no-op for an SDK that neither matches a fingerprint nor calls
the conversion functions through these module names: the pack then runs at the stock speed,
with the same results.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

MAX_ENTRIES = 8192
_INSTALLED_FLAG = "_finstack_conversion_cache"
# Servicer methods that build a policy's view of a request from the request alone.
_PURE_METHODS = ("_get_resource_options", "_get_provider_resource")
_CONVERSIONS = ("json_format", "deserialize_properties", "unknown_checking_proxy")
# sha256 of the source of each method a copy below reproduces: pulumi-policy 1.21.0's
# `_PolicyAnalyzerServicer` methods, and pulumi's `get_config_env`, which
# `configure_runtime_settings_once` inlines. A different source keeps the SDK's own method.
SDK_ANALYZE_SHA256 = "75db9cf8fc9d158596909b9b3f77bf48815990a6f513f2bb35728a67e4d8a515"
SDK_ANALYZE_STACK_SHA256 = "3917a008482c2387d7da37f65d889970933e8df8efc57270559e20b36be837bf"
SDK_CONFIGURE_RUNTIME_SETTINGS_SHA256 = "da0923ff3a404f3633b701587071091c98432f5d7c70856eb8be6a6ee6c4c845"
PULUMI_GET_CONFIG_ENV_SHA256 = "428a3ad39b87cd4ecf22387337e9ac9cac2d57e2be6a2d2e4eae029db92fe3dd"


class IdentityMemo:
    """A thread-safe, bounded memo of results keyed by the identity of an object.

    Reads take no lock (a dict lookup is atomic under the GIL); a memo that outgrows
    `max_entries` starts over rather than tracking recency, which costs the hot path nothing.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._lock = threading.Lock()
        # id(key) -> (key, result): holding the key keeps its id from being reused while cached.
        self._entries: dict[int, tuple[Any, Any]] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The result for `key`, computed by `compute()` the first time."""
        entry = self._entries.get(id(key))
        if entry is not None and entry[0] is key:
            return entry[1]
        result = compute()
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries = {}
            self._entries[id(key)] = (key, result)
        return result

    def __len__(self) -> int:
        return len(self._entries)


def memoized(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function(x)` computed once per object `x`; calls with further arguments are not shared.

    e.g. `deserialize_properties(props, True)` (Remediate keeps secrets, and may rewrite them).
    """
    memo = IdentityMemo()

    def call(argument: Any, *rest: Any, **options: Any) -> Any:
        if rest or options:
            return function(argument, *rest, **options)
        return memo.get(argument, lambda: function(argument))

    call.memo = memo  # type: ignore[attr-defined]
    call.original = function  # type: ignore[attr-defined]
    return call


def memoized_method(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """`self.method(request)` computed once per request (the result depends on the request only)."""
    memo = IdentityMemo()

    def call(self: Any, request: Any) -> Any:
        return memo.get(request, lambda: method(self, request))

    call.memo = memo  # type: ignore[attr-defined]
    call.original = method  # type: ignore[attr-defined]
    return call


class _JsonFormat:
    """Stands in for `google.protobuf.json_format` in the SDK's analyzer module."""

    def __init__(self, original: Any) -> None:
        self.original = original
        self.MessageToDict = memoized(original.MessageToDict)  # the SDK calls json_format.MessageToDict

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


def analyze_once(self: Any, request: Any, _context: Any) -> Any:
    """pulumi-policy 1.21.0's Analyze, with the request converted once per call.

    The SDK's method step for step, except that the resource's properties proxy, options and
    provider are built on the first enabled policy that validates, and shared by the rest, and
    that the request's fields and the SDK's names are looked up once per call, not per policy
    (with ~40 policies, that loop is most of the call), and that a policy whose validator ignores
    the resource's type (`_ignores`) is skipped before any of its per-policy work.
    """
    from pulumi_policy import policy as analyzer

    proto = analyzer.proto
    disabled, remediate, mandatory = (
        analyzer.EnforcementLevel.DISABLED,
        analyzer.EnforcementLevel.REMEDIATE,
        analyzer.EnforcementLevel.MANDATORY,
    )
    resource_policy, validation_args = analyzer.ResourceValidationPolicy, analyzer.ResourceValidationArgs
    self._configure_runtime_settings()
    response = proto.AnalyzeResponse()
    # What every policy of this call sees alike, read once (the SDK reads it again per policy).
    resource_type, urn, name = request.type, request.urn, request.name
    stack_tags = self._PolicyAnalyzerServicer__stack_tags
    seen: tuple[Any, Any, Any] | None = None
    for policy in self._PolicyAnalyzerServicer__policies:
        enforcement_level = self._get_enforcement_level(policy)
        if enforcement_level == disabled or not isinstance(policy, resource_policy):
            continue
        if not policy.has_validation():
            # A remediation-only policy (the SDK's wording).
            reason = "Policy does not implement validate"
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=reason))
            continue
        config = self._get_policy_config(policy.name)
        if _ignores(policy, resource_type, config):
            continue  # it would return at its type guard, reporting nothing (see _ignores)
        if enforcement_level == remediate:
            enforcement_level = mandatory  # still violating after remediation
        report_violation = self._create_report_violation(
            response, policy.name, policy.description, enforcement_level, policy.severity
        )
        if seen is None:
            props = analyzer.unknown_checking_proxy(
                analyzer.deserialize_properties(analyzer.json_format.MessageToDict(request.properties))
            )
            seen = (props, self._get_resource_options(request), self._get_provider_resource(request))
        props, opts, provider = seen
        args = validation_args(resource_type, props, urn, name, opts, provider, config, stack_tags)
        _validate(self, analyzer, policy, args, report_violation, response)
    return response


def _ignores(policy: Any, resource_type: str, config: Any) -> bool:
    """True when the policy's validator would return for this type without reading or reporting.

    finstack's resource policies carry a `finstack_type_probe` (policy/rules/_util.TypeProbe)
    that learns, once per type, whether the validator decides from the type alone. Only without
    waivers in the policy's config: the waiver wrapper reports expired or malformed waivers on the
    resources they name, whatever the type. A policy without a probe is always called.
    """
    probe = getattr(policy, "finstack_type_probe", None)
    if probe is None or (isinstance(config, dict) and config.get("waivers")):
        return False
    return bool(probe.ignores(resource_type))


def analyze_stack_once(self: Any, request: Any, _context: Any) -> Any:
    """pulumi-policy 1.21.0's AnalyzeStack, with the stack's resources built once per call.

    The SDK's method step for step, except that the stack's `PolicyResource` graph is built on
    the first enabled stack policy instead of for each one, and each policy gets its own list
    of those shared resources (so one that reorders its list cannot affect the next).
    """
    from pulumi_policy import policy as analyzer

    proto = analyzer.proto
    level_of = analyzer.EnforcementLevel
    self._configure_runtime_settings()
    response = proto.AnalyzeResponse()
    resources: list[Any] | None = None
    for policy in self._PolicyAnalyzerServicer__policies:
        enforcement_level = self._get_enforcement_level(policy)
        if enforcement_level == level_of.DISABLED or not isinstance(policy, analyzer.StackValidationPolicy):
            continue
        if enforcement_level == level_of.REMEDIATE:
            enforcement_level = level_of.MANDATORY  # stack policies cannot be remediated
        report_violation = self._create_report_violation(
            response, policy.name, policy.description, enforcement_level, policy.severity
        )
        if resources is None:
            resources = _stack_resources(self, request)
        config = self._get_policy_config(policy.name)
        args = analyzer.StackValidationArgs(list(resources), config, self._PolicyAnalyzerServicer__stack_tags)
        _validate(self, analyzer, policy, args, report_violation, response)
    return response


def _validate(self: Any, analyzer: Any, policy: Any, args: Any, report_violation: Any, response: Any) -> None:
    """Run one policy as the SDK's Analyze and AnalyzeStack both do (their identical try block)."""
    proto = analyzer.proto
    try:
        result = policy.validate(args, report_violation)
        if result is not None and isawaitable(result):  # None, from a plain validator, never is
            loop = asyncio.new_event_loop()
            task: asyncio.Task[Any] = asyncio.Task(result, loop=loop)  # type: ignore[arg-type]
            loop.run_until_complete(task)
            loop.close()
    except analyzer.UnknownValueError as e:
        pack_name = self._PolicyAnalyzerServicer__policy_pack_name
        pack_version = self._PolicyAnalyzerServicer__policy_pack_version
        response.diagnostics.append(
            proto.AnalyzeDiagnostic(
                policyName=policy.name,
                policyPackName=pack_name,
                policyPackVersion=pack_version,
                message=(
                    f"can't run policy '{policy.name}' from policy pack "
                    f"'{pack_name}@v{pack_version}' during preview: {e.message}"
                ),
                urn="",
                description=policy.description,
                enforcementLevel=self._map_enforcement_level(analyzer.EnforcementLevel.ADVISORY),
            )
        )
    except analyzer._NotApplicableError as e:
        response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))


def _stack_resources(self: Any, request: Any) -> list[Any]:
    """The request's resources as the SDK builds them for a stack policy, parents and dependencies linked."""
    from pulumi_policy import policy as analyzer

    built = []
    for r in request.resources:
        props = analyzer.unknown_checking_proxy(
            analyzer.deserialize_properties(analyzer.json_format.MessageToDict(r.properties))
        )
        resource = analyzer.PolicyResource(
            r.type,
            props,
            r.urn,
            r.name,
            self._get_resource_options(r),
            self._get_provider_resource(r),
            None,
            [],
            {},
        )
        property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
        built.append((resource, r.parent, list(r.dependencies), property_dependencies))
    by_urn = {resource.urn: resource for resource, *_ in built}
    for resource, parent, dependencies, property_dependencies in built:
        if parent is not None and parent in by_urn:
            resource.parent = by_urn[parent]
        resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
        for key, urns in property_dependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
    return [resource for resource, *_ in built]


def configure_runtime_settings_once(self: Any) -> None:
    """pulumi-policy 1.21.0's _configure_runtime_settings, parsing and inspecting once.

    The SDK's method step for step (with pulumi's `get_config_env` inlined), except that each
    distinct `PULUMI_CONFIG` is parsed once and `Settings`' signature is inspected once. The
    config is still set, and a fresh `Settings` configured, on every call.
    """
    import pulumi.runtime

    for key, value in _config_items(os.environ.get("PULUMI_CONFIG")):
        pulumi.runtime.set_config(key, value)
    if "PULUMI_PROJECT" in os.environ and "PULUMI_STACK" in os.environ and "PULUMI_DRY_RUN" in os.environ:
        settings_args: dict[str, Any] = {
            "project": os.environ["PULUMI_PROJECT"],
            "stack": os.environ["PULUMI_STACK"],
            "dry_run": os.environ["PULUMI_DRY_RUN"] == "true",
        }
        # Older pulumi SDKs have no organization argument (why the SDK inspects the signature).
        if _takes_organization(pulumi.runtime.Settings):
            settings_args["organization"] = os.environ.get("PULUMI_ORGANIZATION", "organization")
        pulumi.runtime.configure(pulumi.runtime.Settings(**settings_args))


# The last PULUMI_CONFIG parsed, and its items.
_parsed_config: tuple[str, tuple[tuple[str, Any], ...]] | None = None
_IMMUTABLE = (str, int, float, bool, type(None))


def _config_items(raw: str | None) -> tuple[tuple[str, Any], ...]:
    """`get_config_env().items()` for this PULUMI_CONFIG; parsed once while it stays the same.

    The CLI passes string values. Should a value be a JSON list or object, every call parses
    afresh, as the SDK does, so that no two calls share a mutable value.
    """
    global _parsed_config  # noqa: PLW0603 - a one-entry cache; replacing the tuple is atomic
    if raw is None:
        return ()
    cached = _parsed_config
    if cached is not None and cached[0] == raw:
        return cached[1]
    items = tuple(json.loads(raw).items())
    if all(isinstance(value, _IMMUTABLE) for _, value in items):
        _parsed_config = (raw, items)
    return items


@functools.cache
def _takes_organization(settings_class: type) -> bool:
    return "organization" in inspect.signature(settings_class).parameters


def _fingerprint(method: Any) -> str | None:
    try:
        return hashlib.sha256(inspect.getsource(method).encode()).hexdigest()
    except (OSError, TypeError):  # no source shipped: treat as unknown
        return None


# Each copy by the name of the servicer method it replaces.
COPIES: dict[str, Callable[..., Any]] = {
    "Analyze": analyze_once,
    "AnalyzeStack": analyze_stack_once,
    "_configure_runtime_settings": configure_runtime_settings_once,
}


@dataclass(frozen=True)
class _Override:
    """A servicer method, the copy that replaces it, and the sources the copy was written from."""

    method: str
    copy: Callable[..., Any]
    sources: tuple[tuple[Any, str], ...]  # (function, sha256 of its source)

    def matches(self) -> bool:
        return all(_fingerprint(function) == sha256 for function, sha256 in self.sources)


def _overrides() -> list[_Override]:
    """The copies, checked against the SDK installed now (and the fingerprints as they are now)."""
    import pulumi.runtime
    from pulumi_policy import policy as analyzer

    def method(name: str) -> Any:
        return getattr(analyzer._PolicyAnalyzerServicer, name, None)  # gone in another SDK: no match

    return [
        _Override("Analyze", COPIES["Analyze"], ((method("Analyze"), SDK_ANALYZE_SHA256),)),
        _Override("AnalyzeStack", COPIES["AnalyzeStack"], ((method("AnalyzeStack"), SDK_ANALYZE_STACK_SHA256),)),
        _Override(
            "_configure_runtime_settings",
            COPIES["_configure_runtime_settings"],
            (
                (method("_configure_runtime_settings"), SDK_CONFIGURE_RUNTIME_SETTINGS_SHA256),
                (getattr(pulumi.runtime, "get_config_env", None), PULUMI_GET_CONFIG_ENV_SHA256),
            ),
        ),
    ]


def install() -> bool:
    """Install the copies that match the SDK, and the memos where Analyze or AnalyzeStack stays the SDK's.

    True if either is (now or already) in place.
    """
    from pulumi_policy import policy as analyzer

    if getattr(analyzer, _INSTALLED_FLAG, False):
        return True
    servicer = getattr(analyzer, "_PolicyAnalyzerServicer", None)
    if servicer is None:
        return False
    copied = set()
    for override in _overrides():
        if override.matches():  # a method the SDK does not have matches no fingerprint
            override.copy.original = getattr(servicer, override.method)  # type: ignore[attr-defined]
            setattr(servicer, override.method, override.copy)
            copied.add(override.method)
    if not {"Analyze", "AnalyzeStack"} <= copied and _memoizable(analyzer):
        analyzer.json_format = _JsonFormat(analyzer.json_format)
        analyzer.deserialize_properties = memoized(analyzer.deserialize_properties)
        analyzer.unknown_checking_proxy = memoized(analyzer.unknown_checking_proxy)
        for name in _PURE_METHODS:
            setattr(servicer, name, memoized_method(getattr(servicer, name)))
    elif not copied:
        return False
    setattr(analyzer, _INSTALLED_FLAG, True)
    return True


def _memoizable(analyzer: Any) -> bool:
    servicer = analyzer._PolicyAnalyzerServicer
    return all(hasattr(analyzer, name) for name in _CONVERSIONS) and all(
        callable(getattr(servicer, name, None)) for name in _PURE_METHODS
    )


def memos_installed() -> bool:
    """True while the conversion memos are in place (the fallback for an SDK without the copies)."""
    from pulumi_policy import policy as analyzer

    return hasattr(analyzer.deserialize_properties, "memo")


def uninstall() -> None:
    """Restore the SDK's own methods and functions (for tests that compare both)."""
    from pulumi_policy import policy as analyzer

    if not getattr(analyzer, _INSTALLED_FLAG, False):
        return
    servicer = analyzer._PolicyAnalyzerServicer
    for name, copy in COPIES.items():
        if vars(servicer).get(name) is copy:
            setattr(servicer, name, copy.original)  # type: ignore[attr-defined]
    if memos_installed():
        for name in _CONVERSIONS:
            setattr(analyzer, name, getattr(analyzer, name).original)
        for name in _PURE_METHODS:
            setattr(servicer, name, getattr(servicer, name).original)
    setattr(analyzer, _INSTALLED_FLAG, False)
