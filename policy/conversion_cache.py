"""Convert each resource's properties once per call, not once per policy.

The pulumi-policy SDK's analyzer turns a resource's protobuf properties into the proxy a policy
sees (`MessageToDict`, then `deserialize_properties`, then `unknown_checking_proxy`) inside its
loop over policies: `Analyze` converts a resource and its provider once for each of the pack's
resource policies, and `AnalyzeStack` converts every resource of the stack once for each stack
policy. With ~40 resource and ~20 stack policies that conversion is three quarters of the pack's
CPU time (benchmarks/check_overhead.py), which is what `finstack check` and a policy-checked
`pulumi preview` wait for.

`install()` wraps the three functions, as the SDK's analyzer module refers to them, and the
servicer's two helpers that build a request's options and provider, in memos keyed by the
identity of their argument: the same protobuf message (the SDK reads `request.properties` from
the one request for every policy) yields the same converted object. The SDK and its policies
behave exactly as before, only the repeated work is skipped:

- a memo keeps a strong reference to its key, so an id cannot be reused while it is cached;
  past MAX_ENTRIES (a stack of a few thousand resources) it starts over;
- only the plain one-argument forms are memoized: `Remediate` deserializes with secrets
  preserved and gets a fresh object, because a remediation may rewrite it;
- the policies of one call share the converted properties, options and provider; no finstack
  policy writes to them (tests/policy/test_conversion_cache.py compares every response of the
  stock and the memoized analyzer over both shipped stacks and every mutation).

`AnalyzeStack` needs more than a memo: for every stack policy the SDK rebuilds the whole stack
as `PolicyResource` objects, then links each one's parent and dependencies, which costs more than
the policies themselves. `install()` replaces it with `analyze_stack_once`, the same method
building that graph once per call (on the first enabled stack policy) and handing each policy
its own list of the shared resources. It is installed only over the SDK method it was written
from (a fingerprint of its source, `SDK_ANALYZE_STACK_SHA256`): any other SDK version keeps its
own AnalyzeStack.

Installing is idempotent and a no-op for an SDK that no longer calls the functions through
these module names: the pack then runs at the stock speed, with the same results.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import threading
from collections.abc import Callable
from inspect import isawaitable
from typing import Any

MAX_ENTRIES = 8192
_INSTALLED_FLAG = "_finstack_conversion_cache"
# Servicer methods that build a policy's view of a request from the request alone.
_PURE_METHODS = ("_get_resource_options", "_get_provider_resource")
# sha256 of the source of pulumi-policy 1.21.0's `_PolicyAnalyzerServicer.AnalyzeStack`, the
# method `analyze_stack_once` reproduces; a different source keeps the SDK's own.
SDK_ANALYZE_STACK_SHA256 = "3917a008482c2387d7da37f65d889970933e8df8efc57270559e20b36be837bf"


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
    pack_name = self._PolicyAnalyzerServicer__policy_pack_name
    pack_version = self._PolicyAnalyzerServicer__policy_pack_version
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
        try:
            result = policy.validate(args, report_violation)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                task: asyncio.Task[Any] = asyncio.Task(result, loop=loop)  # type: ignore[arg-type]
                loop.run_until_complete(task)
                loop.close()
        except analyzer.UnknownValueError as e:
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
                    enforcementLevel=self._map_enforcement_level(level_of.ADVISORY),
                )
            )
        except analyzer._NotApplicableError as e:
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))
    return response


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


def _fingerprint(method: Any) -> str | None:
    try:
        return hashlib.sha256(inspect.getsource(method).encode()).hexdigest()
    except (OSError, TypeError):  # no source shipped: treat as unknown
        return None


def install() -> bool:
    """Memoize the SDK analyzer's property conversion; True if it is (now or already) memoized."""
    from pulumi_policy import policy as analyzer

    if getattr(analyzer, _INSTALLED_FLAG, False):
        return True
    servicer = getattr(analyzer, "_PolicyAnalyzerServicer", None)
    functions = ("json_format", "deserialize_properties", "unknown_checking_proxy")
    if servicer is None or not all(hasattr(analyzer, name) for name in functions):
        return False
    if not all(callable(getattr(servicer, name, None)) for name in _PURE_METHODS):
        return False
    analyzer.json_format = _JsonFormat(analyzer.json_format)
    analyzer.deserialize_properties = memoized(analyzer.deserialize_properties)
    analyzer.unknown_checking_proxy = memoized(analyzer.unknown_checking_proxy)
    for name in _PURE_METHODS:
        setattr(servicer, name, memoized_method(getattr(servicer, name)))
    if _fingerprint(servicer.AnalyzeStack) == SDK_ANALYZE_STACK_SHA256:
        analyze_stack_once.original = servicer.AnalyzeStack  # type: ignore[attr-defined]
        servicer.AnalyzeStack = analyze_stack_once  # type: ignore[method-assign]
    setattr(analyzer, _INSTALLED_FLAG, True)
    return True


def uninstall() -> None:
    """Restore the SDK's own functions (for tests that compare both)."""
    from pulumi_policy import policy as analyzer

    if not getattr(analyzer, _INSTALLED_FLAG, False):
        return
    for name in ("json_format", "deserialize_properties", "unknown_checking_proxy"):
        setattr(analyzer, name, getattr(analyzer, name).original)
    for name in _PURE_METHODS:
        setattr(analyzer._PolicyAnalyzerServicer, name, getattr(analyzer._PolicyAnalyzerServicer, name).original)
    if analyzer._PolicyAnalyzerServicer.AnalyzeStack is analyze_stack_once:
        original = analyze_stack_once.original  # type: ignore[attr-defined]
        analyzer._PolicyAnalyzerServicer.AnalyzeStack = original  # type: ignore[method-assign]
    setattr(analyzer, _INSTALLED_FLAG, False)
