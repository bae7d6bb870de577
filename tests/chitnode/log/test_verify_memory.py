"""Verify's memory does not grow with the problems a file holds (issue 9, point 6).

A hostile file can hold a problem every two bytes: 4M one-byte lines once took 946 MB
to verify, because every problem was listed. The report now lists the first
limits.VERIFY_PROBLEMS_KEPT_MAX and only counts the rest; what import decides by
(file-level codes, each author's codes) is kept whole and small.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chitnode import limits
from chitnode.log.verify import verify_stream
from tests.vectors import tamper as t

# Peak RSS of verifying 400k bad lines may exceed that of 100k by at most this much: the
# report's lists stop at a fixed size, so what is left is allocator noise. Listing every
# problem (the old report) grew by ~55 MB here.
RSS_GROWTH_MAX_KB = 8 * 1024
# And neither run may pass this, whatever the file (parent and pool workers each).
RSS_MAX_KB = 160 * 1024

# The child's own peak is VmHWM: ru_maxrss would also count the pages of the (large)
# pytest process it was forked from, before it exec'd. Pool workers fork from the small
# child, so their ru_maxrss is theirs.
_MEASURE = """
import resource, sys
from chitnode.log.verify import verify_file
report = verify_file(sys.argv[1])
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(report.total, len(report.problems), peak,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _tiny_bad_lines(path: Path, lines: int) -> Path:
    """A well-formed header claiming `lines` entries, then that many one-byte lines."""
    header = {
        "branch": t.BRANCH,
        "count": lines,
        "created_ms": 1,
        "exporter": t.ROOT,
        "format": "chitnode-export",
        "root": t.ROOT,
        "v": 1,
    }
    path.write_bytes(t.canon(header) + b"\n" + b"x\n" * lines)
    return path


def _peak_rss_kb(path: Path) -> tuple[int, int, int, int]:
    """(problems counted, problems listed, parent peak RSS, largest worker's peak RSS)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.split()
    total, listed, parent, child = (int(x) for x in out)
    return total, listed, parent, child


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM (Linux)")
def test_verify_peak_rss_does_not_grow_with_bad_lines(tmp_path: Path) -> None:
    small = _peak_rss_kb(_tiny_bad_lines(tmp_path / "100k.chitlog", 100_000))
    large = _peak_rss_kb(_tiny_bad_lines(tmp_path / "400k.chitlog", 400_000))
    print(f"100k lines: parent {small[2]} KB, worker {small[3]} KB")
    print(f"400k lines: parent {large[2]} KB, worker {large[3]} KB")
    assert small[0] == 100_001 and large[0] == 400_001  # every line, and the missing seal
    assert small[1] == large[1] == limits.VERIFY_PROBLEMS_KEPT_MAX
    assert large[2] - small[2] < RSS_GROWTH_MAX_KB
    assert max(small[2], small[3], large[2], large[3]) < RSS_MAX_KB


def test_report_counts_every_problem_and_lists_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "VERIFY_PROBLEMS_KEPT_MAX", 3)
    header, entries, _ = t.parse(t.VECTOR_BYTES)
    foreman = next(e for e in entries if e["author"] == t.FOREMAN)
    forged = {**foreman, "sig": "00" * 64}  # its problem comes after the junk lines below
    lines = [t.canon(header), *([b"x"] * 5), t.canon(forged)]
    report = verify_stream(io.BytesIO(b"".join(line + b"\n" for line in lines)), workers=1)
    assert len(report.problems) == 3 and report.unlisted == report.total - 3
    assert report.counts()["bad_format"] == 5 and report.counts()["bad_sig"] == 1
    assert not report.ok
    # what import decides by is whole although the list stopped
    assert report.author_codes[t.FOREMAN] >= {"bad_sig"}
    assert {"bad_format", "bad_seal"} <= report.file_codes


def test_authors_with_problems_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "VERIFY_PROBLEM_AUTHORS_MAX", 1)
    header, entries, _ = t.parse(t.VECTOR_BYTES)
    forged = [{**e, "sig": "00" * 64} for e in (entries[0], entries[-1])]
    assert forged[0]["author"] != forged[1]["author"]
    lines = [t.canon(header), *(t.canon(e) for e in forged)]
    report = verify_stream(io.BytesIO(b"".join(line + b"\n" for line in lines)), workers=1)
    assert len(report.author_codes) == 1 and report.authors_overflow


def test_cli_says_how_many_problems_are_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chitnode.cli.main import main

    monkeypatch.setattr(limits, "VERIFY_PROBLEMS_KEPT_MAX", 2)
    path = _tiny_bad_lines(tmp_path / "bad.chitlog", 10)
    assert main(["verify", str(path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert len(out["problems"]) == 2 and out["unlisted"] == 9
    assert out["counts"] == {"bad_format": 10, "bad_seal": 1}
