"""Every bound of peer sync, in one place (STYLE.md: a limit on everything).

The kernel's bounds (entry size, deps, held entries) live in `chitnode.limits`; these
are the network's. A bound that reaches the wire is part of the protocol
(docs/sync.md, "Reconciliation"): a peer enforcing a smaller one would refuse frames
this node sends, so change them together with `PROTOCOL_VERSION`.
"""

from __future__ import annotations

from chitnode import limits as kernel

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
assert PAGES_IN_FLIGHT_MAX * PAGE_ENTRIES_MAX < kernel.HELD_ENTRIES_MAX, (
    "the pages of one session cannot fill the held-entries bound by themselves"
)
