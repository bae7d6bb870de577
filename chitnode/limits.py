"""Every bound chitnode enforces, in one place (STYLE.md: a limit on everything).

The log's, the store's, the node's and the services' bounds; the pure rules' bounds
are in `chitnode.domain.limits` and the network's in `sync.limits`. Units last in
names: a duration ends in its unit (`_MS`, `_S`); a count of bytes, characters or
entries ends in `_MAX`/`_MIN` after the thing counted. Changing a bound that touches
the wire or export format is a format change: write it down in docs/wal-format.md.
The asserts at the end say how the bounds relate, and why each relation must hold.
"""

from __future__ import annotations

from chitnode.domain import limits as domain

# --- entries and the export format (wal-v1 §1, §6) ---
ENTRY_BYTES_MAX = 64 * 1024  # canonical bytes of one entry, hash and sig included
BODY_DEPTH_MAX = 16  # nesting of objects/arrays inside an entry
KIND_BYTES_MAX = 64
STRING_BYTES_MAX = 16 * 1024  # one string value inside a body
DEPS_MAX = 256  # at most one dep per other author, so also a bound on feeds seen
JSON_INT_MAX = 2**53 - 1  # wal-v1 §2: every mainstream JSON library agrees up to here
EXPORT_LINE_BYTES_MAX = ENTRY_BYTES_MAX + 1024  # an entry line, or the header/seal
EXPORT_ENTRIES_MAX = 50_000_000  # a header claiming more is refused before reading
# A report lists this many problems, then only counts them (a hostile file holds a
# problem every few bytes: 4M of them once took 946 MB to list).
VERIFY_PROBLEMS_KEPT_MAX = 10_000
# An audit's findings list this many broken or rejected entries, then only count them
# (services/audit.py): the findings file and the auditor's screen stay readable.
AUDIT_LISTED_MAX = 1_000
# An audit folds an export of up to this many entries in memory (its raw lines held as a
# MemoryStore holds them, ~1 KB each); a bigger one folds into a scratch SQLite store.
AUDIT_MEMORY_FOLD_MAX = 100_000
# Authors whose entries have problems, remembered with their codes for import's choice
# of feeds to skip; past this the file is refused whole.
VERIFY_PROBLEM_AUTHORS_MAX = 10_000

# --- store ---
SQLITE_BUSY_TIMEOUT_MS = 5_000
GROUP_COMMIT_ENTRIES_MAX = 10_000  # entries appended in one transaction
READ_BATCH_ENTRIES = 2_000  # rows fetched per round trip when streaming feeds
REFOLD_UNDO_ENTRIES_MAX = 20_000  # undo journal kept for cheap re-folds; older -> rebuild
HASH_CACHE_ENTRIES_MAX = 200_000  # (author, seq) -> hash lookups the fold repeats
# Tries to lock a path that keeps being swapped between open and lock before refusing:
# one swap is a race with a cleanup, more means someone is playing games with the folder
# (store/lock.py).
LOCK_ATTEMPTS_MAX = 5
# At most one head record per interval: a record costs a file create, a flush and a rename
# (~0.2 ms), as much as a whole append on a fast disk, so a burst of appends shares one.
# The record may lag by this much; `close` writes the last head at once (store/ack.py).
ACK_INTERVAL_S = 0.05
ACK_BYTES_MAX = 1024  # a head.ack record is ~150 bytes; a bigger file is not one of ours
# Problems `chitnode check` keeps for its report; past this only the count grows (a store
# whose every row was rewritten must not cost memory per row to describe).
CHECK_PROBLEMS_MAX = 10_000

# --- keys ---
# The argon2id costs are libsodium's named levels written as numbers, so this module (which
# the pure domain reads) imports no crypto; store/keys.py asserts they still equal libsodium's.
PASSPHRASE_BYTES_MIN = 8
# libsodium's "interactive" argon2id cost for a key file this node writes: ~0.1 s and
# 64 MiB here; an attacker with the file pays that per guess, which is why the
# passphrase has a minimum length (store/keys.py).
KEY_FILE_OPSLIMIT = 2
KEY_FILE_MEMLIMIT = 64 << 20
# The costs a key file may ask for are read from the file, so they are bounded: a file
# asking for 2**32 passes would hang every command (issue 9, point 11). The ceiling is
# libsodium's "sensitive" level (4 passes, 1 GiB: seconds, on a laptop); the floor is
# what libsodium accepts at all.
KEY_FILE_OPSLIMIT_MAX = 4
KEY_FILE_MEMLIMIT_MAX = 1 << 30
KEY_FILE_OPSLIMIT_MIN = 1
KEY_FILE_MEMLIMIT_MIN = 8 << 10
# A sealed staff-key transfer is ~200 bytes; anything far larger is refused unread
# (services/staff_key.py).
STAFF_KEY_TRANSFER_BYTES_MAX = 1024

