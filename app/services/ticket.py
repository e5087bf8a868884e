"""Helpdesk tickets ("Laporkan data tidak sesuai"): filing, routing, scope, claiming, resolving.

A ticket about a NIP the BKN database knows goes to the inbox of that Pegawai's instansi
(`Tiket.instansi_id`); any other ticket goes to the national Helpdesk (`instansi_id` NULL).
Each public function that changes something is one transaction, with an audit entry.
"""

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select, true

from ..models import Pegawai, utcnow
from ..models.ticket import Tiket
from ..models.user import PupnsUser
from ..roles import ROLE_ADMIN, ROLE_HELPDESK, ROLE_VERIFIKATOR_INSTANSI
from . import audit, documents, registration, rules, scope, transaction
from .registration import NOMOR_ALPHABET

# "T" + 10 random Crockford base32 characters (50 bits): printable, not guessable.
NOMOR_PREFIX = "T"
NOMOR_RANDOM_LENGTH = 10

CATEGORY_LABELS = {
    Tiket.KATEGORI_BEDA_NAMA: _l("Different name"),
    Tiket.KATEGORI_BEDA_INSTANSI: _l("Different instansi"),
    Tiket.KATEGORI_TIDAK_ADA: _l("Not in the database"),
    Tiket.KATEGORI_PENSIUN: _l("Retired / stopped data"),
    Tiket.KATEGORI_REFERENSI: _l("Reference not found"),
    Tiket.KATEGORI_TURUN_STATUS: _l("Status rollback"),
    Tiket.KATEGORI_LAINNYA: _l("Other"),
}
STATUSES = (Tiket.STATUS_BARU, Tiket.STATUS_DIPROSES, Tiket.STATUS_SELESAI)
STATUS_LABELS = {
    Tiket.STATUS_BARU: _l("New"),
    Tiket.STATUS_DIPROSES: _l("In progress"),
    Tiket.STATUS_SELESAI: _l("Resolved"),
}
# Roles that may reset a registration while resolving a ticket (DESIGN.md §1).
RESET_ROLES = (ROLE_ADMIN, ROLE_HELPDESK)


class TicketRefused(ValueError):
    """The ticket action cannot be done; `message` says why, for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def category_label(kategori: str) -> str:
    return str(CATEGORY_LABELS.get(kategori, kategori or ""))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status or ""))


def nip_problem(kategori: str | None, nip: str | None):
    """Why `nip` cannot go with a ticket of `kategori` (a message), or None.

    The NIP may be left out only for "tidak ada di database" (the PNS may not know it,
    or it is the very thing missing); when given it must be 18 ASCII digits."""
    nip = (nip or "").strip()
    if not nip:
        if kategori == Tiket.KATEGORI_TIDAK_ADA:
            return None
        return _l('The NIP is required, except for the category "not in the database".')
    if not rules.is_ascii_digits(nip, 18):
        return _l("A NIP has exactly 18 digits.")
    return None


def _new_nomor(session) -> str:
    while True:
        nomor = NOMOR_PREFIX + "".join(secrets.choice(NOMOR_ALPHABET) for _ in range(NOMOR_RANDOM_LENGTH))
        # A collision is practically impossible (2^50), but costs nothing to rule out.
        if session.scalar(select(Tiket.id).where(Tiket.nomor == nomor)) is None:
            return nomor


def normalise_nomor(value: str | None) -> str:
    """A ticket number as typed or printed (any case, spaces or dashes)."""
    return "".join(ch for ch in (value or "").upper() if ch.isascii() and ch.isalnum())


def create(
    session, *, kategori, nip, nama, detail, email, nomor_sk=None, tanggal_sk=None, upload=None, reporter=None
) -> Tiket:
    """File a ticket and route it; store its attachment (`upload`, a FileStorage or None).

    Raises TicketRefused for bad fields and documents.UploadRejected for a bad file; in
    both cases nothing is stored."""
    if kategori not in Tiket.CATEGORIES:
        raise TicketRefused(_l("Choose a category."))
    problem = nip_problem(kategori, nip)
    if problem:
        raise TicketRefused(problem)
    nip = (nip or "").strip() or None
    nama, detail, email = (nama or "").strip(), (detail or "").strip(), (email or "").strip()
    if not nama or not detail or not email:
        raise TicketRefused(_l("Name, details and email are required."))
    stored = None
    if upload is not None and upload.filename:
        stored = documents.save_file(upload)
    try:
        pegawai = session.scalar(select(Pegawai).where(Pegawai.nip == nip)) if nip else None
        tiket = Tiket(
            nomor=_new_nomor(session),
            kategori=kategori,
            nip=nip,
            nama=nama,
            pegawai_id=pegawai.id if pegawai else None,
            # Known NIP: the instansi that keeps the record answers; else the national Helpdesk.
            instansi_id=pegawai.instansi_id if pegawai else None,
            detail=detail,
            nomor_sk=(nomor_sk or "").strip() or None,
            tanggal_sk=tanggal_sk,
            email=email,
            status=Tiket.STATUS_BARU,
            reporter_id=getattr(reporter, "id", None),
        )
        if stored is not None:
            tiket.lampiran_stored_name = stored.stored_name
            tiket.lampiran_original_name = stored.original_name
            tiket.lampiran_content_type = stored.content_type
            tiket.lampiran_size_bytes = stored.size_bytes
        session.add(tiket)
        session.flush()
        routed = f"instansi {tiket.instansi_id}" if tiket.instansi_id else "helpdesk"
        audit.record(
            session, "ticket.created", actor=reporter, target=tiket, detail=f"{tiket.nomor} {kategori} -> {routed}"
        )
        session.commit()
    except Exception:
        session.rollback()
        documents.discard(stored.stored_name if stored else None)
        raise
    return tiket


# --- who sees which tickets -----------------------------------------------------------------


def visible_clause(user):
    """SQL condition on Tiket for the tickets `user` may see and handle (ORed over roles):
    Admin all; Verifikator Instansi his instansi's; Helpdesk all, or with a Kanreg the
    tickets of its instansi plus the unrouted ones. Everybody else none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    clauses = []
    for role in (r.name for r in user.roles):
        if role == ROLE_ADMIN:
            return true()
        if role == ROLE_VERIFIKATOR_INSTANSI and user.instansi_id:
            clauses.append(Tiket.instansi_id == user.instansi_id)
        elif role == ROLE_HELPDESK:
            if user.kanreg_id is None:
                return true()
            # The same "instansi of his Kanreg" rule as for Pegawai records (services.scope).
            clauses.append(
                or_(
                    Tiket.instansi_id.is_(None),
                    Tiket.instansi_id.in_(scope._kanreg_instansi_ids(user.kanreg_id)),
                )
            )
    return or_(*clauses) if clauses else false()


