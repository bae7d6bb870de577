"""Money is integer paise everywhere (DESIGN.md); never a float."""

from __future__ import annotations

from chitnode.errors import RuleViolation

PAISE_PER_RUPEE = 100


def require_paise(value: object, *, field: str = "amount_paise", positive: bool = True) -> int:
    """Return `value` if it is an int number of paise (and > 0 when `positive`), else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(f"{field} must be an integer number of paise", code="not_integer_paise")
    if positive and value <= 0:
        raise RuleViolation(f"{field} must be greater than zero", code="non_positive_amount")
    if not positive and value < 0:
        raise RuleViolation(f"{field} must not be negative", code="negative_amount")
    return value


def parse_rupees(text: str) -> int:
    """Parse a rupee amount typed by a person ("1,00,000", "8791.59", "₹500") into paise.

    At most two decimal places: fractional paise are refused, not rounded.
    """
    cleaned = text.strip().replace(",", "").replace("₹", "").replace("_", "")
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise RuleViolation(f"not a rupee amount: {text!r}", code="bad_amount")
    paise = int(whole) * PAISE_PER_RUPEE + int(frac.ljust(2, "0") or "0")
    return -paise if negative else paise


def group_indian(digits: str) -> str:
    """Indian digit grouping: last three digits, then pairs ("10000000" -> "1,00,00,000")."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail])


def format_inr(paise: int, *, symbol: bool = True) -> str:
    """Format paise for people: 10000000 -> "₹1,00,000.00"."""
    sign = "-" if paise < 0 else ""
    rupees, rest = divmod(abs(paise), PAISE_PER_RUPEE)
    text = f"{group_indian(str(rupees))}.{rest:02d}"
    return f"{sign}{'₹' if symbol else ''}{text}"
