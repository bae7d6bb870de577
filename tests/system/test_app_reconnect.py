"""A phone that loses the meeting's Wi-Fi and comes back resumes its session (issue 12).

The phone reaches the real `chitnode serve` through a TCP proxy in this test, the
meeting's Wi-Fi: cutting it closes every connection and refuses new ones, as a phone
walking out of range sees. While it is cut, staff record a deposit for the member. When
the proxy comes back, Flet's client reconnects by itself: the phone is still logged in
(no PIN asked again) and its wallet shows the deposit made while it was away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.support import browser as web
from tests.support.cli_proc import chitnode, ok

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

MEMBER, PIN = "M011", "246810"
HOST = "127.0.0.1"
CUT_S = 3.0  # how long the Wi-Fi is gone: longer than a reconnect attempt
PIPE_BYTES = 65_536
STOP_TIMEOUT_S = 10.0


class WiFi:
    """A loopback TCP proxy that can be cut (every connection closed, new ones refused)
    and restored, on its own thread and loop."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = threading.Event()
        self.up.set()
        self.loop = asyncio.new_event_loop()
        self.writers: set[asyncio.StreamWriter] = set()
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = int(probe.getsockname()[1])
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        assert started.wait(STOP_TIMEOUT_S), "the proxy did not start"

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._client, HOST, self.port)
        )
        started.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up.is_set():
            writer.close()
            return
        try:
            up_r, up_w = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_w}
        await asyncio.gather(self._pipe(reader, up_w), self._pipe(up_r, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(PIPE_BYTES):
                writer.write(data)
                await writer.drain()
        writer.close()
        self.writers.discard(writer)

    def cut(self) -> None:
        def close_all() -> None:
            self.up.clear()
            for writer in list(self.writers):
                writer.transport.abort()
            self.writers.clear()

        self.loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(STOP_TIMEOUT_S)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web.AppServer]:
    folder = web.demo_branch(tmp_path_factory.mktemp("reconnect") / "node")
    web.set_member_pin(folder, MEMBER, PIN)
    with web.app_serve(folder) as server:
        yield server


def test_a_phone_back_on_the_wifi_resumes_its_session_and_sees_what_it_missed(
    chromium: web.Chromium, app: web.AppServer
) -> None:
    app_port = int(app.url.rsplit(":", 1)[1].strip("/"))
    wifi = WiFi(app_port)
    try:
        via_wifi = app.pairing_url.replace(f":{app_port}/", f":{wifi.port}/")
        phone = web.open_app(chromium, via_wifi, phone=True)
        phone.expect_shown("login-paired")  # the door is drawn: typing before it can be lost
        phone.fill("Member number", MEMBER)
        phone.fill("PIN", PIN)
        phone.tap("Log in")
        phone.expect_shown("me-hello")
        phone.tap_ident("nav-wallet")
        before = phone.text("wallet-balance")

        wifi.cut()
        body = {
            "member_id": MEMBER,
            "amount_paise": 123_400,
            "cmd_id": "reconnect-deposit",
            "note": "cash at the counter while the phone was away",
        }
        ok(chitnode("--data", app.folder, "submit", "wallet.deposited_cash", json.dumps(body)))
        phone.page.wait_for_timeout(int(CUT_S * 1000))
        wifi.restore()

        phone.expect_text("wallet-balance", "1,234")  # the deposit made while away
        assert phone.text("wallet-balance") != before
        phone.expect_shown("wallet-title")  # still the member's wallet: no login asked
        assert not phone.ident("login-title").count()
        phone.close()
    finally:
        wifi.close()


def test_the_proxy_really_cuts(app: web.AppServer) -> None:
    """The test above means something only if a cut proxy refuses: check it does."""
    app_port = int(app.url.rsplit(":", 1)[1].strip("/"))
    wifi = WiFi(app_port)
    try:
        wifi.cut()
        with socket.create_connection((HOST, wifi.port), timeout=STOP_TIMEOUT_S) as s:
            s.settimeout(STOP_TIMEOUT_S)
            try:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                answer = s.recv(PIPE_BYTES)
            except ConnectionResetError:
                answer = b""
            assert answer == b""  # closed without an answer
        wifi.restore()
        with socket.create_connection((HOST, wifi.port), timeout=STOP_TIMEOUT_S) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            s.settimeout(STOP_TIMEOUT_S)
            assert s.recv(PIPE_BYTES).startswith(b"HTTP/1.")
    finally:
        wifi.close()
