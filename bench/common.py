"""Shared pieces of the benchmarks: arguments, output, raw limits, data generators.

Every benchmark measures the kernel and a *raw limit* in the same run, on the same
file system, and reports the ratio (DESIGN.md, "Performance stance"). Figures go
out as one human line and one JSON line (stdout with `--json`, else
`bench/results/<name>.json`; `bench/results/` is gitignored).

Generated data (the 1M-entry export, its signature triples, the store for the
rebuild) is cached in `bench/results/cache/`, keyed by N and a generator version,
so reruns only pay for the measurement. Generation is never part of a figure.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import platform
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl
from nacl.signing import SigningKey, VerifyKey

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
PASSPHRASE = "bench-passphrase"

if str(REPO) not in sys.path:  # `python bench/x.py` from a checkout without an install
    sys.path.insert(0, str(REPO))

# Imported after the path fix so a bare checkout works too.
from chitnode.log.entry import WAL_SIG_PREFIX, ZERO_HASH  # noqa: E402
from chitnode.log.export import ExportHeader, write_export  # noqa: E402

# --- arguments and output ------------------------------------------------------------


def parser(name: str, doc: str, default_n: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"bench/{name}.py", description=doc)
    p.add_argument("--n", type=int, default=default_n, help=f"entries (default {default_n:,})")
    p.add_argument("--json", action="store_true", help="print the JSON line on stdout")
    p.add_argument(
        "--tmp",
        type=Path,
        default=None,
        help="parent folder for scratch stores (default bench/results/tmp)",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where generated data is cached (default bench/results/cache)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="also run the kernel side under cProfile and print its hot spots",
    )
    return p


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "pynacl": nacl.__version__,
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),  # others' work shows up here
    }


def kernel_version() -> str:
    """The commit measured, with '+dirty' when chitnode/ has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "chitnode"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return ""
    return head + ("+dirty" if dirty else "")


def emit(name: str, args: argparse.Namespace, human: str, figures: dict[str, Any]) -> None:
    """Print the human line; print or save the JSON line."""
    print(human, flush=True)
    doc = {
        "bench": name,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "kernel": kernel_version(),
        **figures,
    }
    line = json.dumps(doc, sort_keys=True)
    if args.json:
        print(line, flush=True)
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{name}.json").write_text(line + "\n")
        print(f"  -> {RESULTS / f'{name}.json'}", flush=True)


