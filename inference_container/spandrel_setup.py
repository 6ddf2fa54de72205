"""spandrel's extra architectures (CodeFormer and the other non-commercial ones), registered once per
process before any model is loaded."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_installed = False


def install_extra_architectures() -> None:
    global _installed
    with _lock:
        if not _installed:
            import spandrel_extra_arches

            spandrel_extra_arches.install()
            _installed = True
