"""Registration of PNS accounts: lookup, register, approve / reject, reset.

Only this module changes a Registrasi's status. Each public function is one transaction.
Registration, approval, rejection and reset (and recovery and login by NIP, elsewhere) only
ever deal with the PNS account of a Pegawai (`pns_account_of`), never with a staff account
linked to the same Pegawai (SECURITY.md, "Account identity").
"""

import secrets
from dataclasses import dataclass

from flask_babel import force_locale, gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union_all
from sqlalchemy.exc import IntegrityError

from ..models import Pegawai, SecurityQuestion, utcnow
from ..models.registration import Registrasi
from ..roles import ROLE_PNS
from ..models import User
from . import audit, links, mail, passwords, rules, transaction

# Crockford base32 without look-alikes; 12 characters = 60 random bits.
NOMOR_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NOMOR_LENGTH = 12

LOOKUP_OK = "ok"
LOOKUP_INVALID = "invalid"
LOOKUP_UNKNOWN = "unknown"
LOOKUP_RETIRED = "retired"
LOOKUP_REGISTERED = "registered"


class RegistrationRefused(ValueError):
    """The registration cannot go on; `code` is one of LOOKUP_* or "schedule"/"password"."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclass
class NipLookup:
    status: str
    pegawai: Pegawai | None = None

    @property
    def message(self):
        return {
            LOOKUP_OK: None,
            LOOKUP_INVALID: _l("A NIP has exactly 18 digits."),
            LOOKUP_UNKNOWN: _l("This NIP is not in the BKN database."),
            LOOKUP_RETIRED: _l("According to BKN data this PNS has retired or stopped; registration is not possible."),
            LOOKUP_REGISTERED: _l("NIP ini sudah terdaftar."),
        }[self.status]


def normalise_nomor(value: str | None) -> str:
    """Accept the number as printed (with dashes/spaces, any case)."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum() and ch.isascii())


def new_nomor() -> str:
    return "".join(secrets.choice(NOMOR_ALPHABET) for _ in range(NOMOR_LENGTH))


def live_registration(session, pegawai_id: int) -> Registrasi | None:
    return session.scalar(
        select(Registrasi).where(Registrasi.pegawai_id == pegawai_id, Registrasi.status.in_(Registrasi.LIVE_STATUSES))
    )


def lookup_nip(session, nip: str) -> NipLookup:
    """Step 1 ("Cari"): may this NIP register? Shows only what 2015 showed (nama, instansi)."""
    nip = (nip or "").strip()
    if not rules.is_ascii_digits(nip, 18):
        return NipLookup(LOOKUP_INVALID)
    return judge_pegawai(session, session.scalar(select(Pegawai).where(Pegawai.nip == nip)))


def judge_pegawai(session, pegawai: Pegawai | None) -> NipLookup:
    """lookup_nip for a Pegawai already read (and locked, in register)."""
    if pegawai is None:
        return NipLookup(LOOKUP_UNKNOWN)
    if pegawai.status not in Pegawai.ACTIVE_STATUSES:
        return NipLookup(LOOKUP_RETIRED, pegawai)
    if live_registration(session, pegawai.id) is not None:
        return NipLookup(LOOKUP_REGISTERED, pegawai)
    return NipLookup(LOOKUP_OK, pegawai)


def pns_account_of(session, pegawai_id: int | None) -> User | None:
    """The PNS account of a Pegawai, else None: the one account that registration creates
    and that approval, rejection, reset, recovery and login by NIP or nomor registrasi touch.
    At most one exists (unique index uq_ab_user_pns_pegawai); a staff account linked to the
    same Pegawai is never it."""
    if pegawai_id is None:
        return None
    return session.scalar(select(User).where(User.pegawai_id == pegawai_id, User.is_pns_account.is_(True)))


def registration_account(session, registrasi: Registrasi) -> User | None:
    """The account a registration stands for: its user when that is the PNS account of its
    Pegawai, else None (a registration written before PNS and staff accounts were kept apart
    that points at a staff account: no decision may touch that account)."""
    account = pns_account_of(session, registrasi.pegawai_id)
    return account if account is not None and account.id == registrasi.user_id else None


