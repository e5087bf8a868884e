"""Self-service recovery (DESIGN.md §3 "Recovery"): Cek Status, Lupa Nomor Registrasi,
Lupa Jawaban and Lupa Kata Kunci.

What a stranger learns, and why that is acceptable:

- Cek Status and Lupa Kata Kunci need NIP *and* nomor registrasi (60 random bits). A wrong pair
  gets one answer, whichever half is wrong, from the same single query.
- Lupa Nomor Registrasi and Lupa Jawaban work on the NIP's *live* registration (menunggu or
  disetujui) only: exactly the NIPs for which step 1 of the registration already says "NIP ini
  sudah terdaftar". A NIP that is unknown, retired, never registered, or whose registrations
  were all rejected or reset gets one and the same "no active registration" answer, so these
  pages reveal nothing step 1 does not. (A decoy question for such NIPs would hide nothing more,
  since step 1 answers the same question to anyone.) Rejected or reset registrations are left
  out on purpose: step 1 does not reveal that they ever existed.
- Every check of an answer or a mother's name costs exactly one argon2 verification, also when
  there is nothing to check against, so a wrong NIP is not faster than a wrong answer.

Each public function is one transaction (commits or rolls back); rate limits are the views'.
"""

import datetime as dt
import hashlib
import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..models import Pegawai, SecurityQuestion, utcnow
from ..models.registration import PasswordResetToken, Registrasi
from ..models.user import User
from . import accounts, audit, mail, passwords, sessions
from .registration import normalise_nomor, registration_account

RESET_TOKEN_TTL = dt.timedelta(minutes=10)
RESET_TOKEN_BYTES = 32  # 256 random bits, URL-safe base64 in the link

NOT_FOUND_MESSAGE = _l("Not found: check the NIP and the registration number.")
NO_LIVE_REGISTRATION_MESSAGE = _l(
    "There is no active registration for this NIP. Check the NIP; if you have not registered "
    "yet, or your registration was rejected or reset, register again."
)
WRONG_ANSWER_MESSAGE = _l("The answer is not correct.")
WRONG_MOTHER_NAME_MESSAGE = _l("The data do not match: check the NIP and the mother's maiden name.")
RESET_REQUESTED_MESSAGE = _l("If the data match, a link has been sent to the registered email address.")
TOKEN_UNKNOWN_MESSAGE = _l(
    "This password reset link is not valid. Copy the whole link from the email, or ask for a new one."
)
TOKEN_USED_MESSAGE = _l("This password reset link has already been used. Ask for a new one if needed.")
TOKEN_EXPIRED_MESSAGE = _l("This password reset link has expired (links are valid for 10 minutes). Ask for a new one.")


