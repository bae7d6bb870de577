"""Compact records a verifier keeps per entry, and the problems it reports (wal-v1 §6)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    seq: int | None
    author: str | None
    detail: str = ""

    def line(self) -> str:
        return f"{self.code} {self.seq if self.seq is not None else '-'} {self.author or '-'}"


@dataclass(frozen=True, slots=True)
class Record:
    """What the parent keeps of an entry that parsed: enough for feeds and authority."""

    author: str
    seq: int
    prev: str
    hash: str
    ts: int
    kind: str
    deps: tuple[tuple[str, int, str], ...]
    enrol: tuple[str, str] | None  # (key, role) for device.enrolled, (key, "") for revoked
    valid: bool = True  # hash and signature checked out: only valid entries grant authority
    after_seq: int | None = None  # device.revoked: the revoked key's last valid seq (wal-v1 §5)
