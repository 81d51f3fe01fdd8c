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

Installing is idempotent and a no-op for an SDK that no longer calls the functions through
these module names: the pack then runs at the stock speed, with the same results.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

MAX_ENTRIES = 8192
_INSTALLED_FLAG = "_finstack_conversion_cache"
# Servicer methods that build a policy's view of a request from the request alone.
_PURE_METHODS = ("_get_resource_options", "_get_provider_resource")


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
    setattr(analyzer, _INSTALLED_FLAG, False)
