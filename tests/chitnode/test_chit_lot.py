"""Issue 14, point 2: the lot is drawn "in the presence of subscribers" (Chit Funds Act
s.6, s.16), and no single party can steer it.

Lot v1 (kept for groups formed before the branch recorded its rules) is seeded by the
holder's own `auction.opened` entry: the holder can grind `duration_ms` before opening
and pick the winner. Lot v2 is commit-reveal: the holder commits to a secret when the
draw opens, subscribers present contribute, the close fixes the contributions and the
holder's reveal draws. Also point 7's auction terms: the bid increment (default Rs 100,
bids in multiples) and the branch's ceiling on the discount (state rules).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from typing import Any

import pytest

from chitnode.cli.main import main
from chitnode.clock import ManualClock
from chitnode.domain import chit_kinds_base as base
from chitnode.domain import chit_rules as cr
from chitnode.domain import chit_views as views
from chitnode.domain.chit_kinds_auction import DRAWING, LOT_V2
from chitnode.log.entry import Entry
from chitnode.node.node import Node
from chitnode.services.demo import DEMO_START_MS, build_demo
from chitnode.store.api import EntryFilter
from tests.support.chit import (
    GID,
    RUPEE,
    SUB,
    decided_code,
    foreign,
    pay_all,
    refused,
    register,
    take_lease,
)
from tests.support.clock import FakeClock
from tests.support.driver import AUCTION_MS, ChitDriver

TICKETS = 10
DURATIONS = range(60_000, 60_040)  # the holder's tries in the issue
RULES = {"state": "Karnataka", "discount_ceiling_bps": 4_000, "source": "test: 40%"}
PRESENT = ["M1", "M2", "M3"]


def ten(node: Node, clock: FakeClock, *, rules: bool, **terms: Any) -> ChitDriver:
    """A running 10-ticket group (M1..M10), month 1 paid, the lease held."""
    driver = ChitDriver(node, clock, random.Random(2))
    if rules:
        driver.submit("branch.chit_rules_set", RULES)
    driver.form_group(GID, "Ten", TICKETS * SUB, register(driver, TICKETS), **terms)
    take_lease(driver)
    pay_all(driver)
    return driver


def opened_body(month: int, duration_ms: int, **more: Any) -> dict[str, Any]:
    return {
        "group_id": GID,
        "scope": f"group:{GID}",
        "month": month,
        "present": PRESENT,
        "foreman_present": True,
        "duration_ms": duration_ms,
        **more,
    }


def sealed_open(driver: ChitDriver, body: dict[str, Any]) -> Entry:
    """The `auction.opened` entry the holder's node would write now, without writing it:
    what a holder can compute for every candidate body before choosing one."""
    term = driver.state.get("leases", f"group:{GID}|{driver.node.public}")
    assert term is not None
    return driver.node._seal("auction.opened", {**body, "term": int(term["term"])})


def secret_of(n: int) -> str:
    return hashlib.sha256(f"holder secret {n}".encode()).hexdigest()


def close(driver: ChitDriver, month: int = 1) -> dict[str, Any]:
    driver.clock.advance(AUCTION_MS * 30)  # past any countdown
    driver.submit("auction.closed", {"group_id": GID, "scope": f"group:{GID}", "month": month})
    auction = driver.state.get(base.AUCTIONS, base.month_key(GID, month))
    assert auction is not None
    return auction


def reveal(driver: ChitDriver, secret: str, month: int = 1) -> dict[str, Any]:
    body = {"group_id": GID, "scope": f"group:{GID}", "month": month, "secret": secret}
    driver.submit("lot.revealed", body)
    return driver.settlement(GID, month)


def contribute(driver: ChitDriver, member: str, value: str, month: int = 1) -> None:
    body = {"group_id": GID, "month": month, "contribution": value, "actor": member}
    driver.submit("lot.contributed", body)


def countdown(driver: ChitDriver) -> None:
    """Past the countdown: bids are in, contributions may come."""
    driver.clock.advance(AUCTION_MS)


def phone_contribution(driver: ChitDriver, member: str, value: str) -> Entry:
    """A contribution written by `member`'s own linked phone (not the holder's node)."""
    phone = foreign(driver, "member", "lot.contributed", {}).author  # enrols the phone
    if driver.state.get(base.DEVICE_MEMBERS, phone) is None:
        driver.submit("member.device_linked", {"key": phone, "member_id": member})
    body = {"group_id": GID, "month": 1, "contribution": value, "actor": member}
    return foreign(driver, "member", "lot.contributed", body)


def ingest_applied(driver: ChitDriver, entry: Entry) -> None:
    result = driver.node.ingest([entry])
    outcome = result.outcomes[entry.hash]
    assert (outcome.status, outcome.code) == ("applied", "")


def tickets() -> list[str]:
    return [str(t) for t in range(1, TICKETS + 1)]


# --- the steering, before and after -----------------------------------------------------


def test_the_holder_steers_a_v1_lot_but_cannot_pick_a_v2_draw(
    fresh_node: Node, clock: FakeClock, tmp_path: Any
) -> None:
    # Lot v1 (a branch with no rules recorded: what every branch was before): trying
    # duration_ms 60,000..60,039 before opening reaches nearly every ticket.
    v1 = ten(fresh_node, clock, rules=False)
    reach: dict[str, int] = {}
    for duration in DURATIONS:
        entry = sealed_open(v1, opened_body(1, duration))
        reach.setdefault(cr.draw_lot(tickets(), [entry.hash]), duration)
    assert len(reach) >= 9  # the issue: 9 of the 10 tickets were reachable
    target = max(reach)  # the holder's pick among what it can reach
    v1.node.submit("auction.opened", opened_body(1, reach[target]))
    assert str(close(v1)["status"]) == "closed"
    picked = v1.settlement(GID, 1)
    assert (str(picked["winner_ticket"]), picked["by_lot"]) == (target, True)

    # Lot v2, same holder, same tries, in a branch with the rules recorded.
    with Node.init(tmp_path / "v2", "Rules Branch", clock=clock) as node:
        v2 = ten(node, clock, rules=True)
        assert v2.group(GID)["lot"] == LOT_V2
        secret = secret_of(0)
        commit = cr.lot_commitment(secret)
        v2.node.submit("auction.opened", opened_body(1, 60_000, lot_commit=commit))
        # A subscriber's own phone contributes after the commit is public.
        countdown(v2)
        member_value = hashlib.sha256(b"M1's phone, 32 random bytes").hexdigest()
        ingest_applied(v2, phone_contribution(v2, "M1", member_value))
        # The holder's inputs no longer pick anything:
        # - the open entry (duration_ms and all) is not in the draw's seed;
        # - the secret is bound by the commit: another one is refused;
        # - it may add no contribution of its own now (it could grind one);
        # - withholding the reveal stalls the month, visibly, and changes nothing.
        extra = {"group_id": GID, "month": 1, "contribution": secret_of(9), "actor": "M2"}
        assert refused(v2, "lot.contributed", extra) == "contributions_sealed"
        auction = close(v2)
        assert auction["status"] == DRAWING
        assert views.stalled_draws(v2.state)[0]["waiting"] == "reveal"
        wrong = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "secret": secret_of(1)}
        assert refused(v2, "lot.revealed", wrong) == "lot_mismatch"
        settled = reveal(v2, secret)
        seeds = cr.lot_v2_seeds(commit, secret, {"M1": member_value})
        drawn = cr.draw_lot(tickets(), seeds, domain=cr.LOT_V2_DOMAIN)
        assert (str(settled["winner_ticket"]), settled["by_lot"]) == (drawn, True)
        # What decides it is the member's input, unknown when the holder committed: with
        # the holder's commit and secret fixed, the member's value reaches nearly every
        # ticket, while the open entry, where duration_ms and the holder's other choices
        # live, is not in the seed at all.
        by_member = {
            cr.draw_lot(
                tickets(),
                cr.lot_v2_seeds(commit, secret, {"M1": secret_of(100 + n)}),
                domain=cr.LOT_V2_DOMAIN,
            )
            for n in range(len(DURATIONS))
        }
        assert len(by_member) >= 9
        assert auction["open_hash"] not in seeds and auction["lot"]["commit"] == commit


def test_a_missing_reveal_stalls_the_month_on_the_board_and_in_the_log(
    tmp_path: Any, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "branch"
    with Node.init(folder, "Stall Branch", clock=clock) as node:
        driver = ten(node, clock, rules=True)
        secret = secret_of(3)
        body = opened_body(1, 60_000, lot_commit=cr.lot_commitment(secret))
        driver.submit("auction.opened", body)
        board = views.auction_board(driver.state, GID, 1)
        assert board["draw"]["waiting"] == "contributions"
        driver.clock.advance(AUCTION_MS * 30)
        closing = {"group_id": GID, "scope": f"group:{GID}", "month": 1}
        assert refused(driver, "auction.closed", closing) == "lot_no_contribution"
        contribute(driver, "M2", secret_of(50))
        assert views.auction_board(driver.state, GID, 1)["draw"]["waiting"] == "close"
        close(driver)
        board = views.auction_board(driver.state, GID, 1)
        assert (board["status"], board["draw"]["waiting"]) == (DRAWING, "reveal")
        assert board["draw"]["contributors"] == ["M2"]
        # Nothing moves while the reveal is withheld: no settlement, no prize, no new draw.
        assert driver.state.get(base.SETTLEMENTS, base.month_key(GID, 1)) is None
        assert refused(driver, "prize.paid", closing) == "auction_not_closed"
        assert refused(driver, "auction.opened", body) == "auction_exists"
        assert refused(driver, "lot.contributed", {**closing, "contribution": secret_of(51)})
    capsys.readouterr()
    assert main(["--data", str(folder), "log"]) == 0
    stalled = [line for line in capsys.readouterr().out.splitlines() if "STALLED" in line]
    assert len(stalled) == 1 and f"{GID} month 1" in stalled[0] and "reveal" in stalled[0]
    with Node.open(folder, clock=clock) as node:
        driver = ChitDriver(node, clock, random.Random(0))
        settled = reveal(driver, secret)
        assert settled["by_lot"] is True and views.stalled_draws(driver.state) == []
    capsys.readouterr()
    assert main(["--data", str(folder), "log"]) == 0
    assert "STALLED" not in capsys.readouterr().out


def test_a_tie_is_resolved_by_the_same_draw_not_by_the_last_bid(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ten(fresh_node, clock, rules=True)
    cap = cr.max_discount_paise(cr.GroupTerms(chit_value_paise=TICKETS * SUB, tickets=TICKETS))
    secret = secret_of(7)
    commit = cr.lot_commitment(secret)
    driver.submit("auction.opened", opened_body(1, 60_000, lot_commit=commit))
    for ticket in (3, 1):
        body = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "ticket": ticket}
        driver.submit("auction.bid", {**body, "discount_paise": cap, "actor": f"M{ticket}"})
    early = {"group_id": GID, "month": 1, "contribution": secret_of(60), "actor": "M1"}
    assert refused(driver, "lot.contributed", early) == "auction_running"
    countdown(driver)
    contribute(driver, "M1", secret_of(60))
    contribute(driver, "M3", secret_of(61))
    late_bid = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "ticket": 2}
    late_bid |= {"discount_paise": cap, "actor": "M2"}
    assert refused(driver, "auction.bid", late_bid) == "auction_ended"  # nobody bids now
    assert close(driver)["status"] == DRAWING  # a tie waits for the reveal too
    settled = reveal(driver, secret)
    seeds = cr.lot_v2_seeds(commit, secret, {"M1": secret_of(60), "M3": secret_of(61)})
    assert str(settled["winner_ticket"]) == cr.draw_lot(["1", "3"], seeds, domain=cr.LOT_V2_DOMAIN)
    assert (settled["discount_paise"], settled["by_lot"]) == (cap, True)
    # The bids' entries are not in the seed: no bid order or timing moves the draw.
    auction = driver.state.get(base.AUCTIONS, base.month_key(GID, 1))
    assert auction is not None
    assert not {b["hash"] for b in auction["bids"]} & set(seeds)


def test_an_auditor_recomputes_the_winner_from_the_log_alone(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ten(fresh_node, clock, rules=True)
    for _ in range(3):  # three no-bid months run by the demo's scripted foreman
        driver.run_month(GID, bids_max=0)
    rows = driver.node.store.latest_placed(10_000, EntryFilter())
    entries = [json.loads(r.raw) for r in rows if r.status == "applied"]
    won: list[str] = []  # recomputed, month by month, from the entries alone
    for month in (1, 2, 3):
        (opened,) = bodies(entries, "auction.opened", month)
        (revealed,) = bodies(entries, "lot.revealed", month)
        contributed = bodies(entries, "lot.contributed", month)
        contributions = {b["actor"]: b["contribution"] for b in contributed}
        secret = bytes.fromhex(revealed["secret"])
        assert hashlib.sha256(secret).hexdigest() == opened["lot_commit"]
        candidates = sorted(set(tickets()) - set(won))  # everyone paid: all in good standing
        values = [opened["lot_commit"], revealed["secret"]]
        values += [contributions[m] for m in sorted(contributions)]
        digest = hashlib.sha256(cr.LOT_V2_DOMAIN + b"".join(bytes.fromhex(v) for v in values))
        s, n = digest.digest(), len(candidates)
        while int.from_bytes(s, "big") >= (2**256 // n) * n:  # the doc's rejection step
            s = hashlib.sha256(s).digest()
        won.append(candidates[int.from_bytes(s, "big") % n])
        assert str(driver.settlement(GID, month)["winner_ticket"]) == won[-1]


def bodies(entries: list[dict[str, Any]], kind: str, month: int) -> list[dict[str, Any]]:
    """The bodies of the group's `kind` entries for `month`, in log order."""
    return [
        e["body"]
        for e in entries
        if e["kind"] == kind and e["body"].get("month") == month and e["body"]["group_id"] == GID
    ]


