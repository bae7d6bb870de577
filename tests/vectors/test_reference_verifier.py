"""Tests for the independent reference verifier (tests/vectors/reference_verifier.py).

The shared vectors must verify clean; then each problem code of wal-v1.md §6 is
provoked by a tampered export, re-signed with the vector keys (via
`cryptography`, never chitnode) and re-sealed so that exactly the intended
problems appear.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The builders live in one place (tamper.py), shared with the project verifier's tests.
from tests.vectors.tamper import (
    BAD_F2,
    BAD_F2_FIELDS,
    BRANCH,
    DEPUTY,
    DEPUTY_SK,
    FOREMAN,
    FOREMAN_SK,
    HERE,
    KEYS_JSON,
    MEMBER,
    MEMBER_SK,
    REPO,
    ROOT,
    ROOT_SK,
    STRANGER,
    STRANGER_SK,
    VERIFIER,
    append,
    base,
    build,
    canon,
    contribution,
    enroll,
    find,
    new_entry,
    parse,
    relink,
    replace,
    revoke,
    rv,
    seal_lines,
    sign,
)

SHARED = REPO.parent / "shared" / "spec"
VECTORS = "wal-v1-vectors.chitlog"
KEYS = "wal-v1-vectors.keys.json"


def _source(name: str) -> Path:
    """The shared spec file when present, else the copy kept beside this test."""
    shared = SHARED / name
    return shared if shared.exists() else HERE / name


VECTOR_BYTES = _source(VECTORS).read_bytes()


def codes(data: bytes) -> set[tuple[str, int | None, str | None]]:
    return set(rv.verify_export(data))


# --------------------------------------------------------------------------- clean


def test_shared_vectors_verify_clean() -> None:
    assert rv.verify_export(VECTOR_BYTES) == []
    report = rv.verify_report(VECTOR_BYTES)
    assert report.entries == 5 and report.authors == 2 and report.notes == []


def test_copies_beside_the_tests_match_the_shared_spec() -> None:
    for name in (VECTORS, KEYS):
        assert (HERE / name).exists()
        if (SHARED / name).exists():
            assert (HERE / name).read_bytes() == (SHARED / name).read_bytes()
    assert rv.verify_export((HERE / VECTORS).read_bytes()) == []


def test_keys_file_matches_vectors() -> None:
    header = parse(VECTOR_BYTES)[0]
    assert KEYS_JSON["root_public"] == ROOT == header["root"] == header["exporter"]
    assert KEYS_JSON["foreman_public"] == FOREMAN
    assert header["branch"] == BRANCH


def test_builders_reproduce_the_vectors_byte_for_byte() -> None:
    """Our re-signing and sealing follow §2, §3, §6 exactly (Ed25519 is deterministic)."""
    assert build([sign(e) for e in base()]) == VECTOR_BYTES


# --------------------------------------------------------------------------- per-entry codes


def test_bad_hash_body_changed_hash_kept() -> None:
    es = base()
    f2 = dict(find(es, FOREMAN, 2))
    f2["body"] = {**f2["body"], "amount": 5000000}
    assert codes(build(replace(es, f2))) == {("bad_hash", 2, FOREMAN)}


def test_bad_sig_flipped_and_wrong_key() -> None:
    es = base()
    f2 = dict(find(es, FOREMAN, 2))
    f2["sig"] = f2["sig"][:-1] + ("0" if f2["sig"][-1] != "0" else "1")
    assert codes(build(replace(es, f2))) == {("bad_sig", 2, FOREMAN)}
    forged = sign(find(es, FOREMAN, 2), sk=ROOT_SK)  # valid hash, signed by the wrong key
    assert codes(build(replace(es, forged))) == {("bad_sig", 2, FOREMAN)}


def test_broken_chain_wrong_prev_validly_signed() -> None:
    es = base()
    f2 = sign({**find(es, FOREMAN, 2), "prev": hashlib.sha256(b"elsewhere").hexdigest()})
    assert codes(build(replace(es, f2))) == {("broken_chain", 2, FOREMAN)}


def test_broken_chain_seq1_without_zero_prev() -> None:
    es = base()
    f1 = sign({**find(es, FOREMAN, 1), "prev": "1" * 64})
    es = relink(replace(es, f1))  # seq 2 now links to the new seq 1
    assert find(es, FOREMAN, 1)["prev"] == "1" * 64
    assert codes(build(es)) == {("broken_chain", 1, FOREMAN)}


def test_dep_hash_not_matching_the_exported_entry_is_broken_chain() -> None:
    es = base()
    f1 = sign({**find(es, FOREMAN, 1), "deps": [[ROOT, 3, "ab" * 32]]})
    f2 = sign({**find(es, FOREMAN, 2), "prev": f1["hash"]})
    assert codes(build(replace(replace(es, f1), f2))) == {("broken_chain", 1, FOREMAN)}


def test_gap_missing_entry_resealed() -> None:
    es = append(base(), lambda es: contribution(es, FOREMAN_SK))  # foreman seq 3
    es = [e for e in es if (e["author"], e["seq"]) != (FOREMAN, 2)]
    assert codes(build(es)) == {("gap", 3, FOREMAN)}


def test_gap_reported_instead_of_broken_chain() -> None:
    es = append(base(), lambda es: contribution(es, FOREMAN_SK))
    f3 = sign({**find(es, FOREMAN, 3), "prev": "2" * 64})
    es = [e for e in replace(es, f3) if (e["author"], e["seq"]) != (FOREMAN, 2)]
    assert codes(build(es)) == {("gap", 3, FOREMAN)}


def test_partial_feed_is_a_note_not_a_problem() -> None:
    es = [e for e in base() if (e["author"], e["seq"]) != (FOREMAN, 1)]
    data = build(es)
    assert rv.verify_export(data) == []
    notes = rv.verify_report(data).notes
    assert any("partial feed" in n and FOREMAN in n for n in notes)


def test_fork_two_signed_entries_at_one_seq() -> None:
    es = base()
    f2 = find(es, FOREMAN, 2)
    twin = sign({**f2, "body": {**f2["body"], "amount": 1}})
    assert codes(build([*es, twin])) == {("fork", 2, FOREMAN)}


def test_fork_needs_two_authentic_entries() -> None:
    es = base()
    f2 = find(es, FOREMAN, 2)
    fake = {**f2, "body": {**f2["body"], "amount": 1}}  # not re-signed: bad_hash, no fork
    assert codes(build([*es, fake])) == {("bad_hash", 2, FOREMAN)}


def test_identical_duplicate_entry_is_bad_format() -> None:
    es = base()
    assert codes(build([*es, find(es, FOREMAN, 2)])) == {("bad_format", 2, FOREMAN)}


# --------------------------------------------------------------------------- bad_format


@pytest.mark.parametrize("case", sorted(BAD_F2_FIELDS))
def test_bad_format_entry_fields(case: str) -> None:
    assert codes(BAD_F2_FIELDS[case]()) == BAD_F2


def test_bad_format_deps_not_sorted_by_author() -> None:
    es = append(base(), lambda es: enroll(es, MEMBER, "member"))  # root seq 4
    m1 = new_entry(es, MEMBER_SK, "contribution.recorded", {"amount": 1}, deps=[(ROOT, 4)])
    m1 = sign({**m1, "deps": [[FOREMAN, 2, find(es, FOREMAN, 2)["hash"]], m1["deps"][0]]})
    assert ROOT < FOREMAN  # so the deps above are in descending order
    assert codes(build([*es, m1])) == {("bad_format", 1, MEMBER)}


def test_bad_format_seq_zero_and_uppercase_sig() -> None:
    es = base()
    f2 = sign({**find(es, FOREMAN, 2), "seq": 0})
    assert codes(build([*es[:-1], f2], order=False)) == {("bad_format", None, FOREMAN)}
    f2 = dict(find(es, FOREMAN, 2))
    f2["sig"] = f2["sig"].upper()
    assert codes(build(replace(es, f2))) == BAD_F2


def _f2_line(transform: Callable[[bytes], bytes]) -> bytes:
    """Re-seal the vectors with foreman seq 2's line bytes transformed."""
    lines = VECTOR_BYTES.splitlines()[:-1]
    lines[5] = transform(lines[5])
    return seal_lines(lines)


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda b: json.dumps(json.loads(b), sort_keys=True).encode(), id="spaces"),
        pytest.param(
            lambda b: json.dumps(
                dict(reversed(json.loads(b).items())), separators=(",", ":"), ensure_ascii=False
            ).encode(),
            id="unsorted",
        ),
        pytest.param(lambda b: b.replace(b'"note":""', b'"note":"","note":""'), id="dup-key"),
        pytest.param(lambda b: b + b" ", id="trailing-space"),
        pytest.param(lambda b: b + b"\r", id="crlf"),
        pytest.param(lambda b: b.replace(b'"month":1', b'"month":1.0'), id="float-1.0"),
        pytest.param(lambda b: b.replace(b'"month":1', b'"month":1e0'), id="exponent"),
        pytest.param(lambda b: b.replace(b'"ticket":2', b'"ticket":2.5'), id="float-2.5"),
        pytest.param(lambda b: b.replace(b'"note":""', b'"note":"\\u0041"'), id="escaped-A"),
    ],
)
def test_bad_format_non_canonical_line_bytes(transform: Callable[[bytes], bytes]) -> None:
    data = _f2_line(transform)
    assert data != VECTOR_BYTES
    found = codes(data)
    assert ("bad_format", 2, FOREMAN) in found
    # Only value-changing edits may also break the hash; nothing else is reported.
    assert found <= {("bad_format", 2, FOREMAN), ("bad_hash", 2, FOREMAN)}


