"""The table of entry kinds: who may write each, whether it is coordinated, its reducer.

This is the documented role -> kinds table of wal-v1 §5 (docs/roles.md is
generated from it). The fold rejects an entry whose author's role is not listed
for its kind; a verifier reports it as `unauthorised`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from chitnode.domain.state import Change, State
from chitnode.log.entry import Entry

ROLES = ("admin", "foreman", "employee", "member", "auditor")
STAFF = frozenset({"admin", "foreman", "employee"})
MANAGERS = frozenset({"admin", "foreman"})
ADMIN = frozenset({"admin"})

# Modules that register kinds; chit and money kinds join as they land.
KIND_MODULES: tuple[str, ...] = ("chitnode.domain.kernel_kinds",)

Reducer = Callable[[State, Entry], list[Change]]


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: str
    roles: frozenset[str]
    reducer: Reducer
    coordinated: bool
    summary: str


REGISTRY: dict[str, KindSpec] = {}


def kind(
    name: str, roles: frozenset[str], *, coordinated: bool = False, summary: str = ""
) -> Callable[[Reducer], Reducer]:
    """Register a reducer for `name`; a second registration of one kind is a bug."""

    def register(reducer: Reducer) -> Reducer:
        if name in REGISTRY:
            raise AssertionError(f"kind registered twice: {name}")
        doc = summary or (reducer.__doc__ or "").strip().splitlines()[0]
        REGISTRY[name] = KindSpec(name, roles, reducer, coordinated, doc)
        return reducer

    return register


def load_all() -> dict[str, KindSpec]:
    """Import every module that registers kinds, and return the table."""
    for module in KIND_MODULES:  # each registers its kinds on import
        importlib.import_module(module)
    return REGISTRY


def role_allows(role: str, kind_name: str) -> bool:
    spec = load_all().get(kind_name)
    return spec is not None and role in spec.roles
