"""Tamper, re-sign and re-seal `.chitlog` exports for tests (wal-v1 §2, §3, §6).

The builders are factored out of tests/vectors/test_reference_verifier.py (same
behaviour, same keys) so that tests elsewhere can provoke each problem code and
run BOTH verifiers on the result: the project's (`chitnode.log.verify`) and the
independent reference verifier beside this file. Signing uses `cryptography`,
never chitnode, so a bug in the project's signing code cannot hide here.

Import it as ``from tests.vectors import tamper`` (run pytest from the repository
root, as `.venv/bin/python -m pytest` does).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VERIFIER = HERE / "reference_verifier.py"
VECTORS_PATH = HERE / "wal-v1-vectors.chitlog"
KEYS_PATH = HERE / "wal-v1-vectors.keys.json"


def _load_reference_verifier() -> Any:
    name = "reference_verifier"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, VERIFIER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


rv = _load_reference_verifier()

Entry = dict[str, Any]
Triple = tuple[str, int | None, str | None]

VECTOR_BYTES = VECTORS_PATH.read_bytes()
KEYS_JSON = json.loads(KEYS_PATH.read_text())
ROOT_SK = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS_JSON["root_seed_hex"]))
FOREMAN_SK = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS_JSON["foreman_seed_hex"]))
STRANGER_SK = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"stranger").digest())
MEMBER_SK = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"member").digest())
DEPUTY_SK = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"deputy admin").digest())


def pub(sk: Ed25519PrivateKey) -> str:
    return sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


ROOT, FOREMAN = pub(ROOT_SK), pub(FOREMAN_SK)
STRANGER, MEMBER, DEPUTY = pub(STRANGER_SK), pub(MEMBER_SK), pub(DEPUTY_SK)
BRANCH = KEYS_JSON["branch"]
SECRET: dict[str, Ed25519PrivateKey] = {
    pub(k): k for k in (ROOT_SK, FOREMAN_SK, STRANGER_SK, MEMBER_SK, DEPUTY_SK)
}


def add_secret(seed: bytes) -> Ed25519PrivateKey:
    """Register a 32-byte seed (e.g. `bytes(node.key)`) so `sign` can use it by author."""
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    SECRET[pub(sk)] = sk
    return sk


# --------------------------------------------------------------------------- builders


def canon(x: Any) -> bytes:
    return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(entry: Entry, sk: Ed25519PrivateKey | None = None) -> Entry:
    """Recompute hash and sig (§2, §3) for an entry dict, with its author's key by default."""
    e = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
    e["hash"] = hashlib.sha256(canon(e)).hexdigest()
    key = sk or SECRET[e["author"]]
    e["sig"] = key.sign(b"chitnode.wal.v1:" + bytes.fromhex(e["hash"])).hex()
    return e


def parse(data: bytes) -> tuple[dict[str, Any], list[Entry], dict[str, Any]]:
    lines = [json.loads(x) for x in data.decode().splitlines()]
    return lines[0], lines[1:-1], lines[-1]


def seal_lines(lines: list[bytes], signer: Ed25519PrivateKey = ROOT_SK, count: int = -1) -> bytes:
    """Append a seal (§6.3) over raw lines (header first, no trailing newlines)."""
    body = b"".join(line + b"\n" for line in lines)
    digest = hashlib.sha256(body).hexdigest()
    seal = {
        "count": len(lines) - 1 if count < 0 else count,
        "format": "chitnode-export-seal",
        "lines_sha256": digest,
        "sig": signer.sign(b"chitnode.export.v1:" + bytes.fromhex(digest)).hex(),
        "v": 1,
    }
    return body + canon(seal) + b"\n"


def reseal(data: bytes, signer: Ed25519PrivateKey = ROOT_SK) -> bytes:
    """Drop the seal of `data` and seal its lines again (header and entries unchanged)."""
    return seal_lines(data.splitlines()[:-1], signer)


