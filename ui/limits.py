"""Bounds of the app (ui/): each part has a section.

Every number the app waits for, keeps or refuses by is named here (STYLE.md), so that
one file answers "how long does a phone stay logged in" or "how many sessions fit".
"""

from __future__ import annotations

from chitnode.domain import limits as _domain

# --- serving (ui/server.py) -----------------------------------------------------------------

APP_PORT_DEFAULT = 8550  # `chitnode serve --app-port`: fixed, so the phones' QR stays good
APP_PORT_MAX = 65535
# The first load of Flet's web client is 12 MB raw, 4.3 MB gzipped (FLET.md §2): a phone on
# a meeting's Wi-Fi pays it once. Below this size a response is not worth compressing.
GZIP_MINIMUM_BYTES = 1000
APP_SHUTDOWN_TIMEOUT_S = 5.0  # uvicorn's grace for open websockets when serve stops

# --- the shell (ui/shell.py) -------------------------------------------------------------------

# A browser session's live view is rebuilt from the log after each committed batch; a burst
# of bids coalesces into one rebuild per session per this many milliseconds at most.
LIVE_COALESCE_MS = 10
BANNER_SHOW_MS = 6000  # how long a refusal stays on screen before it fades
# A login that expired while nobody touched the phone goes back to the door within this.
IDLE_CHECK_S = 30
# The newest bids a phone's auction room lists (the rest are counted): each line is diffed
# and sent to every phone on every bid.
ROOM_BID_LINES_MAX = 8
SESSIONS_MAX = 400  # browser sessions one node serves at once (a big meeting has ~60 phones)

# --- money, dates and words (ui/fmt.py, ui/i18n/) -------------------------------------------

# A typed amount is refused above the largest amount any entry takes (a chit's value):
# past it the user mistyped, and the kernel would refuse it anyway, in less plain words.
TYPED_AMOUNT_PAISE_MAX = _domain.CHIT_VALUE_PAISE_MAX
# Characters of a typed amount ("₹1,00,00,00,000.00" is 18): longer is junk, refused before
# it is parsed (Python refuses to parse an int of more than 4300 digits with a traceback).
TYPED_AMOUNT_CHARS_MAX = 32
# Below a lakh an amount is not also shown in words (UX.md rule 1: "from a lakh up").
WORDS_FROM_PAISE = 1_00_000 * 100
APP_TIME_ZONE = "Asia/Kolkata"  # dates and times are shown in India's zone unless told

# --- logins and pairing (ui/auth.py, ui/pairing.py) -----------------------------------------

MINUTE_MS = 60_000
# UX.md rule 10: phones are shared, so a member's login ends after a short idle spell (a phone
# left on a chair), and after a day's meeting whatever happens.
MEMBER_IDLE_TIMEOUT_MS = 15 * MINUTE_MS
MEMBER_SESSION_LIFETIME_MS = 8 * 60 * MINUTE_MS
# The foreman's laptop sits at the meeting table for hours; it still locks when walked away from.
STAFF_IDLE_TIMEOUT_MS = 60 * MINUTE_MS
STAFF_SESSION_LIFETIME_MS = 12 * 60 * MINUTE_MS
# A guest (a phone that opened the meeting QR) has the login screen for this long.
GUEST_IDLE_TIMEOUT_MS = 10 * MINUTE_MS
LOGINS_MAX = 400  # logged-in app sessions one node holds (as many as browser sessions)
# Failed PINs or unlocks: after this many in a row, the member (or the client address, or
# the staff unlock) is locked out; each further lockout lasts twice the one before.
FAILED_TRIES_MAX = 5
LOCKOUT_FIRST_MS = 15 * MINUTE_MS
LOCKOUT_LONGEST_MS = 24 * 60 * MINUTE_MS
# A run of failures is forgotten (lockouts start again at the first length) after this long
# without a failure: a member who mistyped last month is not punished for it today.
FAILURES_FORGOTTEN_MS = 24 * 60 * MINUTE_MS
FAILURE_RECORDS_MAX = 10_000  # members and addresses with failures on record at once
PAIRING_TOKEN_BYTES = 16  # 128 random bits: not guessable within a token's few minutes
SESSION_TOKEN_BYTES = 32  # a login's bearer token, held by the Flet session on the node
MEETING_TOKEN_TTL_MS = 5 * MINUTE_MS  # the QR on the laptop: scanned at the table, or renewed
MEETING_TOKENS_MAX = 8  # unused meeting QRs still good at once (the laptop shows the newest)
MEMBER_TOKEN_TTL_MS = 10 * MINUTE_MS  # a token the foreman issues for one member's phone
PAIRING_TOKENS_MAX = 200  # member pairing tokens outstanding (used ones count until expiry)
# A staff PIN (set by an admin for this device's app unlock): digits, longer than a member's
# if the admin likes; it unlocks staff screens only from this machine by default.
STAFF_PIN_DIGITS_MIN = 6
STAFF_PIN_DIGITS_MAX = 12
# What the unlock field takes at most: longer is no passphrase or PIN of ours (no argon2 spent).
UNLOCK_SECRET_CHARS_MAX = 1024
# A phone that sleeps keeps its Flet session (and its login) this long (FLET.md §2).
FLET_SESSION_TIMEOUT_S = 3600

