"""Banker's algorithm: textbook examples, the branch mapping, and properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chitnode.domain.bankers import (
    BRANCH_WORDING,
    BankerState,
    LoanClaim,
    branch_loan_state,
    branch_request,
    format_vector,
    is_safe,
    need,
    pool_vector,
    release,
    request,
    safe_sequence,
)
from chitnode.errors import RuleViolation

# --- fixtures: the textbook states -------------------------------------------------


def silberschatz() -> BankerState:
    """Operating System Concepts, the banker's algorithm example: P0-P4, resources A, B, C."""
    return BankerState(
        available=(3, 3, 2),
        maximum=((7, 5, 3), (3, 2, 2), (9, 0, 2), (2, 2, 2), (4, 3, 3)),
        allocation=((0, 1, 0), (2, 0, 0), (3, 0, 2), (2, 1, 1), (0, 0, 2)),
        processes=("P0", "P1", "P2", "P3", "P4"),
        resources=("A", "B", "C"),
    )


def tanenbaum_single(free: int, b_has: int = 1) -> BankerState:
    """Modern Operating Systems, single resource: A, B, C, D have 1, 1, 2, 4 of max 6, 5, 4, 7."""
    return BankerState(
        available=(free,),
        maximum=((6,), (5,), (4,), (7,)),
        allocation=((1,), (b_has,), (2,), (4,)),
        processes=("A", "B", "C", "D"),
    )


TANENBAUM_MULTI_ALLOCATION = ((3, 0, 1, 1), (0, 1, 0, 0), (1, 1, 1, 0), (1, 1, 0, 1), (0, 0, 0, 0))
TANENBAUM_MULTI_NEED = ((1, 1, 0, 0), (0, 1, 1, 2), (3, 1, 0, 0), (0, 0, 1, 0), (2, 1, 1, 0))


def tanenbaum_multi() -> BankerState:
    """Modern Operating Systems, multiple resources: E = (6 3 4 2), P = (5 3 2 2), A = (1 0 2 0)."""
    maximum = tuple(
        tuple(h + n for h, n in zip(held, needed, strict=True))
        for held, needed in zip(TANENBAUM_MULTI_ALLOCATION, TANENBAUM_MULTI_NEED, strict=True)
    )
    return BankerState(
        available=(1, 0, 2, 0),
        maximum=maximum,
        allocation=TANENBAUM_MULTI_ALLOCATION,
        processes=("A", "B", "C", "D", "E"),
        resources=("tape drives", "plotters", "printers", "Blu-rays"),
    )


def runs_to_completion(state: BankerState, order: tuple[int, ...]) -> bool:
    """Simulate `order`: each process gets its need, then returns everything it holds."""
    work = list(state.available)
    for process, needed in ((p, need(state)[p]) for p in order):
        if any(n > w for n, w in zip(needed, work, strict=True)):
            return False
        work = [w + h for w, h in zip(work, state.allocation[process], strict=True)]
    return sorted(order) == list(range(len(state.maximum)))


def reference_sequence(state: BankerState) -> tuple[int, ...] | None:
    """The textbook O(n²·m) scan with lowest-index-first selection."""
    work, done, order = list(state.available), set[int](), list[int]()
    needs = need(state)
    while len(order) < len(needs):
        for process in range(len(needs)):
            fits = all(n <= w for n, w in zip(needs[process], work, strict=True))
            if process not in done and fits:
                break
        else:
            return None
        done.add(process)
        order.append(process)
        work = [w + h for w, h in zip(work, state.allocation[process], strict=True)]
    return tuple(order)


# --- Silberschatz ------------------------------------------------------------------


def test_silberschatz_need_matrix() -> None:
    assert need(silberschatz()) == ((7, 4, 3), (1, 2, 2), (6, 0, 0), (0, 1, 1), (4, 3, 1))