def test_the_candidates_are_fixed_when_the_draw_opens(fresh_node: Node, clock: FakeClock) -> None:
    """Recording a payment (or not) after the contributions are seen cannot add or drop a
    ticket from the draw: the holder's staff would otherwise choose among candidate sets."""
    driver = ChitDriver(fresh_node, clock, random.Random(2))
    driver.submit("branch.chit_rules_set", RULES)
    driver.form_group(GID, "Ten", TICKETS * SUB, register(driver, TICKETS))
    take_lease(driver)
    driver.pay_dues(GID, list(range(1, TICKETS)), 1)  # ticket 10 has not paid
    secret = secret_of(8)
    driver.submit("auction.opened", opened_body(1, 60_000, lot_commit=cr.lot_commitment(secret)))
    countdown(driver)
    contribute(driver, "M1", secret_of(80))
    driver.pay_dues(GID, [TICKETS], 1)  # paid now, after the draw's inputs are known
    close(driver)
    settled = reveal(driver, secret)
    auction = driver.state.get(base.AUCTIONS, base.month_key(GID, 1))
    assert auction is not None and auction["lot"]["tickets"] == list(range(1, TICKETS))
    seeds = cr.lot_v2_seeds(cr.lot_commitment(secret), secret, {"M1": secret_of(80)})
    drawn = cr.draw_lot([str(t) for t in range(1, TICKETS)], seeds, domain=cr.LOT_V2_DOMAIN)
    assert str(settled["winner_ticket"]) == drawn