class RecoveryRefused(ValueError):
    """A recovery step cannot go on; `message` is shown to the user as it is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _clean_nip(nip: str | None) -> str:
    return (nip or "").strip()


def _registration_query(nip: str):
    return select(Registrasi).join(Pegawai, Registrasi.pegawai_id == Pegawai.id).where(Pegawai.nip == _clean_nip(nip))


def find_by_pair(session, nip: str, nomor: str, *, live_only: bool = False) -> Registrasi | None:
    """The registration with this NIP *and* this nomor (printed form accepted), else None.

    One query whichever half is wrong, so a wrong NIP and a wrong nomor look the same."""
    nomor = normalise_nomor(nomor)
    if not nomor:
        nomor = "-"  # never matches; keeps the same query shape
    stmt = _registration_query(nip).where(Registrasi.nomor == nomor)
    if live_only:
        stmt = stmt.where(Registrasi.status.in_(Registrasi.LIVE_STATUSES))
    return session.scalar(stmt)


def check_status(session, nip: str, nomor: str) -> Registrasi | None:
    """Cek Status: the registration of this NIP + nomor pair (any status), else None."""
    return find_by_pair(session, nip, nomor)


def live_registration_by_nip(session, nip: str) -> Registrasi | None:
    """The pending or approved registration of a NIP (at most one exists), else None."""
    return session.scalar(_registration_query(nip).where(Registrasi.status.in_(Registrasi.LIVE_STATUSES)))


def security_question_of(session, nip: str) -> SecurityQuestion | None:
    """Lupa Nomor Registrasi, step 1: the question chosen at registration, for a NIP with a
    live registration; None otherwise (one generic answer, see the module docstring)."""
    registrasi = live_registration_by_nip(session, nip)
    return registrasi.security_question if registrasi is not None else None


def _verify_or_spend(stored_hash: str | None, answer: str) -> bool:
    """One argon2 verification, against a dummy hash when there is nothing to check."""
    if stored_hash is None:
        passwords.verify_unknown_user()
        return False
    return passwords.verify_answer(stored_hash, answer)


def recover_nomor(session, nip: str, answer: str) -> Registrasi:
    """Lupa Nomor Registrasi, step 2: the live registration when `answer` matches the security
    answer (normalised: case, spaces, Unicode form do not matter).

    Raises RecoveryRefused when there is no live registration or the answer is wrong; wrong
    answers are audited so the helpdesk can see guessing."""
    registrasi = live_registration_by_nip(session, nip)
    ok = _verify_or_spend(registrasi.answer_hash if registrasi else None, answer)
    if registrasi is None:
        raise RecoveryRefused(NO_LIVE_REGISTRATION_MESSAGE)
    _settle_attempt(session, registrasi, ok, "registration.nomor_recovered", "wrong security answer")
    if not ok:
        raise RecoveryRefused(WRONG_ANSWER_MESSAGE)
    return registrasi


def change_security_answer(session, nip: str, mother_name: str, question_id: int, answer: str) -> Registrasi:
    """Lupa Jawaban: after the mother's maiden name matches, store a new security question and
    answer (hashed). The old answer is never shown. Raises RecoveryRefused otherwise."""
    if not passwords.normalise_answer(answer):
        raise RecoveryRefused(_l("Enter the new answer."))
    if session.get(SecurityQuestion, question_id) is None:
        raise RecoveryRefused(_l("Choose a security question."))
    registrasi = live_registration_by_nip(session, nip)
    ok = _verify_or_spend(registrasi.mother_name_hash if registrasi else None, mother_name)
    if registrasi is None:
        raise RecoveryRefused(WRONG_MOTHER_NAME_MESSAGE)
    if ok:
        registrasi.security_question_id = question_id
        registrasi.answer_hash = passwords.hash_answer(answer)
    _settle_attempt(session, registrasi, ok, "registration.answer_changed", "wrong mother's maiden name")
    if not ok:
        raise RecoveryRefused(WRONG_MOTHER_NAME_MESSAGE)
    return registrasi


def _settle_attempt(session, registrasi, ok: bool, success_event: str, failure_detail: str) -> None:
    """Audit one recovery attempt and commit it with whatever the caller changed."""
    try:
        if ok:
            audit.record(session, success_event, actor=registrasi.user, target=registrasi)
        else:
            # A failed attempt is someone's, not the account owner's: no actor.
            audit.record(session, "registration.recovery_failed", target=registrasi, detail=failure_detail)
        session.commit()
    except Exception:
        session.rollback()
        raise


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a reset token: the only form in which a token is stored."""
    return hashlib.sha256((token or "").encode("utf-8", "surrogatepass")).hexdigest()


def request_password_reset(session, nip: str, nomor: str, link_for) -> bool:
    """Lupa Kata Kunci: when NIP + nomor name a live registration, store a single-use token
    (its hash only), valid RESET_TOKEN_TTL, and mail `link_for(token)` to the registration's
    email of record. Returns whether a mail was sent; the caller shows the same answer either
    way (RESET_REQUESTED_MESSAGE)."""
    registrasi = find_by_pair(session, nip, nomor, live_only=True)
    # Only ever the PNS account: never a staff account linked to the same Pegawai.
    account = registration_account(session, registrasi) if registrasi is not None else None
    if account is None:
        return False
    token = secrets.token_urlsafe(RESET_TOKEN_BYTES)
    now = utcnow()
    try:
        session.add(
            PasswordResetToken(
                user_id=account.id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + RESET_TOKEN_TTL,
            )
        )
        outgoing = mail.queue(
            session,
            registrasi.email,
            _("e-PUPNS: reset your password"),
            _(
                "Dear %(name)s,\n\n"
                "someone (we hope you) asked to reset the e-PUPNS password of NIP %(nip)s. "
                "Open this link within 10 minutes to choose a new password:\n\n"
                "%(link)s\n\n"
                "The link works only once. If you did not ask for it, ignore this email: "
                "your password stays as it is.\n\n"
                "e-PUPNS",
                name=registrasi.pegawai.nama,
                nip=registrasi.pegawai.nip,
                link=link_for(token),
            ),
        )
        audit.record(session, "password.reset_requested", actor=account, target=account)
        session.commit()
    except Exception:
        session.rollback()
        raise
    mail.deliver(session, outgoing)
    return True


