"""The workflow reports facts (services/workflow/events.py); the PNS's messages subscribe to them."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Jadwal, Pesan, Usulan
from app.roles import ROLE_PNS, ROLE_VERIFIKATOR_SKPD
from app.services import workflow
from app.services.workflow import KEMBALIKAN, events

from .helpers import set_phase
from .test_workflow import drive, draft_with


def test_a_subscriber_hears_each_event_once_however_often_it_subscribed(monkeypatch):
    monkeypatch.setattr(events, "_handlers", {})
    heard = []
    handler = lambda session, event: heard.append((session, event))  # noqa: E731
    events.subscribe(events.UsulanReturned, handler)
    events.subscribe(events.UsulanReturned, handler)
    events.emit("session", events.UsulanReturned(usulan_id=7, reason="BTS"))
    events.emit("session", events.UsulanFinished(usulan_id=7))  # nobody listens: nothing happens
    assert heard == [("session", events.UsulanReturned(usulan_id=7, reason="BTS"))]


def test_a_failing_subscriber_rolls_the_transition_back_with_its_message(world, monkeypatch):
    """Subscribers run inside the transition's transaction: no return without its message."""
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    pns = world["users"][ROLE_PNS]

    def broken(session, event):
        raise RuntimeError("subscriber failed")

    monkeypatch.setitem(events._handlers, events.UsulanReturned, [*events._handlers[events.UsulanReturned], broken])
    with pytest.raises(RuntimeError):
        workflow.transition(
            db.session, world["users"][ROLE_VERIFIKATOR_SKPD], usulan.id, KEMBALIKAN, reason="Lengkapi berkas SK"
        )
    db.session.rollback()
    assert db.session.get(Usulan, usulan.id).status == Usulan.DI_SKPD
    assert db.session.scalars(select(Pesan).where(Pesan.user_id == pns.id)).all() == []