def contact_email(session, pegawai_id: int) -> str | None:
    """Where mail for a PNS goes: the address he gave at his approved registration (the
    newest), never the technical address of his login account (`pns_account_email`)."""
    return session.scalar(
        select(Registrasi.email)
        .where(Registrasi.pegawai_id == pegawai_id, Registrasi.status == Registrasi.STATUS_DISETUJUI)
        .order_by(Registrasi.id.desc())
        .limit(1)
    )


def pns_account_email(nip: str) -> str:
    """ab_user.email must be unique; the PNS's real address lives on Registrasi."""
    return f"{nip}@pns.invalid"


def register(session, sm, *, nip, email, password, mother_name, question_id, answer) -> Registrasi:
    """Create a pending registration and an inactive PNS account (or reuse the Pegawai's
    PNS account after a rejection or reset). A staff account linked to the Pegawai is never
    touched. Exactly one of two simultaneous registrations of one NIP succeeds: the Pegawai
    row is locked, and partial unique indexes are the backstop."""
    problems = passwords.password_problems(password, nip=nip)
    if problems:
        raise RegistrationRefused("password", " ".join(str(p) for p in problems))
    if session.get(SecurityQuestion, question_id) is None:
        raise RegistrationRefused("question", _l("Choose a security question."))
    nip = nip.strip()
    try:
        pegawai = session.scalar(select(Pegawai).where(Pegawai.nip == nip).with_for_update())
        found = judge_pegawai(session, pegawai)
        if found.status != LOOKUP_OK:
            raise RegistrationRefused(found.status, found.message)
        user = pns_account_of(session, pegawai.id)
        if user is None:
            user = User(
                username=nip,
                first_name=pegawai.nama[:64],
                last_name="",
                email=pns_account_email(nip),
                pegawai_id=pegawai.id,
                is_pns_account=True,
            )
            session.add(user)
        user.roles = [sm.find_role(ROLE_PNS)]
        user.active = False
        user.password = passwords.hash_password(password)
        registrasi = Registrasi(
            nomor=new_nomor(),
            pegawai=pegawai,
            instansi_id=pegawai.instansi_id,
            user=user,
            email=email.strip(),
            status=Registrasi.STATUS_MENUNGGU,
            security_question_id=question_id,
            answer_hash=passwords.hash_answer(answer),
            mother_name_hash=passwords.hash_answer(mother_name),
        )
        session.add(registrasi)
        session.flush()
        audit.record(session, "registration.created", actor=user, target=registrasi)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise RegistrationRefused(LOOKUP_REGISTERED, _l("NIP ini sudah terdaftar.")) from exc
    except Exception:
        session.rollback()
        raise
    return registrasi


def find_by_identifier(session, identifier: str) -> Registrasi | None:
    """The newest registration for a NIP or a nomor registrasi (login, recovery)."""
    identifier = (identifier or "").strip()
    nomor = normalise_nomor(identifier)
    stmt = (
        select(Registrasi)
        .where(Registrasi.id.in_(ids_by_nip_or_nomor(identifier, nomor)))
        .order_by(Registrasi.created_at.desc(), Registrasi.id.desc())
    )
    return session.scalars(stmt).first()


def ids_by_nip_or_nomor(nip: str, nomor: str):
    """Ids of the registrations of NIP `nip` or numbered `nomor`, as a subquery. Two indexed
    lookups: an OR across the joined Pegawai and Registrasi tables would scan both."""
    by_nip = select(Registrasi.id).join(Pegawai, Registrasi.pegawai_id == Pegawai.id).where(Pegawai.nip == nip)
    return union_all(by_nip, select(Registrasi.id).where(Registrasi.nomor == nomor))


