"""Every bound of the network adapters, in one place (STYLE.md: a limit on everything).

The kernel's bounds (entry size, deps, held entries, the outboxes) live in
`chitnode.limits`, the pure rules' in `chitnode.domain.limits`; these are the
network's: peer sync, the bank gateway and the mail sender. A reconciliation bound
reaches the wire and is part of the protocol (docs/sync.md, "Reconciliation"): a
peer enforcing a smaller one would refuse frames this node sends, so change them
together with `PROTOCOL_VERSION`. The bank's and the mail's bounds are this node's
own: a bank or an SMTP server sees only their effect. Units last in names.
"""

from __future__ import annotations

import json

from chitnode import limits as kernel
from chitnode.domain import limits as domain

# --- reconciliation pages (one page = one ingest transaction on the receiver) ---
PAGE_ENTRIES_MAX = 256  # entries per page: one page is one transaction, one fold step
PAGE_BYTES_MAX = 1024 * 1024  # entry-line bytes per page (a typical line is ~600 bytes)
PAGES_IN_FLIGHT_MAX = 4  # pages asked for and not yet ingested, per peer session
PROBE_PAGES_MAX = 1024  # pages asked while locating one feed's fork, per session

# --- heads summaries ---
HEADS_PER_MESSAGE_MAX = 256  # heads in one hello part
AUTHORS_MAX = 4096  # feeds one hello (all its parts together) may describe
HELLO_PARTS_MAX = AUTHORS_MAX // HEADS_PER_MESSAGE_MAX

# --- frames ---
HEADER_BYTES_MAX = 64 * 1024  # the JSON header line of a frame, newline excluded
MESSAGE_BYTES_MAX = 2 * 1024 * 1024  # one whole frame: header line plus entry lines
# What the core may hold for one session: the pages that arrived ahead of an earlier one.
SESSION_BUFFER_BYTES_MAX = PAGES_IN_FLIGHT_MAX * PAGE_BYTES_MAX

# The longest head on the wire: ["<author>",<seq>,"<hash>",<frozen_from>], and a comma.
_HEAD_WIRE_BYTES_MAX = len(
    f'["{"f" * 64}",{kernel.JSON_INT_MAX},"{"f" * 64}",{kernel.JSON_INT_MAX}],'
)
_HELLO_FIXED_BYTES_MAX = (
    256  # {"branch":...,"heads":[],"part":..,"parts":..,"round":..,"t":..,"v":..}
)

# --- in-memory loopback (sync/reconcile/loopback.py, for tests and benches) ---
LOOPBACK_FRAMES_MAX = 1_000_000  # a session that says more than this is looping: a bug, not a load

# --- the bank gateway client (sync/bank/client.py) ---
BANK_CONNECT_TIMEOUT_MS = 2_000
BANK_REQUEST_TIMEOUT_MS = 10_000  # whole call; a slower bank is retried (it keeps its answer)
BANK_REQUEST_TIMEOUT_MAX_MS = 120_000  # the most `--timeout-ms` may ask for
BANK_ANSWER_BYTES_MAX = 4_096  # an answer's body; a longer one is a RETRY, unread
BANK_ANSWER_REASON_CHARS_MAX = 200  # a refusal's reason: printable ASCII, at most this long
BANK_CONCURRENT_CALLS_MAX = 8

# --- the bank worker (sync/bank/worker.py, sync/bank/options.py) ---
BANK_IDLE_WAIT_MAX_MS = 5_000  # longest sleep between passes while waiting for a backoff
BANK_PAUSE_MAX_MS = 60_000  # the most `--pause-ms` may ask for between passes
BANK_WORKER_PASSES_DEFAULT = 1_000  # `--passes`: at most this many passes in one run
BANK_WORKER_PASSES_MAX = 100_000
BANK_WORKER_RUN_DEFAULT_S = 600.0  # `--seconds`: a run stops after this long
BANK_WORKER_RUN_MAX_S = 86_400.0

