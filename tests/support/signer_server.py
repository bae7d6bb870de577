"""The app's real ASGI server (ui.server.asgi_app under uvicorn) in this process, for the
signing page's tests (issue 15): the page, its files and its POSTs are served exactly as
`chitnode serve` serves them, while the test holds the `SignerDesk` (issuing tickets as
the app would, taking what came back) and moves its clock.

No screens and no node: the signer's routes need neither. Bound to a free loopback port
(port 0), started and stopped within bounded waits.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from tests.support.clock import FakeClock
from ui.server import asgi_app, bind, quiet_server
from ui.shell import AppContext
from ui.signer import SignerDesk

HOST = "127.0.0.1"
START_S = 30.0  # uvicorn's start on 2 shared cores
STOP_S = 10.0  # its stop, open connections closed
POLL_S = 0.02
REQUEST_S = 10.0  # one request's answer


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class SignerServer:
    base: str  # http://127.0.0.1:PORT
    desk: SignerDesk
    clock: FakeClock

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, body: bytes | dict[str, Any]) -> Answer:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", path, data, {"Content-Type": "application/json"})

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        req = urllib.request.Request(self.base + path, data, headers or {}, method=method)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=REQUEST_S) as resp:
                return Answer(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            return Answer(err.code, dict(err.headers), err.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a test reads the redirect itself


@contextmanager
def signer_server() -> Iterator[SignerServer]:
    """The app's ASGI app on a free loopback port, its signer desk on a FakeClock."""
    clock = FakeClock()
    no_node: Any = None  # the signer's routes read no node
    ctx = AppContext(backend=no_node, screens={})
    ctx.signer = SignerDesk(clock)
    config = uvicorn.Config(
        asgi_app(ctx), ws="websockets-sansio", lifespan="off", log_level="warning"
    )
    server = quiet_server(config)
    sock = bind(HOST, 0)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        deadline = time.monotonic() + START_S
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(POLL_S)
        port = sock.getsockname()[1]
        yield SignerServer(f"http://{HOST}:{port}", ctx.signer, clock)
    finally:
        server.should_exit = True
        thread.join(STOP_S)
        sock.close()