def build(
    entries: list[Entry],
    header: dict[str, Any] | None = None,
    signer: Ed25519PrivateKey = ROOT_SK,
    order: bool = True,
) -> bytes:
    h = dict(header) if header is not None else {**parse(VECTOR_BYTES)[0], "count": len(entries)}
    if order:
        entries = sorted(entries, key=lambda e: (e["author"], e["seq"]))
    return seal_lines([canon(h)] + [canon(e) for e in entries], signer)


def base() -> list[Entry]:
    return [dict(e) for e in parse(VECTOR_BYTES)[1]]


def find(entries: list[Entry], author: str, seq: int) -> Entry:
    return next(e for e in entries if e["author"] == author and e["seq"] == seq)


def replace(entries: list[Entry], new: Entry) -> list[Entry]:
    return [new if (e["author"], e["seq"]) == (new["author"], new["seq"]) else e for e in entries]


def without(entries: list[Entry], author: str, seq: int) -> list[Entry]:
    return [e for e in entries if (e["author"], e["seq"]) != (author, seq)]


def new_entry(
    entries: list[Entry],
    sk: Ed25519PrivateKey,
    kind: str,
    body: dict[str, Any],
    deps: Iterable[tuple[str, int]] = (),
) -> Entry:
    """The next signed entry of sk's feed, with deps on named (author, seq) entries."""
    author = pub(sk)
    mine = [e for e in entries if e["author"] == author]
    last = max(mine, key=lambda e: e["seq"]) if mine else None
    return sign(
        {
            "v": 1,
            "branch": BRANCH,
            "author": author,
            "seq": last["seq"] + 1 if last else 1,
            "prev": last["hash"] if last else "0" * 64,
            "ts": 1767225700000 + len(entries),
            "deps": [[a, s, find(entries, a, s)["hash"]] for a, s in sorted(deps)],
            "kind": kind,
            "body": body,
        }
    )


def relink(entries: list[Entry]) -> list[Entry]:
    """Re-point prev and deps at the current hashes and re-sign, until stable."""
    out = [dict(e) for e in entries]
    for _ in range(len(out) + 1):
        changed = False
        index = {(e["author"], e["seq"]): e for e in out}
        for i, e in enumerate(out):
            p = index.get((e["author"], e["seq"] - 1))
            fixed = dict(e)
            if p is not None:
                fixed["prev"] = p["hash"]
            fixed["deps"] = [
                [a, s, index[(a, s)]["hash"] if (a, s) in index else h] for a, s, h in e["deps"]
            ]
            fixed = sign(fixed)
            if fixed != e:
                out[i] = fixed
                index[(e["author"], e["seq"])] = fixed
                changed = True
        if not changed:
            return out
    raise AssertionError("relink did not converge")


def enroll(
    entries: list[Entry], key: str, role: str, sk: Ed25519PrivateKey = ROOT_SK, **kw: Any
) -> Entry:
    return new_entry(entries, sk, "device.enrolled", {"key": key, "role": role, "name": role}, **kw)


def revoke(entries: list[Entry], key: str, sk: Ed25519PrivateKey = ROOT_SK, **kw: Any) -> Entry:
    return new_entry(entries, sk, "device.revoked", {"key": key, "reason": "lost"}, **kw)


def contribution(entries: list[Entry], sk: Ed25519PrivateKey, **kw: Any) -> Entry:
    body = {"amount": 500000, "group_id": "G-2026-01", "month": 2, "ticket": 3}
    return new_entry(entries, sk, "contribution.recorded", body, **kw)


def append(entries: list[Entry], make: Callable[[list[Entry]], Entry]) -> list[Entry]:
    return [*entries, make(entries)]


def flip_hex(text: str) -> str:
    """`text` with its last hex digit changed (still lowercase hex)."""
    return text[:-1] + ("0" if text[-1] != "0" else "1")


