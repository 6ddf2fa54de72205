"""Generated job ids: positive, time-ordered, below 2^53, with the time recoverable."""

from __future__ import annotations

from sdapi.ids import MAX_ID, created_at, is_generated, is_valid, new_id


def test_ids_are_integers_below_2_to_the_53():
    job_id = new_id()
    assert job_id.isdigit()
    assert 0 < int(job_id) <= MAX_ID < 2**53


def test_ids_are_ordered_by_time():
    ids = [new_id(1_800_000_000.0 + i / 1000) for i in range(50)]
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert len(set(ids)) == 50


def test_the_embedded_time_comes_back():
    assert abs(created_at(new_id(1_800_000_000.123)) - 1_800_000_000.123) < 0.002
    assert created_at("my-task-1") is None


def test_ids_far_in_the_future_still_fit():
    assert int(new_id(4_000_000_000.0)) < 2**53
    assert is_generated(new_id())
    assert not is_generated("abc")


def test_caller_chosen_ids_follow_the_job_id_pattern():
    assert is_valid("task-01.a_b")
    for bad in ("", "-leading", "has:colon", "has#hash", "x" * 65, "sp ace"):
        assert not is_valid(bad)
