"""What the emulator created for a stack, in creation order: the basis of idempotent `up` and of `destroy`."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StateEntry:
    """One resource as the emulator holds it."""

    type: str
    name: str
    id: str
    region: str
    emulated: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def properties(self) -> dict[str, Any]:
        """Inputs and outputs together: what a delete handler works from."""
        return {**self.inputs, **self.outputs}

    @property
    def key(self) -> str:
        """Type and logical name: unique in a finstack program (children are named `f"{name}-{role}"`)."""
        return f"{self.type}::{self.name}"


@dataclass
class DeployState:
    """Every resource of one stack in one emulated account, in creation order."""

    stack: str
    endpoint: str
    entries: dict[str, StateEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def get(self, type_: str, name: str) -> StateEntry | None:
        """The entry for a resource, if the emulator already holds it."""
        with self._lock:
            return self.entries.get(f"{type_}::{name}")

    def add(self, entry: StateEntry) -> None:
        """Record a newly created resource."""
        with self._lock:
            self.entries[entry.key] = entry

    def remove(self, key: str) -> None:
        """Forget a deleted resource."""
        with self._lock:
            self.entries.pop(key, None)

    def in_creation_order(self) -> list[StateEntry]:
        """Entries oldest first (dependencies before dependants)."""
        with self._lock:
            return list(self.entries.values())

    def save(self, path: Path) -> None:
        """Write the state file (atomically: a crash never leaves half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "stack": self.stack,
            "endpoint": self.endpoint,
            "resources": [asdict(e) for e in self.in_creation_order()],
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, stack: str, endpoint: str) -> DeployState:
        """The saved state for this stack and emulator endpoint, or an empty one."""
        if not path.is_file():
            return cls(stack, endpoint)
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("stack") != stack or document.get("endpoint") != endpoint:
            return cls(stack, endpoint)
        state = cls(stack, endpoint)
        for raw in document.get("resources", []):
            state.add(StateEntry(**raw))
        return state
