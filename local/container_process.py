"""The inference container's own server (`python -m inference_container serve`) as a child process.

Its output joins the stack's log stream (prefixed `container`), it gets the container environment from
docs/architecture.md (jobs table, bucket, model root, port) plus the moto endpoint and fake credentials,
and it is stopped with SIGTERM (then SIGKILL) when the stack stops. On Linux it also dies with its parent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger("local.container")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def server_pid(stack_pid: int) -> int | None:
    """The pid of the inference server (`python -m inference_container serve`) that the local stack process
    `stack_pid` runs as its child, read from /proc (Linux); None when it has none now."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state, past the command name
        if parent == stack_pid and "inference_container serve" in cmdline:
            return int(entry.name)
    return None


class ContainerProcess:
    """The server process; `local.supervisor` restarts it when it exits (`alive` / `restart`), and the
    SageMaker emulator reads `incarnation` / `last_exit_code` to tell a crash from a slow answer."""

    name = "inference server"

    def __init__(self, env: Mapping[str, str], port: int, *, cwd: str | None = None) -> None:
        self.port = port
        self.incarnation = 0
        """How many times the process was started (a crash mid-request shows as a change)."""
        self.last_exit_code: int | None = None
        self.url = f"http://127.0.0.1:{port}"
        self._env = dict(env)
        self._cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        self.incarnation += 1
        command = [sys.executable, "-m", "inference_container", "serve"]
        log.info("starting the inference server: %s (port %d)", " ".join(command[1:]), self.port)
        self._proc = subprocess.Popen(
            command,
            env=self._env,
            cwd=self._cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the stack, which then stops the child in order
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self._reader = threading.Thread(target=self._pump, name="container-log", daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for raw in iter(self._proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                log.info("%s", line)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            self.last_exit_code = self._proc.returncode
        return self.running

    def restart(self) -> None:
        """Start a fresh process (after the old one exited); readiness is `ready()`, not waited for here."""
        self.stop()
        self.start()

    def ready(self) -> bool:
        """Whether `GET /ping` answers 200 now."""
        if not self.running:
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout_s: float) -> None:
        """Block until `GET /ping` answers 200 (the default model is loaded and warmed)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                code = self._proc.returncode if self._proc else None
                raise RuntimeError(
                    f"the inference server exited with code {code} before it was ready (see log)"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the inference server did not answer /ping within {timeout_s:.0f} s")

    def stop(self, grace_s: float = 5.0) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                log.warning("the inference server ignored SIGTERM; killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if self._reader is not None:
            self._reader.join(2)
        self.last_exit_code = proc.returncode
        self._proc = None
