"""Hand-built feeds for fold tests: signed entries without a Node (no key store, no lock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from chitnode.log.entry import ZERO_HASH, Entry, seal_entry

BRANCH = "601d86286ef22c0e6f917f2cc45796e5"


@dataclass
class Feed:
    """One author's feed; `write` appends a signed entry with the given deps."""

    key: SigningKey
    entries: list[Entry] = field(default_factory=list)
    ts: int = 1_767_225_600_000

    @property
    def public(self) -> str:
        return self.key.verify_key.encode().hex()

    def write(
        self,
        kind: str,
        body: dict[str, Any],
        deps: list[Entry] = (),
        ts: int | None = None,
        seq: int | None = None,
        prev: str | None = None,
    ) -> Entry:  # type: ignore[assignment]
        self.ts = ts if ts is not None else self.ts + 1000
        last = self.entries[-1] if self.entries else None
        entry = seal_entry(
            self.key,
            branch=BRANCH,
            seq=seq if seq is not None else (last.seq + 1 if last else 1),
            prev=prev if prev is not None else (last.hash if last else ZERO_HASH),
            ts=self.ts,
            deps=tuple(sorted((d.author, d.seq, d.hash) for d in deps)),
            kind=kind,
            body=body,
        )
        if seq is None:
            self.entries.append(entry)
        return entry


def seeded_key(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


def founded(branch_name: str = "Test") -> Feed:
    root = Feed(seeded_key(1))
    root.write("branch.genesis", {"branch_name": branch_name, "root": root.public})
    return root


def enrol(root: Feed, other: Feed, role: str, deps: list[Entry] = ()) -> Entry:  # type: ignore[assignment]
    return root.write(
        "device.enrolled", {"key": other.public, "role": role, "name": f"{role} device"}, deps
    )