# --- the member's signing page (ui/signer.py, assets/signer/) ------------------------------

# A consent a member signs names a group, a month, an amount, a hash or two: a few hundred
# bytes of canonical JSON. A witness names every feed's head, about 150 bytes each, and a
# log may have WITNESS_HEADS_MAX (128) feeds: 20 KB holds that many with room to spare
# (tests/ui/test_signer_page.py checks it), and its link (27 KB of base64url) still opens
# on a phone. Past this it is no statement of ours (refused before it is shown).
SIGNER_STATEMENT_BYTES_MAX = 20_480
# A POST to /signer/submit: the statement in base64url (4 chars per 3 bytes), a signature, a
# key and a ticket in a little JSON. Bigger is refused before it is parsed.
SIGNER_BODY_BYTES_MAX = 2 * SIGNER_STATEMENT_BYTES_MAX + 1024
SIGNER_TICKET_BYTES = 16  # 128 random bits: a ticket is not guessable while it is open
# A ticket the app issued for one signature: the member reads the statement and taps within it.
SIGNER_TICKET_TTL_MS = 10 * MINUTE_MS
# A signature (or a key for enrolment) received waits this long for the app or staff to take it.
SIGNER_SIGNED_KEEP_MS = 60 * MINUTE_MS
# Tickets open and signatures waiting, together (a big meeting: ~60 phones, a few acts each).
SIGNER_TICKETS_MAX = 400
# A branch id or member number the page is handed: longer names nothing of ours.
SIGNER_NAME_CHARS_MAX = 64

# --- meeting mode (ui/meeting_desk.py, ui/vm/meeting.py) ------------------------------------

# Meetings one node keeps open at its table at once: a branch runs a handful of groups a day;
# past this the oldest is dropped (it can be opened again; nothing of the log is lost).
MEETINGS_OPEN_MAX = 64
MEETING_AUCTION_MS = 15 * MINUTE_MS  # the countdown the meeting's auction opens with
# The countdowns the foreman may choose when opening the auction (minutes); the kernel takes
# 1 minute to 6 hours (chitnode.domain.limits.AUCTION_MIN_MS, AUCTION_MAX_MS).
MEETING_AUCTION_MINUTES = (1, 5, 10, 15)

# --- the member's phone (ui/vm/member.py, passbook.py, loans.py, wallet.py, inbox.py) ------

PASSBOOK_LINES_MAX = 300  # passbook lines shown, newest first (a 20-month chit is ~60 a ticket)
INBOX_ITEMS_MAX = 30  # things to sign and news lines in the inbox, each list
LOAN_LINES_MAX = 20  # a member's loans and applications shown, newest first
WALLET_MOVES_SHOWN = 30  # wallet history lines on the screen (the kernel pages by 50)
BANK_REQUESTS_SHOWN = 20  # bank deposit and withdrawal requests shown, open ones first
# Amount chips on the loan form (UX.md: chips, not free text first): ₹5,000 to ₹50,000.
LOAN_AMOUNT_CHIPS_PAISE = (5_000_00, 10_000_00, 25_000_00, 50_000_00)
LOAN_TENURE_CHIPS_MONTHS = (3, 6, 12, 24)
# The node checks its own log's hashes and chains at most this often for the badge; a page
# view only reads the record of the last check (a full check of a big log takes seconds).
INTEGRITY_RECHECK_MS = 24 * 60 * MINUTE_MS