# --- verify (log/verify.py) ---
VERIFY_PARALLEL_MIN_ENTRIES = 4_000  # below this a process pool costs more than it saves
VERIFY_BATCH_LINES = 2_000  # lines handed to a worker at once on the exact path
VERIFY_RANGE_BYTES = 2 << 20  # bytes of entry lines a worker checks per task (range path)
VERIFY_PROBE_SCAN_BYTES = 4 * EXPORT_LINE_BYTES_MAX  # below this, read lines instead of bisecting
VERIFY_PROBE_AUTHORS_MAX = 1024  # more authors than this: workers keep every grant

# --- fold ---
HELD_ENTRIES_MAX = 100_000  # entries waiting for missing deps, per store
# ... and per author: one device (or a stolen key) fills its own allowance, never the
# store's (node/held.py). Ten such devices would be needed to fill HELD_ENTRIES_MAX.
HELD_PER_AUTHOR_MAX = 10_000
# Rows the authority check keeps parsed between entries (domain/authority.py): more than
# the keys a fold asks about at once; past it the cache starts over.
AUTHORITY_PARSED_ROWS_MAX = 4_096
# Entries of the root's main chain the fold reads past the root's fork point to find its
# resolution (node/fold.py, docs/forks.md): the root is frozen meanwhile, so this is what
# it wrote before and after the fork was seen.
FORK_SCAN_ENTRIES_MAX = 100_000
# coordination-v1 rule 4 (node/fold.py, domain/fencing.py). Entries of one feed the fold
# reads to find what a higher term's entry had seen of a lower holder, and what that
# holder wrote unseen: a lease's worth of a cut-off holder's writes, with room to spare.
# Past it the entries are taken as seen (not fenced): the same answer on every node.
FENCE_SCAN_ENTRIES_MAX = 20_000
# Rounds of "fence, fold again" one fold may take: each fences at least one entry, and
# one partition's conflicts settle in a round or two.
FENCE_ROUNDS_MAX = 64

# --- import (services/archive.py) ---
# Entries handed to the fold at once inside a feed's transaction: bounds the memory of a
# feed of any length (the transaction itself spills to SQLite's write-ahead log).
IMPORT_CHUNK_ENTRIES = GROUP_COMMIT_ENTRIES_MAX

# --- event stream (services/events.py) ---
SUBSCRIPTION_EVENTS_MAX = 256  # events queued per subscription; older ones are dropped
SUBSCRIPTIONS_MAX = 1_024  # open subscriptions per stream (views, sync peers)
# Events buffered between a commit's first fold and its flush: one group commit's worth,
# plus the lease entries a coordinated command writes first. A fold past this (a rebuild
# with a stream attached) drops the oldest and counts them in `pending_dropped`.
PENDING_EVENTS_MAX = 2 * GROUP_COMMIT_ENTRIES_MAX
PUBLISHED_MEMORY_MAX = 8_192  # entries whose published outcome is remembered (re-folds)

# --- notifications (services/notify.py) ---
NOTIFY_FEED_ITEMS_MAX = 200  # newest notifications kept per member or role in a live Feed
NOTIFY_FEED_AUDIENCES_MAX = 100_000  # members + roles a live Feed tracks

# --- the e-mail outbox (store/mail_outbox.py; sent by sync/mail) ---
MAIL_OUTBOX_PENDING_MAX = 10_000  # unsent mails; beyond, enqueue is refused (outbox_full)
MAIL_ATTEMPTS_MAX = 8  # tries before a mail is `failed`
MAIL_BACKOFF_BASE_MS = 30_000  # wait after the first failure; doubles per attempt
MAIL_BACKOFF_CAP_MS = 3_600_000  # ... up to an hour
MAIL_DELIVER_BATCH_MAX = 50  # mails sent per deliver_due call
MAIL_SUBJECT_CHARS_MAX = 200
MAIL_BODY_CHARS_MAX = 8_000
MAIL_ADDRESS_CHARS_MAX = 254  # RFC 5321 path limit
MAIL_KEY_CHARS_MAX = 200  # the idempotency key, also the Message-ID's local part
MAIL_LAST_ERROR_CHARS_MAX = 500
MAIL_SENT_KEEP_MS = 30 * 86_400_000  # sent and failed rows are pruned after this