def log(msg: str) -> None:
    """Progress for people, on stderr so stdout stays figures only."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def cache_dir(args: argparse.Namespace) -> Path:
    path: Path = args.cache_dir or (RESULTS / "cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def scratch(args: argparse.Namespace) -> Iterator[Path]:
    """A fresh scratch folder (removed afterwards) for the node and the raw table alike."""
    parent: Path = args.tmp or (RESULTS / "tmp")
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="bench-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def same_device(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b).st_dev


def fs_note(path: Path) -> str:
    """Which file system a folder is on, e.g. '/dev/vda ext4 on /'."""
    try:
        out = subprocess.run(
            ["df", "--output=source,fstype,target", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        return " ".join(out[-1].split()) if len(out) > 1 else ""
    except (OSError, subprocess.CalledProcessError):
        return ""


def bench_env() -> None:
    """The lone bench node keeps its key in the passphrase-sealed file, never a keyring."""
    os.environ.setdefault("CHITNODE_PASSPHRASE", PASSPHRASE)
    os.environ.setdefault("CHITNODE_KEYSTORE", "file")


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def profile_call(fn: Callable[[], Any], name: str, top: int = 25) -> Any:
    """Run `fn` under cProfile; print its hot spots to stderr; save the .prof file."""
    prof = cProfile.Profile()
    result = prof.runcall(fn)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.prof"
    prof.dump_stats(out)
    for key in ("cumulative", "tottime"):
        print(f"\n== cProfile {name}, by {key} (saved {out})", file=sys.stderr)
        pstats.Stats(prof, stream=sys.stderr).sort_stats(key).print_stats(top)
    return result


class _Rows:
    """A cursor's rows, fetched while the clock ran (sqlite3 steps lazily otherwise)."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows
        self._at = 0

    def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchall(self) -> list[Any]:
        rest, self._at = self._rows[self._at :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class SqlTimer:
    """Wraps a sqlite3 connection and adds up time per statement (for --profile).

    Each statement's rows are fetched inside the timing, so a scan is charged to
    the statement that does it, not to whoever iterates the cursor later.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.stats: dict[str, list[float]] = {}

    def _timed(self, method: str, sql: str, *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return _Rows(getattr(self._conn, method)(sql, *args).fetchall())
        finally:
            st = self.stats.setdefault(" ".join(sql.split())[:110], [0, 0.0])
            st[0] += 1
            st[1] += time.perf_counter() - t0

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._timed("executemany", sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def report(self, top: int = 12) -> None:
        total = sum(t for _, t in self.stats.values())
        print(f"\n== SQL time by statement (total {total:.2f} s)", file=sys.stderr)
        for sql, (n, t) in sorted(self.stats.items(), key=lambda kv: -kv[1][1])[:top]:
            print(f"{t:8.3f} s {int(n):8d}x  {sql}", file=sys.stderr)


# --- raw limit: sign + sha256 + insert, synchronous=FULL ----------------------------


RAW_TABLE = (
    "CREATE TABLE IF NOT EXISTS raw ("
    "seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, sig TEXT NOT NULL, raw TEXT NOT NULL)"
)


def raw_connect(path: Path, table: str = RAW_TABLE) -> sqlite3.Connection:
    """A bare table with the kernel's durability settings (WAL, synchronous=FULL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(table)
    return conn


def raw_payloads(n: int, start: int = 0) -> list[bytes]:
    """Entry-sized payloads (like a `device.enrolled` line), built before the clock starts."""
    author = "a" * 64
    out = []
    for i in range(start, start + n):
        unsigned = {
            "author": author,
            "body": {"key": os.urandom(32).hex(), "name": f"bench-{i}", "role": "member"},
            "branch": "b" * 32,
            "deps": [],
            "kind": "device.enrolled",
            "prev": "c" * 64,
            "seq": i + 2,
            "ts": 1_767_225_600_000 + i,
            "v": 1,
        }
        out.append(_canonical(unsigned))
    return out


def raw_append(
    conn: sqlite3.Connection, key: SigningKey, payloads: list[bytes], start: int, batch: int
) -> float:
    """Seconds to sign, hash and insert `payloads`, `batch` rows per COMMIT."""
    sign = key.sign
    t0 = time.perf_counter()
    for b in range(0, len(payloads), batch):
        conn.execute("BEGIN IMMEDIATE")
        for i, payload in enumerate(payloads[b : b + batch], start=start + b):
            digest = hashlib.sha256(payload).digest()
            sig = sign(WAL_SIG_PREFIX + digest).signature
            conn.execute(
                "INSERT INTO raw(seq, hash, sig, raw) VALUES (?, ?, ?, ?)",
                (i, digest.hex(), sig.hex(), payload.decode()),
            )
        conn.execute("COMMIT")
    return time.perf_counter() - t0


def random_key_hex() -> str:
    return os.urandom(32).hex()


# --- a generated branch: genesis, admins, many small free entries ------------------

GENERATOR_VERSION = 1
BRANCH = "be4c0000000000000000000000000001"
TS0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
ADMINS = 3  # besides the root: four feeds in all, two per core when signing
ROUND_ENTRIES = 2_500  # entries per author between two "syncs" (deps refreshed)
MEMBER_POOL = 1_024  # keys re-enrolled by the free entries: bounded state
FREE_KIND = "device.enrolled"


def _canonical(value: Any) -> bytes:
    """wal-v1 §2 canonical bytes, without the checks (inputs here are known-good)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"chitnode-bench:{label}".encode()).digest()


def member_key(i: int) -> str:
    return hashlib.sha256(f"chitnode-bench:member:{i}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Task:
    """One author's run of entries between two syncs, sealed by one worker."""

    seed: bytes
    start_seq: int
    prev: str
    ts0: int
    ts_step: int
    deps: tuple[tuple[str, int, str], ...]
    bodies: tuple[tuple[str, dict[str, Any]], ...] | None  # explicit (kind, body), else free
    count: int
    lines: str
    triples: str


def seal_fast(
    key: SigningKey,
    author: str,
    seq: int,
    prev: str,
    ts: int,
    deps: list[list[Any]],
    kind: str,
    body: dict[str, Any],
) -> tuple[bytes, bytes, bytes]:
    """(canonical line, hash, sig) of a wal-v1 entry; same bytes as `seal_entry`."""
    unsigned = {
        "v": 1,
        "branch": BRANCH,
        "author": author,
        "seq": seq,
        "prev": prev,
        "ts": ts,
        "deps": deps,
        "kind": kind,
        "body": body,
    }
    digest = hashlib.sha256(_canonical(unsigned)).digest()
    sig = key.sign(WAL_SIG_PREFIX + digest).signature
    unsigned["hash"] = digest.hex()
    unsigned["sig"] = sig.hex()
    return _canonical(unsigned), digest, sig


def run_task(task: Task) -> tuple[int, str]:
    """Seal a task's entries, append them to its author's files; return the new head."""
    key = SigningKey(task.seed)
    pub = key.verify_key.encode()
    author = pub.hex()
    deps = [list(d) for d in task.deps]
    seq, prev = task.start_seq, task.prev
    with open(task.lines, "ab") as lines, open(task.triples, "ab") as triples:
        for i in range(task.count):
            if task.bodies is not None:
                kind, body = task.bodies[i]
            else:
                kind = FREE_KIND
                body = {"key": member_key(seq % MEMBER_POOL), "name": f"m{seq}", "role": "member"}
            line, digest, sig = seal_fast(
                key, author, seq, prev, task.ts0 + i * task.ts_step, deps, kind, body
            )
            lines.write(line + b"\n")
            triples.write(pub + digest + sig)
            seq, prev = seq + 1, digest.hex()
    return seq - 1, prev


@dataclass(frozen=True, slots=True)
class Generated:
    export: Path
    triples: Path
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Line:
    """What write_export needs of an entry: author, seq and its canonical bytes."""

    author: str
    seq: int
    raw: bytes


def ensure_export(n: int, cache: Path, workers: int | None = None) -> Generated:
    """A valid sealed export of `n` entries (cached), and its (key, hash, sig) triples.

    The branch: the root's genesis, the root enrols ADMINS admin devices, then all
    feeds write small `device.enrolled` entries (re-enrolling a bounded pool of member
    keys) in rounds; every entry's deps name the other feeds' heads as of the last
    round, as `Node` does after a sync. Signing runs on a process pool, one author's
    run per task; memory stays bounded (entries stream to per-author files).
    """
    stem = f"export-v{GENERATOR_VERSION}-{n}"
    export, triples, meta_path = (
        cache / f"{stem}.chitlog",
        cache / f"{stem}.triples",
        cache / f"{stem}.json",
    )
    if meta_path.exists() and export.exists() and triples.exists():
        return Generated(export, triples, json.loads(meta_path.read_text()))
    preamble = 1 + ADMINS
    if n < preamble + 1:
        raise SystemExit(f"--n must be at least {preamble + 1}")
    log(f"generating a {n:,}-entry export in {cache} (not timed; cached for reruns)")
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=cache))
    seeds = [_seed("root")] + [_seed(f"admin:{i}") for i in range(ADMINS)]
    authors = [SigningKey(s).verify_key.encode().hex() for s in seeds]
    root = authors[0]
    heads: dict[str, tuple[int, str]] = {}

    def files(a: str) -> tuple[str, str]:
        return str(work / f"{a}.lines"), str(work / f"{a}.triples")

    bodies: list[tuple[str, dict[str, Any]]] = [
        ("branch.genesis", {"branch_name": "Bench Branch", "root": root})
    ]
    for i, admin in enumerate(authors[1:]):
        bodies.append(("device.enrolled", {"key": admin, "name": f"admin {i}", "role": "admin"}))
    heads[root] = run_task(
        Task(seeds[0], 1, ZERO_HASH, TS0, 1_000, (), tuple(bodies), len(bodies), *files(root))
    )
    remaining = n - preamble
    ts = TS0 + 60_000
    rounds = 0
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        while remaining > 0:
            tasks: list[tuple[str, Task]] = []
            for index, (seed, author) in enumerate(zip(seeds, authors, strict=True)):
                count = min(ROUND_ENTRIES, remaining)
                if count == 0:
                    break
                remaining -= count
                seq, prev = heads.get(author, (0, ZERO_HASH))
                deps = tuple(sorted((a, s, h) for a, (s, h) in heads.items() if a != author))
                step = len(seeds)
                task = Task(
                    seed, seq + 1, prev, ts + index, step, deps, None, count, *files(author)
                )
                tasks.append((author, task))
            futures = [(a, pool.submit(run_task, t)) for a, t in tasks]
            for author, fut in futures:
                heads[author] = fut.result()
            ts += ROUND_ENTRIES * len(seeds) + 1_000
            rounds += 1
            if rounds % 20 == 0:
                log(f"  sealed {n - remaining:,} / {n:,}")
    header = ExportHeader(BRANCH, root, root, TS0 + 10**9, n)

    def lines() -> Iterator[_Line]:
        for author in sorted(heads):
            with open(files(author)[0], "rb") as f:
                for seq, line in enumerate(f, start=1):
                    yield _Line(author, seq, line.rstrip(b"\n"))

    export_part, triples_part = work / "export.part", work / "triples.part"
    with open(export_part, "wb") as out:
        write_export(out, SigningKey(seeds[0]), header, lines())
    with open(triples_part, "wb") as out:
        for author in sorted(heads):
            with open(files(author)[1], "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
    export_part.replace(export)
    triples_part.replace(triples)
    shutil.rmtree(work, ignore_errors=True)
    meta = {
        "n": n,
        "generator_version": GENERATOR_VERSION,
        "branch": BRANCH,
        "root": root,
        "authors": len(authors),
        "round_entries": ROUND_ENTRIES,
        "member_pool": MEMBER_POOL,
        "bytes": export.stat().st_size,
        "generate_seconds": round(time.perf_counter() - t0, 1),
    }
    meta_path.write_text(json.dumps(meta, sort_keys=True) + "\n")
    log(f"generated {n:,} entries ({meta['bytes'] / 1e6:.0f} MB) in {meta['generate_seconds']} s")
    return Generated(export, triples, meta)


def export_entry_lines(path: Path) -> Iterator[bytes]:
    """The entry lines of an export made by `ensure_export` (header and seal skipped)."""
    with open(path, "rb") as f:
        next(f)
        prev: bytes | None = None
        for line in f:
            if prev is not None:
                yield prev.rstrip(b"\n")
            prev = line  # the last line is the seal


# --- raw limit: Ed25519 verification on every core ------------------------------------

TRIPLE_BYTES = 32 + 32 + 64


def verify_triples(path: str, start: int, count: int) -> int:
    """Verify `count` (key, hash, sig) triples from `start`; return how many were good."""
    keys: dict[bytes, VerifyKey] = {}
    good = 0
    with open(path, "rb") as f:
        f.seek(start * TRIPLE_BYTES)
        data = f.read(count * TRIPLE_BYTES)
    for off in range(0, len(data), TRIPLE_BYTES):
        pub = data[off : off + 32]
        vk = keys.get(pub)
        if vk is None:
            vk = keys[pub] = VerifyKey(pub)
        vk.verify(WAL_SIG_PREFIX + data[off + 32 : off + 64], data[off + 64 : off + 128])
        good += 1
    return good


def _noop() -> int:
    return 0


def raw_verify(path: Path, n: int, workers: int) -> tuple[float, int]:
    """Seconds for pure Ed25519 verification of `n` triples over `workers` processes."""
    chunk = max(500, min(20_000, -(-n // (workers * 4))))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for f in [pool.submit(_noop) for _ in range(workers * 2)]:  # start the workers first
            f.result()
        t0 = time.perf_counter()
        futures = [
            pool.submit(verify_triples, str(path), s, min(chunk, n - s)) for s in range(0, n, chunk)
        ]
        good = sum(f.result() for f in futures)
        return time.perf_counter() - t0, good
