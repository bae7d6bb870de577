"""ui.theme: control trees of the shared pieces (no Flutter needed: controls are dataclasses)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial

import flet as ft
import pytest
from flet.messaging.connection import Connection
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

from ui import theme
from ui.i18n import LANGS, t
from ui.theme import (
    GAP_PX,
    PHONE_WIDTH_PX,
    STATUS_LOOKS,
    TOUCH_TARGET_PX,
    action_button,
    big_number,
    status_chip,
)

UX_STATUSES = ("paid", "due", "in_arrears", "prized", "defaulted", "pending", "settled", "failed")


def walk(control: ft.Control) -> Iterator[ft.Control]:
    """The control and everything under it, through `content` and `controls`."""
    yield control
    content = getattr(control, "content", None)
    if isinstance(content, ft.Control):
        yield from walk(content)
    for child in getattr(control, "controls", None) or ():
        yield from walk(child)


def test_touch_sizes_are_ux_md_s() -> None:
    assert (TOUCH_TARGET_PX, GAP_PX, PHONE_WIDTH_PX) == (48, 8, 360)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("status", UX_STATUSES)
def test_a_status_chip_has_an_icon_a_colour_and_a_word(status: str, lang: str) -> None:
    chip = status_chip(status, partial(t, lang))
    icons = [c for c in walk(chip) if isinstance(c, ft.Icon)]
    words = [c.value for c in walk(chip) if isinstance(c, ft.Text)]
    assert len(icons) == 1 and icons[0].icon == STATUS_LOOKS[status].icon
    assert icons[0].color == STATUS_LOOKS[status].colour
    assert words == [t(lang, f"status.{status}")]
    assert isinstance(chip, ft.Container) and chip.bgcolor == STATUS_LOOKS[status].background


def test_statuses_differ_in_icon_not_only_in_colour() -> None:
    assert set(STATUS_LOOKS) == set(UX_STATUSES)
    assert len({look.icon for look in STATUS_LOOKS.values()}) == len(STATUS_LOOKS)
    for look in STATUS_LOOKS.values():
        assert look.colour != look.background


def _icon_and_words(control: ft.Control) -> tuple[list[ft.IconData | None], list[str | None]]:
    icons = [c.icon for c in walk(control) if isinstance(c, ft.Icon)]
    return icons, [c.value for c in walk(control) if isinstance(c, ft.Text)]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("state", sorted(theme.NET_LOOKS))
def test_a_net_badge_says_what_the_network_does_with_an_icon(state: str, lang: str) -> None:
    icons, words = _icon_and_words(theme.net_badge(state, partial(t, lang), waiting=3))
    assert icons == [theme.NET_LOOKS[state].icon]
    assert words == [t(lang, f"net.{state}", count=3)]
    if state == "waiting":
        assert "3" in words[0]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("state", sorted(theme.INTEGRITY_LOOKS))
def test_the_integrity_badge_says_ok_or_failed_with_the_date(state: str, lang: str) -> None:
    icons, words = _icon_and_words(theme.integrity_badge(state, "6 Dec 2026", partial(t, lang)))
    assert icons == [theme.INTEGRITY_LOOKS[state].icon]
    assert words == [t(lang, f"integrity.{state}", date="6 Dec 2026")]
    assert ("6 Dec 2026" in words[0]) == (state in ("ok", "failed"))


def test_badges_of_one_kind_differ_in_icon() -> None:
    for looks in (theme.NET_LOOKS, theme.INTEGRITY_LOOKS):
        assert len({look.icon for look in looks.values()}) == len(looks)


def test_an_amount_field_is_labelled_with_the_number_pad_and_the_rupee_sign() -> None:
    field = theme.amount_field("Amount", value="500")
    assert (field.label, field.value, field.prefix) == ("Amount", "500", "₹")
    assert field.keyboard_type == ft.KeyboardType.NUMBER


def test_a_chip_for_an_unknown_status_is_a_bug() -> None:
    with pytest.raises(KeyError):
        status_chip("lost", partial(t, "en"))


def test_an_identifier_wraps_a_chip_or_a_big_number_for_the_browser_tests() -> None:
    chip = status_chip("paid", partial(t, "en"), identifier="home-status")
    assert isinstance(chip, ft.Semantics) and chip.identifier == "home-status"
    number = big_number("Pool", "₹1,00,000", identifier="meeting-pool")
    assert isinstance(number, ft.Semantics) and number.identifier == "meeting-pool"


def test_a_big_number_is_its_label_above_a_large_value() -> None:
    texts = [c for c in walk(big_number("Prize", "₹95,000")) if isinstance(c, ft.Text)]
    assert [x.value for x in texts] == ["Prize", "₹95,000"]
    assert texts[1].size is not None and texts[1].size >= 2 * (texts[0].size or 0)


@pytest.mark.parametrize("primary", [False, True])
def test_an_action_button_is_a_48_px_target_with_its_label(primary: bool) -> None:
    clicked: list[object] = []
    button = action_button("Confirm", clicked.append, primary=primary)
    assert isinstance(button, ft.FilledButton if primary else ft.OutlinedButton)
    assert button.content == "Confirm" and button.height is not None
    assert button.height >= TOUCH_TARGET_PX
    assert button.on_click is not None
    button.on_click(None)  # type: ignore[arg-type,call-arg]
    assert clicked == [None]


def test_light_and_dark_themes_are_fresh_material_3_themes_from_one_seed() -> None:
    light, dark = theme.light_theme(), theme.dark_theme()
    assert light is not dark and light is not theme.light_theme()  # sessions never share one
    for th in (light, dark):
        assert isinstance(th, ft.Theme) and th.use_material3
        assert th.color_scheme_seed == theme.SEED_COLOUR
        assert th.visual_density == ft.VisualDensity.STANDARD


@pytest.mark.asyncio
async def test_apply_theme_gives_a_session_s_page_both_themes() -> None:
    """On a real (in-process) session page, as FLET.md §4 builds one: no browser needed."""
    connection = Connection()  # type: ignore[no-untyped-call]
    connection.pubsubhub = PubSubHub(loop=asyncio.get_running_loop())
    page = Session(connection).page
    theme.apply_theme(page)
    assert page.theme_mode == ft.ThemeMode.SYSTEM
    assert page.theme is not None and page.dark_theme is not None
    assert page.theme is not page.dark_theme
    theme.apply_theme(page, ft.ThemeMode.DARK)
    assert page.theme_mode == ft.ThemeMode.DARK
