"""The local stack's supervisor: a stopped child is restarted, with backoff (`local.supervisor`)."""

from __future__ import annotations

import pytest

from local.supervisor import Backoff, Supervisor


class Child:
    def __init__(self, name: str = "server", fail_restarts: int = 0):
        self.name = name
        self.up = True
        self.restarted = 0
        self.fail_restarts = fail_restarts

    def alive(self) -> bool:
        return self.up

    def restart(self) -> None:
        if self.fail_restarts:
            self.fail_restarts -= 1
            raise OSError("port in use")
        self.restarted += 1
        self.up = True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def supervisor(*children, clock=None) -> Supervisor:
    backoff = Backoff(initial_s=1, factor=2, max_s=8, reset_after_s=60)
    return Supervisor(children, backoff=backoff, clock=clock)


def test_a_running_child_is_left_alone():
    child = Child()

    restarted = supervisor(child, clock=Clock()).check()

    assert restarted == []


def test_a_stopped_child_is_restarted_at_once():
    child = Child()
    child.up = False

    restarted = supervisor(child, clock=Clock()).check()

    assert restarted == ["server"]


def test_a_child_that_keeps_stopping_waits_longer_each_time():
    clock, child = Clock(), Child()
    watcher = supervisor(child, clock=clock)
    waits = []
    for _ in range(5):
        child.up = False
        watcher.check()  # notices; the first restart is immediate, later ones wait
        started = clock.now
        while not child.up:
            clock.now += 0.25
            watcher.check()
        waits.append(clock.now - started)

    assert waits == [0, 1, 2, 4, 8]


def test_the_backoff_starts_again_after_a_child_stayed_up():
    clock, child = Clock(), Child()
    watcher = supervisor(child, clock=clock)
    for _ in range(3):
        child.up = False
        while not child.up:
            watcher.check()
            clock.now += 0.25
    clock.now += 61
    watcher.check()
    child.up = False

    restarted = watcher.check()

    assert restarted == ["server"]


def test_a_failed_restart_is_tried_again():
    clock, child = Clock(), Child(fail_restarts=1)
    child.up = False
    watcher = supervisor(child, clock=clock)
    watcher.check()

    for _ in range(8):
        clock.now += 0.25
        watcher.check()

    assert child.up is True


def test_restarts_are_counted_per_child():
    clock, a, b = Clock(), Child("a"), Child("b")
    b.up = False

    watcher = supervisor(a, b, clock=clock)
    watcher.check()

    assert watcher.restarts() == {"a": 0, "b": 1}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_poller_whose_thread_died_is_restarted():
    import threading

    from local.pollers import _Loop

    ticks = threading.Event()

    class Dying(_Loop):
        name = "dying"
        calls = 0

        def tick(self):
            Dying.calls += 1
            if Dying.calls == 1:
                raise SystemExit  # not an Exception: the thread ends
            ticks.set()
            self._stopping.wait(0.05)

    loop = Dying()
    loop.start()
    loop._thread.join(2)
    watcher = Supervisor([loop], clock=Clock())

    watcher.check()

    assert ticks.wait(2) is True
    loop.stop()
