"""The emulator's clock: one source of time for failover progress and replication lag.

AWS operations take time (a global switchover runs for about a minute; replication trails the
writer by a second or so). The emulator reproduces those durations on a pluggable clock, so a
test can drive time explicitly and a drill against the local server can run on wall time:

- `MonotonicClock` — real elapsed seconds (`time.monotonic`); what `finstack emulator serve` uses.
- `VirtualClock` — time moves only when told: `advance(seconds)`, or by a fixed step on every
  emulated API request (`step_per_request`), which makes a polling drill terminate
  deterministically: its progress depends on the sequence of calls, never on the machine's speed.

Readings are seconds as a float from an arbitrary origin; only differences matter.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """A source of emulator time in seconds."""

    def now(self) -> float:
        """The current emulator time."""
        ...

    def on_request(self) -> None:
        """Hook called once per emulated API request (before the request is served)."""
        ...


class MonotonicClock:
    """Wall-clock elapsed time; never goes backwards."""

    def now(self) -> float:
        """Seconds from `time.monotonic`."""
        return time.monotonic()

    def on_request(self) -> None:
        """Real time needs no nudging."""


class VirtualClock:
    """Deterministic time that moves only through `advance` or per-request steps."""

    def __init__(self, start: float = 0.0, step_per_request: float = 0.0) -> None:
        if step_per_request < 0:
            raise ValueError(f"step_per_request must be >= 0, got {step_per_request}")
        self._now = start
        self.step_per_request = step_per_request
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current virtual time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by `seconds` (>= 0) and return the new time."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        with self._lock:
            self._now += seconds
            return self._now

    def on_request(self) -> None:
        """Advance by `step_per_request`, so N requests are worth N steps of time."""
        if self.step_per_request:
            self.advance(self.step_per_request)


_clock_lock = threading.Lock()
_clock: Clock = MonotonicClock()


def get_clock() -> Clock:
    """The clock every extension reads."""
    with _clock_lock:
        return _clock


def set_clock(clock: Clock) -> Clock:
    """Install `clock` for every extension; returns the previous one so callers can restore it."""
    global _clock
    with _clock_lock:
        previous, _clock = _clock, clock
        return previous