def test_non_canonical_but_same_value_keeps_hash_and_sig() -> None:
    data = _f2_line(lambda b: json.dumps(json.loads(b), sort_keys=True).encode())
    assert codes(data) == BAD_F2


def test_ascii_escaped_non_ascii_text_is_not_canonical() -> None:
    lines = VECTOR_BYTES.splitlines()[:-1]
    assert "₹".encode() in lines[4]
    lines[4] = json.dumps(json.loads(lines[4]), sort_keys=True, separators=(",", ":")).encode()
    assert codes(seal_lines(lines)) == {("bad_format", 1, FOREMAN)}


def test_bad_format_entries_out_of_order() -> None:
    es = base()
    data = build(es[3:] + es[:3], order=False)
    assert codes(data) == {("bad_format", 1, ROOT)}


def test_bad_format_enrollment_body_unknown_role_cascades() -> None:
    es = base()
    r2 = find(es, ROOT, 2)
    es = relink(replace(es, sign({**r2, "body": {**r2["body"], "role": "boss"}})))
    assert codes(build(es)) == {
        ("bad_format", 2, ROOT),
        ("unauthorised", 1, FOREMAN),  # the only enrollment is malformed: it grants nothing
        ("unauthorised", 2, FOREMAN),
    }


def test_bad_format_file_level() -> None:
    header, es, _ = parse(VECTOR_BYTES)
    extra = {**header, "note": "x"}
    assert codes(build(es, header=extra)) == {("bad_format", None, None)}
    no_count = {k: v for k, v in header.items() if k != "count"}
    assert codes(build(es, header=no_count)) == {("bad_format", None, None)}
    # Seal with an extra field (the seal signature covers the lines only).
    lines = VECTOR_BYTES.splitlines()
    seal = {**json.loads(lines[-1]), "extra": 1}
    assert codes(b"\n".join([*lines[:-1], canon(seal)]) + b"\n") == {("bad_format", None, None)}
    # No final newline.
    assert codes(VECTOR_BYTES[:-1]) == {("bad_format", None, None)}
    # A blank line counts as a (malformed) entry line.
    blank = seal_lines([*VECTOR_BYTES.splitlines()[:-1], b""])
    assert codes(blank) == {("bad_format", None, None), ("count_mismatch", None, None)}


