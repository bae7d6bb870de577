"""Events built by hand for the notification and mail tests (one shape, one place)."""

from __future__ import annotations

from chitnode.services.events import Event
from tests.support.clock import T0_MS


def event(kind: str, members: tuple[str, ...], amount: int, **extra: object) -> Event:
    fields: dict[str, object] = {"status": "applied", "code": "", "hash": "h" * 64, **extra}
    return Event(
        kind=kind,
        hash=str(fields.pop("hash")),
        author="a" * 64,
        seq=int(str(fields.pop("seq", 1))),
        ts_ms=T0_MS,
        status=str(fields.pop("status")),
        code=str(fields.pop("code")),
        members=members,
        amount_paise=amount,
        **fields,  # type: ignore[arg-type]
    )
