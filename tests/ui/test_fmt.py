"""ui.fmt: money in Indian grouping, lakh and crore words, dates in India's zone, typed amounts."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chitnode.errors import CODES, ChitError
from ui import fmt, limits
from ui.fmt import (
    BadAmount,
    countdown,
    date_local,
    datetime_local,
    parse_rupees,
    percent,
    rupees,
    rupees_with_words,
    rupees_words,
    time_local,
)

PAISE = st.integers(min_value=0, max_value=limits.TYPED_AMOUNT_PAISE_MAX)
# 2026-12-06 19:05:09 in India (13:35:09 UTC)
EVENING_MS = int(datetime(2026, 12, 6, 13, 35, 9, tzinfo=UTC).timestamp()) * 1000


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (0, "₹0"),
        (5, "₹0.05"),
        (100, "₹1"),
        (99_900, "₹999"),
        (100_000, "₹1,000"),
        (10_000_000, "₹1,00,000"),
        (10_000_050, "₹1,00,000.50"),
        (1_234_567_890, "₹1,23,45,678.90"),
        (-50_000, "−₹500"),
        (10**12, "₹10,00,00,00,000"),
    ],
)
def test_rupees_groups_the_indian_way_and_shows_paise_only_when_not_zero(
    paise: int, text: str
) -> None:
    assert rupees(paise) == text


@given(PAISE)
@example(0)
@example(limits.TYPED_AMOUNT_PAISE_MAX)
def test_what_rupees_shows_parse_rupees_reads_back(paise: int) -> None:
    shown = rupees(paise)
    assert parse_rupees(shown) == paise
    assert parse_rupees(shown.replace(",", "")) == paise  # typed without the commas


@given(PAISE)
def test_grouping_is_three_digits_then_pairs(paise: int) -> None:
    whole = rupees(paise).removeprefix("₹").split(".")[0]
    *pairs, last = whole.split(",")
    assert whole.replace(",", "") == str(paise // 100)
    if pairs:
        assert len(last) == 3 and all(len(p) == 2 for p in pairs[1:]) and 1 <= len(pairs[0]) <= 2


@pytest.mark.parametrize(
    ("typed", "paise"),
    [
        ("1,00,000", 10_000_000),
        ("100000", 10_000_000),
        ("100,000", 10_000_000),
        ("1000.50", 100_050),
        ("1000.5", 100_050),
        ("  ₹ 500 ", 50_000),
        ("Rs. 12", 1_200),
        ("0", 0),
        ("೧,೦೦,೦೦೦", 10_000_000),  # a Kannada keyboard's digits
        ("१२३.४५", 12_345),  # a Hindi keyboard's digits
    ],
)
def test_parse_rupees_reads_what_people_type(typed: str, paise: int) -> None:
    assert parse_rupees(typed) == paise


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "bad_amount"),
        ("abc", "bad_amount"),
        ("12a", "bad_amount"),
        ("1.234", "bad_amount"),  # a part of a paisa: refused, never rounded
        ("1.", "bad_amount"),
        (".5", "bad_amount"),
        ("1,0,0", "bad_amount"),
        ("1,00,0000", "bad_amount"),
        (",100", "bad_amount"),
        ("1e5", "bad_amount"),
        ("²", "bad_amount"),  # str.isdigit says yes, int() says no
        ("1 000", "bad_amount"),
        ("9" * (limits.TYPED_AMOUNT_CHARS_MAX + 1), "bad_amount"),
        ("-5", "negative_amount"),
        ("−5", "negative_amount"),
        ("₹-5", "negative_amount"),
        (str(limits.TYPED_AMOUNT_PAISE_MAX // 100 + 1), "amount_above_limit"),
    ],
)
def test_parse_rupees_refuses_with_a_stable_code(typed: str, code: str) -> None:
    with pytest.raises(BadAmount) as caught:
        parse_rupees(typed)
    assert caught.value.code == code and code in CODES
    assert isinstance(caught.value, ChitError)


@given(st.text(max_size=40))
@example("٣")  # Arabic-Indic digit: refused, not read
def test_any_text_is_an_amount_in_bounds_or_a_bad_amount(typed: str) -> None:
    try:
        paise = parse_rupees(typed)
    except BadAmount as refused:
        assert refused.code in CODES
    else:
        assert type(paise) is int and 0 <= paise <= limits.TYPED_AMOUNT_PAISE_MAX


@pytest.mark.parametrize(
    ("paise", "lang", "words"),
    [
        (10_000_000, "en", "₹1 lakh"),
        (15_000_000, "en", "₹1.5 lakh"),
        (15_200_000, "en", "₹1.52 lakh"),
        (15_249_900, "en", "₹1.52 lakh"),
        (15_250_000, "en", "₹1.53 lakh"),  # half up
        (999_999_900, "en", "₹1 crore"),  # 99.99999 lakh is said as a crore
        (2_000_000_000, "en", "₹2 crore"),
        (10**12, "en", "₹1,000 crore"),
        (-15_000_000, "en", "−₹1.5 lakh"),
        (15_000_000, "kn", "₹1.5 ಲಕ್ಷ"),
        (2_000_000_000, "hi", "₹2 करोड़"),
        (9_999_999, "en", ""),  # below a lakh: the figure alone says it
        (0, "en", ""),
    ],
)
def test_rupees_words_from_a_lakh_up(paise: int, lang: str, words: str) -> None:
    assert rupees_words(paise, lang) == words


def test_rupees_with_words_adds_the_words_only_from_a_lakh_up() -> None:
    assert rupees_with_words(15_000_000, "en") == "₹1,50,000 (₹1.5 lakh)"
    assert rupees_with_words(15_000_000, "hi") == "₹1,50,000 (₹1.5 लाख)"
    assert rupees_with_words(50_000, "kn") == "₹500"


@given(st.integers(min_value=limits.WORDS_FROM_PAISE, max_value=10**13))
def test_words_never_stray_more_than_half_a_hundredth_of_their_unit(paise: int) -> None:
    words = rupees_words(paise, "en")
    number, unit = words.removeprefix("₹").split(" ")
    whole, _, frac = number.replace(",", "").partition(".")
    hundredths = int(whole) * 100 + int(frac.ljust(2, "0"))
    unit_paise = {"lakh": 1_00_000 * 100, "crore": 1_00_00_000 * 100}[unit]
    assert abs(hundredths * unit_paise - paise * 100) <= unit_paise // 2


@pytest.mark.parametrize(
    ("bps", "text"), [(0, "0%"), (1, "0.01%"), (500, "5%"), (1250, "12.5%"), (10_000, "100%")]
)
def test_percent_from_basis_points(bps: int, text: str) -> None:
    assert percent(bps) == text


def test_dates_are_shown_in_india_unless_told() -> None:
    assert date_local(EVENING_MS) == "6 Dec 2026"
    assert time_local(EVENING_MS) == "7:05 pm"
    assert datetime_local(EVENING_MS) == "6 Dec 2026, 7:05 pm"
    assert datetime_local(EVENING_MS, "UTC") == "6 Dec 2026, 1:35 pm"
    assert date_local(EVENING_MS, "America/Los_Angeles") == "6 Dec 2026"
    assert time_local(EVENING_MS - 19 * 3600 * 1000) == "12:05 am"  # midnight is 12, not 0
    assert date_local(EVENING_MS, lang="kn") == "6 ಡಿಸೆಂಬರ್ 2026"
    assert time_local(EVENING_MS, lang="hi") == "7:05 अपराह्न"


@given(st.integers(min_value=0, max_value=4_102_444_800_000))  # up to 2100
def test_the_fixed_india_offset_is_the_zone_database_s(ms: int) -> None:
    """Without tzdata the app falls back to +05:30: right, since India has kept it since 1945."""
    assert datetime_local(ms, fmt.IST_FIXED) == datetime_local(ms, ZoneInfo("Asia/Kolkata"))


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (245_000, "4:05"),
        (244_001, "4:05"),  # a part of a second left still shows that second
        (1, "0:01"),
        (0, "0:00"),
        (-3_000, "0:00"),
        (3_723_000, "1:02:03"),
    ],
)
def test_countdown(ms: int, text: str) -> None:
    assert countdown(ms) == text


@given(st.integers(min_value=-(10**6), max_value=10**9))
def test_countdown_reads_back_as_the_seconds_left_rounded_up(ms: int) -> None:
    parts = [int(p) for p in countdown(ms).split(":")]
    seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    assert seconds == max(0, -(-ms // 1000))
    assert all(0 <= p < 60 for p in parts[1:])


def test_no_float_is_made_anywhere_in_fmt() -> None:
    """Money stays integer: no float literal, no `/`, no float() in ui/fmt.py."""
    tree = ast.parse(inspect.getsource(fmt))
    floats = [
        n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is float
    ]
    divisions = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, (ast.BinOp, ast.AugAssign)) and isinstance(n.op, ast.Div)
    ]
    calls = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id in ("float", "round")
    ]
    assert (floats, divisions, calls) == ([], [], [])
