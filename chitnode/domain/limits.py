"""Every bound of the pure rules, in one place (STYLE.md: a limit on everything).

These are sanity bounds on what one entry may ask of the rules: past one, the entry
is refused with a code, as a typo or an attack would be. They are not rules of chit
law: the statutory caps (commission, discount, security cover) stay in
`chit_rules.py`, next to the Act they come from. A bound here decides which entries
the fold applies, so every node of a branch must hold the same value: changing one is
a fold change. Units last in names; counts of bytes, characters, days or months end
in `_MAX`/`_MIN` after the thing counted.

Imports nothing: the domain stays pure (tests/test_layering.py). The relations
between these and the kernel's bounds (text fits an entry string, totals fit a JSON
integer) are checked in `chitnode.limits`.
"""

from __future__ import annotations

# --- ids and text (chit_kinds_base.text and ID_RE) ---
ID_CHARS_MAX = 40  # member, group, loan and bank request ids: short keys people type
NAME_CHARS_MAX = 200  # a group's or a member's name
NOTE_CHARS_MAX = 500  # notes, reasons and details written with an entry
REF_CHARS_MAX = 64  # a bank's reference (bank_ref), as typed or as a gateway returns it
LOAN_PURPOSE_CHARS_MAX = 200
# kyc.submitted `sealed`: hex of nonce (24) + MAC (16) + canonical JSON of the full values.
# The JSON is ~80 bytes today; the bound leaves room and keeps rows small.
KYC_SEALED_BYTES_MIN = 24 + 16 + 2
KYC_SEALED_BYTES_MAX = 512

# --- groups and tickets (chit_rules.validate_terms, chit_kinds) ---
TICKETS_MAX = 1_000
CHIT_VALUE_PAISE_MAX = 10**12  # ₹1,000 crore
HOLDERS_MAX = 50  # a ticket's holders over its life (substitutions are rare)
BULK_APPROVE_MAX = 500  # members approved by one kyc.approved entry
GRACE_DAYS_MAX = 90
GRACE_DAYS_DEFAULT = 15  # a group that names no grace period gets this one

# --- defaulters (default_kinds, defaults): agreement terms of group.created ---
# Penalty interest on late instalments, a year: past any rate a court would uphold, so a
# typo (1800 meant as 18.00%, typed 18000) is caught.
PENALTY_RATE_BPS_MAX = 3_600
# The deduction agreed from a removed defaulter's contributions (s.30), in bps of the chit
# value: companies agree 5%; past 10% it is a forfeiture, not a deduction.
DEFAULTER_DEDUCTION_BPS_MAX = 1_000

# --- auctions (chit_kinds_auction) ---
BIDS_PER_AUCTION_MAX = 1_000
PRESENT_MAX = 1_000  # member ids in an auction's attendance list
SECURITY_ITEMS_MAX = 20  # securities furnished for one prized ticket
AUCTION_MIN_MS = 60_000
AUCTION_MAX_MS = 6 * 3_600_000
AUCTION_DEFAULT_MS = 15 * 60_000

# --- loans (emi, loan_views, loan_kinds) ---
LOAN_TENURE_MONTHS_MAX = 360
LOAN_RATE_BPS_MAX = 5_000  # 50% p.a.: past any lawful branch rate, so a typo is caught
# ₹1,000 crore: far above any branch loan, low enough that a typo is caught.
LOAN_PRINCIPAL_PAISE_MAX = 10**12
LOAN_TRANCHES_MAX = 12  # disbursements of one sanctioned loan
# Interest keeps falling due on unpaid arrears after the tenure, at most this long.
LOAN_OVERDUE_MONTHS_MAX = 120
# s.14 group-funded loans: a loan secured on a ticket's paid subscriptions lends at most
# this share of them (agreement term `loan_backing_bps`), never more than all of them.
GROUP_LOAN_BACKING_BPS_DEFAULT = 8_000  # 80%, as the branch's own eligibility backs loans
GROUP_LOAN_BACKING_BPS_MAX = 10_000

