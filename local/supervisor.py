"""Supervision of the local stack's moving parts, as the platform supervises them in AWS.

SageMaker replaces a crashed inference instance and Lambda runs a fresh environment after a crash; locally,
a `Supervisor` thread watches each child (the inference server process, the SageMaker emulator's threads,
the queue pollers and the sweeper timer) and restarts one that stopped, with exponential backoff (1 s,
doubling to 30 s; back to 1 s once a child has stayed up for a minute). The stack keeps serving meanwhile:
the emulator holds invocations in its queue until the server answers `/ping` again (like the endpoint's
backlog), and the job that was running when the server died ends FAILED with a reason that says so
(`sagemaker_emulator.CONTAINER_EXITED`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("local.supervisor")


class Child(Protocol):
    name: str

    def alive(self) -> bool: ...

    def restart(self) -> None: ...


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 1.0
    factor: float = 2.0
    max_s: float = 30.0
    reset_after_s: float = 60.0
    """A child up this long since its last restart starts again from `initial_s`."""

    def delay(self, failures: int) -> float:
        """Seconds to wait before restart number `failures` (1-based) of a run of failures."""
        return min(self.max_s, self.initial_s * self.factor ** max(0, failures - 1))


@dataclass
class _Watch:
    child: Child
    failures: int = 0
    restarted_at: float | None = None
    next_try_at: float | None = None
    restarts: int = 0


@dataclass
class Supervisor:
    children: Iterable[Child]
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    interval_s: float = 0.5

    def __post_init__(self) -> None:
        self._watches = [_Watch(child) for child in self.children]
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def restarts(self) -> dict[str, int]:
        """How many times each child was restarted."""
        return {w.child.name: w.restarts for w in self._watches}

    def check(self) -> list[str]:
        """One round: restart every stopped child whose backoff has passed; returns their names."""
        now = self.clock()
        restarted = []
        for watch in self._watches:
            if watch.child.alive():
                if watch.restarted_at is not None and now - watch.restarted_at >= self.backoff.reset_after_s:
                    watch.failures = 0
                continue
            if watch.next_try_at is None:
                watch.failures += 1
                wait = 0.0 if watch.failures == 1 else self.backoff.delay(watch.failures - 1)
                watch.next_try_at = now + wait
                log.error("%s stopped; restarting it (attempt %d)", watch.child.name, watch.failures)
            if now < watch.next_try_at:
                continue
            watch.next_try_at = None
            try:
                watch.child.restart()
            except Exception:
                log.exception("%s could not be restarted", watch.child.name)
                continue
            watch.restarts += 1
            watch.restarted_at = now
            restarted.append(watch.child.name)
        return restarted

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # the supervisor itself must not stop
                log.exception("supervisor round failed")
