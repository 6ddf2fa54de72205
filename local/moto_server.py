"""moto in server mode on loopback: S3, DynamoDB (+ streams), SNS and SQS for the embedded stack.

moto's DynamoDB backend is not safe under concurrent requests (a transaction deep-copies the table while
another thread writes: "dictionary changed size during iteration", a 500 and a lost state change). The
stack has many concurrent writers (api workers, the container, completion, sweeper), so DynamoDB and
DynamoDB Streams requests are serialised with one lock. They never block inside moto, unlike SQS long polls,
which stay concurrent. Transactions are made cheap first (`local.moto_transactions`): moto's own backup
copies the whole table and stream on every one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from local import moto_transactions

log = logging.getLogger("local.moto")

_SERIALISED_TARGETS = ("DynamoDB_", "DynamoDBStreams_")


class _SerialisedDynamoDB:
    """WSGI middleware: one DynamoDB request at a time; the body is built before the lock is released."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(_SERIALISED_TARGETS):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


class MotoServer:
    """moto's server app bound to 127.0.0.1 (port 0 picks a free one), on a daemon thread."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_transactions.install()
        app = _SerialisedDynamoDB(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            "127.0.0.1", self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        log.info("moto server (S3, DynamoDB, SNS, SQS) on %s", self.url)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self.url = ""
