"""`chitnode calc auction|emi`: the numbers a foreman shows members, by the kernel's rules."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from chitnode.domain import chit_rules, emi
from chitnode.domain.money import format_inr, parse_rupees
from chitnode.errors import RuleViolation


def _rupees(text: str) -> int:
    try:
        return parse_rupees(text)
    except RuleViolation as exc:
        raise argparse.ArgumentTypeError(exc.message) from exc


def _pct_bps(text: str) -> int:
    """A percentage with up to two decimals ("5", "7.5") as basis points."""
    try:
        return parse_rupees(text)  # same grammar: whole part and up to two decimals
    except RuleViolation as exc:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from exc


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1: {text!r}")
    return int(text)


def add_parsers(sub: Any) -> None:
    calc = sub.add_parser("calc", help="chit and loan arithmetic (no data folder needed)")
    kinds = calc.add_subparsers(dest="calc", required=True, parser_class=type(calc))
    p = kinds.add_parser("auction", help="settlement of one auction month")
    p.add_argument("--chit-value", type=_rupees, required=True, metavar="RUPEES")
    p.add_argument("--tickets", type=_count, required=True)
    p.add_argument("--discount", type=_rupees, required=True, metavar="RUPEES")
    p.add_argument("--commission-pct", type=_pct_bps, default=500, metavar="P")
    p.add_argument("--month", type=_count, default=2)
    p.add_argument("--amended-2019", action="store_true", help="allow commission up to 7%%")
    p.add_argument("--max-discount-pct", type=_pct_bps, default=4000, metavar="P")
    p.add_argument("--dividend-to", choices=[v.value for v in chit_rules.DividendTo], default="all")
    p.add_argument(
        "--commission-mode",
        choices=[v.value for v in chit_rules.CommissionMode],
        default="from_discount",
    )
    p.add_argument(
        "--min-discount",
        type=_rupees,
        default=None,
        metavar="RUPEES",
        help="lowest discount a bid may offer (default by commission mode: the commission "
        "when it comes from the discount, else zero)",
    )
    p.add_argument(
        "--bid-increment",
        type=_rupees,
        default=chit_rules.BID_INCREMENT_DEFAULT_PAISE,
        metavar="RUPEES",
        help="the agreement's bid increment; bids are multiples of it (default 100)",
    )
    p.add_argument(
        "--discount-ceiling-pct",
        type=_pct_bps,
        default=None,
        metavar="P",
        help="the branch's ceiling on the maximum discount (state rules); refuses a "
        "--max-discount-pct above it",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_auction)
    p = kinds.add_parser("emi", help="reducing-balance EMI and full schedule")
    p.add_argument("--principal", type=_rupees, required=True, metavar="RUPEES")
    p.add_argument("--annual-rate", type=_pct_bps, required=True, metavar="PCT")
    p.add_argument("--months", type=_count, required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_emi)


def run_auction(args: argparse.Namespace) -> int:
    terms = chit_rules.GroupTerms(
        chit_value_paise=args.chit_value,
        tickets=args.tickets,
        commission_bps=args.commission_pct,
        amended_2019=args.amended_2019,
        max_discount_bps=args.max_discount_pct,
        dividend_to=chit_rules.DividendTo(args.dividend_to),
        commission_mode=chit_rules.CommissionMode(args.commission_mode),
        min_discount_paise=args.min_discount,
        bid_increment_paise=args.bid_increment,
    )
    chit_rules.validate_terms(terms)
    if args.discount_ceiling_pct is not None:
        chit_rules.check_discount_ceiling(terms.max_discount_bps, args.discount_ceiling_pct)
    chit_rules.check_bid(terms, args.discount, None)
    s = chit_rules.settle(terms, args.discount, args.month)
    data = {
        "subscription_paise": chit_rules.subscription_paise(terms),
        "min_discount_paise": chit_rules.min_discount_paise(terms),
        "bid_increment_paise": terms.bid_increment_paise,
        **dataclasses.asdict(s),
    }
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return 0
    rows = [
        ("Chit value", args.chit_value),
        ("Monthly subscription", data["subscription_paise"]),
        ("Minimum discount", data["min_discount_paise"]),
        ("Bid increment (bids in multiples)", terms.bid_increment_paise),
        ("Winning discount", s.discount_paise),
        ("Foreman commission", s.commission_paise),
        ("Dividend pool", s.dividend_pool_paise),
        (f"Dividend per ticket (x{s.sharing_tickets})", s.per_ticket_dividend_paise),
        ("Next instalment", s.next_instalment_paise),
        ("Prize to the winner", s.prize_paise),
    ]
    for label, paise in rows:
        print(f"{label:<34}{format_inr(paise):>18}")
    if s.leftover_paise:
        print(f"({s.leftover_paise} leftover paise of the split go to the {s.leftover_to})")
    return 0


def run_emi(args: argparse.Namespace) -> int:
    rows = emi.schedule(args.principal, args.annual_rate, args.months)
    monthly = emi.emi_paise(args.principal, args.annual_rate, args.months)
    if args.json:
        out = {
            "emi_paise": monthly,
            "schedule": [dataclasses.asdict(r) for r in rows],
            "total_interest_paise": sum(r.interest_paise for r in rows),
        }
        print(json.dumps(out, indent=2, sort_keys=True))
        return 0
    print(f"EMI {format_inr(monthly)} for {args.months} months")
    print(f"{'month':>5} {'EMI':>15} {'interest':>15} {'principal':>15} {'balance':>16}")
    for r in rows:
        print(
            f"{r.month:>5} {format_inr(r.emi_paise):>15} {format_inr(r.interest_paise):>15} "
            f"{format_inr(r.principal_paise):>15} {format_inr(r.balance_paise):>16}"
        )
    print(f"Total interest {format_inr(sum(r.interest_paise for r in rows))}")
    return 0