# --- the bank outbox (services/bank_outbox.py; sent by sync/bank) ---
# Backoff after a miss: base * 2^(attempts-1), capped, minus a per-request jitter of up
# to 1/BANK_BACKOFF_JITTER_DIVISOR so that requests missed together do not retry together.
BANK_BACKOFF_BASE_MS = 1_000
BANK_BACKOFF_CAP_MS = 5 * 60_000
BANK_BACKOFF_JITTER_DIVISOR = 4
BANK_BACKOFF_DOUBLINGS_MAX = 30  # 2^30 * base is far past any cap: stop doubling there
BANK_ATTEMPTS_PER_PASS_MAX = 32  # requests sent to the bank in one pass of the worker
BANK_PENDING_SCAN_MAX = 10_000  # pending requests one pass reads from the fold state
BANK_STUCK_AFTER_ATTEMPTS = 20  # shown to the foreman as needing a person (docs/bank.md)
BANK_ERROR_CHARS_MAX = 200  # the last error kept per request in bank_outbox.db
BANK_REASON_CHARS_MAX = 200  # a bank's refusal reason, as written into the log

# --- the loan inbox (services/loan_inbox.py) ---
LOAN_INBOX_WORKERS_MAX = 4  # threads assessing applications at once
LOAN_INBOX_QUEUE_MAX = 64  # assessments queued or running at once
LOAN_INBOX_RESULT_TTL_MS = 60_000  # an assessment older than this is redone on the next refresh

# --- the KYC vault (services/kyc_vault.py) ---
KYC_INPUT_CHARS_MAX = 40  # one typed PAN, account or phone number, separators included

# --- command-line ---
LOG_ROWS_DEFAULT = 200
LOG_ROWS_MAX = 100_000  # `chitnode log --limit`: rows printed at most
# A report's chart (services/report_tables.py) shows at most this many calendar months, the
# latest: three years stay readable on one A4 width.
REPORT_CHART_MONTHS_MAX = 36

# --- the head office (chitnode/hq: many branches in one DuckDB or PostgreSQL database) ---
# Rows sent to the database in one executemany: big enough that a 10k-entry import is a
# few round trips to PostgreSQL, small enough that one batch never holds much memory.
HQ_WRITE_BATCH_ROWS = 5_000
# `hq import` draws a progress bar (stderr, on a terminal or with --progress) only for an
# export at least this big: a small one is done before a bar would be read.
HQ_PROGRESS_MIN_BYTES = 1_000_000
# Seconds a PostgreSQL connection attempt may take before `hq_db_unusable`.
HQ_CONNECT_TIMEOUT_S = 10
# `hq kpis --branch B`: a branch id is 32 hex digits and a name at most domain's
# NAME_CHARS_MAX; anything longer cannot name a branch and is refused before any query.
HQ_BRANCH_ARG_CHARS_MAX = 200

# --- receipts members keep (services/member_receipts.py, issue 15 point 4) ---
# A receipt file is the entry's line (at most ENTRY_BYTES_MAX) with a few short fields
# around it; anything bigger is not a receipt and is refused before it is parsed.
RECEIPT_FILE_BYTES_MAX = ENTRY_BYTES_MAX + 4 * 1024
# A witness file (issue 15 point 5) is a heads.witnessed entry's line in {v, branch, entry}.
WITNESS_FILE_BYTES_MAX = ENTRY_BYTES_MAX + 1024
RECEIPT_WHAT_CHARS_MAX = 200  # the receipt's words ("payment ₹5,000.00 · group ...")
# Receipts listed for one member at most (newest first): a passbook of twenty years of
# monthly payments in several groups, with a wallet, fits.
MEMBER_RECEIPTS_MAX = 2_000
# `chitnode receipt show MEMBER HASH`: the passbook prints 12 hex digits of an entry's hash;
# that many name one entry of a member's receipts, fewer might name several.
RECEIPT_REF_HASH_CHARS_MIN = 12
# The most bytes one QR code holds (version 40, lowest error correction, byte mode). A
# receipt is ~850 bytes; a bigger one (an entry with a long note) gets a QR code of the
# line naming its entry instead, and its file is the download (services/receipt_pdf.py).
RECEIPT_QR_BYTES_MAX = 2_953