# --- the live auction (ui/views/auction.py) ------------------------------------------------------

# The countdown's text ticks once a second while the auction screen shows; the node's clock
# (`ends_ms` of the opening entry) stays the judge. A ticker stops when its screen goes, and
# after at most the longest auction's seconds whatever happens.
COUNTDOWN_TICK_S = 1.0
COUNTDOWN_TICKS_MAX = _domain.AUCTION_MAX_MS // 1000 + 1
# A rebuilt auction screen is merged into the controls the browser already has (a bid then
# sends a few changed texts, not a new tree): deeper or larger than this is no screen of
# ours, and the new controls are shown as they are.
MERGE_DEPTH_MAX = 40
MERGE_CONTROLS_MAX = 5_000

# --- the foreman's set-up screens (ui/vm/setup.py, ui/views/foreman.py) ---------------------

# The last meeting day of the month an agreement may name: chit_kinds.group_created accepts
# 1..28 so that every month has the day; the form says so before the kernel refuses it.
MEETING_DAY_MAX = 28

# --- the back office's employee screens (ui/vm/office.py, ui/views/office.py) ---------------

KYC_QUEUE_SHOWN = 200  # pending KYC rows on one screen (bulk approval takes them all at once)
LOAN_INBOX_SHOWN = 100  # loans in the inbox (applied, approved, sanctioned), oldest first
RECOVERY_COLUMN_SHOWN = 50  # cards in one column of the recovery board
RECOVERY_CLOSED_SHOWN = 40  # closed cases under resolved and written off, newest first
BANK_DESK_SHOWN = 200  # pending bank requests read from the fold for the screen
MAIL_ROWS_SHOWN = 50  # mail outbox rows, newest first
# The activity feed pages through the latest entries of the log; the whole log is the
# admin's audit trail (issue 13), never read by this screen.
ACTIVITY_SCAN_MAX = 2000
ACTIVITY_PAGE_ROWS = 50
ACTOR_SHOWN_CHARS = 16  # a device key's first hex digits; member ids are shorter

# --- the admin's screens (ui/vm/admin.py, ui/views/admin.py) ---------------------------------

ADMIN_TREND_MONTHS = 12  # bars of the dashboard's collections trend, the latest months
AUDIT_PAGE_ROWS = 50  # audit-trail rows a page reads from the store (never the whole log)
AUDIT_CHUNK_LINES = 2000  # entries the integrity check reads on the node thread at a time
ADMIN_FENCED_SHOWN = 100  # fencing evidence pairs listed (the check counts them all)
ADMIN_FORKS_SHOWN = 50  # forked authors listed on the integrity screen
ADMIN_DEVICES_SHOWN = 500  # enrolled devices listed
MONITOR_REFRESH_S = 5.0  # the kernel monitor strip's figures are read at most this often
MONITOR_ROUNDS_MAX = 100_000  # a strip's refresh loop ends after this many rounds (~6 days)

# --- the head office's KPI dashboard (ui/vm/hq.py, ui/views/hq.py) ---------------------------

# Branches listed on the screen (rows, filter, last imports): a company runs tens to hundreds;
# the total always counts every branch, and `chitnode hq status` lists them all.
HQ_BRANCHES_SHOWN = 500
HQ_ANOMALIES_SHOWN = 5  # a branch's anomalies listed (the rest counted); `hq status` has all

# --- receipts members keep (ui/receipt_links.py, ui/views/member_receipts.py) ----------------

RECEIPT_LINK_TTL_MS = 10 * 60_000  # a receipt's download link works this long after it is shown
RECEIPT_LINK_KEY_BYTES = 32  # the HMAC key that signs download links (made at start-up)
# A download link's token: a member id, an `<author>:<seq>`, a time and a MAC in base64url:
# well under this; anything longer is refused before it is decoded.
RECEIPT_TOKEN_CHARS_MAX = 512
RECEIPT_QR_PX = 280  # the QR's side on a 360-px phone: a second phone's camera reads it

# --- heads witnessed from the members' phones (ui/witness_desk.py, issue 15 point 5) -------

# Witness requests held in memory at once (one per group meeting closing now): a branch
# closes a few meetings a day; the oldest is dropped past this (its signatures are lost, and
# the foreman asks again).
WITNESS_ASKS_MAX = 64