# --- the bank simulator (sync/bank/sim.py) ---
BANK_SIM_KEYS_MAX = 100_000  # answers remembered; past this the bank answers 503
BANK_SIM_DELAY_MAX_MS = 60_000  # the slowest answer `slow` mode may be told to give
BANK_SIM_REJECT_MEMBERS_MAX = 1_000
BANK_SIM_BODY_BYTES_MAX = 4_096  # a request or control body; a longer one is refused unread

# --- the mail sender (sync/mail/smtp.py) ---
MAIL_SMTP_TIMEOUT_S = 10.0  # one SMTP session: connect, greet, send
MAIL_WORKER_INTERVAL_S = 5.0  # the outbox worker looks for due mails this often
MAIL_WORKER_REPORTS_KEPT = 100  # delivery reports the worker keeps, newest last

# --- the serving node (sync/node_thread.py, sync/serve/) ---
NODE_THREAD_JOBS_MAX = 256  # calls queued for the node thread; more wait on the loop
# The control endpoint (sync/serve/control.py): the data folder owner's commands to a serve.
CONTROL_CONNECTIONS_MAX = 16  # control clients at once; more wait in the listen backlog
CONTROL_REQUEST_BYTES_MAX = 4 * kernel.ENTRY_BYTES_MAX  # one command line (`submit` BODY_JSON)
# One command's whole output, held in memory on both sides: `log --json` at its row bound
# (100k rows of ~1 KiB typical entries; a log of bigger bodies asks for fewer rows).
CONTROL_REPLY_BYTES_MAX = 256 * 1024 * 1024
CONTROL_READ_BYTES = 64 * 1024  # one read of the reply
CONTROL_CONNECT_TIMEOUT_S = 5.0  # a serve that does not accept in this long is stuck
CONTROL_COMMAND_TIMEOUT_S = 3_600.0  # a forwarded command (a big export) may take this long
# The restored-backup guard (sync/serve/guard.py): how long local writes wait for peers to
# tell this device its own feed's head, at each start, before it writes unchecked.
GUARD_TIMEOUT_S = 10.0
GUARD_PEERS_MAX = 8  # peers asked at once (--peer first, then the most recently seen)

# --- the peer channel and sessions (sync/channel, sync/peer; docs/sync.md "The channel") ---
PEER_SESSIONS_MAX = 64  # sync websockets one server keeps open at once (a LAN branch is small)
PEER_SESSIONS_PER_DEVICE_MAX = 4  # per device key: a link, a one-shot sync, a reconnect overlap
PEER_CONNECT_TIMEOUT_S = 5.0  # TCP + TLS + websocket upgrade
PEER_ANSWER_TIMEOUT_S = 10.0  # a request unanswered this long: the core's `resend`
PEER_RESENDS_MAX = 3  # resends in a row without a frame from the peer: peer_timeout
PEER_HEARTBEAT_S = 15.0  # websocket ping on an idle live link; a missed pong closes it
PEER_FRAMES_BURST_MAX = 2_048  # frames a peer may send back to back (a hello is 16 parts)
PEER_FRAMES_PER_S = 1_024  # sustained frame rate per session; faster is rate_limited
PEER_HTTP_BODY_BYTES_MAX = 64 * 1024  # a plain (non-websocket) request's body on the peer port
PEER_LINK_BACKOFF_BASE_S = 0.25  # a link's first redial; doubled per failure
PEER_LINK_BACKOFF_MAX_S = 30.0  # ... up to this
PEER_LINK_REPORTS_KEPT = 16  # ended sessions a link remembers, for `chitnode peers`
PEER_CLOSE_TIMEOUT_S = 2.0  # a closing handshake the peer does not finish is cut
# Threads checking received entries' own signatures beside the fold (sync/peer/session.py):
# one, as the node thread keeps a core busy and libsodium runs without the GIL.
PEER_SIG_THREADS = 1

