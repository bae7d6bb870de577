"""Dijkstra's Banker's algorithm over several resources, and its mapping onto a branch.

Pure: a `BankerState` in, a verdict or a new state out. The branch mapping
(`branch_loan_state`) and its rationale are in docs/bankers.md: resources are
funding pools ("treasury" and each "group:<id>"), processes are open loans and
prize commitments, maximum claim = sanctioned amount, allocation = disbursed so
far, available = cash on hand in each pool.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from chitnode.domain import limits
from chitnode.domain.money import format_inr, require_paise
from chitnode.errors import RuleViolation

TREASURY_POOL = "treasury"
GROUP_POOL_PREFIX = "group:"

Vector = tuple[int, ...]
Matrix = tuple[Vector, ...]


def _bad(message: str) -> RuleViolation:
    return RuleViolation(message, code="bad_banker_state")


def _check_vector(vector: object, width: int, what: str) -> None:
    if not isinstance(vector, tuple) or len(vector) != width:
        raise _bad(f"{what} must be a tuple of {width} amounts")
    for value in vector:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _bad(f"{what} must hold non-negative integers, got {value!r}")


def _check_names(names: tuple[str, ...], count: int, what: str) -> None:
    if not names:
        return
    if len(names) != count or len(set(names)) != count:
        raise _bad(f"{what} names must be {count} distinct strings")
    if not all(isinstance(name, str) and name for name in names):
        raise _bad(f"{what} names must be non-empty strings")


@dataclass(frozen=True, slots=True)
class BankerState:
    """Available vector, maximum-claim and allocation matrices (process x resource).

    `processes` and `resources` optionally name the rows and columns for people;
    when empty, rows read "P0", "P1", ... and columns "R0", "R1", ...
    """

    available: Vector
    maximum: Matrix
    allocation: Matrix
    processes: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    # Cash on hand already promised to commitments that never give back (unpaid
    # prizes): not in `available`, kept only to word a refusal. Empty: none.
    reserved: Vector = ()

    def __post_init__(self) -> None:
        width = len(self.available) if isinstance(self.available, tuple) else 0
        if not 1 <= width <= limits.BANKERS_RESOURCES_MAX:
            raise _bad(f"available must be a tuple of 1..{limits.BANKERS_RESOURCES_MAX} amounts")
        _check_vector(self.available, width, "available")
        if self.reserved:
            _check_vector(self.reserved, width, "reserved")
        for matrix, what in ((self.maximum, "maximum"), (self.allocation, "allocation")):
            if not isinstance(matrix, tuple) or len(matrix) > limits.BANKERS_PROCESSES_MAX:
                raise _bad(f"{what} must be a tuple of at most {limits.BANKERS_PROCESSES_MAX} rows")
            for index, row in enumerate(matrix):
                _check_vector(row, width, f"{what} row {index}")
        if len(self.maximum) != len(self.allocation):
            raise _bad("maximum and allocation must have one row per process")
        for index, (claim, held) in enumerate(zip(self.maximum, self.allocation, strict=True)):
            if any(h > c for h, c in zip(held, claim, strict=True)):
                raise _bad(f"{process_name(self, index)} holds more than its maximum claim")
        _check_names(self.processes, len(self.maximum), "process")
        _check_names(self.resources, width, "resource")


def process_name(state: BankerState, process: int) -> str:
    """The display name of row `process`."""
    return state.processes[process] if state.processes else f"P{process}"


def resource_name(state: BankerState, resource: int) -> str:
    """The display name of column `resource`."""
    return state.resources[resource] if state.resources else f"R{resource}"


def need(state: BankerState) -> Matrix:
    """Need = maximum - allocation: what each process may still ask for."""
    return tuple(
        tuple(c - h for c, h in zip(claim, held, strict=True))
        for claim, held in zip(state.maximum, state.allocation, strict=True)
    )


def _column_order(needs: Matrix, resource: int) -> list[int]:
    return sorted(range(len(needs)), key=lambda process: needs[process][resource])


def safe_sequence(state: BankerState) -> tuple[int, ...] | None:
    """A safe order of process indices, or None if the state is unsafe.

    Deterministic: each step runs the lowest-index process whose need fits in
    the work vector. Work only grows, so a process that fits stays fitting; each
    column is therefore scanned once in need order and fitting processes wait in
    a min-heap: O(n·m·log n) instead of the textbook O(n²·m), same sequence.
    """
    needs = need(state)
    count, width = len(needs), len(state.available)
    work = list(state.available)
    orders = [_column_order(needs, j) for j in range(width)]
    cursors = [0] * width
    fitting_columns = [0] * count
    ready: list[int] = []
    sequence: list[int] = []
    while True:
        for j in range(width):
            order = orders[j]
            while cursors[j] < count and needs[order[cursors[j]]][j] <= work[j]:
                process = order[cursors[j]]
                fitting_columns[process] += 1
                if fitting_columns[process] == width:
                    heapq.heappush(ready, process)
                cursors[j] += 1
        if not ready:
            break
        process = heapq.heappop(ready)
        sequence.append(process)
        # The process finishes and hands back everything it holds.
        work = [w + h for w, h in zip(work, state.allocation[process], strict=True)]
    return tuple(sequence) if len(sequence) == count else None


def is_safe(state: BankerState) -> bool:
    """True when some order lets every process obtain its maximum claim and finish."""
    return safe_sequence(state) is not None


def _plain_amount(amount: int, resource: str) -> str:
    return f"{amount} {resource}"


def _branch_amount(amount_paise: int, pool: str) -> str:
    return f"{format_inr(amount_paise)} from {pool}"


@dataclass(frozen=True, slots=True)
class Wording:
    """How reasons read: who holds the resources, how an amount is written, what to wait for."""

    holder: str = "the system"
    amount: Callable[[int, str], str] = _plain_amount
    wait_for: str = "others release what they hold"


PLAIN_WORDING = Wording()
BRANCH_WORDING = Wording(
    holder="the branch",
    amount=_branch_amount,
    wait_for="more is repaid or collected",
)


def format_vector(state: BankerState, vector: Vector, wording: Wording = PLAIN_WORDING) -> str:
    """A vector for people, naming only its non-zero parts ("₹5,000.00 from treasury")."""
    parts = [
        wording.amount(value, resource_name(state, j)) for j, value in enumerate(vector) if value
    ]
    return " and ".join(parts) if parts else wording.amount(0, resource_name(state, 0))


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    """The verdict on one request; `code` is stable, `reason` is for the employee."""

    granted: bool
    new_state: BankerState | None
    reason: str
    code: str


def _check_request(state: BankerState, process: int, req: Vector) -> None:
    if isinstance(process, bool) or not isinstance(process, int):
        raise RuleViolation("process must be a row index", code="bad_banker_request")
    if not 0 <= process < len(state.maximum):
        raise RuleViolation(f"no process {process} in this state", code="bad_banker_request")
    try:
        _check_vector(req, len(state.available), "request")
    except RuleViolation as error:
        raise RuleViolation(error.message, code="bad_banker_request") from None


def _with_request(state: BankerState, process: int, req: Vector) -> BankerState:
    allocation = list(state.allocation)
    allocation[process] = tuple(h + r for h, r in zip(allocation[process], req, strict=True))
    return BankerState(
        available=tuple(a - r for a, r in zip(state.available, req, strict=True)),
        maximum=state.maximum,
        allocation=tuple(allocation),
        processes=state.processes,
        resources=state.resources,
        reserved=state.reserved,
    )


def request(
    state: BankerState, process: int, req: Vector, wording: Wording = PLAIN_WORDING
) -> RequestOutcome:
    """Grant `req` to `process` only if it is within its claim, on hand, and leaves a safe state."""
    _check_request(state, process, req)
    name, asked = process_name(state, process), format_vector(state, req, wording)
    remaining = need(state)[process]
    if any(r > n for r, n in zip(req, remaining, strict=True)):
        reason = (
            f"{name} asked for {asked}, more than the "
            f"{format_vector(state, remaining, wording)} left of its sanctioned maximum"
        )
        return RequestOutcome(False, None, reason, "request_exceeds_claim")
    reserved = state.reserved or (0,) * len(req)
    if any(a < r <= a + held for r, a, held in zip(req, state.available, reserved, strict=True)):
        held_back = format_vector(state, reserved, wording)
        reason = (
            f"{name} must wait: it asks for {asked}, which would eat into the {held_back} "
            "held for declared prizes not yet paid (a prize is paid once and never comes back) "
            "or for dues paid ahead of their month (s.14: not to be lent)"
        )
        return RequestOutcome(granted=False, new_state=None, reason=reason, code="prize_reserved")
    if any(r > a for r, a in zip(req, state.available, strict=True)):
        on_hand = format_vector(state, state.available, wording)
        reason = f"{name} must wait: it asks for {asked} but only {on_hand} is on hand"
        return RequestOutcome(False, None, reason, "insufficient_available")
    candidate = _with_request(state, process, req)
    order = safe_sequence(candidate)
    if order is None:
        reason = (
            f"granting {asked} to {name} would leave {wording.holder} unable to guarantee "
            f"that every open commitment can still be paid in full; "
            f"{name} must wait until {wording.wait_for}"
        )
        return RequestOutcome(False, None, reason, "unsafe_state")
    names = [process_name(candidate, p) for p in order[: limits.BANKERS_REASON_NAMES_MAX]]
    more = ", ..." if len(order) > limits.BANKERS_REASON_NAMES_MAX else ""
    reason = (
        f"granted {asked} to {name}; every open commitment can still be paid in full "
        f"(for example in the order {', '.join(names)}{more})"
    )
    return RequestOutcome(True, candidate, reason, "granted")


def release(
    state: BankerState, process: int, amounts: Vector, *, reduce_claim: bool = True
) -> BankerState:
    """Return `amounts` held by `process` to available (a loan repaying principal).

    With `reduce_claim` (the loan case) the maximum claim shrinks too: a repaid
    term loan is not drawn again, so the branch must not keep cash back for it.
    """
    _check_request(state, process, amounts)
    held = state.allocation[process]
    if any(a > h for a, h in zip(amounts, held, strict=True)):
        raise RuleViolation(
            f"{process_name(state, process)} cannot return more than it holds",
            code="release_exceeds_allocation",
        )
    allocation, maximum = list(state.allocation), list(state.maximum)
    allocation[process] = tuple(h - a for h, a in zip(held, amounts, strict=True))
    if reduce_claim:
        claim = maximum[process]
        maximum[process] = tuple(c - a for c, a in zip(claim, amounts, strict=True))
    return BankerState(
        available=tuple(v + a for v, a in zip(state.available, amounts, strict=True)),
        maximum=tuple(maximum),
        allocation=tuple(allocation),
        processes=state.processes,
        resources=state.resources,
        reserved=state.reserved,
    )


@dataclass(frozen=True, slots=True)
class LoanClaim:
    """One commitment against one pool: a loan or a prize, sanctioned and disbursed so far.

    `name` is what the employee reads ("loan L-17", "prize G1 month 4"); several
    claims with one name form one process drawing on several pools. `releases`
    is False for a prize: it is paid once and never given back, so it is not a
    Banker's process that finishes and releases; what it still needs is held
    back from the pool's cash instead (`branch_loan_state`, docs/bankers.md).
    """

    name: str
    pool: str
    sanctioned_paise: int
    disbursed_paise: int = 0
    releases: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise RuleViolation("a commitment needs a name", code="bad_banker_state")
        _check_pool(self.pool)
        require_paise(self.sanctioned_paise, field="sanctioned_paise", positive=False)
        require_paise(self.disbursed_paise, field="disbursed_paise", positive=False)
        if self.disbursed_paise > self.sanctioned_paise:
            raise RuleViolation(
                f"{self.name}: disbursed {format_inr(self.disbursed_paise)} is more than "
                f"sanctioned {format_inr(self.sanctioned_paise)}",
                code="bad_banker_state",
            )


def _check_pool(pool: object) -> str:
    valid = isinstance(pool, str) and (
        pool == TREASURY_POOL
        or (pool.startswith(GROUP_POOL_PREFIX) and len(pool) > len(GROUP_POOL_PREFIX))
    )
    if not valid:
        raise RuleViolation(
            f"pool must be {TREASURY_POOL!r} or '{GROUP_POOL_PREFIX}<id>', got {pool!r}",
            code="bad_pool",
        )
    return str(pool)


def _pool_order(pools: Sequence[str]) -> tuple[str, ...]:
    # Treasury first, then groups by id, so every node builds the same columns.
    return tuple(sorted(pools, key=lambda pool: (pool != TREASURY_POOL, pool)))


def _claim_rows(
    loans: Sequence[LoanClaim], column: Mapping[str, int]
) -> tuple[list[str], list[list[int]], list[list[int]]]:
    rows: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    maximum: list[list[int]] = []
    allocation: list[list[int]] = []
    for loan in loans:
        if not loan.releases:
            continue  # held back from available by branch_loan_state, not a row
        if loan.pool not in column:
            raise RuleViolation(f"{loan.name}: no cash figure for {loan.pool}", code="unknown_pool")
        if (loan.name, loan.pool) in seen:
            raise RuleViolation(
                f"{loan.name} appears twice for {loan.pool}", code="duplicate_claim"
            )
        seen.add((loan.name, loan.pool))
        if loan.name not in rows:
            rows[loan.name] = len(rows)
            maximum.append([0] * len(column))
            allocation.append([0] * len(column))
        row, j = rows[loan.name], column[loan.pool]
        maximum[row][j], allocation[row][j] = loan.sanctioned_paise, loan.disbursed_paise
    return list(rows), maximum, allocation


def branch_loan_state(
    available_paise: int | Mapping[str, int], loans: Sequence[LoanClaim]
) -> BankerState:
    """Build the branch's Banker state: one column per funding pool, one row per commitment.

    `available_paise` is cash on hand per pool (an int means the treasury alone).
    Rows keep the order of first appearance in `loans` (pass them in sanction
    order); it only breaks ties in `safe_sequence`, never changes safety.
    Repaid principal goes back to available with `release`, which also shrinks
    the claim, so a repaying loan frees cash for the next sanction.
    Commitments that never give back (`releases=False`: unpaid prizes) are not
    rows: what they still need is reserved, taken out of their pool's available
    (first promised, first paid), as `payout_safe` does for a payout, so no loan
    can take the cash a declared prize is owed.
    """
    cash = {TREASURY_POOL: available_paise} if isinstance(available_paise, int) else available_paise
    pools = _pool_order([_check_pool(pool) for pool in cash])
    names, maximum, allocation = _claim_rows(loans, {pool: j for j, pool in enumerate(pools)})
    promised = dict.fromkeys(pools, 0)
    for claim in loans:
        if not claim.releases:
            if claim.pool not in promised:
                raise RuleViolation(f"{claim.name}: no cash for {claim.pool}", code="unknown_pool")
            promised[claim.pool] += claim.sanctioned_paise - claim.disbursed_paise
    reserved = tuple(min(cash[pool], promised[pool]) for pool in pools)
    return BankerState(
        available=tuple(cash[pool] - held for pool, held in zip(pools, reserved, strict=True)),
        maximum=tuple(tuple(row) for row in maximum),
        allocation=tuple(tuple(row) for row in allocation),
        processes=tuple(names),
        resources=pools,
        reserved=reserved if any(reserved) else (),
    )


def pool_vector(state: BankerState, amounts_paise: Mapping[str, int]) -> Vector:
    """A request or release vector from {pool: paise}; unnamed pools are zero."""
    unknown = set(amounts_paise) - set(state.resources)
    if unknown:
        raise RuleViolation(f"unknown pools: {', '.join(sorted(unknown))}", code="unknown_pool")
    return tuple(amounts_paise.get(pool, 0) for pool in state.resources)


def branch_request(
    state: BankerState, name: str, amounts_paise: Mapping[str, int]
) -> RequestOutcome:
    """`request` by commitment name and {pool: paise}, worded for a branch employee."""
    if name not in state.processes:
        raise RuleViolation(f"no open commitment named {name!r}", code="bad_banker_request")
    vector = pool_vector(state, amounts_paise)
    return request(state, state.processes.index(name), vector, BRANCH_WORDING)
