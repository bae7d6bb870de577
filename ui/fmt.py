"""Money, percentages, dates and countdowns as people read them; amounts as people type them.

Pure: no flet, no clock (times are passed in). Money is integer paise and stays integer
here: no float is made anywhere, so no rupee is ever off by a rounding (DESIGN.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chitnode.domain.money import PAISE_PER_RUPEE, group_indian
from chitnode.errors import ChitError
from ui import limits
from ui.i18n import t

MINUS = "\u2212"  # the minus sign: a hyphen before ₹ reads as a dash
RUPEE = "₹"
LAKH_RUPEES = 1_00_000
CRORE_RUPEES = 1_00_00_000
WORDS_DECIMALS = 2  # "₹1.52 lakh": a hundredth of a lakh is ₹1,000, fine enough to say aloud
MS_PER_SECOND = 1000
# India keeps one offset all year: when the system has no time-zone database this is the
# same zone, so dates stay right on a machine without tzdata.
IST_FIXED = timezone(timedelta(hours=5, minutes=30), "IST")
# Digits a phone keyboard in Kannada or Hindi types, read as the ASCII digits they are.
_LOCAL_DIGITS = str.maketrans(
    {
        **{chr(0x0CE6 + i): str(i) for i in range(10)},  # Kannada ೦-೯
        **{chr(0x0966 + i): str(i) for i in range(10)},  # Devanagari ०-९
    }
)
_ASCII_DIGITS = frozenset("0123456789")
_PREFIXES = ("₹", "rs.", "rs", "inr")  # what people write before an amount; case ignored


class BadAmount(ChitError):
    """A typed amount that is not rupees, is negative, or is above the app's bound."""

    code = "bad_amount"


def rupees(paise: int) -> str:
    """₹ with Indian grouping, paise only when not zero: "₹1,00,000", "₹1,00,000.50", "−₹500"."""
    sign = MINUS if paise < 0 else ""
    whole, rest = divmod(abs(paise), PAISE_PER_RUPEE)
    tail = f".{rest:02d}" if rest else ""
    return f"{sign}{RUPEE}{group_indian(str(whole))}{tail}"


def _decimal(hundredths: int) -> str:
    """1234 -> "12.34", 1250 -> "12.5", 1200 -> "12": trailing zeros dropped."""
    whole, rest = divmod(hundredths, 100)
    text = group_indian(str(whole))
    if rest:
        text += f".{rest:02d}".rstrip("0")
    return text


def _round_div(n: int, d: int) -> int:
    """n / d rounded half up, for n >= 0, in integers."""
    return (2 * n + d) // (2 * d)


