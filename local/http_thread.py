"""An HTTP server on 127.0.0.1 (port 0 picks a free one) answering from a daemon thread: how the local
stack's HTTP fakes (the API Gateway, the SageMaker emulator) serve their request handler classes."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ThreadedServer:
    """Bound and serving once constructed; `url` is where; `stop` shuts it down and frees the port."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int, name: str) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        host, bound = self._server.server_address[:2]
        self.url = f"http://{host}:{bound}"
        self.name = name
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def restart(self) -> None:
        """Serve again on the same socket (after the serving thread died)."""
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
