"""Checking a page of received entries fast, without trusting less (wal-v1 §7).

An entry's hash covers its `prev`, the hash of the entry before it. In a run of one
author's consecutive entries whose hashes and links check out, the signature of the
last entry therefore authenticates every entry of the run: forging any earlier one
would change the hash the last one signs. `check_page` re-hashes every entry, checks
every link, and verifies one signature per run (each author's last entry, and any
entry not linked into a run, e.g. a fork's twin). What it proves: every entry of the
page is the author's. What it leaves: the entries' own signatures, which only an
auditor needs to be right entry by entry (`verify` reports `bad_sig` on the exact
entry); `check_sigs` checks those, and a receiver runs it before it commits the page
(`sync.peer.session.PublishingReplica`), beside the fold, so no entry whose own
signature is bad is ever stored, exported or shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from chitnode.errors import WrongBranch
from chitnode.log.entry import Entry, check_hash, check_sig


def check_page(entries: Sequence[Entry], branch: str) -> list[Entry]:
    """Branch, hash and links of every entry, one signature per linked run.

    Raises the code of the first failure (wrong_branch, bad_hash, bad_sig). Returns the
    entries whose own signature is still unchecked (each is authenticated by the
    signature of a later entry of its run).
    """
    for entry in entries:
        if entry.branch != branch:
            raise WrongBranch(f"entry belongs to branch {entry.branch}, not {branch}")
        check_hash(entry)
    vouched_by_next: list[Entry] = []
    # Walking backwards: author -> the authenticated entry just after (by its own
    # signature, or by being linked into one that is).
    after_of: dict[str, Entry] = {}
    for entry in reversed(entries):
        after = after_of.get(entry.author)
        if after is not None and after.seq == entry.seq + 1 and after.prev == entry.hash:
            vouched_by_next.append(entry)
        else:
            check_sig(entry)
        after_of[entry.author] = entry
    vouched_by_next.reverse()
    return vouched_by_next


def check_sigs(entries: Sequence[Entry]) -> None:
    """Every entry's own signature; raises bad_sig on the first that fails."""
    for entry in entries:
        check_sig(entry)
