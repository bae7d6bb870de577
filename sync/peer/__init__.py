"""The aiohttp shell over the reconciliation core: server, sessions, links (docs/sync.md)."""