# The bounds agree with each other and with the kernel's (checked at import, like a test).
assert kernel.ENTRY_BYTES_MAX <= PAGE_BYTES_MAX, "a page always has room for one entry"
assert 2 * kernel.ENTRY_BYTES_MAX <= PAGE_BYTES_MAX, "fork evidence (two entries) fits a frame"
assert MESSAGE_BYTES_MAX >= HEADER_BYTES_MAX + 1 + PAGE_BYTES_MAX + PAGE_ENTRIES_MAX, (
    "a full page (header, lines and their newlines) fits a frame"
)
assert HEADS_PER_MESSAGE_MAX * _HEAD_WIRE_BYTES_MAX + _HELLO_FIXED_BYTES_MAX <= HEADER_BYTES_MAX, (
    "a full hello part fits a header line"
)
assert HELLO_PARTS_MAX * HEADS_PER_MESSAGE_MAX == AUTHORS_MAX
assert AUTHORS_MAX > kernel.DEPS_MAX, "every feed an entry can name fits a hello"
assert PAGE_ENTRIES_MAX <= kernel.GROUP_COMMIT_ENTRIES_MAX, "a page is one transaction"
assert PAGES_IN_FLIGHT_MAX * PAGE_ENTRIES_MAX <= kernel.GROUP_COMMIT_ENTRIES_MAX, (
    "a round of pages in flight is one transaction (reconcile/core.py)"
)
assert PEER_FRAMES_BURST_MAX >= HELLO_PARTS_MAX + PAGES_IN_FLIGHT_MAX, "a summary never limits"
assert PEER_SESSIONS_PER_DEVICE_MAX <= PEER_SESSIONS_MAX, "one device's sessions fit the server"
assert PEER_LINK_BACKOFF_BASE_S < PEER_LINK_BACKOFF_MAX_S, "a link's backoff grows"
assert PAGES_IN_FLIGHT_MAX * PAGE_ENTRIES_MAX < kernel.HELD_ENTRIES_MAX, (
    "the pages of one session cannot fill the held-entries bound by themselves"
)

# The bank adapters.
assert BANK_CONNECT_TIMEOUT_MS < BANK_REQUEST_TIMEOUT_MS, "connecting is part of the whole call"
assert BANK_REQUEST_TIMEOUT_MS <= BANK_REQUEST_TIMEOUT_MAX_MS, "the default timeout is a valid one"
assert BANK_WORKER_PASSES_DEFAULT <= BANK_WORKER_PASSES_MAX, "the default run is a valid one"
assert BANK_WORKER_RUN_DEFAULT_S <= BANK_WORKER_RUN_MAX_S, "the default run is a valid one"
# The worker cuts a refusal's reason to the kernel's bound before it writes it into the
# log: a reason the client accepts must go in whole.
assert BANK_ANSWER_REASON_CHARS_MAX <= kernel.BANK_REASON_CHARS_MAX, "a reason is never cut"
# The longest refusal the client accepts (every reason character escaped, the longest
# bank_ref) is read whole: refused for its size, it would be retried for ever.
_ANSWER_BYTES_LONGEST = len(
    json.dumps(
        {
            "status": "rejected",
            "reason": '"' * BANK_ANSWER_REASON_CHARS_MAX,
            "bank_ref": "f" * domain.REF_CHARS_MAX,
        }
    )
)
assert _ANSWER_BYTES_LONGEST <= BANK_ANSWER_BYTES_MAX, "every answer the client accepts is read"
# The longest request the client sends (ids of ID_CHARS_MAX, the largest amount) is one
# the simulator reads.
_REQUEST_BYTES_LONGEST = len(
    json.dumps(
        {
            "request_id": "f" * domain.ID_CHARS_MAX,
            "member_id": "f" * domain.ID_CHARS_MAX,
            "amount_paise": domain.BANK_REQUEST_AMOUNT_PAISE_MAX,
        }
    )
)
assert _REQUEST_BYTES_LONGEST <= BANK_SIM_BODY_BYTES_MAX, "the simulator reads every request"
# `slow` mode exists to answer after the client gave up (its retry gets the same answer).
assert BANK_SIM_DELAY_MAX_MS > BANK_REQUEST_TIMEOUT_MS, "the simulator can outwait the client"
# The mail worker looks at the outbox more often than the shortest backoff, so a retry
# goes out at most one interval late, never a whole backoff late.
assert MAIL_WORKER_INTERVAL_S * 1000 < kernel.MAIL_BACKOFF_BASE_MS, "retries are not late"

