"""One error root with stable codes (STYLE.md, Errors).

Tests, CLI output and HTTP bodies match `code`, never the message. Every
subclass names its code once; callers raise with a human message.
"""

from __future__ import annotations


class ChitError(Exception):
    """Root of every expected chitnode error. `code` is stable across releases."""

    code = "chit_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class BadFormat(ChitError):
    """Input that is not a well-formed entry, export or canonical JSON."""

    code = "bad_format"


class BadHash(ChitError):
    code = "bad_hash"


class BadSignature(ChitError):
    code = "bad_sig"


class BrokenChain(ChitError):
    code = "broken_chain"


class WrongBranch(ChitError):
    code = "wrong_branch"


class RuleViolation(ChitError):
    """A command or event breaks a domain rule; `code` names the rule."""

    code = "rule_violation"


class NotFound(ChitError):
    code = "not_found"


class StoreLocked(ChitError):
    """Another process holds the data folder's single-writer lock."""

    code = "store_locked"


class StoreCorrupt(ChitError):
    code = "store_corrupt"


class KeyUnavailable(ChitError):
    """The device secret key cannot be loaded (no keyring entry, wrong passphrase)."""

    code = "key_unavailable"


class NotInitialised(ChitError):
    code = "not_initialised"


class UsageError(ChitError):
    """Bad command-line or API arguments."""

    code = "usage"