def _token_problem(row: PasswordResetToken | None, now: dt.datetime):
    if row is None:
        return TOKEN_UNKNOWN_MESSAGE
    if row.used_at is not None:
        return TOKEN_USED_MESSAGE
    if row.expires_at <= now:
        return TOKEN_EXPIRED_MESSAGE
    return None


def _token_row(session, token: str) -> PasswordResetToken | None:
    """The token row of a link, if it belongs to a PNS account (the only accounts a link is
    ever made for; a staff account is never reset this way)."""
    return session.scalar(
        select(PasswordResetToken)
        .join(User, User.id == PasswordResetToken.user_id)
        .where(PasswordResetToken.token_hash == token_hash(token), User.is_pns_account.is_(True))
    )


def find_reset_token(session, token: str) -> PasswordResetToken:
    """The usable token row for a link; raises RecoveryRefused (unknown, used, expired)."""
    row = _token_row(session, token)
    problem = _token_problem(row, utcnow())
    if problem is not None:
        raise RecoveryRefused(problem)
    return row


def nip_of_token(session, token: str) -> str | None:
    """The NIP whose account a reset link belongs to (for the per-NIP rate limit), else None."""
    return session.scalar(
        select(Pegawai.nip)
        .join(User, User.pegawai_id == Pegawai.id)
        .join(PasswordResetToken, PasswordResetToken.user_id == User.id)
        .where(PasswordResetToken.token_hash == token_hash(token), User.is_pns_account.is_(True))
    )


def claim_once(session, model, row_id, now: dt.datetime) -> bool:
    """Mark a single-use row (`used_at`, `expires_at`) used, if nobody has yet and it has
    not expired: one conditional UPDATE, so of any number of simultaneous uses exactly one
    gets True, on PostgreSQL and on SQLite alike (a row lock taken by a SELECT would not hold
    on SQLite, which ignores FOR UPDATE and reads outside the write transaction)."""
    claimed = session.execute(
        update(model).where(model.id == row_id, model.used_at.is_(None), model.expires_at > now).values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    return claimed.rowcount == 1


def reset_password(session, token: str, password: str):
    """Set a new password through a reset link: the token is used up, every other open token
    of the user is invalidated, every session of the user ends, a login wait is lifted (the
    owner just proved control of the email of record), and "password.reset" is audited.
    Returns the user.

    Raises RecoveryRefused for an unknown, used or expired token, passwords.PasswordRefused
    for a password the policy refuses (nothing changes then, the link stays usable). The token
    is claimed by a conditional UPDATE before anything else is written (claim_once), so of
    simultaneous uses of one link exactly one succeeds, on either database."""
    try:
        row = _token_row(session, token)
        now = utcnow()
        problem = _token_problem(row, now)
        if problem is not None:
            raise RecoveryRefused(problem)
        user = session.get(User, row.user_id)
        new_hash = accounts.new_password_hash(password, user=user)  # the house policy
        if not claim_once(session, PasswordResetToken, row.id, now):
            session.rollback()
            raise RecoveryRefused(_token_problem(_token_row(session, token), now) or TOKEN_USED_MESSAGE)
        user.password = new_hash
        user.fail_login_count = 0
        user.locked_until = None
        sessions.end_all(user)  # whoever knew the old password is logged out everywhere
        session.execute(
            update(PasswordResetToken)
            .where(
                PasswordResetToken.user_id == user.id,
                PasswordResetToken.used_at.is_(None),
                PasswordResetToken.id != row.id,
            )
            .values(used_at=now)
        )
        audit.record(session, "password.reset", actor=user, target=user)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user