def _locked(session, ids) -> list[Registrasi]:
    """The registrations `ids` as committed now, locked (the caller checked the scope)."""
    return list(
        session.scalars(
            select(Registrasi)
            .where(Registrasi.id.in_(ids))
            .order_by(Registrasi.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _decide(session, actor, registrasi: Registrasi, status: str, reason=None):
    if registrasi.status != Registrasi.STATUS_MENUNGGU:
        raise RegistrationRefused("state", _l("This registration has already been decided."))
    account = registration_account(session, registrasi)
    approving = status == Registrasi.STATUS_DISETUJUI
    if account is None and approving:
        raise RegistrationRefused(
            "account",
            _l(
                "Registration %(nomor)s has no PNS account of its own and cannot be approved. "
                "Ask the helpdesk to reset it; the PNS then registers again.",
                nomor=registrasi.nomor_tampil,
            ),
        )
    registrasi.status = status
    registrasi.alasan = reason
    registrasi.decided_by_id = actor.id
    registrasi.decided_at = utcnow()
    if account is not None:
        account.active = approving
    audit.record(session, f"registration.{status}", actor=actor, target=registrasi, detail=reason)
    return _queue_decision_mail(session, registrasi)


def _queue_decision_mail(session, registrasi: Registrasi):
    """Tell the PNS, at the address he gave, what was decided (the reason of a rejection);
    in Indonesian, naming nothing but his own registration."""
    values = {"name": registrasi.pegawai.nama, "nomor": registrasi.nomor_tampil, "nip": registrasi.pegawai.nip}
    with force_locale("id"):
        if registrasi.status == Registrasi.STATUS_DISETUJUI:
            subject = _("e-PUPNS: your registration was approved")
            body = _(
                "Dear %(name)s,\n\nyour e-PUPNS registration %(nomor)s (NIP %(nip)s) was approved. "
                "You can now log in with your NIP and the password you chose:\n\n%(link)s\n\ne-PUPNS",
                link=links.external_url("AuthDBView.login"),
                **values,
            )
        else:
            subject = _("e-PUPNS: your registration was rejected")
            body = _(
                "Dear %(name)s,\n\nyour e-PUPNS registration %(nomor)s (NIP %(nip)s) was rejected.\n"
                "Reason: %(reason)s\n\nYou may register again once the reason is dealt with:\n\n%(link)s\n\ne-PUPNS",
                reason=registrasi.alasan or "-",
                link=links.external_url("RegistrationView.index"),
                **values,
            )
    return mail.queue(session, registrasi.email, subject, body)


def _deliver(session, outgoing) -> None:
    """After the decision is committed: a request never waits on a failed SMTP (deliver
    records the outcome; the outbox keeps what could not be sent)."""
    for message in outgoing:
        mail.deliver(session, message)


def approve(session, actor, registrations) -> int:
    """Approve pending registrations (all or none) and activate their accounts. One unit of
    work on the rows as committed: of two verifiers approving at once, the second finds them
    decided and is told so."""
    ids = [r.id for r in registrations]

    outgoing = []

    def decide_all():
        outgoing.clear()
        for registrasi in _locked(session, ids):
            outgoing.append(_decide(session, actor, registrasi, Registrasi.STATUS_DISETUJUI))
        return len(ids)

    count = transaction.run_in_transaction(session, decide_all)
    _deliver(session, outgoing)
    return count


def reject(session, actor, registrasi: Registrasi, reason: str) -> None:
    """Reject with a mandatory reason; the NIP may register again afterwards."""
    if not (reason or "").strip():
        raise RegistrationRefused("reason", _l("A reason is required."))
    pk = registrasi.id
    outgoing = transaction.run_in_transaction(
        session, lambda: _decide(session, actor, _locked(session, [pk])[0], Registrasi.STATUS_DITOLAK, reason.strip())
    )
    _deliver(session, [outgoing])


def reset(session, actor, registrasi: Registrasi, reason: str) -> None:
    """Helpdesk/Admin: end a live registration so the NIP can register again; the PNS
    account is disabled until then (a staff account of the same person is not). Audited
    with the reason."""
    if not (reason or "").strip():
        raise RegistrationRefused("reason", _l("A reason is required."))
    pk = registrasi.id

    def reset_one():
        (locked,) = _locked(session, [pk])
        if locked.status not in Registrasi.LIVE_STATUSES:
            raise RegistrationRefused("state", _l("Only a pending or approved registration can be reset."))
        locked.status = Registrasi.STATUS_DIRESET
        locked.alasan = reason.strip()
        locked.decided_by_id = actor.id
        locked.decided_at = utcnow()
        account = registration_account(session, locked)
        if account is not None:
            account.active = False
        audit.record(session, "registration.reset", actor=actor, target=locked, detail=reason.strip())

    transaction.run_in_transaction(session, reset_one)
