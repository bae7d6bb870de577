"""Strings of the meeting screens (the foreman's laptop, ui/views/meeting.py).

Format: see ui/i18n/__init__.py. Keys start with "meeting.". English only: the foreman
reads these; what members see of a meeting (receipts, the result) is on their phones.
Amounts arrive formatted (ui.fmt), so no text here builds a figure itself.
"""

from __future__ import annotations

MEMBER_FACING = False

_EN: dict[str, str] = {
    "meeting.screen_title": "Meeting",
    "meeting.title": "{name}: meeting of month {month} of {months}",
    "meeting.title.choose": "Which group meets today?",
    "meeting.step": "Step {index} of {total}: {name}",
    "meeting.step.open": "Open the meeting",
    "meeting.step.attendance": "Attendance",
    "meeting.step.collections": "Collections",
    "meeting.step.bidders": "Who may bid",
    "meeting.step.auction": "The auction",
    "meeting.step.settlement": "Settlement",
    "meeting.step.cash": "Cash count",
    "meeting.step.minutes": "Minutes",
    "meeting.step.payout": "Prize payout",
    "meeting.step.close": "Close the meeting",
    # 1. open
    "meeting.open.none": "No group has a month left to hold.",
    "meeting.open.choice": "{name}: month {month} of {months} ({unpaid} tickets unpaid)",
    "meeting.open.date": "Date of the meeting: {date} (today)",
    "meeting.open.eligible": "{count} of {total} tickets still to win may bid",
    "meeting.open.is_open": "This meeting is open on this laptop.",
    "meeting.open.action": "Open the meeting",
    # 2. attendance
    "meeting.attendance.count": "{present} of {total} subscribers present",
    "meeting.attendance.person": "{name} (ticket {tickets})",
    "meeting.attendance.persons": "{name} (tickets {tickets})",
    "meeting.attendance.by_phone": "{person}: checked in by phone",
    "meeting.attendance.quorum": "The auction needs the foreman and 2 subscribers present.",
    "meeting.attendance.recorded": "The attendance was recorded when the auction opened.",
    # 3. collections
    "meeting.collections.total": "Collected for this month: {amount} in {count} receipts",
    "meeting.collections.ticket": "Ticket {ticket}: {name}",
    "meeting.collections.due": (
        "Instalment {instalment}, arrears {arrears}, penalty {penalty}: owes {owed} now"
    ),
    "meeting.collections.receipt": "Receipt {receipt}: {amount} {mode}",
    "meeting.collections.take": "Take a payment",
    "meeting.collections.amount": "Amount received",
    "meeting.collections.reference": "Bank or UPI reference",
    "meeting.collections.record": "Record the payment",
    "meeting.collections.penalty": "Record the penalty of {amount}",
    "meeting.mode.cash": "Cash",
    "meeting.mode.bank": "Bank",
    "meeting.mode.upi": "UPI",
    # 4. who may bid
    "meeting.bidders.count": "{count} tickets may bid this month",
    "meeting.bidders.blocked": "Ticket {ticket} ({name}) may not bid: {reason}",
    "meeting.bidders.owes": "{line} Owes {amount}.",
    # 5. the auction
    "meeting.auction.rules": (
        "Discount from {low} to {high}, in steps of {step}; the countdown runs {minutes}"
        " minutes unless you choose another"
    ),
    "meeting.auction.present": "{count} subscribers go into the attendance",
    "meeting.auction.lot": (
        "A tie or a month without bids is drawn by lot: this laptop commits to its secret"
        " now and reveals it after the close."
    ),
    "meeting.auction.open": "Open the auction",
    "meeting.auction.minutes": "{minutes} min",
    "meeting.auction.go": "Go to the auction screen",
    "meeting.auction.no_bid": "no bid yet",
    "meeting.auction.running": "Open until {until}: best discount {best}, {bids} bids",
    "meeting.auction.drawing": "The auction has closed; the draw waits for the lot to be revealed.",
    "meeting.auction.contribute": (
        "Nobody bid, or the best bids tie: the winner is drawn. Two subscribers present add"
        " to the draw ({count} so far), then the auction screen closes it."
    ),
    "meeting.auction.adds": "{name} adds to the draw",
    "meeting.auction.on_phone": (
        "Waiting for {name}'s phone: {name} adds to the draw from it (Add my share to the draw)"
    ),
    "meeting.auction.table_first": (
        "Add the shares at the table first: once a member's phone has added, the laptop can"
        " add no more."
    ),
    "meeting.auction.left_out": (
        "{name} is not in this draw: a member's phone has added, and after that the laptop"
        " adds no share."
    ),
    "meeting.auction.reveal": "Reveal the lot",
    "meeting.auction.no_secret": (
        "This laptop does not hold the lot secret: reveal it from the device that opened the"
        " auction."
    ),
    "meeting.auction.closed": "The auction has closed.",
    # 6. settlement
    "meeting.settlement.wait_auction": "The settlement follows the auction's close.",
    "meeting.settlement.wait_reveal": "The settlement follows the lot's reveal.",
    "meeting.settlement.preview": "Preview at the best discount so far:",
    "meeting.settlement.winner": "Ticket {ticket} ({name}) wins {how}",
    "meeting.settlement.by_bid": "by the highest bid",
    "meeting.settlement.by_lot": "by lot",
    "meeting.settlement.discount": "Discount: {discount}",
    "meeting.settlement.commission": "Foreman's commission: {commission}",
    "meeting.settlement.dividend": (
        "Share of discount: {discount} − {commission} = {pool}, {share} each for {tickets} tickets"
    ),
    "meeting.settlement.prize_label": "Prize",
    "meeting.settlement.prize": "Prize: {value} − {discount} = {prize}",
    "meeting.settlement.next": "Next instalment: {subscription} − {share} = {next}",
    # 7. cash count
    "meeting.cash.expected": "Cash taken at this meeting: {amount} in {count} receipts",
    "meeting.cash.counted": "Counted {amount}: difference {difference}",
    "meeting.cash.note_shown": "Note: {note}",
    "meeting.cash.counted_label": "Cash counted",
    "meeting.cash.note": "Why the count differs",
    "meeting.cash.save": "Save the count",
    # 8. minutes
    "meeting.minutes.none": "The minutes are written when the draw has closed.",
    "meeting.minutes.date": "Date: {date}; the foreman present",
    "meeting.minutes.present": "{count} subscribers present: {names}",
    "meeting.minutes.bids": "Bids: {count}",
    "meeting.minutes.figures": (
        "Discount {discount}, prize {prize}, commission {commission}, share of discount"
        " {share} a ticket, next instalment {next}"
    ),
    "meeting.minutes.hash": "Minutes fingerprint: {hash}",
    "meeting.minutes.complete": "Attested by the foreman, the winner and two subscribers.",
    "meeting.minutes.waiting": "Waiting for attestations: {others} of {needed} other subscribers",
    "meeting.minutes.foreman": "Foreman",
    "meeting.minutes.winner": "{name} (winner)",
    "meeting.minutes.attest": "Attest as foreman",
    "meeting.minutes.at_table": "Signed at the table",
    # 9. prize payout
    "meeting.payout.none": "There is no prize to pay until the draw has closed.",
    "meeting.payout.winner": "Ticket {ticket} ({name}) won the prize",
    "meeting.payout.amounts": "Prize {prize}, kept back {withheld}: pay {cash}",
    "meeting.payout.deadline": "Pay by {date} (within 7 days of the draw, s.22)",
    "meeting.payout.overdue": "Overdue: the prize was due by {date} (s.22)",
    "meeting.payout.paid": "Paid {amount}, reference {ref}",
    "meeting.payout.security_needed": (
        "Security needed for {months} months of dues: {amount}, or future dues deducted from"
        " the prize"
    ),
    "meeting.payout.deducted": "The winner chose to have future dues deducted from the prize.",
    "meeting.payout.secured": "Security of {held} covers the future dues.",
    "meeting.payout.deduct": "Deduct future dues from the prize",
    "meeting.payout.deduction_detail": "The winner chose to have future dues deducted",
    "meeting.payout.detail": "Security: name and detail",
    "meeting.payout.value": "Value of the security",
    "meeting.payout.secure": "Record the security",
    "meeting.payout.banker_yes": "The pool can pay this prize now: {reason}",
    "meeting.payout.banker_no": "The pool cannot pay this prize yet: {reason}",
    "meeting.payout.minutes_first": "The minutes need their attestations before the payout.",
    "meeting.payout.typed": "Type the amount to pay again",
    "meeting.payout.reference": "Bank reference of the payment",
    "meeting.payout.pay": "Pay the prize",
    "meeting.security.guarantor": "Guarantor",
    "meeting.security.document": "Document",
    "meeting.security.immovable_property": "Property",
    # 10. close
    "meeting.close.collected": "Collected at this meeting: {amount} in {count} receipts",
    "meeting.close.prize": "Prize to {name}: {prize}; paid: {paid}",
    "meeting.close.minutes": "Minutes attested: {done}",
    "meeting.close.cash": "Cash count difference: {difference}",
    "meeting.close.cash_uncounted": "The cash has not been counted.",
    "meeting.close.action": "Close the meeting",
    "meeting.close.done": "This meeting is closed.",
    # problems with what was typed (nothing is written)
    "meeting.problem.reference": "A bank or UPI payment needs its reference.",
    "meeting.problem.cash_note": "The count differs from what was taken: add a note saying why.",
    "meeting.problem.amount_differs": "The amount typed again is not the amount to pay.",
    "meeting.problem.detail": "Name the security (who or what it is).",
}

STRINGS: dict[str, dict[str, str]] = {key: {"en": text} for key, text in _EN.items()}