def test_garbage_does_not_crash() -> None:
    assert codes(b"") == {("bad_format", None, None), ("bad_seal", None, None)}
    assert codes(b"not json\n") == {("bad_format", None, None), ("bad_seal", None, None)}
    assert codes(b"\xff\xfe\n[1,2]\n") == {("bad_format", None, None), ("bad_seal", None, None)}
    assert ("bad_format", None, None) in codes(b"\xef\xbb\xbf" + VECTOR_BYTES)
    assert ("bad_format", None, None) in codes(b'{"format":NaN}\n')


def test_every_single_byte_change_is_reported() -> None:
    rng = random.Random(20260101)
    for _ in range(400):
        pos = rng.randrange(len(VECTOR_BYTES))
        new = bytes([rng.randrange(256)])
        if VECTOR_BYTES[pos : pos + 1] == new:
            continue
        data = VECTOR_BYTES[:pos] + new + VECTOR_BYTES[pos + 1 :]
        assert rv.verify_export(data), f"byte {pos} -> {new!r} went unnoticed"


# --------------------------------------------------------------------------- authority


def test_unknown_author_never_enrolled() -> None:
    es = append(base(), lambda es: contribution(es, STRANGER_SK, deps=[(ROOT, 3)]))
    assert codes(build(es)) == {("unknown_author", 1, STRANGER)}


