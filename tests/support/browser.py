"""Drive the Flet web app in a real browser: Playwright over Debian's chromium (issue 12).

Flutter draws on a canvas; what a test reads is its semantics tree, which the page shows
as `<flt-semantics>` nodes once the hidden "Enable accessibility" placeholder is
pressed (/work/shared/FLET.md, section 3). The app wraps every text a test reads in
`ft.Semantics(identifier=...)`, which reaches the DOM as `flt-semantics-identifier`;
buttons are named by their label and text fields by theirs.

- `chromium` is the module-scoped fixture (a test module takes it with
  `chromium = web.chromium`); it is Debian's `/usr/bin/chromium`, never a browser
  Playwright would download. `needs_chromium` skips a test only when that binary is
  missing (`.ci/setup` installs it, so in CI the tests run).
- `app_serve(folder)` runs a real `chitnode serve --app-port 0` on loopback and gives
  its laptop URL and the phones' pairing URL; `demo_branch` and `set_member_pin` make
  the branch it serves, through the real `chitnode` command.
- `open_app(chromium, url)` opens a desktop tab; `phone=True` emulates a Pixel 7
  (touch, 412 px wide). Either way it waits for Flutter's first frame and turns the
  semantics tree on, then gives an `AppPage` with the few moves a test makes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.cli_proc import RUN_TIMEOUT_S, child_env, chitnode, chitnode_command, ok
from tests.support.serve_proc import HOST, ServeProcess

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/setup installs it)"
)

# FLET.md section 2: run as root, no GPU, nothing fetched behind the test's back.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PHONE = "Pixel 7"  # Android Chrome, the members' phones (412 x 839 CSS px, touch)
DESKTOP_VIEWPORT = {"width": 1024, "height": 720}  # the foreman's laptop, kept modest so
# its screenshots stay small

FIRST_FRAME_MS = 90_000  # Flutter's boot on 2 shared cores (1.5-2.8 s alone, FLET.md)
SEMANTICS_MS = 15_000  # the semantics tree after the placeholder is pressed
STEP_MS = 20_000  # one screen's change after a tap, or a live update from another session
POLL_MS = 100  # between two looks at a node that should change
PRESS_TRIES = 3  # presses of a button whose press a re-layout swallowed
RESPONSE_MS = 5_000  # the answer to one press, before pressing again
CLICK_MS = 30_000  # one click or tap, the button found (Playwright's default, made explicit)
ANSWER_MS = 5_000  # a page that runs no script this long after a failed press is hung
TYPED_SETTLE_MS = 300  # after typing, before the next tap (see AppPage.fill)
SETTLE_MS = 1_000  # before a screenshot: a transient "Working..." overlay can show at first
SCREENSHOT_MAX_BYTES = 200_000  # each committed picture stays small (house rule)
SCROLL_STEP_PX = 200  # one turn of the mouse wheel while bringing a node into view
SCROLL_TRIES = 40  # wheel turns before giving up: 8,000 px, past any screen's end
# Words of the red boxes Flet draws in place of a control it cannot show.
FLET_ERROR_SIGNS = ("must be provided", "Unknown control", "Traceback")
# Set to a folder (docs/screenshots) to keep the pictures; otherwise they go to a temp dir.
SCREENSHOTS_ENV = "CHITNODE_SCREENSHOTS"
# Set (to anything) to print each step with the seconds since the module's first (pytest -s).
STEPS_ENV = "CHITNODE_BROWSER_STEPS"
_STARTED = time.monotonic()


def step_log(what: str) -> None:
    if os.environ.get(STEPS_ENV):
        print(f"{time.monotonic() - _STARTED:7.1f}s  {what}", flush=True)


# What a semantics node says: its text, its label, the value of a field inside it.
_SAID = """node => [node.textContent, node.getAttribute('aria-label') || '',
    ...Array.from(node.querySelectorAll('[aria-label]'), e => e.getAttribute('aria-label')),
    ...Array.from(node.querySelectorAll('input, textarea'), f => f.value)].join(' ')"""
# True while a text field is being edited (typing goes to the focused input).
_EDITING = "['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName)"


@dataclass(frozen=True, slots=True)
class Chromium:
    browser: Browser
    phone: dict[str, Any]  # Playwright's device descriptor for PHONE


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    """One headless Debian chromium for the module's tests (each tab its own context)."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/setup installs it)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            yield Chromium(browser, dict(p.devices[PHONE]))
        finally:
            browser.close()