# Every code chitnode gives, declared once (issue 8): tests, CLI output and HTTP bodies match
# these, never a message. `tests/test_error_codes.py` fails on any `code=` in chitnode/ or sync/
# that is not here, and on any code here that nothing gives. Add a code here in the same change
# that first raises it, with a line a support engineer can read to a foreman.
CODES: dict[str, str] = {
    "actor_mismatch": "actor is not the member",
    "actor_missing": "a member's act (signature, attestation, bid) must name the member as actor",
    "already_contributed": "this member already contributed to the draw",
    "already_demanded": "the written demand (s.33) was already served on this prized ticket",
    "already_linked": "that member device is already linked to a member",
    "already_attested": "this member already attested the draw",
    "already_disbursed": "money has been disbursed",
    "already_prized": "the prize was already paid",
    "already_published": "agreement already published",
    "already_removed": "the ticket's removal (s.28) stands: serve its notice, or let it lapse",
    "already_settled": "the bank request is already settled",
    "already_signed": "this member already signed the agreement",
    "ambiguous_line": "the line to keep forks again: name an entry further along it",
    "amount_above_dues": "more than the ticket can ever owe",
    "amount_above_limit": "the amount is above the limit",
    "amount_above_max": "chit value above the supported maximum",
    "amount_above_penalty": "more than the penalty interest due on the ticket",
    "arrears_outstanding": "tickets in arrears: …",
    "auction_closed": "month …'s draw has closed",
    "auction_ended": "the countdown has ended",
    "auction_exists": "month …'s draw was already opened",
    "auction_not_closed": "the draw has not closed",
    "auction_running": "the countdown has not ended",
    "author_frozen": "author frozen: …",
    "bad_amount": "not a rupee amount: …",
    "bad_audit_filter": "an audit-trail filter the app cannot read (a date not YYYY-MM-DD)",
    "bad_bank_account": "a bank account is 9 to 18 digits",
    "bad_bank_ref": "bank_ref: 1-64 letters, digits or / . _ : -",
    "bad_banker_request": "no process … in this state",
    "bad_banker_state": "a commitment needs a name",
    "bad_body": "an entry body lacks a field or has one of the wrong type",
    "bad_ceiling": "discount_ceiling_bps must be 1..10000",
    "bad_channel_binding": "a channel certificate is not signed by the device it is bound to",
    "bad_channel_credential": "this device's channel key or certificate is unreadable or another's",
    "bad_evidence": "fork evidence that is not two different entries of one feed at one seq",
    "bad_format": "not a well-formed entry, export line or canonical JSON",
    "bad_group_id": "group_id: 1-40 letters, digits, '.', '_' or '-'",
    "bad_hash": "an entry's stored hash is not the hash of the entry",
    "bad_invite": "not an invite code: mistyped, cut short or damaged (check it or ask anew)",
    "bad_invite_ttl": "an invite's lifetime is outside the bounds an admin may choose",
    "bad_join_request": "a join request that is not {v, secret, key, cert_b64, sig_b64}",
    "bad_key_params": "a key file asks for argon2 costs outside the bounds chitnode accepts",
    "bad_loan_account": "inconsistent loan account",
    "bad_loan_id": "loan_id: 1-40 letters, digits, '.', '_' or '-'",
    "bad_mail": "not a mail this outbox sends",
    "bad_max_discount": "max discount above 100%",
    "bad_member_id": "a member id is 1-40 letters, digits, '.', '_' or '-'",
    "bad_message": "a peer's frame is not a message of the sync protocol",
    "bad_min_discount": "min discount outside commission..max",
    "bad_month": "month must be 1..N",
    "bad_page": "a peer's page contradicts the request it answers or itself",
    "bad_pan": "PAN must look like AAAAA9999A",
    "bad_phone": "an Indian mobile: 10 digits from 6-9, optional +91",
    "bad_pin": "a member's PIN is 6 digits",
    "bad_pool": "pool must be … or 'member:<id>', got …",
    "bad_principal": "principal above the … limit",
    "bad_rate": "rate must be 0..N basis points",
    "bad_request_id": "request_id: 1-40 letters, digits, '.', '_' or '-'",
    "bad_risk_inputs": "risk inputs must be non-negative integers",
    "bad_scope": "scope must be group:<id>",
    "no_lease_holder": "no device holding the scope could be reached, and none was elected in time",
    "not_forwardable": "only coordinated commands of one scope are forwarded to its holder",
    "bad_transfer": "a lease is handed only by its holder, to another device of the electorate",
    "bad_seal": "an export's seal is missing, malformed or does not verify",
    "bad_sealed": "sealed KYC is not hex",
    "bad_security_form": "form must be one of …",
    "bad_seed_hash": "not a lowercase hex sha-256: …",
    "bad_sig": "an entry's signature does not verify under its author key",
    "bad_staff_pin": "a staff PIN is 6 to 12 digits",
    "bad_tenure": "tenure must be 1..N months",
    "bad_tickets": "tickets must list each ticket of the group once",
    "bad_time": "a time must be a non-negative integer of ms",
    "bad_unlock": "neither this device's passphrase nor its staff PIN",
    "bad_variant": "an unknown variant of a group rule",
    "bad_verifier": "a PIN verifier from a peer is not [member id, $argon2id$ string, set_ms]",
    "bad_via": "via must be one of …",
    "bid_above_cap": "discount above the agreed maximum",
    "bid_below_minimum": "discount below the minimum",
    "bid_increment_too_small": "bid must beat the best by the increment",
    "bid_not_multiple": "a bid is a multiple of the increment",
    "books_unbalanced": "the group's books do not balance",
    "broken_chain": "an entry's prev is not the hash of its author's previous entry",
    "cannot_resolve": "that line cannot be kept: it does not continue the entries before the fork",
    "already_revoked": "that device key is already revoked",
    "app_screen_failed": "the app could not show that screen (a bug, logged on the node)",
    "already_serving": "chitnode serve already runs for this data folder (its pid is named)",
    "cannot_revoke_root": "the root key cannot be revoked or replaced: a branch is its id and root",
    "case_closed": "case is closed (…)",
    "case_open": "a case is already open",
    "chit_error": "an expected chitnode error with no more specific code",
    "cmd_id_reused": "a command id already used for another command (kind or body)",
    "contributions_sealed": "a member's own device has contributed: staff may add no more",
    "control_failed": "a command sent to the running serve got no answer (it stopped or refused)",
    "commission_above_cap": "commission above … bp",
    "connection_lost": "the peer connection closed before the sync finished; it resumes next time",
    "count_mismatch": "an export's header or seal count differs from its entry lines",
    "data_not_folder": "the data folder is a file, or lies under one",
    "data_not_writable": "the data folder or its database cannot be written (read-only, rights)",
    "defaulting_subscriber": "the ticket is behind past its grace: s.14 lends to non-prized payers",
    "device_revoked": "author's device was revoked (before this entry, or it is past after_seq)",
    "discount_above_ceiling": "max discount above the branch's ceiling (state rules)",
    "disk_full": "no space left on the device (the data folder, an output file or stdout)",
    "duplicate_candidate": "a candidate appears twice",
    "exceeds_subscriptions": "more than the ticket's paid subscriptions secure (s.14)",
    "duplicate_claim": "a claim appears twice for one pool",
    "duplicate_command": "command already applied",
    "export_failed": "the export could not be written (disk, permissions); no partial file is left",
    "first_month_by_lot": "month 1 is drawn by lot at the minimum discount",
    "foreman_month_no_discount": "the foreman's first chit has no discount",
    "fork": "two different entries by one author at the same seq",
    "gap": "an author's exported seq skips numbers (reported on the entry after the gap)",
    "group_closed": "group … is closed",
    "group_exists": "group … already exists",
    "group_finished": "every month is settled",
    "group_not_finished": "months remain to settle",
    "group_not_running": "group … has not started",
    "group_started": "group already started",
    "hq_already_imported": "the head office already holds every entry of that export",
    "hq_db_unusable": "the head-office database cannot be opened or reached (path or URL)",
    "hq_feeds_refused": "some feeds of a branch export failed verification and were not imported",
    "hq_pull_failed": "no peer of the branch finished a catch-up with the head-office device",
    "hq_schema_newer": "the head-office database was made by a newer chitnode: not touched",
    "hq_unknown_branch": "the head office holds no branch by that id or name",
    "illegal_transition": "cannot move from … to …",
    "import_refused": "the import file was refused; nothing was changed",
    "incomplete_group": "months remain to settle",
    "insufficient_funds": "an account or wallet would go negative",
    "invite_expired": "this invite code has expired: ask the admin for a new one",
    "invite_unknown": "the inviting node made no such invite (another node's code, or forgotten)",
    "invite_used": "this invite code was already used: ask the admin for a new one",
    "io_error": "a file or folder the command names could not be read or written",
    "join_incomplete": "enrolled, but the branch did not arrive whole: `chitnode serve` ends it",
    "join_not_empty": "a device joins a branch into an empty data folder",
    "key_exists": "a device key file is already there: init never overwrites one",
    "key_revoked": "a revoked key stays revoked: enrol a new key for the device",
    "key_unavailable": "the device key cannot be loaded (no keyring entry, wrong passphrase)",
    "kyc_already_approved": "KYC already approved",
    "kyc_not_submitted": "no KYC was submitted: nothing to reject",
    "loan_closed": "the loan is fully repaid",
    "loan_exists": "loan … already exists",
    "locked_out": "too many wrong PINs or unlocks: locked out for a while",
    "lost_writes": "the store lacks entries this device acknowledged: import them back",
    "lot_commit_missing": "the holder commits to its lot secret (64 hex) at opening",
    "lot_mismatch": "the revealed secret is not the committed one",
    "lot_no_contribution": "a draw needs a contribution from a subscriber present",
    "member_exists": "member … exists",
    "message_too_big": "a peer's frame or a list in it is over its bound",
    "minutes_incomplete": "minutes need the foreman, the winner and two other subscribers",
    "minutes_mismatch": "not the hash of these minutes",
    "months_not_tickets": "months must equal tickets",
    "negative_amount": "an amount must not be negative",
    "no_agreement": "no agreement published yet",
    "no_arrears": "ticket … owes nothing",
    "no_bidding_this_month": "this month's prize is not auctioned",
    "no_candidates": "a lot needs at least one candidate",
    "no_draw_pending": "this month awaits no reveal",
    "no_genesis": "no genesis yet",
    "no_lot_this_month": "this draw takes no contributions",
    "no_refund": "that member was not replaced on this ticket: no s.30 refund is held for them",
    "node_closed": "the serving node is shutting down; try again once it runs",
    "no_open_auction": "month …'s draw is not open",
    "no_open_case": "loan … has no open recovery case",
    "no_seed": "a lot needs at least one log hash",
    "non_positive_amount": "an amount must be greater than zero",
    "not_admin": "only an admin's device may do this (invite a device)",
    "session_expired": "the app's login ran out (idle or too old): log in again",
    "not_allowed_here": "the app session's login does not allow that write (member: staff act)",
    "not_applied": "the command's entry was written but the fold did not apply it",
    "not_defaulting": "no instalment of the ticket is unpaid past its grace period",
    "not_enrolled": "no active device of this branch at the other end of the peer channel",
    "not_foreman": "only the foreman's device",
    "not_forked": "the key has no unresolved fork (or, to re-key, has not forked)",
    "not_found": "no such entry, member or file",
    "not_initialised": "no branch in this data folder yet",
    "not_integer": "a value must be an integer",
    "not_integer_paise": "chit_value: integer paise",
    "not_in_electorate": "this device is not one of the devices that vote for and hold that scope",
    "not_lease_holder": "this device does not hold …",
    "not_masked": "an identity number must be masked (only the last digits in clear)",
    "not_member_device": "only an active member-role device is linked to a member",
    "not_member_server": "this device's role does not serve members: it holds no PIN verifiers",
    "not_own_member": "a member's device acts only for the member it is linked to",
    "not_present": "the member was not present at the draw",
    "not_prized": "security is furnished by a prize winner",
    "not_removed": "the ticket's holder has not been removed for default (s.28)",
    "not_root": "only the branch's root key may do this",
    "not_serving": "an invite is answered by the serving node: start `chitnode serve` first",
    "not_staff": "a … device may not hold the staff key (staff only: …)",
    "not_staff_device": "this device's role is not staff: it has no staff screens to unlock",
    "not_ticket_holder": "the member does not hold that ticket",
    "not_subscriber": "the member holds no ticket in this group",
    "not_yet_due": "EMI … is not due yet",
    "note_required": "a note is required",
    "notice_not_served": "the written notice of removal (s.28) has not been served",
    "notice_overdue": "past 14 days from the removal: the notice is late and the removal lapsed",
    "notice_served": "the written notice of this removal was already served",
    "outbox_full": "too many mails wait to be sent; refusing more",
    "page_refused": "a peer's entries failed the import checks; nothing was stored",
    "pairing_expired": "the pairing QR or token has expired: ask for a new one",
    "pairing_unknown": "no such pairing token on this node",
    "pairing_used": "the pairing token was already used: ask for a new one",
    "peer_refused": "the peer refused the request without a code this node knows",
    "peer_timeout": "the peer stopped answering; the sync resumes on the next connection",
    "peer_unreachable": "could not open the peer channel (refused, timed out, or not trusted)",
    "penalty_outstanding": "penalty interest on late instalments is still unpaid",
    "pool_short": "the pool does not hold the month's commission and dividend yet: collect first",
    "port_in_use": "the peer port is taken by another program: choose another with --peer-port",
    "principal_too_small": "the principal is too small to schedule exactly at this rate and tenure",
    "prizes_unpaid": "a prize is still unpaid",
    "prize_reserved": "the cash is held for an unpaid prize or dues paid ahead; no loan takes it",
    "quorum_not_met": "needs the foreman and 2 subscribers",
    "rate_limited": "the peer sent frames too fast; the session was closed",
    "refund_not_deposited": "more than the separate account holds for the defaulter (s.30)",
    "reinstatement_closed": "more than 7 days since the notice of removal (s.28): no re-entry",
    "reinstatement_open": "the defaulter's 7 days to pay and be re-entered (s.28) are still open",
    "release_exceeds_allocation": "a process cannot return more than it holds",
    "repayment_exceeds_owed": "a repayment is more than what is owed",
    "report_write_failed": "the report file could not be written (disk, permissions); none is left",
    "report_folder_unusable": "the report folder is not an existing folder this node may write",
    "unknown_report": "no such report",
    "request_closed": "the bank request is already closed",
    "request_exists": "request … exists",
    "rule_violation": "a command breaks a domain rule (a more specific code usually says which)",
    "same_member": "the substitute already holds the ticket",
    "security_missing": "needs security of … paise or a deduction",
    "self_transfer": "a member cannot transfer to their own wallet",
    "settlement_mismatch": "settlement for month … does not recompute",
    "signatures_missing": "not signed yet: …",
    "signer_bad_input": "the signing page sent something malformed or too big (JSON, base64url)",
    "signer_bad_sig": "the phone's signature does not verify under the key it sent",
    "signer_full": "too many signatures are open or waiting on this node: wait until some expire",
    "signer_statement_mismatch": "the phone signed another statement than its ticket's",
    "signer_unknown_ticket": "the signing ticket expired, was used, or was never issued",
    "staff_key_conflict": "a different staff key is already held for this branch",
    "staff_remote_refused": "staff screens open only on the node's own machine",
    "stale_term": "a higher term sanctioned it",
    "store_busy": "another program held the store's database locked past the busy timeout",
    "store_conflict": "a write would replace a stored entry or command id (a kernel bug)",
    "store_corrupt": "the store fails its integrity checks, or its schema is not one we read",
    "store_damaged": "the folder held a store whose database is missing, empty or not chitnode's",
    "store_locked": "another process holds the data folder's single-writer lock",
    "store_tampered": "a stored entry's text no longer matches its hash or chain (edited outside)",
    "terms_mismatch": "not the terms hash",
    "ticket_not_eligible": "ticket … may not bid",
    "ticket_prized": "a prized ticket cannot be substituted",
    "ticket_prized_twice": "a ticket won twice",
    "ticket_required": "the member holds several tickets here: name the one the loan is secured on",
    "ticket_taken": "ticket … has a holder",
    "ticket_unassigned": "ticket … has no holder",
    "tickets_unassigned": "every ticket needs a holder",
    "too_few_tickets": "a chit group needs at least two tickets",
    "too_many_bids": "bid limit reached",
    "too_many_held": "too many entries wait for a missing dep",
    "too_many_instalments": "interest stops falling due here",
    "too_many_invites": "too many invites are open here: wait until some are used or expire",
    "too_many_items": "too many securities",
    "too_many_logins": "the app holds as many logged-in sessions as it allows",
    "too_many_pairings": "too many pairing tokens are outstanding: wait until some expire",
    "too_many_sessions": "the serving node holds as many peer sessions as it allows",
    "too_many_substitutions": "at most … holders per ticket",
    "too_many_tickets": "at most … tickets",
    "too_many_tranches": "tranche limit",
    "unauthorised": "the author may not write this kind (role), or is not authorised (yet)",
    "unknown_author": "the author is not an enrolled device of this branch",
    "unknown_group": "no group …",
    "unknown_kind": "unknown kind …",
    "unknown_loan": "no loan …",
    "unknown_member": "no member …",
    "unknown_pool": "unknown pools: …",
    "unknown_request": "no bank request …",
    "unknown_stage": "unknown recovery stage: …",
    "unknown_table": "a projection table name that is not a plain lower-case identifier",
    "unknown_ticket": "no ticket …",
    "unsupported_version": "the peer speaks another version of the sync protocol",
    "usage": "bad command-line or API arguments",
    "value_not_divisible": "chit value must divide evenly by tickets",
    "within_grace": "the unpaid EMI is still within its grace period",
    "wrong_branch": "the entry, export or key belongs to another branch (id and root together)",
    "wrong_direction": "the request goes the other way (deposit vs withdrawal)",
    "wrong_inviter": "the server at the code's address is not the node that made the invite",
    "wrong_month": "month … is next",
    "countersig_missing": "the member has an enrolled key: their consent needs their signature",
    "countersig_bad": "the member's signature is malformed, by another key or of another statement",
    "countersig_key_revoked": "signed with a key of the member's that was revoked or replaced",
    "countersig_replayed": "this signed statement of the member's was already used",
    "countersig_no_key": "the member has no current key to sign with (or to check a signature by)",
    "member_key_in_use": "that key was enrolled before; each pairing makes a new key",
    "member_key_not_current": "that key is not the member's current key",
    "too_many_member_keys": "a member has had as many keys as a branch allows",
    "receipt_malformed": "the file is not a receipt (JSON with v, branch, member_id, what, entry)",
    "receipt_tampered": "the receipt's entry does not hash to its hash, or its signature fails",
    "receipt_wrong_branch": "the receipt is of another branch than the log it is checked against",
    "receipt_not_found": "no receipt of this member at that entry (author:seq or hash)",
    "witness_heads_bad": "witnessed heads are 1.. [author, seq, hash], one per author, sorted",
    "witness_heads_not_held": "a witnessed head is not among the entry's deps or own feed",
    "witness_duplicate": "a member witnesses one meeting's heads once per entry",
    "witness_malformed": "the file is not a witness (JSON with v, branch, a heads.witnessed entry)",
    "witness_tampered": "the witness's entry or a member's signature in it does not verify",
    "witness_wrong_branch": "the witness is of another branch than the log it is checked against",
}
