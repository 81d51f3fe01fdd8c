"""The emulated write and replication model of an Aurora global database (pure, no moto, no boto3).

What a DR drill measures is data, not API calls: how many committed writes a failover lost (RPO)
and whether two regions ever accepted writes at once (split brain). This module is the data plane
that answers both, deterministically:

- A `ReplicatedDatabase` is one replication topology: a history of committed writes (ordered by
  commit time) and members, one per cluster. At most one member is the writer; it alone commits.
- A secondary applies write `w` once `w.committed_at + lag <= now` (its `lag` in seconds; `None`
  means replication is paused). What it has applied is always a prefix of the history, so "the
  last applied write" per member is well defined and monotonic.
- `fence()` stops all writes (an Aurora switchover or failover in progress: the database is briefly
  unavailable). `promote(target, allow_data_loss=...)` ends the fence with `target` as the writer:
  a switchover requires the target to have applied everything (no loss), a failover truncates the
  history to what the target had applied and returns the writes it lost.
- `detach(member)` splits a member off as a standalone database with its own history (the
  detach-and-promote path); the original keeps its writer, so two writers now exist — exactly the
  split brain the drills must not cause, and `writable_regions` shows it.

Time comes from an injected `clock` callable, so tests drive it with a virtual clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

#: Default replication lag of a secondary, seconds. Aurora global databases typically replicate in
#: under a second; one second keeps the RPO window visible in drills without slowing them down.
DEFAULT_LAG_SECONDS = 1.0

RejectReason = Literal["read-only", "unavailable", "duplicate", "unknown-member"]


@dataclass(frozen=True)
class Write:
    """One committed write: its id, a never-reused sequence number, commit time and region."""

    write_id: str
    number: int
    committed_at: float
    region: str


class WriteRejected(Exception):
    """A write the database refused; `reason` says why (read-only member, fenced, ...)."""

    def __init__(self, reason: RejectReason, member: str, message: str) -> None:
        super().__init__(message)
        self.reason: RejectReason = reason
        self.member = member


@dataclass
class Member:
    """One cluster of the topology: where it runs, how far behind it trails, what it has applied."""

    key: str
    region: str
    lag: float | None = DEFAULT_LAG_SECONDS
    # Writes [0, floor) are applied regardless of lag: they were written here, copied at join time,
    # or applied before the lag last changed. Keeps "applied" monotonic across reconfigurations.
    floor: int = 0


@dataclass
class ReplicatedDatabase:
    """Committed writes of one database and their replication to each member."""

    name: str
    clock: Callable[[], float]
    members: dict[str, Member] = field(default_factory=dict)
    writer: str | None = None
    fenced: bool = False
    #: While set, replication from the writer stopped at this time (the writer is cut off).
    isolated_at: float | None = None
    history: list[Write] = field(default_factory=list)
    lost: list[Write] = field(default_factory=list)
    #: The database this one was detached from, if any (lineage for split-brain checks).
    detached_from: str | None = None
    _next_number: int = 1
    _commit_times: list[float] = field(default_factory=list)

    # -- membership -----------------------------------------------------------------------------

    def add_member(
        self, key: str, region: str, *, writer: bool = False, lag: float | None = DEFAULT_LAG_SECONDS
    ) -> Member:
        """Join a cluster; a joining secondary starts from a full copy, as an Aurora secondary does."""
        if key in self.members:
            return self.members[key]
        if writer and self.writer is not None:
            raise ValueError(f"{self.name}: {key} cannot join as writer, {self.writer} already is")
        member = Member(key=key, region=region, lag=_check_lag(lag), floor=len(self.history))
        self.members[key] = member
        if writer:
            self.writer = key
        return member

    def remove_member(self, key: str) -> None:
        """Forget a cluster (deleted); removing the writer leaves the database without one."""
        self._member(key)
        del self.members[key]
        if self.writer == key:
            self.writer = None

    def set_lag(self, key: str, lag: float | None) -> None:
        """Change a member's replication lag (`None` pauses replication to it)."""
        member = self._member(key)
        member.floor = self.applied_count(key)
        member.lag = _check_lag(lag)

    # -- data plane -------------------------------------------------------------------------------

    def commit(self, key: str, write_id: str | None = None) -> Write:
        """Commit one write on member `key`; only the unfenced writer accepts it."""
        member = self._member(key)
        if self.fenced:
            raise WriteRejected("unavailable", key, f"{self.name}: writes are suspended while the writer changes")
        if self.writer != key:
            raise WriteRejected("read-only", key, f"{self.name}: {key} in {member.region} is a read-only secondary")
        number = self._next_number
        # The region in the default id keeps ids unique across a split brain: two detached writers
        # share a numbering lineage but never a region.
        write_id = write_id or f"w{number:06d}@{member.region}"
        if any(w.write_id == write_id for w in self.history):
            raise WriteRejected("duplicate", key, f"{self.name}: write id {write_id!r} already committed")
        now = self.clock()
        if self._commit_times and now < self._commit_times[-1]:
            raise ValueError(f"{self.name}: clock went backwards ({now} < {self._commit_times[-1]})")
        write = Write(write_id=write_id, number=number, committed_at=now, region=member.region)
        self._next_number += 1
        self.history.append(write)
        self._commit_times.append(now)
        return write

    def applied_count(self, key: str) -> int:
        """How many writes of the history member `key` has applied (a prefix)."""
        member = self._member(key)
        if key == self.writer:
            return len(self.history)
        if member.lag is None:
            return min(member.floor, len(self.history))
        reference = self.clock() if self.isolated_at is None else self.isolated_at
        # Compare `committed_at + lag <= reference` exactly as documented (not `reference - lag`,
        # which rounds differently in floating point).
        lag = member.lag
        by_lag = bisect.bisect_right(self._commit_times, reference, key=lambda t: t + lag)
        return min(max(member.floor, by_lag), len(self.history))

    def last_applied(self, key: str) -> Write | None:
        """The newest write member `key` has applied, if any."""
        count = self.applied_count(key)
        return self.history[count - 1] if count else None

    def replication_lag(self, key: str) -> float:
        """Seconds between the newest committed write and the newest one `key` applied (0 if caught up)."""
        count = self.applied_count(key)
        if count == len(self.history):
            return 0.0
        return self.clock() - self.history[count].committed_at

    def catch_up_time(self, key: str) -> float | None:
        """When `key` will have applied every write committed so far; `None` while replication is paused."""
        member = self._member(key)
        if self.applied_count(key) == len(self.history):
            return self.clock()
        if member.lag is None or self.isolated_at is not None:
            return None
        return self.history[-1].committed_at + member.lag

    def writable_members(self) -> list[str]:
        """Members that would accept a write right now (zero or one)."""
        return [] if self.fenced or self.writer is None else [self.writer]

    # -- control plane hooks ----------------------------------------------------------------------

    def fence(self, *, isolate: bool = False) -> None:
        """Suspend all writes (a switchover or failover has started).

        `isolate` also cuts replication from the writer at this instant: an unplanned failover
        gives up on the old writer, so what each secondary has applied *now* is all it will get.
        A switchover does not isolate: the target keeps applying until it has caught up.
        """
        self.fenced = True
        if isolate and self.isolated_at is None:
            self.isolated_at = self.clock()

    def unfence(self) -> None:
        """Resume writes and replication on the current writer (an operation was cancelled)."""
        self.fenced = False
        self.isolated_at = None

    def promote(self, target: str, *, allow_data_loss: bool) -> list[Write]:
        """Make `target` the writer and return the writes lost on the way (none for a switchover).

        A switchover (`allow_data_loss=False`) requires `target` to have applied the whole history.
        A failover keeps only what `target` had applied; the rest is lost, and every member that
        had applied more is resynchronised to the shorter history (its extra writes are gone too).
        """
        self._member(target)
        applied = self.applied_count(target)
        lost = self.history[applied:]
        if lost and not allow_data_loss:
            raise ValueError(f"{self.name}: {target} has not caught up ({len(lost)} writes behind)")
        # Freeze every member's applied position before the roles change (lag is relative to now).
        for member in self.members.values():
            member.floor = min(self.applied_count(member.key), applied)
        del self.history[applied:]
        del self._commit_times[applied:]
        self.lost.extend(lost)
        self.writer = target
        self.unfence()
        return list(lost)

    def detach(self, key: str, name: str) -> ReplicatedDatabase:
        """Split `key` off as a standalone writer with the history it had applied."""
        member = self._member(key)
        applied = self.applied_count(key)
        standalone = ReplicatedDatabase(name=name, clock=self.clock, detached_from=self.name)
        standalone.history = list(self.history[:applied])
        standalone._commit_times = list(self._commit_times[:applied])
        standalone._next_number = self._next_number
        standalone.add_member(key, member.region, writer=True)
        self.remove_member(key)
        return standalone

    # -- views ------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready picture: writer, fencing, per-member progress, lost writes."""
        return {
            "name": self.name,
            "writer": self.writer,
            "writerRegion": self.members[self.writer].region if self.writer else None,
            "fenced": self.fenced,
            "isolatedAt": self.isolated_at,
            "detachedFrom": self.detached_from,
            "committed": len(self.history),
            "lastCommittedWriteId": self.history[-1].write_id if self.history else None,
            "lostWriteIds": [w.write_id for w in self.lost],
            "members": {
                key: {
                    "region": m.region,
                    "isWriter": key == self.writer,
                    "lagSeconds": m.lag,
                    "appliedCount": self.applied_count(key),
                    "lastAppliedWriteId": (last.write_id if (last := self.last_applied(key)) else None),
                    "replicationLagSeconds": self.replication_lag(key),
                }
                for key, m in self.members.items()
            },
        }

    def _member(self, key: str) -> Member:
        try:
            return self.members[key]
        except KeyError:
            raise WriteRejected("unknown-member", key, f"{self.name}: {key} is not a member") from None


def writable_regions(databases: list[ReplicatedDatabase]) -> list[str]:
    """Regions that accept writes right now across `databases` (more than one means split brain)."""
    return sorted(db.members[key].region for db in databases for key in db.writable_members())


def _check_lag(lag: float | None) -> float | None:
    if lag is not None and lag < 0:
        raise ValueError(f"replication lag must be >= 0 seconds or None (paused), got {lag}")
    return lag