def test_silberschatz_is_safe_with_lowest_index_sequence() -> None:
    state = silberschatz()
    order = safe_sequence(state)
    assert is_safe(state)
    # The book shows <P1, P3, P4, P0, P2>; lowest-index-first picks P0 before P4.
    assert order == (1, 3, 0, 2, 4)
    assert runs_to_completion(state, order)
    assert runs_to_completion(state, (1, 3, 4, 0, 2))  # the book's sequence is valid too


def test_silberschatz_p1_request_granted_then_p4_waits_and_p0_unsafe() -> None:
    granted = request(silberschatz(), 1, (1, 0, 2))
    assert granted.granted and granted.code == "granted"
    after = granted.new_state
    assert after is not None
    assert after.available == (2, 3, 0)
    assert after.allocation[1] == (3, 0, 2)
    assert safe_sequence(after) == (1, 3, 0, 2, 4)
    assert runs_to_completion(after, (1, 3, 4, 0, 2))

    p4 = request(after, 4, (3, 3, 0))
    assert (p4.granted, p4.code, p4.new_state) == (False, "insufficient_available", None)
    assert "P4 must wait" in p4.reason

    p0 = request(after, 0, (0, 2, 0))
    assert (p0.granted, p0.code, p0.new_state) == (False, "unsafe_state", None)
    assert "granting 2 B to P0 would leave the system unable to guarantee" in p0.reason


def test_request_beyond_claim_is_refused() -> None:
    outcome = request(silberschatz(), 3, (0, 2, 0))  # P3 needs only (0, 1, 1)
    assert (outcome.granted, outcome.code) == (False, "request_exceeds_claim")


# --- Tanenbaum ---------------------------------------------------------------------


def test_tanenbaum_single_resource_safe_with_two_free() -> None:
    state = tanenbaum_single(free=2)
    assert safe_sequence(state) == (2, 1, 0, 3)  # C, then B, A, D


def test_tanenbaum_single_resource_unsafe_after_b_gets_one_more() -> None:
    assert safe_sequence(tanenbaum_single(free=1, b_has=2)) is None
    outcome = request(tanenbaum_single(free=2), 1, (1,))
    assert (outcome.granted, outcome.code) == (False, "unsafe_state")


def test_tanenbaum_single_resource_initial_state_is_safe() -> None:
    state = BankerState(available=(10,), maximum=((6,), (5,), (4,), (7,)), allocation=((0,),) * 4)
    assert is_safe(state)


def test_tanenbaum_multi_resource_b_printer_granted_then_e_printer_refused() -> None:
    state = tanenbaum_multi()
    assert need(state) == TANENBAUM_MULTI_NEED
    assert safe_sequence(state) == (3, 0, 1, 2, 4)  # D runs first, as in the book
    b = request(state, 1, (0, 0, 1, 0))
    assert b.granted and b.new_state is not None
    e = request(b.new_state, 4, (0, 0, 1, 0))
    assert (e.granted, e.code) == (False, "unsafe_state")
    # Granting it would leave (1 0 0 0) available, which the book shows deadlocks.
    forced = BankerState(
        available=(1, 0, 0, 0),
        maximum=b.new_state.maximum,
        allocation=tuple(
            (h[0], h[1], h[2] + 1, h[3]) if i == 4 else h
            for i, h in enumerate(b.new_state.allocation)
        ),
    )
    assert safe_sequence(forced) is None


# --- validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("available", "maximum", "allocation"),
    [
        ((), (), ()),
        ((1, -1), ((1, 1),), ((0, 0),)),
        ((1,), ((1, 1),), ((0, 0),)),
        ((1,), ((2,),), ((3,),)),
        ((1,), ((2,), (2,)), ((0,),)),
        ((1.0,), ((2,),), ((0,),)),
        ((True,), ((2,),), ((0,),)),
    ],
)
def test_bad_states_are_refused(
    available: tuple[int, ...],
    maximum: tuple[tuple[int, ...], ...],
    allocation: tuple[tuple[int, ...], ...],
) -> None:
    with pytest.raises(RuleViolation) as caught:
        BankerState(available, maximum, allocation)
    assert caught.value.code == "bad_banker_state"