# --- the peer book (sync/discovery/book.py: remembered peers, <data>/peers.json) ---
# A LAN can make up addresses (mDNS hints, failures from anyone who answers), so what the
# book keeps is bounded: the least recently seen peer is forgotten first, and a peer's
# oldest address first.
PEER_BOOK_PEERS_MAX = 256  # peers remembered, with or without a known device key
PEER_BOOK_ADDRESSES_MAX = 8  # addresses remembered per peer (Wi-Fi, Ethernet, old DHCP leases)
PEER_HOST_CHARS_MAX = 253  # a DNS name's longest text form; IPv6 text is shorter
PEER_PORT_MAX = 65_535  # the TCP port range: a fact of TCP, kept here with the other bounds
PEER_FAILURE_MESSAGE_CHARS_MAX = 300  # why the last dial failed, cut to this for the book
PEER_BOOK_BYTES_MAX = 4 * 1024 * 1024  # the file read back; a bigger one is set aside, unread
# The longest record of one peer on disk (every field at its bound, JSON escaping included).
_PEER_RECORD_BYTES_MAX = (
    512 + PEER_BOOK_ADDRESSES_MAX * (PEER_HOST_CHARS_MAX + 128) + 6 * PEER_FAILURE_MESSAGE_CHARS_MAX
)
assert PEER_BOOK_PEERS_MAX * _PEER_RECORD_BYTES_MAX <= PEER_BOOK_BYTES_MAX, (
    "a full book is read back whole"
)

# --- invites and joining (sync/invite/) ---
INVITE_ADDRESSES_MAX = 8  # inviter addresses in a code (Wi-Fi, Ethernet, IPv6); more: a dense QR
_INVITE_FIXED_BYTES = 1 + 16 + 32 + 32 + 16 + 6 + 1  # version .. number of addresses
_INVITE_ADDRESS_BYTES_MAX = 1 + 16 + 2  # an IPv6 address and its port
INVITE_BYTES_MAX = _INVITE_FIXED_BYTES + INVITE_ADDRESSES_MAX * _INVITE_ADDRESS_BYTES_MAX + 4
INVITE_TEXT_CHARS_MAX = 1024  # a pasted code, spaces and dashes included; longer is not a code
INVITE_NAME_CHARS_MAX = 200  # the joining device's name (device.enrolled's bound)
INVITE_TTL_DEFAULT_MS = 60 * 60_000  # a code is good for an hour unless the admin says otherwise
INVITE_TTL_MAX_MS = 7 * 86_400_000  # the longest an admin may leave a door open
INVITE_ID_CHARS_MIN = 8  # `chitnode invites --cancel ID`: an id prefix this long is unambiguous
INVITES_OPEN_MAX = 100  # open (unused, unexpired) invites one node keeps at once
INVITE_CLOSED_KEPT_MS = 30 * 86_400_000  # used or expired invites are kept this long, then dropped
LOCAL_DB_BUSY_TIMEOUT_MS = 5_000  # waiting for another process on invites.db or pins.db
JOIN_REQUEST_BYTES_MAX = 16 * 1024  # a /v1/join body: a key, a certificate (<= 2 KiB), a sig
JOIN_CONCURRENT_MAX = 4  # joins served at once; more wait (each one writes an enrolment)
JOIN_CONNECT_TIMEOUT_S = 10.0  # reaching one of the inviter's addresses
JOIN_REQUEST_TIMEOUT_S = 30.0  # the join request, enrolment included
JOIN_SYNC_TIMEOUT_S = 1_800.0  # receiving the whole branch after enrolment
# --- secrets over the channel (sync/invite/transfer.py, sync/invite/pins.py) ---
PIN_DIGITS = 6  # a member's PIN (DESIGN.md, Security)
PIN_VERIFIER_CHARS_MAX = 256  # an argon2id string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)
PIN_MEMBER_ID_CHARS_MAX = 40  # a member id (the domain's ID_CHARS_MAX)
PIN_PAGE_ROWS_MAX = 500  # verifiers in one answer; a receiver pages through the rest
PIN_PAGES_MAX = 1_000  # pages one pull asks for: at most PIN_PAGE_ROWS_MAX * this members
SECRETS_ANSWER_BYTES_MAX = 256 * 1024  # one answer of a secrets route, read whole or refused
SECRETS_PULL_INTERVAL_S = 300.0  # a serving node asks peers for secrets this often (PIN changes)
SECRETS_PULL_PEERS_MAX = 3  # peers one round tries, most recently seen first
assert INVITE_TEXT_CHARS_MAX >= 5 + (INVITE_BYTES_MAX * 8 + 4) // 5 * 6 // 5, "a code fits its text"
assert PIN_MEMBER_ID_CHARS_MAX == domain.ID_CHARS_MAX, "every member id has a verifier row"
assert PIN_PAGE_ROWS_MAX * (PIN_MEMBER_ID_CHARS_MAX + PIN_VERIFIER_CHARS_MAX + 64) <= (
    SECRETS_ANSWER_BYTES_MAX
), "a full page of verifiers fits an answer"
assert INVITE_TTL_DEFAULT_MS <= INVITE_TTL_MAX_MS, "the default lifetime is a valid one"

