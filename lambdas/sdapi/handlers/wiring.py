"""How the event-driven handlers (completion, events, webhooks, sweeper) get their dependencies.

Each handler module declares `wiring = Wiring(build)`, where `build(settings)` makes the service from the
AWS adapters. Nothing is built at import: the first invocation builds it from `Settings.from_env()` (once
per cold start) and later ones reuse it. Tests `install` their own service or `reset` after changing the
environment, instead of reloading the module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sdapi.config import Settings

T = TypeVar("T")


class Wiring(Generic[T]):
    """A handler's service, built lazily from the environment or installed."""

    def __init__(self, build: Callable[[Settings], T]) -> None:
        self._build = build
        self._built: T | None = None

    def __call__(self) -> T:
        if self._built is None:
            self._built = self._build(Settings.from_env())
        return self._built

    def install(self, service: T) -> None:
        """Use this service from now on (tests)."""
        self._built = service

    def reset(self) -> None:
        """Forget the service: the next invocation builds it from the environment again."""
        self._built = None