def test_names_must_match_shape() -> None:
    with pytest.raises(RuleViolation) as caught:
        BankerState((1,), ((1,),), ((0,),), processes=("a", "b"))
    assert caught.value.code == "bad_banker_state"


@pytest.mark.parametrize(("process", "req"), [(5, (0, 0, 0)), (0, (0, 0)), (0, (0, -1, 0))])
def test_malformed_requests_raise(process: int, req: tuple[int, ...]) -> None:
    with pytest.raises(RuleViolation) as caught:
        request(silberschatz(), process, req)
    assert caught.value.code == "bad_banker_request"


def test_release_returns_to_available_and_shrinks_claim() -> None:
    state = release(silberschatz(), 2, (3, 0, 0))
    assert state.available == (6, 3, 2)
    assert state.allocation[2] == (0, 0, 2)
    assert state.maximum[2] == (6, 0, 2)
    kept = release(silberschatz(), 2, (3, 0, 0), reduce_claim=False)
    assert kept.maximum[2] == (9, 0, 2)
    with pytest.raises(RuleViolation) as caught:
        release(silberschatz(), 2, (4, 0, 0))
    assert caught.value.code == "release_exceeds_allocation"


# --- the branch mapping (the worked example in docs/bankers.md) --------------------


def branch() -> BankerState:
    return branch_loan_state(
        {"group:G1": 9_500_000, "treasury": 5_000_000},
        [
            LoanClaim("loan L-1", "treasury", 10_000_000, 6_000_000),
            LoanClaim("loan L-2", "treasury", 5_000_000, 3_000_000),
            LoanClaim("loan L-3", "treasury", 8_000_000),
            LoanClaim("prize G1 month 4", "group:G1", 9_000_000),
        ],
    )


def test_branch_state_columns_and_rows() -> None:
    state = branch()
    assert state.resources == ("treasury", "group:G1")
    assert state.processes == ("loan L-1", "loan L-2", "loan L-3", "prize G1 month 4")
    assert state.available == (5_000_000, 9_500_000)
    assert state.maximum[3] == (0, 9_000_000)
    assert state.allocation[0] == (6_000_000, 0)
    assert safe_sequence(state) == (0, 1, 2, 3)


def test_branch_refuses_a_disbursement_that_would_strand_open_loans() -> None:
    outcome = branch_request(branch(), "loan L-3", {"treasury": 4_000_000})
    assert (outcome.granted, outcome.code) == (False, "unsafe_state")
    assert outcome.reason == (
        "granting ₹40,000.00 from treasury to loan L-3 would leave the branch unable to "
        "guarantee that every open commitment can still be paid in full; loan L-3 must "
        "wait until more is repaid or collected"
    )


def test_branch_grants_a_safe_disbursement_and_the_prize() -> None:
    small = branch_request(branch(), "loan L-3", {"treasury": 500_000})
    assert small.granted and small.new_state is not None
    assert small.new_state.available == (4_500_000, 9_500_000)
    prize = branch_request(small.new_state, "prize G1 month 4", {"group:G1": 9_000_000})
    assert prize.granted
    assert prize.reason.startswith("granted ₹90,000.00 from group:G1 to prize G1 month 4;")


def test_branch_repayment_frees_cash_for_the_next_disbursement() -> None:
    state = branch()
    l1 = state.processes.index("loan L-1")
    repaid = release(state, l1, pool_vector(state, {"treasury": 3_500_000}))
    assert repaid.available == (8_500_000, 9_500_000)
    assert need(repaid)[l1] == (4_000_000, 0)  # a repaid term loan is not drawn again
    assert branch_request(repaid, "loan L-3", {"treasury": 4_000_000}).granted


def test_branch_waits_when_cash_is_short() -> None:
    outcome = branch_request(branch(), "loan L-3", {"treasury": 6_000_000})
    assert outcome.code == "insufficient_available"
    assert outcome.reason == (
        "loan L-3 must wait: it asks for ₹60,000.00 from treasury but only "
        "₹50,000.00 from treasury and ₹95,000.00 from group:G1 is on hand"
    )


