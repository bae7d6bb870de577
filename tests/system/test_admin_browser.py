"""The admin's audit trail in a real browser (issue 13, "the audit-trail filter"): Debian's
chromium through Playwright, against a real `chitnode serve --app-port 0` on loopback
over the demo branch, whose device is the branch's root admin.

The laptop unlocks, opens **Admin**, then the audit trail, filters it by a kind prefix,
and checks that every row the screen shows (`audit-row-<i>`, docs/admin.md) is of that
kind, on the first page and after paging **Older** once. A second tab opens **Reports**
and saves the member list as a PDF into `<data>/reports`. Every assertion reads the
semantics tree (`flt-semantics-identifier` ids and their text); see
tests/support/browser.py.

With CHITNODE_SCREENSHOTS=docs/screenshots the filtered trail is saved there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)

KIND_PREFIX = "auction."  # the demo's draws: opened, bids, closed; more than a page of them
ROW_ID = re.compile(r"audit-row-\d+")  # a row's head line, not its `-refused` note
ROW_HEAD = re.compile(r"^#(\d+) · [^·]+ · (\S+) · ")  # "#pos · when · kind · name (role) seq n"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web.AppServer]:
    folder = web.demo_branch(tmp_path_factory.mktemp("admin") / "node")
    with web.app_serve(folder) as server:
        yield server


def unlocked(chromium: web.Chromium, app: web.AppServer) -> web.AppPage:
    """A laptop tab with the staff screens unlocked by the device passphrase."""
    laptop = web.open_app(chromium, app.url)
    laptop.expect_shown("unlock-title")
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    laptop.expect_text("header-branch", "Mangaluru Demo Branch")
    return laptop


def shown_rows(laptop: web.AppPage) -> dict[int, str]:
    """Each audit row on the screen, read at one instant: its log position -> its kind."""
    rows = {}
    for ident, said in laptop.texts("audit-row-").items():
        if ROW_ID.fullmatch(ident):
            found = ROW_HEAD.match(said)
            assert found, f"{ident} says {said!r}"
            rows[int(found.group(1))] = found.group(2)
    return rows


def test_the_audit_trail_filtered_by_kind_shows_only_that_kind(
    chromium: web.Chromium, app: web.AppServer, tmp_path: Path
) -> None:
    shots = web.screenshot_dir(tmp_path)
    laptop = unlocked(chromium, app)

    laptop.tap_until("Admin", "admin-title", "Dashboard")
    laptop.tap_ident_until("admin-tab-audit", "admin-title", "Audit trail")
    laptop.expect_text("audit-page", "Page 1")
    unfiltered = shown_rows(laptop)
    assert unfiltered and any(not k.startswith(KIND_PREFIX) for k in unfiltered.values())

    laptop.fill("Kind starts with", KIND_PREFIX)
    laptop.tap("Filter")
    laptop.expect_text("audit-row-0", f" · {KIND_PREFIX}")
    first = shown_rows(laptop)
    assert first and all(k.startswith(KIND_PREFIX) for k in first.values()), first
    laptop.shot(shots / "admin-audit-filtered.png")

    laptop.tap_until("Older", "audit-page", "Page 2")
    laptop.expect_text("audit-row-0", f" · {KIND_PREFIX}")
    older = shown_rows(laptop)
    assert older and all(k.startswith(KIND_PREFIX) for k in older.values()), older
    assert max(older) < min(first)  # older entries, not page 1 again
    laptop.close()


def test_the_devices_screen_shows_each_groups_lease_and_why_it_stays(
    chromium: web.Chromium, app: web.AppServer
) -> None:
    """The demo's groups are each held by its root alone: every lease row names the holder
    and its term, and says why there is no hand-over (tests/system/test_admin_lease_serve.py
    hands one over between two serves)."""
    laptop = unlocked(chromium, app)
    laptop.tap_until("Admin", "admin-title", "Dashboard")
    laptop.tap_ident_until("admin-tab-devices", "admin-title", "Devices")
    row = laptop.expect_text("devices-lease-0", "held by root admin")
    assert row.startswith("group:") and ": term " in row, row
    laptop.expect_text("lease-why-0", "Only one device may hold")
    laptop.close()


def test_the_reports_screen_saves_a_pdf_into_the_data_folder(
    chromium: web.Chromium, app: web.AppServer
) -> None:
    laptop = unlocked(chromium, app)
    laptop.tap_until("Reports", "reports-title", "Reports to print")
    laptop.tap("Save")  # the member list, as a PDF, into <data>/reports: the defaults
    said = laptop.expect_text("reports-saved", "Saved: ")
    path = Path(said.removeprefix("Saved: "))
    assert path.parent == app.folder / "reports" and path.suffix == ".pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    laptop.close()
