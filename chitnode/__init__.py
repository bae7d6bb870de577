"""chitnode kernel: signed hash-chained log, SQLite store, deterministic fold.

This package imports neither `ui` nor `sync` (DESIGN.md, layers).
"""

__version__ = "0.1.0"
