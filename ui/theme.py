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


def badge(look: StatusLook, word: str, *, identifier: str | None = None) -> ft.Control:
    """An icon and a word in one colour on their own background: the shape of every state."""
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
    )
    return _with_id(chip, identifier)


def status_chip(status: str, t: Callable[..., str], *, identifier: str | None = None) -> ft.Control:
    """A status as an icon, a colour and a word: `t` is the session's `t(key, **kw)`.

    KeyError for a status not in STATUS_LOOKS: a screen showing an unknown status is a bug.
    """
    return badge(STATUS_LOOKS[status], t(f"status.{status}"), identifier=identifier)


# What the network is doing, said in words (UX.md rule 5): the word is "net.<state>".
NET_LOOKS: dict[str, StatusLook] = {
    "saved_here": StatusLook(ft.Icons.SAVE, ft.Colors.GREEN_900, ft.Colors.GREEN_50),
    "saved": StatusLook(ft.Icons.CLOUD_DONE, ft.Colors.GREEN_900, ft.Colors.GREEN_50),
    "sending": StatusLook(ft.Icons.CLOUD_UPLOAD, ft.Colors.BLUE_900, ft.Colors.BLUE_50),
    "waiting": StatusLook(ft.Icons.SCHEDULE_SEND, ft.Colors.BROWN_800, ft.Colors.AMBER_100),
    "reconnecting": StatusLook(ft.Icons.SYNC, ft.Colors.BROWN_800, ft.Colors.AMBER_100),
    "connected": StatusLook(ft.Icons.WIFI, ft.Colors.GREEN_900, ft.Colors.GREEN_50),
    "offline": StatusLook(ft.Icons.WIFI_OFF, ft.Colors.RED_900, ft.Colors.RED_50),
}


def net_badge(
    state: str, t: Callable[..., str], *, waiting: int = 0, identifier: str | None = None
) -> ft.Control:
    """ "Saved on this laptop", "Sending…", "3 waiting to send", "Reconnecting…" with an icon."""
    return badge(NET_LOOKS[state], t(f"net.{state}", count=waiting), identifier=identifier)


# Whether this node's log verifies (the member's home badge): the word is "integrity.<state>".
INTEGRITY_LOOKS: dict[str, StatusLook] = {
    "ok": StatusLook(ft.Icons.VERIFIED, ft.Colors.GREEN_900, ft.Colors.GREEN_50),
    "failed": StatusLook(ft.Icons.GPP_BAD, ft.Colors.RED_900, ft.Colors.RED_50),
    "never": StatusLook(ft.Icons.HELP_OUTLINE, ft.Colors.BLUE_GREY_900, ft.Colors.BLUE_GREY_50),
    "checking": StatusLook(ft.Icons.SYNC, ft.Colors.BLUE_900, ft.Colors.BLUE_50),
}


def integrity_badge(
    state: str, checked_on: str, t: Callable[..., str], *, identifier: str | None = None
) -> ft.Control:
    """The integrity badge: ok / failed (with the date of the check), never, checking."""
    word = t(f"integrity.{state}", date=checked_on)
    return badge(INTEGRITY_LOOKS[state], word, identifier=identifier)


def amount_field(label: str, *, value: str = "", autofocus: bool = False) -> ft.TextField:
    """A rupee amount to type (read it with ui.fmt.parse_rupees): the phone's number pad, ₹."""
    return ft.TextField(
        label=label,
        value=value,
        prefix="₹",
        keyboard_type=ft.KeyboardType.NUMBER,
        autofocus=autofocus,
    )


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
