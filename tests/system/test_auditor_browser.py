"""The auditor's screen in a real browser (issue 13): Debian's chromium through Playwright,
against a real `chitnode serve --app-port 0` on loopback over the demo branch.

The demo's export is made with `chitnode export` and one byte of one entry's body is
flipped. The laptop unlocks, opens **Audit**, types the tampered export's path, verifies
it, and sees the broken entry with its code while the balances are still computed; then
saves the findings next to the export. See tests/support/browser.py.

With CHITNODE_SCREENSHOTS=docs/screenshots the screen is saved there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE, chitnode, ok
from tests.support.exports import tamper

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[web.AppServer, Path, int]]:
    """The demo served, and its export tampered (made before serve takes the folder)."""
    base = tmp_path_factory.mktemp("auditor")
    folder = web.demo_branch(base / "node")
    export = base / "demo.chitlog"
    ok(chitnode("--data", folder, "export", export))
    tampered = base / "tampered.chitlog"
    seq, _ = tamper(export, tampered)
    with web.app_serve(folder) as server:
        yield server, tampered, seq


def test_the_auditor_opens_a_tampered_export_and_sees_the_broken_entry(
    chromium: web.Chromium, app: tuple[web.AppServer, Path, int], tmp_path: Path
) -> None:
    server, tampered, seq = app
    shots = web.screenshot_dir(tmp_path)
    laptop = web.open_app(chromium, server.url)
    laptop.expect_shown("unlock-title")
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    laptop.expect_text("header-branch", "Mangaluru")

    laptop.tap_until("Audit", "audit-path", "Export file")  # a press a re-layout lost: again
    laptop.fill("Export file (.chitlog)", str(tampered))
    laptop.tap("Verify and audit")
    laptop.expect_text("audit-verdict", "Does not verify: 2 problems.")
    laptop.expect_text("audit-broken", f"· seq {seq}")
    laptop.expect_text("audit-broken", "bad_hash")
    laptop.expect_text("audit-balance", "Balances sum to zero")
    laptop.expect_text("audit-members", "M001")
    laptop.shot(shots / "auditor-tampered.png")

    laptop.tap("Save findings")
    saved = tampered.with_name(tampered.name + ".findings.json")
    laptop.expect_text("audit-saved", f"Findings saved to {saved}")
    assert json.loads(saved.read_text())["counts"] == {"bad_hash": 1, "bad_seal": 1}
    laptop.close()
