"""Plumbing that plugs our extensions into moto's routing, reversibly.

moto routes a request in two steps, both driven by data we can extend without forking it:

1. `moto.backend_index.backend_url_patterns` maps a host (``kafka.us-east-1.amazonaws.com``) to a
   service name; `moto.backends.get_backend(name)` returns that service's `BackendDict`.
2. The backend's ``urls`` module maps a path regex to a response class's ``dispatch``; the response
   class maps the API action to a method (``FailoverGlobalCluster`` -> ``failover_global_cluster``).

Both the in-process mock (botocore's ``before-send`` hook) and the server (`DomainDispatcherApplication`)
read these tables on every request (the server when it first builds a service's app), so changing
them once, before the first request, reaches both modes. Every change is recorded with its undo.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from moto import backend_index
from moto import backends as moto_backends

#: Serialises every extension's state changes: the server handles requests on threads.
EXTENSION_LOCK = threading.RLock()

_original_get_backend = moto_backends.get_backend
_extra_backends: dict[str, Any] = {}


def _get_backend(name: str) -> Any:
    """`moto.backends.get_backend` that also knows the services this package adds."""
    backend = _extra_backends.get(name.replace("-", ""))
    return backend if backend is not None else _original_get_backend(name)  # type: ignore[call-overload]


class Installation:
    """A reversible set of changes to moto's routing tables."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def register_service(self, name: str, host_pattern: str, backends: Any) -> None:
        """Route hosts matching `host_pattern` to a new service `name` served by `backends`.

        The pattern goes first in moto's index so no broader moto pattern can shadow it.
        """
        entry = (name, re.compile(host_pattern))
        backend_index.backend_url_patterns.insert(0, entry)
        _extra_backends[name] = backends
        if moto_backends.get_backend is not _get_backend:
            moto_backends.get_backend = _get_backend  # type: ignore[assignment]

        def undo() -> None:
            backend_index.backend_url_patterns.remove(entry)
            _extra_backends.pop(name, None)
            if not _extra_backends:
                moto_backends.get_backend = _original_get_backend

        self._undo.append(undo)

    def route(self, urls_module: ModuleType, path: str, handler: Callable[..., Any]) -> None:
        """Serve `path` (a moto url_paths key, ``{0}`` = the host) with `handler` in `urls_module`."""
        paths: dict[str, Any] = urls_module.url_paths
        missing = object()
        previous = paths.get(path, missing)
        paths[path] = handler

        def undo() -> None:
            if previous is missing:
                paths.pop(path, None)
            else:
                paths[path] = previous

        self._undo.append(undo)

    def patch(self, owner: Any, attribute: str, replacement: Any) -> None:
        """Replace `owner.attribute` (a moto model method that gets AWS wrong) until uninstall."""
        previous = getattr(owner, attribute)
        setattr(owner, attribute, replacement)
        self._undo.append(lambda: setattr(owner, attribute, previous))

    def add(self, owner: Any, attribute: str, method: Any) -> None:
        """Give `owner` (a moto responses class) a method moto lacks (a new API action) until uninstall."""
        if hasattr(owner, attribute):
            raise AttributeError(f"{owner.__name__}.{attribute} exists; use patch() to replace it")
        setattr(owner, attribute, method)
        self._undo.append(lambda: delattr(owner, attribute))

    def uninstall(self) -> None:
        """Revert every change, newest first."""
        while self._undo:
            self._undo.pop()()
