"""The app's look: light and dark themes, touch-target sizes, status chips, big numbers.

Sizes follow UX.md rule 7 (touch targets of 48 with 8 between them, a 360-px phone);
a status is never told by colour alone (rule 8): each chip has an icon, a colour and a word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

TOUCH_TARGET_PX = 48  # the smallest control a thumb hits reliably (Android's 48 dp)
GAP_PX = 8  # space between touch targets, so a thumb hits one, not two
PHONE_WIDTH_PX = 360  # the narrowest phone the member screens are laid out for
SEED_COLOUR = ft.Colors.INDIGO  # Material 3 derives both schemes from this one colour
BIG_NUMBER_SIZE = 56  # a total read from across the room (UX.md: the big-number view)
BIG_LABEL_SIZE = 20
CHIP_TEXT_SIZE = 14
CHIP_ICON_SIZE = 18
CHIP_RADIUS_PX = 16


@dataclass(frozen=True, slots=True)
class StatusLook:
    icon: ft.IconData
    colour: str  # icon and word: dark enough on `background` in either theme
    background: str


# Each status: an icon that differs in shape, not only in colour, and a catalogue word
# "status.<name>". The chip paints its own background, so it reads the same in both themes.
STATUS_LOOKS: dict[str, StatusLook] = {
    "paid": StatusLook(ft.Icons.CHECK_CIRCLE, ft.Colors.GREEN_900, ft.Colors.GREEN_50),
    "due": StatusLook(ft.Icons.SCHEDULE, ft.Colors.BROWN_800, ft.Colors.AMBER_100),
    "in_arrears": StatusLook(ft.Icons.WARNING_AMBER, ft.Colors.RED_900, ft.Colors.RED_50),
    "prized": StatusLook(ft.Icons.EMOJI_EVENTS, ft.Colors.PURPLE_900, ft.Colors.PURPLE_50),
    "defaulted": StatusLook(ft.Icons.BLOCK, ft.Colors.RED_900, ft.Colors.ORANGE_100),
    "pending": StatusLook(ft.Icons.HOURGLASS_TOP, ft.Colors.BLUE_GREY_900, ft.Colors.BLUE_GREY_50),
    "settled": StatusLook(ft.Icons.TASK_ALT, ft.Colors.TEAL_900, ft.Colors.TEAL_50),
    "failed": StatusLook(ft.Icons.CANCEL, ft.Colors.RED_900, ft.Colors.GREY_200),
}


def _theme() -> ft.Theme:
    # One seed for both: Flet builds the page's `theme` with a light scheme and its
    # `dark_theme` with a dark one from the same seed, so the two stay one family.
    return ft.Theme(
        color_scheme_seed=SEED_COLOUR,
        use_material3=True,
        visual_density=ft.VisualDensity.STANDARD,  # full-size targets on every platform
    )


def light_theme() -> ft.Theme:
    """A fresh light theme (a fresh object each call: sessions must not share one)."""
    return _theme()


def dark_theme() -> ft.Theme:
    return _theme()


def apply_theme(page: ft.Page, mode: ft.ThemeMode = ft.ThemeMode.SYSTEM) -> None:
    """Give a session's page both themes; the phone's own setting picks one by default."""
    page.theme = light_theme()
    page.dark_theme = dark_theme()
    page.theme_mode = mode


def _with_id(control: ft.Control, identifier: str | None) -> ft.Control:
    return ft.Semantics(content=control, identifier=identifier) if identifier else control


def status_chip(status: str, t: Callable[..., str], *, identifier: str | None = None) -> ft.Control:
    """A status as an icon, a colour and a word: `t` is the session's `t(key, **kw)`.

    KeyError for a status not in STATUS_LOOKS: a screen showing an unknown status is a bug.
    """
    look = STATUS_LOOKS[status]
    word = t(f"status.{status}")
    chip = ft.Container(
        content=ft.Row(
            [
                ft.Icon(look.icon, color=look.colour, size=CHIP_ICON_SIZE),  # the word says it
                ft.Text(word, color=look.colour, size=CHIP_TEXT_SIZE, weight=ft.FontWeight.W_600),
            ],
            spacing=GAP_PX // 2,
            tight=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        bgcolor=look.background,
        border_radius=ft.BorderRadius.all(CHIP_RADIUS_PX),
        padding=ft.Padding.symmetric(horizontal=GAP_PX + 2, vertical=GAP_PX // 2),
        data=status,
    )
    return _with_id(chip, identifier)


def big_number(label: str, value: str, *, identifier: str | None = None) -> ft.Control:
    """A figure readable from across the room: a label above a large value (already formatted)."""
    column = ft.Column(
        [
            ft.Text(label, size=BIG_LABEL_SIZE),
            ft.Text(value, size=BIG_NUMBER_SIZE, weight=ft.FontWeight.BOLD),
        ],
        spacing=0,
        tight=True,
        horizontal_alignment=ft.CrossAxisAlignment.START,
    )
    return _with_id(column, identifier)


def action_button(
    label: str, on_click: Callable[..., Any] | None, *, primary: bool = False
) -> ft.FilledButton | ft.OutlinedButton:
    """A main action: filled when it is the screen's primary one, 48 px tall either way."""
    cls = ft.FilledButton if primary else ft.OutlinedButton
    return cls(content=label, on_click=on_click, height=TOUCH_TARGET_PX)
