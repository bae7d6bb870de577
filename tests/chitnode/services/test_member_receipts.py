"""Receipts members keep (issue 15 point 4), over the demo branch's real log.

A receipt is the signed entry itself: it checks against the node's log (in_log), against
an export holding it (in_log), against an export of a log cut at its seq
(missing_from_log), against a log holding another entry at its place (conflict); an
edited receipt, a receipt of another branch and a key the branch never enrolled are each
told apart with a code. The CLI does the same end to end, and prints a passbook PDF
with one QR code per receipt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from chitnode.domain import chit_kinds_base as base
from chitnode.log.entry import ZERO_HASH, Entry, seal_entry
from chitnode.log.export import ExportHeader, write_export
from chitnode.log.verify import verify_file
from chitnode.node.node import Node
from chitnode.services import member_receipts as mr
from chitnode.services.receipt_pdf import receipt_name_line, receipt_qr
from chitnode.store.api import Store
from tests.support.cli_proc import chitnode, ok, refused
from tests.support.demo_branch import DemoBranch, closed_demo, open_copy
from tests.vectors import receipt_check


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoBranch:
    return closed_demo(tmp_path_factory)


@pytest.fixture
def node(demo: DemoBranch, tmp_path: Path) -> Iterator[Node]:
    with open_copy(demo, tmp_path / "node") as opened:
        yield opened


def _winner(node: Node) -> str:
    """A member who won a draw (so has a prize receipt) and pays instalments."""
    rows = node.engine.state.rows(base.SETTLEMENTS).values()
    return sorted(str(row["winner_member"]) for row in rows)[0]


def _entries(store: Store, *, cut: tuple[str, int] | None = None) -> list[Entry]:
    """The store's main chain, by author and seq; `cut` = (author, seq): that feed ends
    before seq (what a log cut back, or rewritten from that entry on, exports)."""
    out = []
    for author in store.authors():
        for seq, _ in store.feed(author, 1):
            if cut is not None and author == cut[0] and seq >= cut[1]:
                break
            entry = store.entry_at(author, seq)
            assert entry is not None
            out.append(entry)
    return out


def _export(node: Node, path: Path, entries: list[Entry]) -> Path:
    """A sealed export of `entries`, sealed by the node's own key (as a dishonest node
    would seal its cut log: the seal proves who exported it, not that nothing is missing)."""
    header = ExportHeader(
        node.branch,
        node.engine.state.rows("branch")["branch"]["root"],
        node.public,
        0,
        len(entries),
    )
    with path.open("wb") as out:
        write_export(out, node.key, header, entries)
    return path


def test_a_member_has_a_receipt_per_payment_prize_and_share_and_each_is_in_the_log(
    node: Node,
) -> None:
    member = _winner(node)
    receipts = mr.receipts_for(node.engine.state, node.store, member)
    categories = {r.category for r in receipts}
    assert {mr.CONTRIBUTION, mr.PRIZE} <= categories, categories
    paid = [
        r for r in node.engine.state.rows(base.CONTRIBUTIONS).values() if r["member_id"] == member
    ]
    assert len([r for r in receipts if r.category == mr.CONTRIBUTION]) == len(
        [r for r in paid if r["source"] == "payment"]
    )
    assert len({r.key for r in receipts}) == len(receipts)  # one key per line, each its own
    log = mr.StoreLog(node.store, node.engine.state)
    for receipt in receipts:
        again = mr.parse_receipt(receipt.to_bytes())  # the file round trip keeps the entry
        assert again.entry.raw == receipt.entry.raw and again.member_id == member
        assert mr.check_receipt(log, again).status == mr.IN_LOG
        assert receipt.entry.raw.decode() == json.loads(receipt.to_bytes())["entry"]
    assert [r.entry.ts for r in receipts] == sorted((r.entry.ts for r in receipts), reverse=True)


def test_a_stranger_has_no_receipts_and_a_missing_ref_is_not_found(node: Node) -> None:
    with pytest.raises(mr.ChitError) as refusal:
        mr.receipts_for(node.engine.state, node.store, "NOBODY-999")
    assert refusal.value.code == "unknown_member"
    receipts = mr.receipts_for(node.engine.state, node.store, _winner(node))
    with pytest.raises(mr.ReceiptNotFound):
        mr.find_receipt(receipts, "0" * 64)
    first = receipts[0]
    assert mr.find_receipt(receipts, first.ref) == first
    assert mr.find_receipt(receipts, first.entry.hash[:12]) == first


def test_a_log_cut_at_the_receipt_s_entry_is_caught(node: Node, tmp_path: Path) -> None:
    receipt = mr.receipts_for(node.engine.state, node.store, _winner(node))[0]
    author, seq = receipt.entry.author, receipt.entry.seq
    whole = _export(node, tmp_path / "whole.chitlog", _entries(node.store))
    cut = _export(node, tmp_path / "cut.chitlog", _entries(node.store, cut=(author, seq)))
    assert verify_file(cut).ok  # the cut log verifies: only the receipt shows what is gone

    assert mr.check_receipt(mr.ExportLog(whole), receipt).status == mr.IN_LOG
    found = mr.check_receipt(mr.ExportLog(cut), receipt)
    assert found.status == mr.MISSING and not found.ok
    assert found.log_head == seq - 1
    assert "cut or rewritten" in found.explain()
    # The auditor's own tool (no chitnode inside) says the same from the files alone.
    kept = receipt.to_bytes()
    assert receipt_check.check(kept, whole.read_bytes())[0] == receipt_check.IN_LOG
    assert receipt_check.check(kept, cut.read_bytes())[0] == receipt_check.MISSING
    saved = cut.with_name("receipt.json")
    saved.write_bytes(kept)
    assert receipt_check.main([str(saved), str(cut)]) == 1
    assert receipt_check.main([str(saved), str(whole)]) == 0


def test_a_different_entry_at_the_receipt_s_place_is_a_conflict(node: Node, tmp_path: Path) -> None:
    receipt = mr.receipts_for(node.engine.state, node.store, _winner(node))[0]
    stored = node.store.entry_at(receipt.entry.author, receipt.entry.seq)
    assert stored is not None
    # The device's key signs another entry at the same seq: a fork, as a rewritten log has.
    signer = node.key if receipt.entry.author == node.public else None
    assert signer is not None, "the demo's payments are written by the node's own key"
    twin = seal_entry(
        signer,
        branch=stored.branch,
        seq=stored.seq,
        prev=stored.prev,
        ts=stored.ts,
        deps=stored.deps,
        kind=stored.kind,
        body={**stored.body, "note": "rewritten"},
    )
    forged = mr.MemberReceipt(receipt.branch, receipt.member_id, receipt.what, twin)
    found = mr.check_receipt(mr.StoreLog(node.store, node.engine.state), forged)
    assert found.status == mr.CONFLICT and found.log_hash == stored.hash
    export = _export(node, tmp_path / "whole.chitlog", _entries(node.store))
    assert mr.check_receipt(mr.ExportLog(export), forged).status == mr.CONFLICT
    assert receipt_check.check(forged.to_bytes(), export.read_bytes())[0] == mr.CONFLICT


def test_an_edited_receipt_fails_and_words_are_not_trusted(node: Node, tmp_path: Path) -> None:
    receipt = mr.receipts_for(node.engine.state, node.store, _winner(node))[0]
    # Words are not signed: a receipt with bigger words still checks, and the answer says
    # what the signed entry says, never the words.
    boasting = {**receipt.to_json(), "what": "prize ₹1,00,00,000.00"}
    found = mr.check_receipt(
        mr.StoreLog(node.store, node.engine.state), mr.parse_receipt(json.dumps(boasting).encode())
    )
    assert found.status == mr.IN_LOG and "1,00,00,000" not in found.explain()
    assert receipt.entry.kind in found.explain()
    doc = receipt.to_json()
    amount = str(receipt.entry.body["amount_paise"])
    doc["entry"] = doc["entry"].replace(f'"amount_paise":{amount}', f'"amount_paise":{amount}0')
    with pytest.raises(mr.ReceiptTampered) as refusal:
        mr.parse_receipt(json.dumps(doc).encode())
    assert refusal.value.code == "receipt_tampered"
    moved = {**receipt.to_json(), "branch": "f" * 32}  # the entry still names its own
    with pytest.raises(mr.ReceiptTampered):
        mr.parse_receipt(json.dumps(moved).encode())
    for bad in (b"not json", b"[]", json.dumps({**receipt.to_json(), "v": 2}).encode()):
        with pytest.raises(mr.ReceiptMalformed) as malformed:
            mr.parse_receipt(bad)
        assert malformed.value.code == "receipt_malformed"
    with pytest.raises(mr.ReceiptMalformed):
        mr.parse_receipt(b" " * (mr.limits.RECEIPT_FILE_BYTES_MAX + 1))
    export = _export(node, tmp_path / "whole.chitlog", _entries(node.store)).read_bytes()
    edited = json.dumps(doc).encode()
    assert receipt_check.check(edited, export)[0] == receipt_check.TAMPERED
    assert receipt_check.check(b"[]", export)[0] == receipt_check.MALFORMED
    assert receipt_check.check(receipt.to_bytes(), export)[0] == receipt_check.IN_LOG


def test_a_receipt_of_another_branch_is_refused(node: Node, tmp_path: Path) -> None:
    with Node.init(tmp_path / "other", "Udupi Branch") as other:
        genesis = other.store.entry_at(other.public, 1)
        assert genesis is not None
        foreign = mr.MemberReceipt(other.branch, "M1", "payment", genesis)
    receipt = mr.parse_receipt(foreign.to_bytes())
    with pytest.raises(mr.ReceiptWrongBranch) as refusal:
        mr.check_receipt(mr.StoreLog(node.store, node.engine.state), receipt)
    assert refusal.value.code == "receipt_wrong_branch"
    export = _export(node, tmp_path / "whole.chitlog", _entries(node.store))
    with pytest.raises(mr.ReceiptWrongBranch):
        mr.check_receipt(mr.ExportLog(export), receipt)
    found = receipt_check.check(foreign.to_bytes(), export.read_bytes())
    assert found[0] == receipt_check.WRONG_BRANCH


def test_a_key_the_branch_never_enrolled_proves_nothing(node: Node, tmp_path: Path) -> None:
    stranger = SigningKey.generate()
    entry = seal_entry(
        stranger,
        branch=node.branch,
        seq=1,
        prev=ZERO_HASH,
        ts=0,
        deps=(),
        kind="contribution.recorded",
        body={"amount_paise": 100},
    )
    receipt = mr.parse_receipt(mr.MemberReceipt(node.branch, "M1", "forged", entry).to_bytes())
    found = mr.check_receipt(mr.StoreLog(node.store, node.engine.state), receipt)
    assert found.status == mr.UNKNOWN_AUTHOR
    export = _export(node, tmp_path / "whole.chitlog", _entries(node.store))
    assert mr.check_receipt(mr.ExportLog(export), receipt).status == mr.UNKNOWN_AUTHOR
    assert receipt_check.check(receipt.to_bytes(), export.read_bytes())[0] == mr.UNKNOWN_AUTHOR


def test_every_demo_receipt_fits_one_qr_code_and_a_long_one_names_its_entry(node: Node) -> None:
    state = node.engine.state
    for member in sorted(state.rows(base.MEMBERS))[:10]:
        for receipt in mr.receipts_for(state, node.store, member)[:3]:
            assert len(receipt.to_bytes()) <= mr.limits.RECEIPT_QR_BYTES_MAX
            assert receipt_qr(receipt).startswith(b"\x89PNG")
    entry = seal_entry(
        node.key,
        branch=node.branch,
        seq=1,
        prev=ZERO_HASH,
        ts=0,
        deps=(),
        kind="contribution.recorded",
        body={"note": "n" * mr.limits.RECEIPT_QR_BYTES_MAX},
    )
    long = mr.MemberReceipt(node.branch, "M1", "payment", entry)
    assert len(long.to_bytes()) > mr.limits.RECEIPT_QR_BYTES_MAX
    assert receipt_name_line(long).decode().endswith(f"{long.ref} {entry.hash}")
    assert receipt_qr(long).startswith(b"\x89PNG")  # no overflow: the naming line


def test_the_cli_shows_checks_and_prints_a_passbook(demo: DemoBranch, tmp_path: Path) -> None:
    folder = tmp_path / "node"
    with open_copy(demo, folder) as opened:
        member = _winner(opened)
        receipt = mr.receipts_for(opened.engine.state, opened.store, member)[0]
        author, seq = receipt.entry.author, receipt.entry.seq
        cut = _export(opened, tmp_path / "cut.chitlog", _entries(opened.store, cut=(author, seq)))
    listing = json.loads(ok(chitnode("--data", folder, "receipt", "show", member, "--json")))
    assert listing[0]["ref"] == receipt.key
    saved = tmp_path / "receipt.json"
    ok(chitnode("--data", folder, "receipt", "show", member, receipt.key, "--out", saved))
    assert saved.read_bytes() == receipt.to_bytes()

    assert "OK [in_log]" in ok(chitnode("--data", folder, "receipt", "check", saved))
    run = chitnode("--data", folder, "receipt", "check", saved, "--export", cut, "--json")
    assert run.returncode == 1 and json.loads(run.stdout)["status"] == mr.MISSING

    edited = tmp_path / "edited.json"
    edited.write_text(saved.read_text().replace(receipt.entry.hash[:8], "00000000", 1))
    refused(chitnode("--data", folder, "receipt", "check", edited), "receipt_tampered")
    refused(chitnode("--data", folder, "receipt", "show", member, "zz:1"), "receipt_not_found")

    pdf = tmp_path / "passbook.pdf"
    assert "Wrote the passbook" in ok(chitnode("--data", folder, "passbook", member, "--pdf", pdf))
    data = pdf.read_bytes()
    receipts = len(listing)
    assert data.startswith(b"%PDF") and data.count(b"/Subtype /Image") >= receipts
