"""The write and replication model, on its own (no moto)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finstack.emulator.moto_ext.clock import VirtualClock
from finstack.emulator.writes import ReplicatedDatabase, WriteRejected, writable_regions

EAST, WEST, EU = "east", "west", "eu"


def database(clock: VirtualClock, lag: float | None = 1.0) -> ReplicatedDatabase:
    db = ReplicatedDatabase(name="ledger", clock=clock.now)
    db.add_member(EAST, "us-east-1", writer=True)
    db.add_member(WEST, "us-west-2", lag=lag)
    return db


def test_commit__only_the_writer_accepts_writes() -> None:
    db = database(VirtualClock())

    write = db.commit(EAST)

    assert write.region == "us-east-1"
    with pytest.raises(WriteRejected) as excinfo:
        db.commit(WEST)
    assert excinfo.value.reason == "read-only"
    assert db.writable_members() == [EAST]


def test_applied_count__a_secondary_applies_each_write_once_its_lag_has_passed() -> None:
    clock = VirtualClock()
    db = database(clock, lag=1.0)
    first = db.commit(EAST)
    clock.advance(0.5)
    db.commit(EAST)

    assert db.applied_count(WEST) == 0
    clock.advance(0.5)
    assert db.last_applied(WEST) == first
    clock.advance(0.5)
    assert db.applied_count(WEST) == 2
    assert db.replication_lag(WEST) == 0.0


def test_set_lag__pausing_keeps_what_was_applied_and_stops_the_rest() -> None:
    clock = VirtualClock()
    db = database(clock, lag=1.0)
    db.commit(EAST)
    clock.advance(2)
    db.set_lag(WEST, None)
    db.commit(EAST)
    clock.advance(100)

    assert db.applied_count(WEST) == 1
    assert db.catch_up_time(WEST) is None
    assert db.replication_lag(WEST) == 100.0


def test_set_lag__raising_the_lag_never_unapplies_writes() -> None:
    clock = VirtualClock()
    db = database(clock, lag=1.0)
    db.commit(EAST)
    clock.advance(1)

    db.set_lag(WEST, 60.0)

    assert db.applied_count(WEST) == 1


def test_fence__suspends_all_writes_until_promotion() -> None:
    db = database(VirtualClock())
    db.fence()

    with pytest.raises(WriteRejected) as excinfo:
        db.commit(EAST)

    assert excinfo.value.reason == "unavailable"
    assert db.writable_members() == []


def test_promote__a_switchover_refuses_a_target_that_has_not_caught_up() -> None:
    clock = VirtualClock()
    db = database(clock)
    db.commit(EAST)
    db.fence()

    with pytest.raises(ValueError, match="has not caught up"):
        db.promote(WEST, allow_data_loss=False)

    clock.advance(1)
    assert db.promote(WEST, allow_data_loss=False) == []
    assert db.writable_members() == [WEST]


def test_promote__the_old_writer_becomes_a_secondary_that_replicates_from_the_new_one() -> None:
    clock = VirtualClock()
    db = database(clock)
    db.fence()
    db.promote(WEST, allow_data_loss=False)

    write = db.commit(WEST)
    clock.advance(1)

    assert db.last_applied(EAST) == write
    with pytest.raises(WriteRejected):
        db.commit(EAST)


def test_promote__members_ahead_of_the_new_writer_are_resynchronised() -> None:
    # Given a third member with a shorter lag than the failover target
    clock = VirtualClock()
    db = database(clock, lag=5.0)
    db.add_member(EU, "eu-west-1", lag=0.5)
    lost = db.commit(EAST)
    clock.advance(1)

    # When failing over to the slower member
    db.fence(isolate=True)
    assert db.promote(WEST, allow_data_loss=True) == [lost]

    # Then nobody keeps the write the new writer never had
    assert db.applied_count(EU) == 0
    assert db.applied_count(EAST) == 0


def test_detach__makes_a_second_writer_with_the_history_it_had_applied() -> None:
    clock = VirtualClock()
    db = database(clock)
    kept = db.commit(EAST)
    clock.advance(2)
    db.commit(EAST)

    standalone = db.detach(WEST, name="ledger-west")

    assert standalone.history == [kept]
    assert standalone.detached_from == "ledger"
    assert WEST not in db.members
    assert standalone.commit(WEST).write_id != db.commit(EAST).write_id
    assert writable_regions([db, standalone]) == ["us-east-1", "us-west-2"]


def test_commit__duplicate_write_ids_are_rejected() -> None:
    db = database(VirtualClock())
    db.commit(EAST, "txn-1")

    with pytest.raises(WriteRejected) as excinfo:
        db.commit(EAST, "txn-1")

    assert excinfo.value.reason == "duplicate"


def test_add_member__a_late_joiner_starts_caught_up() -> None:
    clock = VirtualClock()
    db = database(clock)
    db.commit(EAST)

    db.add_member(EU, "eu-west-1", lag=10.0)

    assert db.applied_count(EU) == 1


def test_set_lag__negative_lag_is_rejected() -> None:
    db = database(VirtualClock())

    with pytest.raises(ValueError, match=">= 0"):
        db.set_lag(WEST, -1.0)


@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=3.0, allow_nan=False), min_size=1, max_size=30),
    lag=st.floats(min_value=0.0, max_value=5.0, allow_nan=False),
    wait=st.floats(min_value=0.0, max_value=5.0, allow_nan=False),
)
def test_failover__loses_exactly_the_writes_committed_within_the_lag_window(
    gaps: list[float], lag: float, wait: float
) -> None:
    # Given writes at arbitrary times, then a failover `wait` seconds after the last one
    clock = VirtualClock()
    db = database(clock, lag=lag)
    for gap in gaps:
        clock.advance(gap)
        db.commit(EAST)
    clock.advance(wait)
    failover_at = clock.now()
    history = list(db.history)

    # When failing over with data loss, well after the failover started
    db.fence(isolate=True)
    clock.advance(60)
    lost = db.promote(WEST, allow_data_loss=True)

    # Then the lost writes are exactly those not yet replicated at the failover: committed after T - lag
    assert lost == [w for w in history if w.committed_at + lag > failover_at]
    assert db.history + lost == history
    assert db.writable_members() == [WEST]