def get_visible(session, user, tiket_id) -> Tiket | None:
    """The ticket if `user` may see it, else None (the caller answers 404)."""
    return session.scalar(select(Tiket).where(Tiket.id == tiket_id, visible_clause(user)))


def can_see(session, user, tiket: Tiket) -> bool:
    return get_visible(session, user, tiket.id) is not None


def list_visible(session, user, *, status=None, kategori=None, page=1, per_page=25):
    """(tickets, total) of the user's inbox, newest first; unknown filter values are ignored."""
    where = [visible_clause(user)]
    if status in STATUSES:
        where.append(Tiket.status == status)
    if kategori in Tiket.CATEGORIES:
        where.append(Tiket.kategori == kategori)
    total = session.scalar(select(func.count()).select_from(Tiket).where(*where))
    rows = session.scalars(
        select(Tiket)
        .where(*where)
        .order_by(Tiket.created_at.desc(), Tiket.id.desc())
        .limit(per_page)
        .offset(max(page - 1, 0) * per_page)
    ).all()
    return rows, total


def may_reset_registration(user) -> bool:
    """Only Helpdesk and Admin reset registrations (DESIGN.md §1)."""
    return any(r.name in RESET_ROLES for r in getattr(user, "roles", None) or [])


def live_registration_of(session, tiket: Tiket):
    """The pending or approved registration of the ticket's Pegawai, if any."""
    if tiket.pegawai_id is None:
        return None
    return registration.live_registration(session, tiket.pegawai_id)


# --- handling ---------------------------------------------------------------------------------


def _locked_visible(session, user, tiket: Tiket) -> Tiket:
    # Lock the row: two staff acting on one ticket at once act one after the other.
    locked = session.scalar(
        select(Tiket)
        .where(Tiket.id == tiket.id, visible_clause(user))
        .with_for_update()
        .execution_options(populate_existing=True)  # as committed now, not as read before
    )
    if locked is None:
        raise TicketRefused(_l("This ticket is outside your scope."))
    if locked.status == Tiket.STATUS_SELESAI:
        raise TicketRefused(_l("This ticket has already been resolved."))
    return locked


def claim(session, actor, tiket: Tiket) -> None:
    """The actor takes the ticket on: it is marked in progress and handled by him. Taking a
    ticket someone else took meanwhile is refused (naming him); taking it twice is one take."""

    def take():
        locked = _locked_visible(session, actor, tiket)
        if locked.handled_by_id == actor.id:
            return
        if locked.handled_by_id is not None:
            raise TicketRefused(
                _l(
                    "%(name)s has just taken this ticket on; reload the page to see it.",
                    name=session.get(PupnsUser, locked.handled_by_id).username,
                )
            )
        locked.handled_by_id = actor.id
        locked.status = Tiket.STATUS_DIPROSES
        audit.record(session, "ticket.claimed", actor=actor, target=locked, detail=locked.nomor)

    transaction.run_in_transaction(session, take)


def resolve(session, actor, tiket: Tiket, note: str, *, reset_registration=False) -> None:
    """Close the ticket with a resolution note; optionally (Helpdesk/Admin) reset the live
    registration of the ticket's NIP so it can register again. All or nothing."""
    note = (note or "").strip()
    if not note:
        raise TicketRefused(_l("A resolution note is required."))

    def close():
        locked = _locked_visible(session, actor, tiket)
        registrasi = None
        if reset_registration:
            if not may_reset_registration(actor):
                raise TicketRefused(_l("Only Helpdesk and Admin may reset a registration."))
            registrasi = live_registration_of(session, locked)
            if registrasi is None:
                raise TicketRefused(_l("This NIP has no pending or approved registration to reset."))
        locked.status = Tiket.STATUS_SELESAI
        locked.resolution = note
        locked.resolved_at = utcnow()
        locked.handled_by_id = actor.id
        audit.record(
            session,
            "ticket.resolved",
            actor=actor,
            target=locked,
            detail=f"{locked.nomor}: {note}" + (" [registration reset]" if registrasi else ""),
        )
        if registrasi is not None:
            # Joins this unit of work: the ticket and the reset are stored together or not at all.
            try:
                registration.reset(session, actor, registrasi, f"{locked.nomor}: {note}")
            except registration.RegistrationRefused as exc:
                raise TicketRefused(exc.message) from exc

    transaction.run_in_transaction(session, close)
