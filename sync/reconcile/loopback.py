"""Two sessions talking in memory, every message through the codec: for tests and benches.

A transport with nothing to say about faults: frames are delivered in order, once.
The simulation (tests/sync/test_reconcile_sim.py) brings its own faulty network.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from sync import limits
from sync.reconcile.core import Reconciler
from sync.reconcile.messages import decode, encode


def converse(
    left: Reconciler,
    right: Reconciler,
    *,
    observe: Callable[[Reconciler, bytes], None] | None = None,
) -> int:
    """Start both sessions and deliver frames in order until neither has anything to send.

    `observe(receiver, frame)` sees each frame before it is delivered. Returns the
    number of frames delivered.
    """
    queue: deque[tuple[Reconciler, bytes]] = deque()
    queue.extend((right, encode(m)) for m in left.start())
    queue.extend((left, encode(m)) for m in right.start())
    delivered = 0
    while queue:
        receiver, frame = queue.popleft()
        if observe is not None:
            observe(receiver, frame)
        sender = left if receiver is right else right
        queue.extend((sender, encode(m)) for m in receiver.receive(decode(frame)))
        delivered += 1
        if delivered > limits.LOOPBACK_FRAMES_MAX:
            raise AssertionError(
                f"sessions still talking after {limits.LOOPBACK_FRAMES_MAX} frames"
            )
    return delivered