# --- mDNS discovery (sync/discovery/mdns.py: zeroconf, `_chitnode._tcp.local.`) ---
# Anyone on the LAN can advertise services, so what a browser does for them is bounded.
DISCOVERY_INTERFACE_POLL_S = 5.0  # interfaces re-listed this often; a change re-registers
DISCOVERY_RESOLVE_TIMEOUT_MS = 3_000  # one service's SRV/TXT/A lookup
DISCOVERY_RESOLVES_MAX = 16  # lookups in flight; a service past it waits for its next update
DISCOVERY_HINT_ADDRESSES_MAX = 8  # addresses taken from one service (the rest ignored)
DISCOVERY_ADVERTISED_ADDRESSES_MAX = 16  # own addresses advertised (and interfaces listened on)
DISCOVERY_START_TIMEOUT_S = 10.0  # opening sockets and probing the name; past it, no mDNS
DISCOVERY_STOP_TIMEOUT_S = 5.0  # goodbye packets and closing; past it, the sockets just close
assert DISCOVERY_RESOLVE_TIMEOUT_MS < DISCOVERY_INTERFACE_POLL_S * 1000 * 2, "a lookup ends soon"
assert DISCOVERY_HINT_ADDRESSES_MAX <= PEER_BOOK_ADDRESSES_MAX, "a hint's addresses fit the book"

# --- the peer finder (sync/discovery/finder.py: which addresses serve keeps links to) ---
PEER_LINKS_MAX = 32  # outgoing links one node keeps (a branch office has a handful of devices)
FINDER_TIDY_S = 5.0  # links to itself or to an already linked device are stopped this often