def test_unauthorised_foreman_writes_device_enrolled() -> None:
    es = append(base(), lambda es: enroll(es, STRANGER, "member", sk=FOREMAN_SK))
    assert codes(build(es)) == {("unauthorised", 3, FOREMAN)}


def test_unauthorised_foreman_writes_device_revoked() -> None:
    es = append(base(), lambda es: revoke(es, FOREMAN, sk=FOREMAN_SK))
    assert codes(build(es)) == {("unauthorised", 3, FOREMAN)}


def test_key_enrolled_by_non_admin_is_unauthorised_not_unknown() -> None:
    es = append(base(), lambda es: enroll(es, STRANGER, "admin", sk=FOREMAN_SK))
    es = append(es, lambda es: contribution(es, STRANGER_SK, deps=[(FOREMAN, 3)]))
    assert codes(build(es)) == {("unauthorised", 3, FOREMAN), ("unauthorised", 1, STRANGER)}


def test_unauthorised_genesis_by_non_root() -> None:
    es = append(
        base(),
        lambda es: new_entry(
            es, FOREMAN_SK, "branch.genesis", {"branch_name": "Mine", "root": FOREMAN}
        ),
    )
    # A second genesis is also malformed: genesis must be seq 1.
    assert codes(build(es)) == {("unauthorised", 3, FOREMAN), ("bad_format", 3, FOREMAN)}


def test_entry_that_has_not_seen_its_enrollment_is_unauthorised() -> None:
    es = base()
    f1 = sign({**find(es, FOREMAN, 1), "deps": []})
    es = relink(replace(es, f1))
    assert find(es, FOREMAN, 1)["deps"] == []
    assert codes(build(es)) == {("unauthorised", 1, FOREMAN), ("unauthorised", 2, FOREMAN)}


def test_revoked_key_writing_after_seeing_its_revocation() -> None:
    es = append(base(), lambda es: revoke(es, FOREMAN))  # root seq 4
    es = append(es, lambda es: contribution(es, FOREMAN_SK, deps=[(ROOT, 4)]))  # foreman seq 3
    assert codes(build(es)) == {("unauthorised", 3, FOREMAN)}


def test_revocation_reached_transitively_through_another_feed() -> None:
    es = append(base(), lambda es: enroll(es, MEMBER, "member"))  # root 4
    es = append(es, lambda es: revoke(es, FOREMAN))  # root 5
    es = append(es, lambda es: contribution(es, MEMBER_SK, deps=[(ROOT, 5)]))  # member 1
    es = append(es, lambda es: contribution(es, FOREMAN_SK, deps=[(MEMBER, 1)]))  # foreman 3
    assert codes(build(es)) == {("unauthorised", 3, FOREMAN)}


def test_write_concurrent_with_revocation_is_authorised() -> None:
    es = append(base(), lambda es: revoke(es, FOREMAN))  # root seq 4, foreman has not seen it
    es = append(es, lambda es: contribution(es, FOREMAN_SK))  # foreman seq 3, deps []
    assert codes(build(es)) == set()