# --- contributions: whose, when, how many -------------------------------------------------


def test_contributions_are_present_members_acts_once_each_while_open(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ten(fresh_node, clock, rules=True)
    secret = secret_of(5)
    driver.submit("auction.opened", opened_body(1, 60_000, lot_commit=cr.lot_commitment(secret)))
    value = {"group_id": GID, "month": 1, "contribution": secret_of(70)}
    assert refused(driver, "lot.contributed", {**value, "actor": "M2"}) == "auction_running"
    countdown(driver)
    assert refused(driver, "lot.contributed", value) == "actor_missing"
    assert refused(driver, "lot.contributed", {**value, "actor": "M9"}) == "not_present"
    assert refused(driver, "lot.contributed", {**value, "contribution": "ab"}) == "bad_body"
    contribute(driver, "M2", secret_of(70))
    assert refused(driver, "lot.contributed", {**value, "actor": "M2"}) == "already_contributed"
    phone = phone_contribution(driver, "M1", secret_of(71))
    other = foreign(driver, "member", "lot.contributed", {**value, "actor": "M3"})
    assert decided_code(driver, other) == "not_own_member"  # the phone is M1's, not M3's
    ingest_applied(driver, phone)
    close(driver)
    late = {**value, "actor": "M3"}
    assert refused(driver, "lot.contributed", late) == "auction_closed"
    reveal_body = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "secret": secret}
    driver.submit("lot.revealed", reveal_body)
    assert refused(driver, "lot.revealed", reveal_body) == "no_draw_pending"