def test_one_name_across_pools_is_one_process() -> None:
    state = branch_loan_state(
        {"treasury": 100, "group:7": 100},
        [LoanClaim("loan X", "treasury", 50), LoanClaim("loan X", "group:7", 30, 10)],
    )
    assert state.maximum == ((50, 30),)
    assert state.allocation == ((0, 10),)
    assert branch_loan_state(100, []).resources == ("treasury",)


@pytest.mark.parametrize(
    ("cash", "loans", "code"),
    [
        ({"vault": 1}, [], "bad_pool"),
        ({"group:": 1}, [], "bad_pool"),
        (1, [LoanClaim("loan X", "group:1", 5)], "unknown_pool"),
        (9, [LoanClaim("loan X", "treasury", 5)] * 2, "duplicate_claim"),
        (-1, [], "bad_banker_state"),
    ],
)
def test_branch_mapping_refuses_bad_input(
    cash: int | dict[str, int], loans: list[LoanClaim], code: str
) -> None:
    with pytest.raises(RuleViolation) as caught:
        branch_loan_state(cash, loans)
    assert caught.value.code == code


def test_loan_claim_refuses_overdisbursement() -> None:
    with pytest.raises(RuleViolation) as caught:
        LoanClaim("loan X", "treasury", 5, 6)
    assert caught.value.code == "bad_banker_state"


def test_format_vector_names_only_nonzero_parts() -> None:
    assert format_vector(silberschatz(), (1, 0, 2)) == "1 A and 2 C"
    assert format_vector(branch(), (0, 0), BRANCH_WORDING) == "₹0.00 from treasury"


# --- properties --------------------------------------------------------------------


@st.composite
def states(draw: st.DrawFn, processes_max: int = 6) -> BankerState:
    count = draw(st.integers(0, processes_max))
    width = draw(st.integers(1, 3))
    cell = st.integers(0, 8)
    maximum = tuple(tuple(draw(cell) for _ in range(width)) for _ in range(count))
    allocation = tuple(tuple(draw(st.integers(0, c)) for c in row) for row in maximum)
    available = tuple(draw(cell) for _ in range(width))
    return BankerState(available, maximum, allocation)


@given(states())
def test_safe_sequence_matches_the_textbook_scan(state: BankerState) -> None:
    assert safe_sequence(state) == reference_sequence(state)


@given(states())
def test_safe_sequence_is_a_permutation_that_runs_to_completion(state: BankerState) -> None:
    order = safe_sequence(state)
    if order is not None:
        assert runs_to_completion(state, order)


@settings(max_examples=200)
@given(states(processes_max=5))
def test_none_only_when_no_order_at_all_completes(state: BankerState) -> None:
    # Greedy completeness: if any order works, the scan finds one.
    some_order_works = any(
        runs_to_completion(state, order)
        for order in itertools.permutations(range(len(state.maximum)))
    )
    assert (safe_sequence(state) is not None) == some_order_works


@given(states(), st.data())
def test_granted_states_are_safe_and_conserve_resources(
    state: BankerState, data: st.DataObject
) -> None:
    if not state.maximum:
        return
    process = data.draw(st.integers(0, len(state.maximum) - 1))
    req = tuple(data.draw(st.integers(0, 4)) for _ in state.available)
    outcome = request(state, process, req)
    if not outcome.granted:
        assert outcome.new_state is None
        if outcome.code == "unsafe_state":  # refused only because the result is unsafe
            forced = BankerState(
                available=tuple(a - r for a, r in zip(state.available, req, strict=True)),
                maximum=state.maximum,
                allocation=tuple(
                    tuple(h + r for h, r in zip(row, req, strict=True)) if i == process else row
                    for i, row in enumerate(state.allocation)
                ),
            )
            assert not is_safe(forced)
        return
    assert outcome.new_state is not None
    assert is_safe(outcome.new_state)

    def total(s: BankerState) -> list[int]:
        return [s.available[j] + sum(row[j] for row in s.allocation) for j in range(len(req))]

    assert total(outcome.new_state) == total(state)