def test_re_enrollment_after_revocation() -> None:
    es = append(base(), lambda es: revoke(es, FOREMAN))  # root 4
    es = append(es, lambda es: enroll(es, FOREMAN, "foreman"))  # root 5
    es = append(es, lambda es: contribution(es, FOREMAN_SK, deps=[(ROOT, 5)]))
    assert codes(build(es)) == set()


def test_delegated_admin_enrolls_a_member() -> None:
    es = append(base(), lambda es: enroll(es, DEPUTY, "admin"))  # root 4
    es = append(es, lambda es: enroll(es, MEMBER, "member", sk=DEPUTY_SK, deps=[(ROOT, 4)]))
    es = append(es, lambda es: contribution(es, MEMBER_SK, deps=[(DEPUTY, 1)]))
    assert codes(build(es)) == set()
    # ...but a member may not enroll anyone, and a demoted admin is no admin.
    es2 = append(es, lambda es: enroll(es, STRANGER, "member", sk=MEMBER_SK))
    assert codes(build(es2)) == {("unauthorised", 2, MEMBER)}
    es3 = append(es, lambda es: enroll(es, DEPUTY, "member", deps=[(DEPUTY, 1)]))  # root 5
    es3 = append(es3, lambda es: enroll(es, STRANGER, "member", sk=DEPUTY_SK, deps=[(ROOT, 5)]))
    assert codes(build(es3)) == {("unauthorised", 2, DEPUTY)}


# --------------------------------------------------------------------------- file codes


def test_bad_seal_variants() -> None:
    lines = VECTOR_BYTES.splitlines()
    seal = json.loads(lines[-1])
    flipped = {**seal, "sig": ("0" if seal["sig"][0] != "0" else "1") + seal["sig"][1:]}
    assert codes(b"\n".join([*lines[:-1], canon(flipped)]) + b"\n") == {("bad_seal", None, None)}
    # A header field changed without re-sealing.
    header = {**json.loads(lines[0]), "created_ms": 1}
    assert codes(b"\n".join([canon(header), *lines[1:]]) + b"\n") == {("bad_seal", None, None)}
    # Sealed by a key other than the header's exporter.
    assert codes(build(base(), signer=FOREMAN_SK)) == {("bad_seal", None, None)}
    # No seal at all.
    assert codes(b"".join(x + b"\n" for x in lines[:-1])) == {("bad_seal", None, None)}
    # Digest of other bytes, validly signed.
    other = hashlib.sha256(b"other").hexdigest()
    forged = {
        **seal,
        "lines_sha256": other,
        "sig": ROOT_SK.sign(b"chitnode.export.v1:" + bytes.fromhex(other)).hex(),
    }
    assert codes(b"\n".join([*lines[:-1], canon(forged)]) + b"\n") == {("bad_seal", None, None)}


def test_exporter_other_than_root_is_fine_when_sealed_by_it() -> None:
    header = {**parse(VECTOR_BYTES)[0], "exporter": FOREMAN}
    data = build(base(), header=header, signer=FOREMAN_SK)
    assert codes(data) == set()
    header = {**header, "exporter": STRANGER}
    data = build(base(), header=header, signer=STRANGER_SK)
    assert codes(data) == set()
    assert any("exporter" in n for n in rv.verify_report(data).notes)


def test_count_mismatch_header_and_seal() -> None:
    header, es, _ = parse(VECTOR_BYTES)
    assert codes(build(es, header={**header, "count": 6})) == {("count_mismatch", None, None)}
    lines = VECTOR_BYTES.splitlines()
    seal = {**json.loads(lines[-1]), "count": 4}  # the seal's own count is not signed
    data = b"\n".join([*lines[:-1], canon(seal)]) + b"\n"
    assert codes(data) == {("count_mismatch", None, None)}


# --------------------------------------------------------------------------- whole list


