"""Child process for the network-namespace tests: one `Discovery` on the namespace's network.

    python -m tests.system.mdns_worker BRANCH_ID DEVICE_KEY PORT

Prints one JSON object per line: `{"ready": fingerprint}` once started, `{"found":
fingerprint, "hosts": [...], "port": n}` for each hint, and `{"status": {...}}` after
each `status` line read on stdin. Stops (goodbye packets, sockets closed) and exits 0
when stdin closes; the parent kills it by pid if it does not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from sync.discovery.mdns import Discovery, PeerHint


def say(obj: object) -> None:
    print(json.dumps(obj), flush=True)


def found(hint: PeerHint) -> None:
    say({"found": hint.fingerprint, "hosts": list(hint.hosts), "port": hint.port})


async def main(branch_id: str, device_key: str, port: int) -> None:
    discovery = Discovery(branch_id, device_key, port, found)
    await discovery.start()
    say({"ready": discovery.fingerprint})
    loop = asyncio.get_running_loop()
    try:
        while True:  # bounded by the parent: it closes stdin or kills this process
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            if line.strip() == "status":
                say({"status": dataclasses.asdict(discovery.status())})
    finally:
        await discovery.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
