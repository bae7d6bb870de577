"""Child process for the crash test: append forever, print each acknowledged entry.

A line `ACK seq hash` is printed only after `submit` returned, i.e. after COMMIT:
exactly what a user would have been shown as saved.
"""

from __future__ import annotations

import sys

from chitnode.node.node import Command, Node


def main(data_dir: str, batch: int) -> None:
    node = Node.open(data_dir)
    print("READY", flush=True)
    i = 0
    while True:  # bounded by the parent, which kills this process
        i += 1
        commands = [
            Command(
                "device.enrolled",
                {"key": f"{(i << 20) + j:064x}", "role": "member", "name": f"member {i}.{j}"},
            )
            for j in range(batch)
        ]
        receipts = node.submit_many(commands)
        for r in receipts:
            print(f"ACK {r.seq} {r.hash}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
