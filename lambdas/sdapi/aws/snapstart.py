"""Lambda SnapStart's runtime hooks (`snapshot_restore_py`, shipped with Lambda's Python runtimes): work to do
before the snapshot is taken and after an environment is restored from it. Elsewhere (tests, the local
stack, a partition without SnapStart) nothing is registered and the functions return False."""

from __future__ import annotations

from collections.abc import Callable


def before_snapshot(hook: Callable[[], object]) -> bool:
    """Run `hook` before SnapStart snapshots the initialised environment; whether it was registered."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(hook)
    return True


def after_restore(hook: Callable[[], object]) -> bool:
    """Run `hook` when an environment is restored from the snapshot; whether it was registered."""
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return False
    register_after_restore(hook)
    return True