def test_never_stops_at_the_first_problem() -> None:
    es = base()
    f2 = dict(find(es, FOREMAN, 2))
    f2["sig"] = "00" * 64
    es = replace(es, f2)
    es = append(es, lambda es: enroll(es, MEMBER, "member", sk=FOREMAN_SK))  # foreman 3
    es = append(es, lambda es: contribution(es, STRANGER_SK, deps=[(ROOT, 3)]))
    header = {**parse(VECTOR_BYTES)[0], "count": 99}
    data = build(es, header=header)
    lines = data.splitlines()
    lines[1] = lines[1].replace(b'"Mangaluru Main"', b'"Mangaluru Mainx"')  # breaks seal too
    data = b"\n".join(lines) + b"\n"
    assert codes(data) == {
        ("bad_hash", 1, ROOT),
        ("bad_sig", 2, FOREMAN),
        ("unauthorised", 3, FOREMAN),
        ("unknown_author", 1, STRANGER),
        ("count_mismatch", None, None),
        ("bad_seal", None, None),
    }


# --------------------------------------------------------------------------- CLI and independence


def _run(data: bytes, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "export.chitlog"
    path.write_bytes(data)
    return subprocess.run(
        [sys.executable, str(VERIFIER), *args, str(path)], capture_output=True, text=True
    )


def test_cli_clean_exit_0(tmp_path: Path) -> None:
    run = _run(VECTOR_BYTES, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == ["summary: OK: 5 entries, 2 authors, 0 problems"]


def test_cli_reports_lines_and_exit_1(tmp_path: Path) -> None:
    es = base()
    f2 = {**find(es, FOREMAN, 2), "sig": "00" * 64}
    header = {**parse(VECTOR_BYTES)[0], "count": 9}
    run = _run(build(replace(es, f2), header=header), tmp_path)
    assert run.returncode == 1
    out = run.stdout.splitlines()
    assert f"bad_sig 2 {FOREMAN}" in out
    assert "count_mismatch - -" in out
    assert out[-1].startswith("summary: FAIL: 5 entries, 2 authors, 2 problems")
    explained = _run(build(replace(es, f2), header=header), tmp_path, "--explain").stdout
    assert f"bad_sig 2 {FOREMAN}  # " in explained


def test_cli_unreadable_file(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(VERIFIER), str(tmp_path / "missing.chitlog")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2


def test_verifier_is_independent_of_chitnode_and_pynacl() -> None:
    tree = ast.parse(VERIFIER.read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    allowed = {"__future__", "argparse", "hashlib", "json", "re", "sys", "collections"}
    allowed |= {"dataclasses", "typing", "cryptography"}
    assert imported <= allowed, imported - allowed
    assert "chitnode" not in imported and "nacl" not in imported


# --------------------------------------------------------------------------- the auditor's guide

DOC = REPO / "docs" / "wal-format.md"


@pytest.mark.skipif(not DOC.exists(), reason="docs/wal-format.md not present")
def test_doc_worked_example_matches_the_vectors() -> None:
    text = DOC.read_text()
    genesis = parse(VECTOR_BYTES)[1][0]
    body = canon({k: v for k, v in genesis.items() if k not in ("hash", "sig")})
    digest = hashlib.sha256(body).hexdigest()
    seal = parse(VECTOR_BYTES)[2]
    assert body.decode() in text and f"{len(body)} bytes" in text
    assert digest == genesis["hash"] and digest in text
    assert (b"chitnode.wal.v1:" + bytes.fromhex(digest)).hex() in text
    assert genesis["sig"] in text
    assert (b"chitnode.export.v1:" + bytes.fromhex(seal["lines_sha256"])).hex() in text


@pytest.mark.skipif(not DOC.exists(), reason="docs/wal-format.md not present")
def test_doc_snippet_runs(tmp_path: Path) -> None:
    section_8 = DOC.read_text().split("## 8. ")[1].split("\n## ")[0]  # section 10 has its own
    snippet = section_8.split("```python\n")[-1].split("```")[0]
    script = tmp_path / "snippet.py"
    script.write_text(snippet)
    clean = subprocess.run([sys.executable, str(script), str(HERE / VECTORS)], capture_output=True)
    assert clean.returncode == 0 and clean.stdout == b""
    es = base()
    f2 = {**find(es, FOREMAN, 2), "sig": "00" * 64}
    (tmp_path / "bad.chitlog").write_bytes(build(replace(es, f2)))
    bad = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "bad.chitlog")], capture_output=True, text=True
    )
    assert bad.returncode == 1 and bad.stdout == f"bad_sig 2 {FOREMAN}\n"
