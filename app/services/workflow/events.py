"""Facts the workflow reports, and who listens (STYLE.md §1-2).

An event is a small dataclass of plain values, named as something that happened. `transition()`
emits it inside its transaction, after the status and the `UsulanEvent` row are written; each
subscriber runs there too, so what it writes (a `Pesan`) exists exactly when the transition does,
and it defers side effects (SMTP) with `transaction.after_commit`. The workflow imports no
subscriber: `services.notification.register_handlers()` subscribes at app start-up.
"""

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class UsulanFinished:
    """Every level verified the submission and it was applied to the official record."""

    usulan_id: int


@dataclass(frozen=True)
class UsulanReturned:
    """A verifier returned the submission, or Helpdesk/Admin turned its status down, to draft."""

    usulan_id: int
    reason: str | None


_handlers: dict[type, list[Callable]] = {}


def subscribe(event_type: type, handler: Callable) -> None:
    """Call `handler(session, event)` for every `event_type` emitted; subscribing twice is one."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def emit(session, event) -> None:
    """Run the subscribers of `event` in the caller's transaction (an exception rolls it back)."""
    for handler in _handlers.get(type(event), ()):
        handler(session, event)