class AppPage:
    """One browser tab on the app, as a person uses it: read, tap, type, picture."""

    def __init__(self, page: Page, *, phone: bool) -> None:
        self.page = page
        self.phone = phone
        self.who = "phone" if phone else "laptop"

    def ident(self, identifier: str) -> Locator:
        """The node an `ft.Semantics(identifier=...)` put in the DOM."""
        return self.page.locator(f'[flt-semantics-identifier="{identifier}"]')

    def text(self, identifier: str) -> str:
        """What the node says: its text, its label, or the value of a field it holds (a
        selectable text is a read-only text field in the semantics tree)."""
        node = self.ident(identifier).first
        node.wait_for(state="attached", timeout=STEP_MS)
        return str(node.evaluate(_SAID)).strip()

    def texts(self, prefix: str) -> dict[str, str]:
        """What every node whose identifier starts with `prefix` says, read at one instant
        (a list being rebuilt cannot drop a node between two reads)."""
        found = self.page.evaluate(
            f"""prefix => Object.fromEntries(Array.from(
                document.querySelectorAll(`[flt-semantics-identifier^="${{prefix}}"]`),
                node => [node.getAttribute('flt-semantics-identifier'), ({_SAID})(node)]))""",
            prefix,
        )
        return {str(k): str(v).strip() for k, v in dict(found).items()}

    def expect_text(self, identifier: str, wanted: str | re.Pattern[str]) -> str:
        """Wait (bounded) until the node says `wanted` (a substring or a pattern); what it
        says then."""
        step_log(f"{self.who} waits for {identifier} to say {wanted!r}")
        seen = ""
        for _ in range(STEP_MS // POLL_MS):
            node = self.ident(identifier).first
            if node.count():
                seen = str(node.evaluate(_SAID)).strip()
                found = wanted.search(seen) if isinstance(wanted, re.Pattern) else wanted in seen
                if found:
                    return seen
            self.page.wait_for_timeout(POLL_MS)
        raise AssertionError(f"{identifier!r} never said {wanted!r}; last: {seen!r}")

    def into_view(self, identifier: str) -> None:
        """Turn the mouse wheel (bounded) until the node is wholly inside the window, so a
        picture shows it; Flutter draws on a canvas, the page itself does not scroll."""
        size = self.page.viewport_size
        assert size is not None
        self.page.mouse.move(size["width"] / 2, size["height"] / 2)
        for _ in range(SCROLL_TRIES):
            box = self.ident(identifier).first.bounding_box()
            assert box is not None, f"{identifier} is not drawn"
            if box["y"] >= 0 and box["y"] + box["height"] <= size["height"]:
                return
            self.page.mouse.wheel(0, SCROLL_STEP_PX if box["y"] > 0 else -SCROLL_STEP_PX)
            self.page.wait_for_timeout(POLL_MS)
        raise AssertionError(f"{identifier} never came into view")

    def expect_shown(self, identifier: str) -> None:
        step_log(f"{self.who} waits for {identifier}")
        self.ident(identifier).first.wait_for(state="attached", timeout=STEP_MS)

    def button(self, name: str | re.Pattern[str]) -> Locator:
        return self.page.get_by_role("button", name=name).first

    def press(self, target: Locator) -> None:
        """A finger on a phone, the mouse on the laptop."""
        step_log(f"{self.who} presses {target}")
        try:
            target.wait_for(state="visible", timeout=STEP_MS)  # `expect` waits on a hung page
            if self.phone:
                target.tap(timeout=CLICK_MS)
            else:
                target.click(timeout=CLICK_MS)
        except PlaywrightTimeout as exc:
            self.fail_if_hung(exc)
            raise

    def fail_if_hung(self, exc: Exception) -> None:
        """A press that timed out on a page whose script no longer runs fails saying so:
        Playwright's own words ("performing click action") do not. CI met one such page
        (docs/app.md, "Which renderer a tab runs, and a hang it avoids")."""
        try:
            self.page.wait_for_function("() => true", timeout=ANSWER_MS)
        except PlaywrightTimeout:
            raise AssertionError(
                f"the {self.who}'s page stopped answering: no script ran for {ANSWER_MS} ms "
                "(its main thread is busy for good)"
            ) from exc

    def tap(self, name: str | re.Pattern[str]) -> None:
        """Press the button labelled `name`."""
        self.press(self.button(name))

    def tap_ident(self, identifier: str) -> None:
        """Press the node carrying `identifier` (a tile or row that is not a plain button)."""
        self.press(self.ident(identifier).first)

    def tap_until(self, name: str | re.Pattern[str], then: str, wanted: str = "") -> None:
        """Press the button labelled `name` until `then` shows and says `wanted`."""
        self.press_until(self.button(name), then, wanted)

    def tap_ident_until(self, identifier: str, then: str, wanted: str = "") -> None:
        """Press the node carrying `identifier` until `then` shows and says `wanted`."""
        self.press_until(self.ident(identifier).first, then, wanted)

    def press_until(self, target: Locator, then: str, wanted: str) -> None:
        """Press `target` until `then` says `wanted` (at most PRESS_TRIES presses).

        A press that lands while the screen is being re-laid out (a live update, a
        screen just shown) can be lost: the node under the finger is being replaced.
        Each press waits RESPONSE_MS for the answer before the next, so one answered
        late is not pressed again unseen (an overshoot fails on `wanted`)."""
        for _ in range(PRESS_TRIES):
            self.press(target)
            for _ in range(RESPONSE_MS // POLL_MS):
                node = self.ident(then).first
                if node.count() and wanted in str(node.evaluate(_SAID)):
                    return
                self.page.wait_for_timeout(POLL_MS)
        self.expect_text(then, wanted)  # fails naming what the screen says

    def fill(self, label: str | re.Pattern[str], value: str) -> None:
        """Type `value` into the text field labelled `label`, as a person would.

        Flutter edits the focused field through one `<input>`: on a desktop the field's
        own semantics node, on a phone a hidden one it makes (`flt-text-editing`). Typing
        into another field's node goes to the field edited before. So: drop the focus,
        press the field, wait for an input to take it, type, and check the input holds
        the text.
        """
        step_log(f"{self.who} types into {label!r}")
        field = self.page.get_by_role("textbox", name=label).first
        expect(field).to_be_visible(timeout=STEP_MS)
        self.page.evaluate(f"() => {{ if ({_EDITING}) document.activeElement.blur(); }}")
        self.page.wait_for_function(f"() => !({_EDITING})", timeout=STEP_MS)
        self.press(field)
        self.page.wait_for_function(f"() => {_EDITING}", timeout=STEP_MS)
        focused = self.page.locator("input:focus, textarea:focus")
        for _ in range(PRESS_TRIES):
            self.page.keyboard.press("ControlOrMeta+A")  # a field may come filled in
            self.page.keyboard.type(value)
            # Keys typed before Flutter has taken the field over are lost (it then writes
            # its own text back): type again until the field holds all of it.
            for _ in range(RESPONSE_MS // POLL_MS):
                if focused.count() and focused.first.input_value() == value:
                    # The field's value reaches the node as Flutter reports the edit; a
                    # tap right after can overtake it (seen once: an unlock read a
                    # half-typed passphrase). Give the report its moment.
                    self.page.wait_for_timeout(TYPED_SETTLE_MS)
                    return
                self.page.wait_for_timeout(POLL_MS)
        expect(focused).to_have_value(value, timeout=STEP_MS)

    def shot(self, path: Path) -> Path:
        """A PNG of the tab in CSS pixels, after a short settle; fails if it grew too big,
        or if the screen shows one of Flet's error boxes (a control it could not draw)."""
        self.page.wait_for_timeout(SETTLE_MS)
        said = str(self.page.locator("body").evaluate(_SAID))
        assert not any(sign in said for sign in FLET_ERROR_SIGNS), said
        return shot(self.page, path, full_page=False)

    def close(self) -> None:
        self.page.context.close()


def open_app(chromium: Chromium, url: str, *, phone: bool = False) -> AppPage:
    """A fresh tab (its own cookies and session) on `url`, drawn and readable."""
    if phone:
        context = chromium.browser.new_context(**chromium.phone)
    else:
        context = chromium.browser.new_context(viewport=DESKTOP_VIEWPORT)
    page = context.new_page()
    step_log(f"{'phone' if phone else 'laptop'} opens {url}")
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=FIRST_FRAME_MS)
    placeholder = page.locator("flt-semantics-placeholder")
    if phone:
        placeholder.tap(force=True)  # it covers the screen; a synthetic click does nothing
    else:
        placeholder.dispatch_event("click")
    page.wait_for_selector("flt-semantics", state="attached", timeout=SEMANTICS_MS)
    step_log("drawn")
    return AppPage(page, phone=phone)


def screenshot_dir(fallback: Path) -> Path:
    """Where `shot` writes: $CHITNODE_SCREENSHOTS (docs/screenshots) or a test's temp dir."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    return Path(chosen) if chosen else fallback


def shot(page: Page, path: Path, *, full_page: bool = True) -> Path:
    """A PNG of `page` in CSS pixels, the whole page unless `full_page` is False (the app's
    tabs: AppPage.shot); fails if it grew too big. Used as is for a plain page (the signing
    page is no Flet app: no semantics to read; docs/member-keys.md's pictures, with
    CHITNODE_SCREENSHOTS=docs/screenshots)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), type="png", scale="css", full_page=full_page)
    size = path.stat().st_size
    assert size < SCREENSHOT_MAX_BYTES, f"{path.name} is {size} bytes"
    return path


