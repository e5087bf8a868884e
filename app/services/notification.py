"""Messages to the PNS about his submission: in the app (Pesan) and by mail (outbox/SMTP).

`notify_*` add rows in the caller's transaction (the workflow's), so a message exists exactly
when the transition it reports does; `deliver()` tries SMTP after that transaction committed.
"""

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..models import utcnow
from ..models.notification import Pesan
from ..models.submission import Usulan, UsulanItem
from . import links, mail, registration, transaction
from .workflow import events
from .workflow.catalogue import SECTION_LABELS

PAGE_SIZE = 50


def _owner(session, pegawai_id):
    """The PNS account of the Pegawai: never a staff account that names the same person."""
    return registration.pns_account_of(session, pegawai_id)


def _link():
    return links.external_url("MyDataView.index")


def notify_submission(session, usulan, kind: str, reason: str | None = None):
    """Tell the PNS that his submission was returned (with the verifier's reason and the items
    found not matching) or finished. Returns the queued OutboxMail, or None when the Pegawai
    has no account or no email (the in-app message is written whenever he has an account)."""
    owner = _owner(session, usulan.pegawai_id)
    if owner is None:
        return None
    # Messages are stored and mailed in Indonesian, whatever language the verifier's page uses.
    with force_locale("id"):
        if kind == Pesan.KIND_RETURNED:
            subject = _("Your data update was returned for correction")
            lines = [
                _("Your data update submission was returned to your draft."),
                _("Reason: %(reason)s", reason=reason or "-"),
            ]
            for item in usulan.items:
                if item.verdict == UsulanItem.TIDAK_SESUAI:
                    why = " — ".join(filter(None, [str(item.verdict_reason_label or ""), item.verdict_note]))
                    lines.append(f"- {SECTION_LABELS[item.section]}: {why}")
            lines.append(_("Correct the marked items, review the sections and send again: %(link)s", link=_link()))
        else:
            subject = _("Your data update is complete")
            lines = [
                _("Every level has verified your data update submission; your official record now holds the changes."),
                _("See your data and its history: %(link)s", link=_link()),
            ]
        body = "\n".join(lines)
    session.add(
        Pesan(user_id=owner.id, usulan_id=usulan.id, kind=kind, subject=subject, body=body, created_at=utcnow())
    )
    address = registration.contact_email(session, usulan.pegawai_id)
    if not address:
        return None
    return mail.queue(session, address, subject, body)


def deliver(session, outgoing) -> None:
    """Try SMTP for a message queued by notify_submission (after its transaction committed)."""
    if outgoing is not None:
        mail.deliver(session, outgoing)


def _tell_owner(session, usulan_id: int, kind: str, reason: str | None = None) -> None:
    outgoing = notify_submission(session, session.get(Usulan, usulan_id), kind, reason)
    if outgoing is not None:
        transaction.after_commit(session, lambda: deliver(session, outgoing))


def _on_finished(session, event: events.UsulanFinished) -> None:
    _tell_owner(session, event.usulan_id, Pesan.KIND_FINISHED)


def _on_returned(session, event: events.UsulanReturned) -> None:
    _tell_owner(session, event.usulan_id, Pesan.KIND_RETURNED, event.reason)


def register_handlers() -> None:
    """Subscribe the PNS's messages to the workflow's events (the app factory calls it once)."""
    events.subscribe(events.UsulanFinished, _on_finished)
    events.subscribe(events.UsulanReturned, _on_returned)


def unread_count(session, user_id: int) -> int:
    """Unread messages of one user (the badge in the top bar)."""
    return session.scalar(select(func.count(Pesan.id)).where(Pesan.user_id == user_id, Pesan.read_at.is_(None))) or 0


def messages_of(session, user_id: int, limit: int = PAGE_SIZE) -> list[Pesan]:
    """A user's latest messages, newest first."""
    return session.scalars(select(Pesan).where(Pesan.user_id == user_id).order_by(Pesan.id.desc()).limit(limit)).all()


def mark_read(session, user_id: int) -> int:
    """Mark every message of the user read; returns how many changed. One unit of work
    (commutes: tabs marking at once end with every message read)."""
    return transaction.run_in_transaction(
        session,
        lambda: (
            session.execute(
                update(Pesan).where(Pesan.user_id == user_id, Pesan.read_at.is_(None)).values(read_at=utcnow())
            ).rowcount
        ),
    )
