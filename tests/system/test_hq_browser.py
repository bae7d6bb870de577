"""The head office's KPI dashboard in a real browser (issue 16, "the app's KPI dashboard in
head-office mode"): Debian's chromium through Playwright, against a real `chitnode serve
--hq-db FILE` on loopback over the demo branch (its device is the branch's root admin).

Two real branches are built, exported and imported into a DuckDB file the way `chitnode
hq import` does (tests/support/hq_app.py). The laptop unlocks, taps **Head office**, and
reads each branch's row and the total by their `flt-semantics-identifier`s: the figures are
`HeadOffice.kpis()`'s in words. A second test serves a data folder with no head-office
database: the empty state names the command to run.

With CHITNODE_SCREENSHOTS=docs/screenshots the dashboard is saved there (docs/app-hq.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chitnode.hq.kpis import Kpis
from chitnode.hq.office import HeadOffice
from tests.support import browser as web
from tests.support.cli_proc import PASSPHRASE
from tests.support.hq_app import HqOffice, two_branch_office
from ui import fmt

pytestmark = [pytest.mark.system, web.needs_chromium]

chromium = web.chromium  # the module's one browser (a fixture)


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> HqOffice:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHITNODE_PASSPHRASE", "test-passphrase")
        mp.setenv("CHITNODE_KEYSTORE", "file")
        return two_branch_office(tmp_path_factory.mktemp("hq-browser"))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, hq: HqOffice) -> Iterator[web.AppServer]:
    folder = web.demo_branch(tmp_path_factory.mktemp("hq") / "node")
    with web.app_serve(folder, "--hq-db", str(hq.db)) as server:
        yield server


def at_head_office(chromium: web.Chromium, url: str) -> web.AppPage:
    """A laptop tab, unlocked by the device passphrase, on the /hq screen."""
    laptop = web.open_app(chromium, url)
    laptop.expect_shown("unlock-title")  # the door is drawn: typing before it can be lost
    laptop.fill("Passphrase or staff PIN", PASSPHRASE)
    laptop.tap("Unlock")
    laptop.expect_text("header-branch", "Mangaluru Demo Branch")
    laptop.tap_until("Head office", "hq-title", "Head office")
    return laptop


def test_the_dashboard_shows_the_imported_branches_and_their_total(
    chromium: web.Chromium, app: web.AppServer, hq: HqOffice, tmp_path: Path
) -> None:
    with HeadOffice.open(hq.db, data=hq.data) as office:
        kpis: Kpis = office.kpis()
    laptop = at_head_office(chromium, app.url)
    laptop.expect_text("hq-total-pool", fmt.rupees(kpis.total.pool_paise))
    assert laptop.text("hq-total-name") == "All branches"
    assert laptop.text("hq-total-members") == str(kpis.total.active_members)
    assert laptop.text("hq-total-loans") == fmt.rupees(kpis.total.loans_outstanding_paise)
    for i, k in enumerate(kpis.branches):
        assert laptop.text(f"hq-{i}-name") == k.name
        assert laptop.text(f"hq-{i}-pool") == fmt.rupees(k.pool_paise)
        assert laptop.text(f"hq-import-{i}-anomaly-0") == "No anomalies"
    month, paise = kpis.total.collections[-1]
    assert fmt.rupees(paise) in laptop.text(f"hq-bar-{month}")
    laptop.shot(web.screenshot_dir(tmp_path) / "hq-dashboard.png")
    laptop.close()


def test_with_no_head_office_database_the_screen_says_how_to_make_one(
    chromium: web.Chromium, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = web.demo_branch(tmp_path_factory.mktemp("hq-empty") / "node")
    with web.app_serve(folder) as server:
        laptop = at_head_office(chromium, server.url)
        laptop.expect_text("hq-empty", "No branch imported yet: run chitnode hq import EXPORT")
        assert str(folder / "hq.duckdb") in laptop.text("hq-where")
        laptop.close()
    assert not (folder / "hq.duckdb").exists()