# --- the app's server: a real `chitnode serve` on loopback ---------------------------------

# serve prints its endpoint lines right after serve.json (sync/serve/runtime.py); the
# phones' line comes among the first few, before the QR's rows.
ENDPOINT_LINES_MAX = 200
PHONES_PREFIX = "phones "


@dataclass(frozen=True, slots=True)
class AppServer:
    folder: Path
    pid: int
    url: str  # what the laptop's browser opens
    pairing_url: str  # the meeting QR's URL, its host turned to loopback


def demo_branch(folder: Path) -> Path:
    """The demo branch (`chitnode demo`) in `folder`: four groups at different stages."""
    ok(chitnode("--data", folder, "demo"))
    return folder


def set_member_pin(folder: Path, member_id: str, pin: str) -> None:
    """A member's app PIN, set the way staff set it at KYC (`chitnode member-pin`)."""
    run = subprocess.run(
        [*chitnode_command(), "--data", str(folder), "member-pin", member_id, "--pin-stdin"],
        input=pin + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=child_env(),
        timeout=RUN_TIMEOUT_S,
    )
    ok(run)


def on_loopback(url: str) -> str:
    """`url` with its host turned to 127.0.0.1: tests talk to this machine only."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{HOST}{port}"))


def _phones_url(serve: ServeProcess) -> str:
    assert serve.proc.stdout is not None
    for _ in range(ENDPOINT_LINES_MAX):
        line = serve.proc.stdout.readline()
        if not line:
            break
        if line.startswith(PHONES_PREFIX):
            return line.split()[1]
    raise AssertionError("serve printed no phones line")


# The serve's wall clock, moved by the test: a `sitecustomize` module on the child's
# PYTHONPATH adds the offset kept in a file to time.time() and time.time_ns() (the node's
# SystemClock reads time.time_ns). Python imports it at start-up, before anything else.
WALL_OFFSET_ENV = "CHITNODE_TEST_WALL_OFFSET_FILE"
WALL_OFFSET_READ_S = 0.2  # the child reads the file again when its copy is this old
_SITECUSTOMIZE = f"""\
import os
import time