def test_the_commit_is_required_under_the_rules_and_refused_before_them(
    fresh_node: Node, clock: FakeClock, tmp_path: Any
) -> None:
    v1 = ten(fresh_node, clock, rules=False)
    commit = cr.lot_commitment(secret_of(1))
    assert refused(v1, "auction.opened", opened_body(1, 60_000, lot_commit=commit)) == "bad_body"
    assert refused(v1, "lot.contributed", {"group_id": GID, "month": 1, "contribution": commit})
    with Node.init(tmp_path / "v2", "Rules Branch", clock=clock) as node:
        v2 = ten(node, clock, rules=True)
        assert refused(v2, "auction.opened", opened_body(1, 60_000)) == "lot_commit_missing"
        short = opened_body(1, 60_000, lot_commit="00" * 31)
        assert refused(v2, "auction.opened", short) == "lot_commit_missing"
        v2.submit("auction.opened", opened_body(1, 60_000, lot_commit=commit))
        # a month won by a unique highest bid needs no reveal: it settles at the close
        body = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "ticket": 4}
        v2.submit("auction.bid", {**body, "discount_paise": 10_000 * RUPEE, "actor": "M4"})
        assert close(v2)["status"] == "closed"
        assert v2.settlement(GID, 1)["winner_ticket"] == 4