# --- wallets and bank requests (wallet_kinds, wallet_views, bank_kinds) ---
# One wallet entry moves at most ₹1 crore (as one bank request may): more is a typo or an
# attack, not a counter deposit or a transfer between members.
WALLET_AMOUNT_PAISE_MAX = 10_000_000 * 100
# One request moves at most ₹1 crore; a larger sum is a typo or an attack, not a deposit.
BANK_REQUEST_AMOUNT_PAISE_MAX = 10_000_000 * 100
WALLET_HISTORY_PAGE_DEFAULT = 50  # moves in one page of a wallet's history
WALLET_HISTORY_PAGE_MAX = 500

# --- the Banker's algorithm (bankers) ---
# Bounds on one state (TIGER_STYLE: a limit on everything). The matrices are dense,
# so processes x resources is what costs memory; a branch has far fewer of both.
BANKERS_PROCESSES_MAX = 10_000
BANKERS_RESOURCES_MAX = 256
BANKERS_REASON_NAMES_MAX = 8  # a granted reason names at most this many of the safe order

# --- commands and leases (apply, kernel_kinds) ---
CMD_ID_BYTES_MAX = 64  # a command id in a body (duplicate detection); the caller's or new_id()
LEASE_DEFAULT_MS = 5 * 60_000  # a scope's lease when its electorate is the root alone

# --- peer channel certificates (kernel_kinds: device.channel_bound) ---
# A device's self-signed Ed25519 X.509 certificate, DER: ~300 bytes; room for a longer
# subject, never for a payload hidden in a certificate.
CHANNEL_CERT_BYTES_MAX = 2048

# --- member keys (member_keys: member.key_enrolled, issue 15) ---
# The keys one member has had over a branch's life: a new one each time a phone is lost
# or replaced. Past this, a typo'd loop of enrolments, not a member, is writing them.
MEMBER_KEYS_MAX = 32

# --- heads witnessed at a meeting (witness_kinds: heads.witnessed, issue 15) ---
# One head per feed a meeting's log holds: a branch has a few devices, and an entry's deps
# name at most chitnode.limits.DEPS_MAX feeds; 128 heads (~18 KB) and 100 witnesses
# (~23 KB) together stay well inside one entry (ENTRY_BYTES_MAX, 64 KiB).
WITNESS_HEADS_MAX = 128
WITNESSES_MAX = 100  # member phones that sign one meeting's heads

# --- how they relate (checked at import, like a test) ---
assert GRACE_DAYS_DEFAULT <= GRACE_DAYS_MAX, "a group that names no grace period is valid"
assert GROUP_LOAN_BACKING_BPS_DEFAULT <= GROUP_LOAN_BACKING_BPS_MAX, "the default is valid"
assert AUCTION_MIN_MS <= AUCTION_DEFAULT_MS <= AUCTION_MAX_MS, (
    "an auction that names no duration is valid"
)
assert WALLET_HISTORY_PAGE_DEFAULT <= WALLET_HISTORY_PAGE_MAX, "the default page is a valid page"
assert KYC_SEALED_BYTES_MIN < KYC_SEALED_BYTES_MAX, "some sealed KYC record is valid"
# Every subscriber holds at least one ticket, so the largest group has at most
# TICKETS_MAX subscribers: a full attendance list of it must be accepted.
assert PRESENT_MAX >= TICKETS_MAX, "everyone at the largest group's auction can be marked present"
assert BIDS_PER_AUCTION_MAX >= TICKETS_MAX, "every ticket of the largest group can bid once"
# A settled bank deposit is a wallet move: it must not move more than a wallet entry may.
assert BANK_REQUEST_AMOUNT_PAISE_MAX <= WALLET_AMOUNT_PAISE_MAX, "a bank request fits a wallet move"
