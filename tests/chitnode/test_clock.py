import re
import time

from chitnode.clock import new_id


def test_ids_are_32_hex_digits_and_unique() -> None:
    ids = [new_id() for _ in range(2_000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_ids_made_later_sort_later() -> None:
    # the ms prefix orders ids across milliseconds; within one they are random
    first = new_id()
    time.sleep(0.002)
    assert new_id() > first