# --- how they relate (checked at import, like a test) ---
assert LOG_ROWS_DEFAULT <= LOG_ROWS_MAX, "the default page of `chitnode log` is allowed"
# A range a worker checks holds at least one whole entry line, or the range path stalls.
assert VERIFY_RANGE_BYTES >= EXPORT_LINE_BYTES_MAX, "a verify range holds a line"
# The log's own shape.
assert ENTRY_BYTES_MAX < EXPORT_LINE_BYTES_MAX, "an entry fits an export line"
# A kind is a string of the entry, and a string is part of one.
assert KIND_BYTES_MAX <= STRING_BYTES_MAX < ENTRY_BYTES_MAX, "a kind or a string fits an entry"
assert HELD_PER_AUTHOR_MAX <= HELD_ENTRIES_MAX, "one author's allowance fits the store's"
# A read batch holds no more rows in memory than one group commit already does.
assert READ_BATCH_ENTRIES <= GROUP_COMMIT_ENTRIES_MAX, "a read batch is no larger than a commit"
assert IMPORT_CHUNK_ENTRIES <= GROUP_COMMIT_ENTRIES_MAX, "an import chunk is one commit's worth"
assert PENDING_EVENTS_MAX >= GROUP_COMMIT_ENTRIES_MAX, "one commit's events wait for its flush"
# The node writes key files with costs it can read back.
assert KEY_FILE_OPSLIMIT_MIN <= KEY_FILE_OPSLIMIT <= KEY_FILE_OPSLIMIT_MAX, "own key file: ops"
assert KEY_FILE_MEMLIMIT_MIN <= KEY_FILE_MEMLIMIT <= KEY_FILE_MEMLIMIT_MAX, "own key file: mem"
# Backoffs start below their cap, and the doubling reaches the cap before it stops.
assert 0 < BANK_BACKOFF_BASE_MS < BANK_BACKOFF_CAP_MS, "a bank backoff grows"
assert BANK_BACKOFF_BASE_MS << BANK_BACKOFF_DOUBLINGS_MAX >= BANK_BACKOFF_CAP_MS, (
    "the bank backoff reaches its cap"
)
assert 0 < MAIL_BACKOFF_BASE_MS < MAIL_BACKOFF_CAP_MS, "a mail backoff grows"
assert BANK_ATTEMPTS_PER_PASS_MAX <= BANK_PENDING_SCAN_MAX, "a pass sends only requests it read"
# The inbox refuses max_workers > queue_max: its defaults must pass its own check.
assert 1 <= LOAN_INBOX_WORKERS_MAX <= LOAN_INBOX_QUEUE_MAX, "the loan inbox's defaults are valid"
# RFC 5322 §2.1.1: a header line is at most 998 characters. A plain (ASCII) subject and
# the Message-ID <key@chitnode> each fit one line, unfolded.
_HEADER_LINE_CHARS_MAX = 998
assert len("Subject: ") + MAIL_SUBJECT_CHARS_MAX <= _HEADER_LINE_CHARS_MAX, "a subject fits a line"
assert len("Message-ID: <@chitnode>") + MAIL_KEY_CHARS_MAX <= _HEADER_LINE_CHARS_MAX, "an id too"

# The pure rules' bounds against the log's: what the rules accept, the log can carry.
# Text is bounded in characters by the rules and in UTF-8 bytes (at most 4 a character)
# by the log, so a text the rules accept is never refused by the log for its size.
_TEXT_CHARS_MAX = max(
    domain.ID_CHARS_MAX,
    domain.NAME_CHARS_MAX,
    domain.NOTE_CHARS_MAX,
    domain.REF_CHARS_MAX,
    domain.LOAN_PURPOSE_CHARS_MAX,
)
assert 4 * _TEXT_CHARS_MAX <= STRING_BYTES_MAX, "a text the rules accept fits an entry string"
assert 2 * domain.KYC_SEALED_BYTES_MAX <= STRING_BYTES_MAX, "a sealed KYC record (hex) fits one"
# Group totals (tickets * chit value) and the largest amount one entry may carry stay at
# or below the 2**53 JSON integer limit, so they survive any JSON library (wal-v1 §2).
assert domain.TICKETS_MAX * domain.CHIT_VALUE_PAISE_MAX <= JSON_INT_MAX, "a group total fits JSON"
_AMOUNT_PAISE_MAX = max(
    domain.LOAN_PRINCIPAL_PAISE_MAX,
    domain.WALLET_AMOUNT_PAISE_MAX,
    domain.BANK_REQUEST_AMOUNT_PAISE_MAX,
)
assert _AMOUNT_PAISE_MAX <= JSON_INT_MAX, "an entry's amount fits a JSON integer"
# The worker writes a bank's refusal reason into an outcome entry, cut to this length;
# the outcome's reducer takes a note of NOTE_CHARS_MAX: the cut reason always passes.
assert BANK_REASON_CHARS_MAX <= domain.NOTE_CHARS_MAX, "a bank's reason fits an outcome entry"
# A notification mail's key is `<entry hash, 64 hex>.<member id>` (services/notify.py).
assert 64 + 1 + domain.ID_CHARS_MAX <= MAIL_KEY_CHARS_MAX, "a notification's mail key fits"