_path = os.environ.get({WALL_OFFSET_ENV!r})
if _path:
    _time, _time_ns, _mono = time.time, time.time_ns, time.monotonic
    _seen = [0, -1.0]  # the offset in ns, when it was read (monotonic)

    def _offset_ns():
        now = _mono()
        if now - _seen[1] >= {WALL_OFFSET_READ_S}:
            try:
                with open(_path, encoding="ascii") as f:
                    _seen[0] = int(f.read().strip() or 0) * 1_000_000_000
            except (OSError, ValueError):
                pass
            _seen[1] = now
        return _seen[0]

    time.time = lambda: _time() + _offset_ns() / 1e9
    time.time_ns = lambda: _time_ns() + _offset_ns()
"""


class ServeClock:
    """The wall clock of a serve process, which a test moves forward as a meeting's
    minutes pass (a 15-minute auction countdown), as process tests move a FakeClock.

    Only the wall clock moves (the node's clock, entries' times): the monotonic one,
    which logins' idle timers and the event loop's timers run on, does not.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
        self.folder = folder
        self.path = folder / "wall-offset-s"
        self.offset_s = 0
        self._write()

    def env(self) -> dict[str, str | None]:
        inherited = os.environ.get("PYTHONPATH")
        path = os.pathsep.join([str(self.folder), *([inherited] if inherited else [])])
        return {"PYTHONPATH": path, WALL_OFFSET_ENV: str(self.path)}

    def advance(self, seconds: int) -> None:
        """Move the serve's wall clock `seconds` on; returns once the serve reads it."""
        self.offset_s += seconds
        self._write()
        time.sleep(WALL_OFFSET_READ_S * 5)  # well past the child's copy's age

    def _write(self) -> None:
        temp = self.path.with_suffix(".tmp")
        temp.write_text(f"{self.offset_s}\n", encoding="ascii")
        temp.replace(self.path)  # whole: the serve never reads half a line


@contextmanager
def app_serve(folder: Path, *args: str, clock: ServeClock | None = None) -> Iterator[AppServer]:
    """`chitnode serve` for `folder` with the app on a free loopback port; stopped by pid."""
    with ServeProcess(
        folder,
        *("--listen", HOST, "--app-port", "0", "--peer-port", "0", "--no-discovery"),
        *args,
        env=clock.env() if clock is not None else None,
    ) as serve:
        doc = serve.wait_ready()
        port = int(doc["app_port"])
        assert port > 0, doc
        pairing = on_loopback(_phones_url(serve))
        try:
            yield AppServer(folder, serve.pid, f"http://localhost:{port}/", pairing)
        finally:
            if serve.proc.poll() is None:
                serve.stop()
