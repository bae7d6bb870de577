"""Where a node's data folder is, for every entry point (the CLI, sync's commands, the app)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "CHITNODE_DATA"


def data_folder(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`explicit`, else $CHITNODE_DATA, else $XDG_DATA_HOME/chitnode, else ~/.local/share/..."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chitnode"