def with_line(data: bytes, index: int, transform: Callable[[bytes], bytes]) -> bytes:
    """Re-seal `data` with line `index` (0 = header) transformed."""
    lines = data.splitlines()[:-1]
    lines[index] = transform(lines[index])
    return seal_lines(lines)


# --------------------------------------------------------------------------- both verifiers


def reference_codes(data: bytes) -> set[Triple]:
    """The reference verifier's problems as a set of (code, seq, author)."""
    return set(rv.verify_export(data))


def project_report(data: bytes, role_allows: Callable[[str, str], bool] | None = None) -> Any:
    from chitnode.log.verify import verify_stream

    return verify_stream(io.BytesIO(data), role_allows=role_allows, workers=1)


def project_codes(
    data: bytes, role_allows: Callable[[str, str], bool] | None = None
) -> set[Triple]:
    """The project verifier's problems as a set of (code, seq, author)."""
    return {(p.code, p.seq, p.author) for p in project_report(data, role_allows).problems}


def code_set(triples: Iterable[Triple]) -> set[str]:
    return {code for code, _, _ in triples}


# --------------------------------------------------------------------------- bad_format cases
# Foreman seq 2 with one field made wrong, re-signed so that only its format fails: each
# export must give exactly {("bad_format", 2, FOREMAN)}, from any verifier of the spec.


def f2_changed(**changes: Any) -> bytes:
    es = base()
    return build(replace(es, sign({**find(es, FOREMAN, 2), **changes})))


def f2_without(field: str) -> bytes:
    es = base()
    return build(replace(es, sign({k: v for k, v in find(es, FOREMAN, 2).items() if k != field})))


def _hash_of(author: str, seq: int) -> str:
    return str(find(base(), author, seq)["hash"])


def _f2_sig_upper() -> bytes:
    """Not re-signed: the same signature, in upper-case hex."""
    es = base()
    f2 = find(es, FOREMAN, 2)
    return build(replace(es, {**f2, "sig": f2["sig"].upper()}))


BAD_F2 = {("bad_format", 2, FOREMAN)}
BAD_F2_FIELDS: dict[str, Callable[[], bytes]] = {
    "extra-field": lambda: f2_changed(extra=1),
    "missing-ts": lambda: f2_without("ts"),
    "missing-deps": lambda: f2_without("deps"),
    "ts-string": lambda: f2_changed(ts="1767225604000"),
    "ts-float": lambda: f2_changed(ts=1767225604000.0),
    "v-2": lambda: f2_changed(v=2),
    "v-true": lambda: f2_changed(v=True),
    "kind-upper": lambda: f2_changed(kind="Contribution.recorded"),
    "kind-no-dot": lambda: f2_changed(kind="contribution"),
    "kind-trailing-dot": lambda: f2_changed(kind="contribution.recorded."),
    "kind-newline": lambda: f2_changed(kind="contribution.recorded\n"),
    "body-array": lambda: f2_changed(body=[]),
    "branch-not-the-headers": lambda: f2_changed(branch="ff" * 16),
    "branch-upper": lambda: f2_changed(branch="AB" * 16),
    "int-beyond-2^53": lambda: f2_changed(body={"amount": 2**53, "group_id": "G"}),
    "int-below-2^53": lambda: f2_changed(body={"amount": -(2**53), "group_id": "G"}),
    "non-ascii-key": lambda: f2_changed(body={"nöte": "x"}),
    "two-deps-one-author": lambda: f2_changed(
        deps=[[ROOT, 2, _hash_of(ROOT, 2)], [ROOT, 3, _hash_of(ROOT, 3)]]
    ),
    "dep-own-author": lambda: f2_changed(deps=[[FOREMAN, 1, _hash_of(FOREMAN, 1)]]),
    "dep-not-a-triple": lambda: f2_changed(deps=[[ROOT, 3]]),
    "dep-seq-0": lambda: f2_changed(deps=[[ROOT, 0, "0" * 64]]),
    "sig-upper": _f2_sig_upper,
}
