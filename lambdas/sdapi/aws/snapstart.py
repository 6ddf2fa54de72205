"""Lambda SnapStart's runtime hooks (`snapshot_restore_py`, shipped with Lambda's Python runtimes): work to do
before the snapshot is taken and after an environment is restored from it. Elsewhere (tests, the local
stack, a partition without SnapStart) nothing is registered and the functions return False."""

from __future__ import annotations

from collections.abc import Callable

Hook = Callable[[], object]


def before_snapshot(hook: Hook) -> bool:
    """Run `hook` before SnapStart snapshots the initialised environment; whether it was registered."""
    return _register("register_before_snapshot", hook)


def after_restore(hook: Hook) -> bool:
    """Run `hook` when an environment is restored from the snapshot; whether it was registered."""
    return _register("register_after_restore", hook)


def _register(registrar: str, hook: Hook) -> bool:
    try:
        import snapshot_restore_py
    except ImportError:
        return False
    getattr(snapshot_restore_py, registrar)(hook)
    return True
