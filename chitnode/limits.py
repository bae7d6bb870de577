"""Every bound chitnode enforces, in one place (STYLE.md: a limit on everything).

Units last in names. Changing a bound that touches the wire or export format is
a format change: write it down in docs/wal-format.md.
"""

from __future__ import annotations

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
# Authors whose entries have problems, remembered with their codes for import's choice
# of feeds to skip; past this the file is refused whole.
VERIFY_PROBLEM_AUTHORS_MAX = 10_000

# --- store ---
SQLITE_BUSY_TIMEOUT_MS = 5_000
GROUP_COMMIT_ENTRIES_MAX = 10_000  # entries appended in one transaction
READ_BATCH_ENTRIES = 2_000  # rows fetched per round trip when streaming feeds
REFOLD_UNDO_ENTRIES_MAX = 20_000  # undo journal kept for cheap re-folds; older -> rebuild
HASH_CACHE_ENTRIES_MAX = 200_000  # (author, seq) -> hash lookups the fold repeats

# --- keys ---
PASSPHRASE_BYTES_MIN = 8

# --- fold ---
HELD_ENTRIES_MAX = 100_000  # entries waiting for missing deps, per store
# ... and per author: one device (or a stolen key) fills its own allowance, never the
# store's (node/held.py). Ten such devices would be needed to fill HELD_ENTRIES_MAX.
HELD_PER_AUTHOR_MAX = 10_000

# --- command-line ---
LOG_ROWS_DEFAULT = 200