# --- election (sync/election/: leases per scope, docs/coordination.md) ---
# Lease safety rests on one assumption about clocks: two devices' elapsed-time clocks
# (CLOCK_BOOTTIME) run at rates within this of each other. Quartz drifts ~50 ppm and NTP
# slews at most 500 ppm, so 1% is twenty times what a working device does.
ELECTION_CLOCK_DRIFT_PPM = 10_000
# A holder stops writing coordinated entries this share of lease_ms, plus a fixed time,
# before its lease runs out on its own clock: the drift, and a write that passed the check
# and still has to commit (a fsync, a pause of the process).
ELECTION_HOLDER_MARGIN_PPM = 25_000
ELECTION_HOLDER_MARGIN_MS = 1_000
# A voter keeps its promise (no vote for anyone else) this much longer than lease_ms.
ELECTION_VOTER_MARGIN_PPM = 10_000
ELECTION_VOTER_MARGIN_MS = 1_000
# A shorter electorate lease_ms is taken as this (by holders and voters alike): the margins
# and a few heartbeats must fit in a lease, or a holder could never write.
ELECTION_LEASE_MIN_MS = 5_000
ELECTION_HEARTBEATS_PER_LEASE = 5  # a holder renews its lease this many times per lease_ms
ELECTION_HEARTBEAT_ROUNDS_KEPT = 8  # renewal rounds whose late answers still count
ELECTION_TIMEOUT_MS = 1_000  # a PreVote or vote round lasts 1..2 times this (random)
ELECTION_RESEND_MS = 300  # requests of a round left unanswered are sent again this often
ELECTION_SCOPES_MAX = 4_096  # scopes one core follows (the treasury and one per group)
ELECTION_ELECTORATE_MAX = 15  # devices in one scope's electorate (kernel_kinds: 1..15 keys)
ELECTION_TERM_MAX = kernel.JSON_INT_MAX  # terms are JSON integers in entries
# Frames one election socket may bring (sync/election/transport.py): a campaign resends
# every ELECTION_RESEND_MS and a holder beats 5 times a lease, per scope; more is a flood.
ELECTION_FRAMES_PER_S = 2_048
ELECTION_FRAMES_BURST_MAX = 4_096
ELECTION_TICK_S = 0.1  # a serving node's election looks at its timers this often
ELECTION_OUTPUTS_PER_CALL_MAX = 1_024  # outputs one shell call leads to; more: a loop, a bug
ELECTION_SCOPE_CHARS_MAX = 80  # `treasury` or `group:<id>` (kernel_kinds.check_scope's bound)
# One frame (sync/election/wire.py): a vote answer carries its vote entry's line as a JSON
# string, where escaping can double it; every other message is a few dozen bytes.
ELECTION_FRAME_BYTES_MAX = 2 * kernel.ENTRY_BYTES_MAX + 1024
# The safety condition (docs/coordination.md, "Clocks"): the longest a holder may write,
# on the slowest clock, ends before the shortest promise of a voter, on the fastest clock.
assert (1_000_000 - ELECTION_HOLDER_MARGIN_PPM) * (1_000_000 + ELECTION_CLOCK_DRIFT_PPM) <= (
    1_000_000 + ELECTION_VOTER_MARGIN_PPM
) * (1_000_000 - ELECTION_CLOCK_DRIFT_PPM), "a holder's lease ends before its voters' promises"
assert ELECTION_LEASE_MIN_MS // ELECTION_HEARTBEATS_PER_LEASE > 2 * ELECTION_RESEND_MS, (
    "a renewal round has time for a resend before the next one"
)
assert ELECTION_LEASE_MIN_MS * (1_000_000 - ELECTION_HOLDER_MARGIN_PPM) // 1_000_000 > (
    ELECTION_HOLDER_MARGIN_MS + ELECTION_LEASE_MIN_MS // ELECTION_HEARTBEATS_PER_LEASE
), "the shortest lease leaves time to write after its first renewal"

# --- forwarding coordinated commands to the holder (sync/election/forward.py, service.py) ---
FORWARD_COMMANDS_MAX = 64  # commands in one forward (a meeting's batch at most)
FORWARD_WAIT_S = 6.0  # how long a caller waits for a holder to be found or elected
FORWARD_REPLY_S = 5.0  # how long one forward waits for the holder's answer
FORWARD_POLL_S = 0.05  # how often the wait looks again for a holder
FORWARD_PENDING_MAX = 256  # forwards awaiting an answer at once, per device

# --- the head office's pull (sync/hq/pull.py) ---
HQ_PULL_PEERS_MAX = 8  # addresses one device tries, in order, until a catch-up finishes
LEASE_FOR_MAX_MS = 24 * 3_600_000  # `lease transfer --for`: a meeting's lease, a day at most
DEVICE_KEY_PREFIX_MIN = 8  # a device named by a key prefix (`--to`): at least these hex digits
FORWARD_ERROR_CHARS_MAX = 500  # a forwarded command's refusal: its words, as the holder gave them
CONTROL_GLOBAL_TOKENS_MAX = 3  # `--data DIR submit`: where `submit` may stand in a control argv