def test_minutes_carry_the_draw_for_attesters_and_old_minutes_hash_as_before(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ten(fresh_node, clock, rules=True)
    driver.run_month(GID, bids_max=0)
    doc = base.minutes_document(driver.state, GID, 1)
    assert doc is not None and doc["lot"]["secret"] is not None
    assert [c["member"] for c in doc["lot"]["contributions"]]
    assert doc["by_lot"] is True
    assert base.minutes_complete(driver.state.get(base.MINUTES, base.month_key(GID, 1)), doc)


# --- point 7: the bid increment and the discount ceiling ---------------------------------


def test_bids_are_multiples_of_a_rs_100_increment_under_the_rules(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ten(fresh_node, clock, rules=True)
    group = driver.group(GID)
    assert group["bid_increment_paise"] == 100 * RUPEE and group["bids_in_multiples"] is True
    doc = base.agreement_document(group)
    assert (doc["bid_increment_paise"], doc["bids_in_multiples"]) == (100 * RUPEE, True)
    assert doc["discount_ceiling_bps"] == 4_000 and doc["lot"] == LOT_V2
    driver.submit("auction.opened", opened_body(1, 60_000, lot_commit=secret_of(0)))
    body = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "ticket": 2, "actor": "M2"}
    assert refused(driver, "auction.bid", {**body, "discount_paise": 12_345 * RUPEE}) == (
        "bid_not_multiple"
    )
    driver.submit("auction.bid", {**body, "discount_paise": 12_300 * RUPEE})
    nudge = {**body, "ticket": 3, "actor": "M3", "discount_paise": 12_350 * RUPEE}
    assert refused(driver, "auction.bid", nudge) == "bid_increment_too_small"
    driver.submit("auction.bid", {**nudge, "discount_paise": 12_400 * RUPEE})


def test_groups_formed_before_the_rules_keep_their_increment_and_terms_hash(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ten(fresh_node, clock, rules=False)
    group = driver.group(GID)
    assert group["bid_increment_paise"] == cr.BID_INCREMENT_V1_PAISE
    assert not {"lot", "bids_in_multiples", "discount_ceiling_bps"} & set(group)
    assert base.terms_of(group).bids_in_multiples is False
    doc = base.agreement_document(group)
    assert not {"lot", "bids_in_multiples", "discount_ceiling_bps"} & set(doc)
    assert group["agreement_hash"] == base.terms_hash(group)  # what the members signed
    driver.submit("auction.opened", opened_body(1, 60_000))
    body = {"group_id": GID, "scope": f"group:{GID}", "month": 1, "ticket": 2, "actor": "M2"}
    driver.submit("auction.bid", {**body, "discount_paise": 12_345 * RUPEE + 67})


def test_the_branch_ceiling_bounds_the_agreed_maximum_discount(
    fresh_node: Node, clock: FakeClock
) -> None:
    driver = ChitDriver(fresh_node, clock, random.Random(1))
    ids = register(driver, 4)
    driver.submit("branch.chit_rules_set", {**RULES, "discount_ceiling_bps": 3_000})
    terms = {"group_id": "G-CAP", "name": "Cap", "chit_value_paise": 4 * SUB, "tickets": 4}
    terms |= {"months": 4, "commission_bps": 500}
    for above in (3_001, 4_000, 10_000):  # 100% was accepted before
        body = {**terms, "max_discount_bps": above}
        assert refused(driver, "group.created", body) == "discount_above_ceiling"
    driver.submit("group.created", {**terms, "max_discount_bps": 3_000})
    assert driver.group("G-CAP")["discount_ceiling_bps"] == 3_000
    for bad in (0, 10_001, "40"):
        rules = {**RULES, "discount_ceiling_bps": bad}
        assert refused(driver, "branch.chit_rules_set", rules) in {"bad_ceiling", "bad_body"}
    assert refused(driver, "branch.chit_rules_set", {**RULES, "state": ""}) == "note_required"
    laptop = foreign(driver, "foreman", "branch.chit_rules_set", RULES)
    assert driver.node.ingest([laptop]).outcomes[laptop.hash].status == "rejected"
    assert ids  # the members exist; the ceiling binds the agreement, not them


def test_calc_auction_takes_the_increment_and_the_ceiling(
    capsys: pytest.CaptureFixture[str],
) -> None:
    terms = ["calc", "auction", "--chit-value", "1,00,000", "--tickets", "10", "--json"]
    capsys.readouterr()
    assert main([*terms, "--discount", "12,300"]) == 0
    assert json.loads(capsys.readouterr().out)["bid_increment_paise"] == 100 * RUPEE
    assert main([*terms, "--discount", "12,345"]) != 0
    assert "[bid_not_multiple]" in capsys.readouterr().err
    assert main([*terms, "--discount", "12,345", "--bid-increment", "5"]) == 0
    capsys.readouterr()
    ceiling = ["--discount-ceiling-pct", "30", "--discount", "12,300"]
    assert main([*terms, *ceiling]) != 0
    assert "[discount_above_ceiling]" in capsys.readouterr().err
    assert main([*terms, *ceiling, "--max-discount-pct", "30"]) == 0


@pytest.mark.parametrize("mode", [m.value for m in cr.CommissionMode])
def test_calc_auction_agrees_with_a_group_under_the_rules(
    fresh_node: Node, clock: FakeClock, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    """A group under the branch's rules (Rs 100 multiples, lot v2 months, bids) run to
    its end: `calc auction` with the same terms gives each month's settlement."""
    driver = ChitDriver(fresh_node, clock, random.Random(31))
    driver.submit("branch.chit_rules_set", RULES)
    driver.form_group(GID, "Six", 6 * SUB, register(driver, 6), commission_mode=mode)
    for _ in range(6):
        driver.run_month(GID, bids_max=3, deduction=0.0, partial=0.0)
    fields = [f.name for f in dataclasses.fields(cr.Settlement)]
    terms = ["--chit-value", str(6 * SUB // RUPEE), "--tickets", "6", "--commission-mode", mode]
    drawn = 0
    for settled in base.settlement_rows(driver.state, driver.group(GID)):
        discount = int(settled["discount_paise"])
        whole = f"{discount // RUPEE}.{discount % RUPEE:02d}"
        args = [*terms, "--discount", whole, "--month", str(settled["month"]), "--json"]
        capsys.readouterr()
        assert main(["calc", "auction", *args]) == 0
        out = json.loads(capsys.readouterr().out)
        assert {f: out[f] for f in fields} == {f: settled[f] for f in fields}
        auction = driver.state.get(base.AUCTIONS, base.month_key(GID, int(settled["month"])))
        assert auction is not None
        drawn += settled["by_lot"] and auction.get("lot", {}).get("secret") is not None
    assert drawn  # some months were drawn by the commit-reveal lot


def test_the_demo_draws_its_lot_months_by_commit_reveal(tmp_path: Any) -> None:
    """The demo branch records its rules first, so every month of its groups that may
    end in a draw was opened with a commitment, and every month drawn by lot was
    revealed and can be recomputed from its minutes."""
    clock = ManualClock(wall_ms=DEMO_START_MS)
    with Node.init(tmp_path / "demo", "Demo", clock=clock) as node:
        build_demo(node, clock, random.Random(2026))
        state = node.engine.state
        assert state.get("branch_rules", "branch") is not None
        drawn = 0
        for key, settled in state.rows(base.SETTLEMENTS).items():
            auction = state.get(base.AUCTIONS, key)
            assert auction is not None
            if "lot" not in auction:  # one ticket left, or the foreman's month 1
                continue
            lot = auction["lot"]
            if settled["by_lot"]:
                contributions = {c["member"]: c["value"] for c in lot["contributions"]}
                seeds = cr.lot_v2_seeds(lot["commit"], lot["secret"], contributions)
                candidates = [str(t) for t in lot["tickets"]]
                if auction["bids"]:  # a tie: the tied tickets
                    best = max(b["discount_paise"] for b in auction["bids"])
                    candidates = sorted(
                        {str(b["ticket"]) for b in auction["bids"] if b["discount_paise"] == best}
                    )
                drawn_ticket = cr.draw_lot(candidates, seeds, domain=cr.LOT_V2_DOMAIN)
                assert str(settled["winner_ticket"]) == drawn_ticket
                drawn += 1
        assert drawn >= 3  # the on-top group alone draws three months by lot
