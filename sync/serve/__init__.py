"""`chitnode serve`: one process runs a node on the network until SIGINT/SIGTERM.

- runtime.py: the asyncio loop, the node thread, `<data>/serve.json`, clean shutdown.
- control.py: the local control endpoint (a Unix socket, 0600, in the data folder)
  through which the other commands reach the running node instead of its writer lock.
- guard.py: the restored-backup guard (ask peers for this device's own feed first).
- cli.py: the `serve`, `submit` and `peers` subcommands and `status`'s sync lines.
"""