def rupees_words(paise: int, lang: str) -> str:
    """From a lakh up, the amount in lakh or crore ("₹1.5 lakh", "₹2 crore"); "" below.

    Rounded to a hundredth of the unit, half up; an amount that rounds to 100 lakh is
    said as 1 crore, as people say it.
    """
    if abs(paise) < limits.WORDS_FROM_PAISE:
        return ""
    amount = abs(paise)
    sign = MINUS if paise < 0 else ""
    scale = 10**WORDS_DECIMALS
    in_lakh = _round_div(amount * scale, LAKH_RUPEES * PAISE_PER_RUPEE)
    if in_lakh < (CRORE_RUPEES // LAKH_RUPEES) * scale:
        return t(lang, "money.lakh", amount=f"{sign}{RUPEE}{_decimal(in_lakh)}")
    in_crore = _round_div(amount * scale, CRORE_RUPEES * PAISE_PER_RUPEE)
    return t(lang, "money.crore", amount=f"{sign}{RUPEE}{_decimal(in_crore)}")


def rupees_with_words(paise: int, lang: str) -> str:
    """The figure, and from a lakh up its words too: "₹1,50,000 (₹1.5 lakh)", "₹500"."""
    words = rupees_words(paise, lang)
    return f"{rupees(paise)} ({words})" if words else rupees(paise)


def percent(bps: int) -> str:
    """Basis points as a percentage: 500 -> "5%", 1250 -> "12.5%", 1 -> "0.01%"."""
    sign = MINUS if bps < 0 else ""
    return f"{sign}{_decimal(abs(bps))}%"  # a basis point is a hundredth of a percent


def zone(tz: str | tzinfo | None = None) -> tzinfo:
    """The zone dates are shown in: `tz`, else the app's (India); IST when tzdata is absent."""
    if isinstance(tz, tzinfo):
        return tz
    name = tz or limits.APP_TIME_ZONE
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        if name == limits.APP_TIME_ZONE:
            return IST_FIXED
        raise


def _local(ms: int, tz: str | tzinfo | None) -> datetime:
    return datetime.fromtimestamp(ms // MS_PER_SECOND, UTC).astimezone(zone(tz))


def date_local(ms: int, tz: str | tzinfo | None = None, lang: str = "en") -> str:
    """A day as read on a receipt: "6 Dec 2026" (month names in `lang`)."""
    d = _local(ms, tz)
    month = t(lang, f"month.short.{d.month}")
    return t(lang, "format.date", day=d.day, month=month, year=d.year)


def time_local(ms: int, tz: str | tzinfo | None = None, lang: str = "en") -> str:
    """A clock time on the 12-hour clock people use: "7:05 pm"."""
    d = _local(ms, tz)
    hour = d.hour % 12 or 12
    key = "time.am" if d.hour < 12 else "time.pm"
    return t(lang, key, time=f"{hour}:{d.minute:02d}")


def datetime_local(ms: int, tz: str | tzinfo | None = None, lang: str = "en") -> str:
    """ "6 Dec 2026, 7:05 pm"."""
    return t(lang, "format.datetime", date=date_local(ms, tz, lang), time=time_local(ms, tz, lang))


def countdown(ms_left: int) -> str:
    """Time left on the node's auction clock: "4:05", "1:02:03"; never below "0:00".

    Whole seconds are rounded up, so "0:00" shows only when no time is left at all.
    """
    seconds = -(-max(ms_left, 0) // MS_PER_SECOND)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _grouping_ok(whole: str) -> bool:
    """Commas, if any, group digits the Indian way (1,00,000) or the Western way (100,000)."""
    groups = whole.split(",")
    if len(groups) == 1:
        return True
    head, middle, last = groups[0], groups[1:-1], groups[-1]
    if not 1 <= len(head) <= 3 or len(last) != 3:
        return False
    indian = len(head) <= 2 and all(len(g) == 2 for g in middle)
    western = all(len(g) == 3 for g in middle)
    return indian or western


def parse_rupees(text: str) -> int:
    """Paise from an amount a person typed: "1,00,000", "100000", "₹1000.50", "೧೦೦".

    Refuses (BadAmount, changing nothing) junk, a sign, more than two decimals, commas
    out of place, and amounts above ui.limits.TYPED_AMOUNT_PAISE_MAX.
    """
    if len(text) > limits.TYPED_AMOUNT_CHARS_MAX:
        raise BadAmount(f"not a rupee amount: {text[:8]!r}… (too long)")
    cleaned = text.strip().translate(_LOCAL_DIGITS)
    for prefix in _PREFIXES:
        if cleaned.lower().startswith(prefix):
            cleaned = cleaned[len(prefix) :].strip()
            break
    if cleaned[:1] in ("-", MINUS):
        raise BadAmount(f"an amount must not be negative: {text!r}", code="negative_amount")
    whole, dot, frac = cleaned.partition(".")
    digits = whole.replace(",", "")
    if (
        not digits
        or not set(digits) <= _ASCII_DIGITS
        or not set(frac) <= _ASCII_DIGITS
        or (dot and not frac)
        or len(frac) > 2
        or not _grouping_ok(whole)
    ):
        raise BadAmount(f"not a rupee amount: {text!r}")
    paise = int(digits) * PAISE_PER_RUPEE + int(frac.ljust(2, "0"))
    if paise > limits.TYPED_AMOUNT_PAISE_MAX:
        raise BadAmount(
            f"{rupees(paise)} is above {rupees(limits.TYPED_AMOUNT_PAISE_MAX)}",
            code="amount_above_limit",
        )
    return paise
