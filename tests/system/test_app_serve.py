"""The app inside `chitnode serve` as a real process: its endpoint lines, serve.json's
app_port, the web client offline (no CDN) and gzipped, the phone QR, --no-app, a taken
port refused with its code, and SIGTERM stopping everything (issue 12)."""

from __future__ import annotations

import gzip
import json
import socket
import stat
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli_proc import found_branch
from tests.support.serve_proc import HOST, ServeProcess
from ui.server import ASSETS, FALLBACK_FONTS, ISOLATION_HEADERS

pytestmark = pytest.mark.system

SERVE_ARGS = ("--peer-port", "0", "--no-discovery", "--listen", HOST)
FETCH_TIMEOUT_S = 30


def fetch(url: str, *, gzip_ok: bool = False) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as answer:
        return answer.status, dict(answer.headers), answer.read()


def test_serve_runs_the_app_offline_and_gzipped(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    found_branch(folder, "App Branch")
    with ServeProcess(folder, *SERVE_ARGS) as serve:
        doc = serve.wait_ready()
        port = doc["app_port"]
        assert isinstance(port, int) and port > 0
        status, headers, page = fetch(f"http://{HOST}:{port}/")
        assert status == 200
        # Not cross-origin isolated, on loopback as on the Wi-Fi (ui/server.NotIsolated).
        assert not {h.lower() for h in headers} & {h.decode() for h in ISOLATION_HEADERS}
        index = page.decode()
        # Offline (FLET.md §2): the client loads canvaskit from this node, not a CDN.
        assert 'canvasKitBaseUrl = "/canvaskit/"' in index or "/canvaskit/" in index
        assert "gstatic" not in index
        status, headers, packed = fetch(f"http://{HOST}:{port}/main.dart.js", gzip_ok=True)
        assert status == 200 and headers.get("content-encoding") == "gzip"
        assert len(gzip.decompress(packed)) > 2 * len(packed)  # worth compressing
        # The app's own icons (assets/), served in place of Flet's.
        _, _, icon = fetch(f"http://{HOST}:{port}/icons/icon-192.png")
        assert icon == (ASSETS / "icons" / "icon-192.png").read_bytes()
        # Kannada and Hindi need Noto fonts Flet does not ship: the node serves them where
        # no-CDN Flutter asks, and a font manifest without the unused KaTeX/Cupertino fonts.
        for family, name in FALLBACK_FONTS.items():
            _, headers, font = fetch(f"http://{HOST}:{port}/assets/fonts/{family}/v1/x.woff2")
            assert font == (ASSETS / "fonts" / name).read_bytes()
        _, _, manifest = fetch(f"http://{HOST}:{port}/assets/FontManifest.json")
        families = [f["family"] for f in json.loads(manifest)]
        assert "MaterialIcons" in families and not any("KaTeX" in f for f in families)
        png = folder / "phone-qr.png"
        assert png.read_bytes().startswith(b"\x89PNG")
        assert stat.S_IMODE(png.stat().st_mode) & 0o077 == 0  # owner-only: it holds a token
        assert serve.stop() == 0
    assert f"app      http://localhost:{port}/" in serve.out
    # listening on loopback only, the phone URL names loopback (not a LAN address it ignores)
    assert f"phones   http://{HOST}:{port}/?pair=" in serve.out
    assert not (folder / "serve.json").exists()


def test_no_app_serves_peers_only(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    found_branch(folder, "Peers Only")
    with ServeProcess(folder, *SERVE_ARGS, "--no-app") as serve:
        doc = serve.wait_ready()
        assert "app_port" not in doc
        assert serve.stop() == 0
    assert "app      " not in serve.out


def test_a_taken_app_port_is_refused_and_nothing_is_left_behind(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    found_branch(folder, "Busy Port")
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with ServeProcess(folder, *SERVE_ARGS, "--app-port", str(taken)) as serve:
            assert serve.proc.wait(timeout=FETCH_TIMEOUT_S * 4) == 1
            serve.out, serve.err = serve.proc.communicate()
    assert "port_in_use" in serve.err and "Traceback" not in serve.err
    assert not (folder / "serve.json").exists() and not (folder / "serve.sock").exists()
