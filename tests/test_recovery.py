"""Self-service recovery over HTTP (DESIGN.md §3 "Recovery"): Cek Status, Lupa Nomor Registrasi,
Lupa Jawaban, Lupa Kata Kunci — every path, the generic answers, rate limits and CSRF.

Every request runs in its own app context (as in production), so the database is re-read
after each request (`fresh`)."""

import datetime as dt
import hashlib
import html
import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.models import SecurityQuestion
from app.models.audit import AuditLog, OutboxMail
from app.models.registration import PasswordResetToken, Registrasi
from app.models.user import User
from app.roles import ROLE_ADMIN
from app.services import accounts, passwords, recovery, registration

from .helpers import PASSWORD, csrf_token, make_user, FreshContextClient, fresh, count, register_pns, clear_outbox
from .factories import PegawaiFactory
from .test_translations import compiled_catalogue, id_catalog  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("compiled_catalogue")

MOTHER = "Sri Wahyuni"
ANSWER = "siti aminah"
EMAIL = "budi.santoso@example.co.id"
NEW_PASSWORD = "Kunci-Baru-Sekali-9"

# The two generic answers are fixed word for word; the other messages are read from the
# Indonesian catalogue (tests/test_translations.py checks that each one is translated).
NOT_FOUND = "Data tidak ditemukan: periksa NIP dan nomor registrasi."
RESET_SENT = "Jika data cocok, tautan telah dikirim ke email terdaftar."


def t(message, **variables):
    """What an Indonesian user reads for `message` (a msgid or a lazy string)."""
    with force_locale("id"):
        return gettext(message, **variables) if isinstance(message, str) else str(message)


@pytest.fixture
def web(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def without_csrf(response):
    """The page with the CSRF token and the CSP nonce blanked (both new on every request)."""
    page = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", response.get_data(as_text=True))
    return re.sub(r'(nonce=")[^"]*', r"\1", page)


def questions():
    return db.session.scalars(select(SecurityQuestion).order_by(SecurityQuestion.id)).all()


def register(app, pegawai=None, *, email=EMAIL, answer=ANSWER, mother=MOTHER, question=None):
    """A pending registration made by the registration service, as the public form makes it."""
    pegawai = pegawai or PegawaiFactory()
    db.session.commit()
    question = question or questions()[0]
    registrasi = register_pns(app, pegawai, email, PASSWORD, mother=mother, answer=answer, question_id=question.id)
    return registrasi


@pytest.fixture
def reg(app):
    return register(app)


@pytest.fixture
def approved(app, reg):
    admin = make_user(app, "admin", ROLE_ADMIN)
    registration.approve(db.session, admin, [reg])
    clear_outbox()
    return reg


def post(web, url, data, form_url=None):
    token = csrf_token(web, form_url or url)
    return web.post(url, data={**data, "csrf_token": token})


# --------------------------------------------------------------------------------------------
# Cek Status
# --------------------------------------------------------------------------------------------
def test_status_page_is_public_and_linked_from_the_landing_page(web):
    page = web.get("/status/")
    assert page.status_code == 200
    text = text_of(page)
    for label in ("Cek Status", "Lupa Nomor Registrasi?", "Lupa Jawaban?", "Lupa Kata Kunci?"):
        assert label in text
    assert 'href="/status/"' in web.get("/").get_data(as_text=True)


def test_cek_status_follows_the_registration_through_every_status(app, web, reg):
    nip, nomor, reg_id = reg.pegawai.nip, reg.nomor, reg.id
    admin = make_user(app, "admin", ROLE_ADMIN)

    text = text_of(post(web, "/status/", {"nip": nip, "nomor": nomor}))
    assert "Menunggu" in text and reg.nomor_tampil in text and reg.pegawai.nama in text
    assert NOT_FOUND not in text

    # The number as printed (dashes, lower case) and a NIP typed in groups are accepted.
    registration.reject(db.session, admin, fresh(Registrasi, reg_id), "Foto <b>tidak</b> jelas")
    printed = fresh(Registrasi, reg_id).nomor_tampil.lower()
    grouped = f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    response = post(web, "/status/", {"nip": grouped, "nomor": printed})
    text = text_of(response)
    assert "Ditolak" in text and "Foto <b>tidak</b> jelas" in text
    assert "<b>tidak</b>" not in response.get_data(as_text=True), "the reason must be escaped"

    again = register(app, fresh(Registrasi, reg_id).pegawai)
    registration.approve(db.session, admin, [again])
    clear_outbox()
    text = text_of(post(web, "/status/", {"nip": nip, "nomor": again.nomor}))
    assert "Disetujui" in text and "Masuk" in text

    registration.reset(db.session, admin, fresh(Registrasi, again.id), "NIP didaftarkan orang lain")
    text = text_of(post(web, "/status/", {"nip": nip, "nomor": again.nomor}))
    assert "Direset" in text
    assert "NIP didaftarkan orang lain" not in text  # helpdesk notes are not shown publicly


def test_cek_status_wrong_nip_and_wrong_nomor_get_the_same_page(app, web, reg):
    other = register(app)
    unregistered = PegawaiFactory()
    db.session.commit()
    nip, nomor = reg.pegawai.nip, reg.nomor

    pages = [
        post(web, "/status/", {"nip": nip, "nomor": other.nomor}),  # wrong nomor
        post(web, "/status/", {"nip": other.pegawai.nip, "nomor": nomor}),  # registered NIP, not his
        post(web, "/status/", {"nip": unregistered.nip, "nomor": nomor}),  # NIP never registered
        post(web, "/status/", {"nip": "199001012015011999", "nomor": nomor}),  # NIP not in BKN data
        post(web, "/status/", {"nip": nip, "nomor": "ZZZZ-ZZZZ-ZZZZ"}),
    ]
    assert all(p.status_code == 200 for p in pages)
    assert NOT_FOUND in text_of(pages[0])
    bodies = {without_csrf(p) for p in pages}
    assert len(bodies) == 1, "the answer must not tell which half of the pair is wrong"
    body = bodies.pop()
    for secret in (nip, reg.nomor_tampil, other.pegawai.nip, reg.pegawai.nama, "Menunggu"):
        assert secret not in body


@pytest.mark.parametrize(
    "nip, nomor, message",
    [
        ("12345", "ABCD-EFGH-JKMN", "A NIP has exactly 18 digits."),
        ("١٩٨٠٠١٠١٢٠٠٥٠١١٠٠١", "ABCD-EFGH-JKMN", "A NIP has exactly 18 digits."),  # Arabic-Indic digits
        ("", "ABCD-EFGH-JKMN", "Enter your NIP."),
    ],
)
def test_cek_status_refuses_malformed_input(web, nip, nomor, message):
    response = post(web, "/status/", {"nip": nip, "nomor": nomor})
    assert response.status_code == 200
    text = text_of(response)
    assert t(message) in text and NOT_FOUND not in text


def test_cek_status_requires_the_nomor(web, reg):
    text = text_of(post(web, "/status/", {"nip": reg.pegawai.nip, "nomor": ""}))
    assert "Menunggu" not in text and reg.nomor_tampil not in text


# --------------------------------------------------------------------------------------------
# Lupa Nomor Registrasi
# --------------------------------------------------------------------------------------------
def test_lupa_nomor_shows_the_question_then_the_number_and_cetak(app, web, reg):
    question = reg.security_question.pertanyaan
    step1 = post(web, "/status/lupa-nomor", {"nip": reg.pegawai.nip})
    assert step1.status_code == 200
    assert question in text_of(step1)
    assert reg.nomor_tampil not in text_of(step1)

    with web.session_transaction() as s:
        assert "registrasi_id" not in s
    done = post(
        web,
        "/status/lupa-nomor/jawaban",
        {"nip": reg.pegawai.nip, "answer": "  Siti  AMINAH "},
        form_url="/status/lupa-nomor",
    )
    text = text_of(done)
    assert reg.nomor_tampil in text and "Cetak" in text
    assert f'href="/registrasi/bukti/{reg.nomor}.pdf"' in done.get_data(as_text=True)
    assert done.headers["Cache-Control"] == "no-store"
    # "Cetak" gives this session the proof PDF, which a stranger's session does not get.
    with web.session_transaction() as s:
        assert s["registrasi_id"] == reg.id
    proof = web.get(f"/registrasi/bukti/{reg.nomor}.pdf")
    assert proof.status_code == 200 and proof.data.startswith(b"%PDF")
    assert app.test_client().get(f"/registrasi/bukti/{reg.nomor}.pdf").status_code == 404
    assert count(AuditLog, AuditLog.event == "registration.nomor_recovered") == 1


def test_lupa_nomor_wrong_answer_shows_nothing_and_is_audited(web, reg):
    response = post(
        web,
        "/status/lupa-nomor/jawaban",
        {"nip": reg.pegawai.nip, "answer": "siti aminah s"},
        form_url="/status/lupa-nomor",
    )
    text = text_of(response)
    assert t(recovery.WRONG_ANSWER_MESSAGE) in text
    assert reg.nomor_tampil not in text and reg.nomor not in text
    assert reg.security_question.pertanyaan in text  # he may try again
    assert "siti aminah s" not in text  # the guess is not echoed
    with web.session_transaction() as s:
        assert "registrasi_id" not in s
    assert count(AuditLog, AuditLog.event == "registration.recovery_failed") == 1


def test_lupa_nomor_gives_one_answer_for_every_nip_without_a_live_registration(app, web, reg):
    admin = make_user(app, "admin", ROLE_ADMIN)
    rejected = register(app)
    registration.reject(db.session, admin, rejected, "Data tidak sesuai")
    never = PegawaiFactory()
    db.session.commit()
    pages = [
        post(web, "/status/lupa-nomor", {"nip": never.nip}),
        post(web, "/status/lupa-nomor", {"nip": "199001012015011999"}),
        post(web, "/status/lupa-nomor", {"nip": rejected.pegawai.nip}),
    ]
    assert t(recovery.NO_LIVE_REGISTRATION_MESSAGE) in text_of(pages[0])
    # The same page apart from the NIP he typed, which is given back to correct a typo.
    nips = (never.nip, "199001012015011999", rejected.pegawai.nip)
    assert len({without_csrf(p).replace(nip, "NIP") for p, nip in zip(pages, nips)}) == 1
    assert rejected.security_question.pertanyaan not in text_of(pages[2])


def test_lupa_nomor_answer_costs_one_argon2_check_with_or_without_registration(web, reg, monkeypatch):
    calls = []

    class CountingHasher:
        def __init__(self, real):
            self.real = real

        def verify(self, *args):
            calls.append(1)
            return self.real.verify(*args)

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher(passwords._hasher))
    never = PegawaiFactory()
    db.session.commit()
    for nip in (reg.pegawai.nip, never.nip, "199001012015011999"):
        calls.clear()
        response = post(
            web, "/status/lupa-nomor/jawaban", {"nip": nip, "answer": "salah"}, form_url="/status/lupa-nomor"
        )
        assert response.status_code == 200
        assert len(calls) == 1, f"{nip}: {len(calls)} argon2 verifications"


def test_lupa_nomor_step_two_with_a_forged_nip_starts_again(web, reg):
    response = post(web, "/status/lupa-nomor/jawaban", {"nip": "abc", "answer": ANSWER}, form_url="/status/lupa-nomor")
    assert response.status_code == 302 and response.headers["Location"].endswith("/status/lupa-nomor")
    assert web.get("/status/lupa-nomor/jawaban").status_code == 302


# --------------------------------------------------------------------------------------------
# Lupa Jawaban
# --------------------------------------------------------------------------------------------
def test_lupa_jawaban_sets_a_new_question_and_answer(app, web, reg):
    new_question = questions()[2]
    response = post(
        web,
        "/status/lupa-jawaban",
        {
            "nip": reg.pegawai.nip,
            "mother_name": "  sri   WAHYUNI ",
            "question": str(new_question.id),
            "answer": "Kucing Belang",
        },
    )
    text = text_of(response)
    assert t("Your new security question and answer are saved. Use them to recover your registration number.") in text
    for secret in ("sri   WAHYUNI", "Kucing Belang", ANSWER):
        assert secret not in text
    stored = fresh(Registrasi, reg.id)
    assert stored.security_question_id == new_question.id
    assert "kucing" not in stored.answer_hash.lower()
    assert count(AuditLog, AuditLog.event == "registration.answer_changed") == 1

    # Lupa Nomor now asks the new question; the old answer fails and the new one works.
    assert new_question.pertanyaan in text_of(post(web, "/status/lupa-nomor", {"nip": reg.pegawai.nip}))
    old = post(
        web, "/status/lupa-nomor/jawaban", {"nip": reg.pegawai.nip, "answer": ANSWER}, form_url="/status/lupa-nomor"
    )
    assert t(recovery.WRONG_ANSWER_MESSAGE) in text_of(old) and reg.nomor_tampil not in text_of(old)
    new = post(
        web,
        "/status/lupa-nomor/jawaban",
        {"nip": reg.pegawai.nip, "answer": "kucing belang"},
        form_url="/status/lupa-nomor",
    )
    assert reg.nomor_tampil in text_of(new)


def test_lupa_jawaban_with_a_wrong_mother_name_changes_nothing(app, web, reg):
    before = fresh(Registrasi, reg.id).answer_hash
    never = PegawaiFactory()
    db.session.commit()
    data = {"mother_name": "Sri Wahyuningsih", "question": str(questions()[1].id), "answer": "x"}
    wrong = post(web, "/status/lupa-jawaban", {**data, "nip": reg.pegawai.nip})
    unknown = post(web, "/status/lupa-jawaban", {**data, "nip": never.nip})
    assert t(recovery.WRONG_MOTHER_NAME_MESSAGE) in text_of(wrong)
    # Apart from the NIP he typed (given back to correct a typo), the pages are the same.
    assert without_csrf(wrong).replace(reg.pegawai.nip, "NIP") == without_csrf(unknown).replace(never.nip, "NIP"), (
        "a registered NIP must not answer differently"
    )
    assert "Sri Wahyuningsih" not in text_of(wrong)
    assert fresh(Registrasi, reg.id).answer_hash == before
    assert fresh(Registrasi, reg.id).security_question_id == questions()[0].id


@pytest.mark.parametrize(
    "change",
    [
        {"question": "999999"},
        {"question": "abc"},
        {"answer": ""},
        {"answer": "   "},
        {"mother_name": ""},
        {"mother_name": "x" * 201},
        {"nip": "1234"},
    ],
)
def test_lupa_jawaban_refuses_bad_input(web, reg, change):
    before = fresh(Registrasi, reg.id).answer_hash
    data = {
        "nip": reg.pegawai.nip,
        "mother_name": MOTHER,
        "question": str(questions()[1].id),
        "answer": "baru",
        **change,
    }
    response = post(web, "/status/lupa-jawaban", data)
    assert response.status_code == 200
    text = text_of(response)
    assert "has-error" in text or t(recovery.WRONG_MOTHER_NAME_MESSAGE) in text or t("Enter the new answer.") in text
    assert (
        t("Your new security question and answer are saved. Use them to recover your registration number.") not in text
    )
    assert MOTHER not in text and 'value="baru"' not in text, "names and answers are not echoed"
    assert fresh(Registrasi, reg.id).answer_hash == before


# --------------------------------------------------------------------------------------------
# Lupa Kata Kunci
# --------------------------------------------------------------------------------------------
def link_in(mail_body):
    match = re.search(r"http://localhost/status/reset/([A-Za-z0-9_\-]+)", mail_body)
    assert match, mail_body
    return match.group(0), match.group(1)


def request_reset(web, reg):
    response = post(web, "/status/lupa-kata-kunci", {"nip": reg.pegawai.nip, "nomor": reg.nomor_tampil})
    assert RESET_SENT in text_of(response)
    db.session.rollback()
    mail = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    return link_in(mail.body)


def test_lupa_kata_kunci_answers_the_same_and_mails_only_the_owner(app, web, approved):
    other = register(app)
    right = post(web, "/status/lupa-kata-kunci", {"nip": approved.pegawai.nip, "nomor": approved.nomor})
    wrong = [
        post(web, "/status/lupa-kata-kunci", {"nip": approved.pegawai.nip, "nomor": other.nomor}),
        post(web, "/status/lupa-kata-kunci", {"nip": other.pegawai.nip, "nomor": approved.nomor}),
        post(web, "/status/lupa-kata-kunci", {"nip": "199001012015011999", "nomor": approved.nomor}),
    ]
    assert RESET_SENT in text_of(right)
    assert len({without_csrf(r) for r in [right, *wrong]}) == 1
    db.session.rollback()
    mails = db.session.scalars(select(OutboxMail)).all()
    assert [m.recipient for m in mails] == [EMAIL]
    assert approved.pegawai.nama in mails[0].body and "10 menit" in mails[0].body
    assert count(PasswordResetToken) == 1


def test_reset_token_is_stored_hashed_and_valid_ten_minutes(web, approved):
    _, token = request_reset(web, approved)
    db.session.rollback()
    row = db.session.scalars(select(PasswordResetToken)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)
    assert row.user_id == approved.user_id and row.used_at is None
    assert count(AuditLog, AuditLog.event == "password.reset_requested") == 1


def test_reset_link_sets_a_new_password_once(app, web, approved):
    link, token = request_reset(web, approved)
    nip = approved.pegawai.nip
    page = web.get(link)
    assert page.status_code == 200 and t("New password") in text_of(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"

    done = post(web, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert t(
        "Your password has been changed. Log in with your NIP or registration number and the new password."
    ) in text_of(done)
    assert accounts.authenticate(db.session, nip, PASSWORD) is None
    assert accounts.authenticate(db.session, nip, NEW_PASSWORD) is not None
    assert count(AuditLog, AuditLog.event == "password.reset") == 1
    db.session.rollback()
    assert db.session.scalars(select(PasswordResetToken)).one().used_at is not None

    # The same link again: refused, clearly, with no form; a replayed POST changes nothing.
    again = web.get(link)
    assert t(recovery.TOKEN_USED_MESSAGE) in text_of(again) and 'name="password"' not in again.get_data(as_text=True)
    replay = post(
        web, link, {"password": "Lain-Lagi-Kuat-77", "confirm": "Lain-Lagi-Kuat-77"}, form_url="/status/lupa-kata-kunci"
    )
    assert t(recovery.TOKEN_USED_MESSAGE) in text_of(replay)
    assert accounts.authenticate(db.session, nip, "Lain-Lagi-Kuat-77") is None
    assert count(AuditLog, AuditLog.event == "password.reset") == 1


def test_login_page_accepts_the_new_password(app, web, approved):
    link, _ = request_reset(web, approved)
    post(web, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    login = web.post(
        "/login/",
        data={"username": approved.nomor_tampil, "password": NEW_PASSWORD, "csrf_token": csrf_token(web, "/login/")},
    )
    assert login.status_code == 302 and "/login" not in login.headers["Location"]


def test_expired_reset_link_is_refused(web, approved):
    link, token = request_reset(web, approved)
    db.session.rollback()
    row = db.session.scalars(select(PasswordResetToken)).one()
    row.expires_at = row.created_at - dt.timedelta(seconds=1)
    db.session.commit()
    page = web.get(link)
    assert t(recovery.TOKEN_EXPIRED_MESSAGE) in text_of(page) and 'name="password"' not in page.get_data(as_text=True)
    response = post(web, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, form_url="/status/lupa-kata-kunci")
    assert t(recovery.TOKEN_EXPIRED_MESSAGE) in text_of(response)
    assert accounts.authenticate(db.session, approved.pegawai.nip, NEW_PASSWORD) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:20],
        lambda t: t + "x",
        lambda t: "x" * 43,
    ],
)
def test_tampered_reset_link_is_refused(web, approved, tamper):
    _, token = request_reset(web, approved)
    link = f"/status/reset/{tamper(token)}"
    assert t(recovery.TOKEN_UNKNOWN_MESSAGE) in text_of(web.get(link))
    response = post(web, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, form_url="/status/lupa-kata-kunci")
    assert t(recovery.TOKEN_UNKNOWN_MESSAGE) in text_of(response)
    assert accounts.authenticate(db.session, approved.pegawai.nip, NEW_PASSWORD) is None
    assert count(PasswordResetToken, PasswordResetToken.used_at.is_not(None)) == 0


@pytest.mark.parametrize(
    "password, confirm, message",
    [
        ("12345678", "12345678", "This password is too common; choose another."),
        ("Pendek1", "Pendek1", "The password must have at least 8 characters."),
        ("Kunci-Baru-Sekali-9", "Kunci-Baru-Sekali-8", "The two passwords are not the same."),
        (None, None, "The password must not contain your NIP."),
    ],
)
def test_weak_or_mismatched_new_password_is_refused(web, approved, password, confirm, message):
    link, _ = request_reset(web, approved)
    if password is None:
        password = confirm = f"x{approved.pegawai.nip}"
    response = post(web, link, {"password": password, "confirm": confirm})
    text = text_of(response)
    assert t(message) in text
    assert 'name="password"' in response.get_data(as_text=True), "he may try again with the same link"
    assert accounts.authenticate(db.session, approved.pegawai.nip, PASSWORD) is not None
    assert count(PasswordResetToken, PasswordResetToken.used_at.is_not(None)) == 0


def test_a_successful_reset_invalidates_every_other_link(web, approved):
    first_link, _ = request_reset(web, approved)
    second_link, _ = request_reset(web, approved)
    post(web, second_link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert t(recovery.TOKEN_USED_MESSAGE) in text_of(web.get(first_link))


def test_reset_lifts_a_login_lockout(web, approved):
    user = fresh(User, approved.user_id)
    user.locked_until = dt.datetime(2099, 1, 1)
    db.session.commit()
    link, _ = request_reset(web, approved)
    post(web, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accounts.authenticate(db.session, approved.pegawai.nip, NEW_PASSWORD) is not None


def test_no_reset_for_a_rejected_registration(app, web, reg):
    admin = make_user(app, "admin", ROLE_ADMIN)
    registration.reject(db.session, admin, reg, "Data tidak sesuai")
    clear_outbox()  # the rejection's own mail (test_approval)
    response = post(web, "/status/lupa-kata-kunci", {"nip": reg.pegawai.nip, "nomor": reg.nomor})
    assert RESET_SENT in text_of(response)
    assert count(OutboxMail) == 0 and count(PasswordResetToken) == 0


# --------------------------------------------------------------------------------------------
# Rate limits and CSRF
# --------------------------------------------------------------------------------------------
@pytest.fixture
def limited_web(app_factory):
    application = app_factory(RATELIMIT_ENABLED=True)
    application.test_client_class = FreshContextClient
    with application.app_context():
        yield application, application.test_client()


def test_rate_limit_per_nip(limited_web):
    application, web = limited_web
    token = csrf_token(web, "/status/")
    nip = "199001012015011999"
    # Writing the NIP in groups does not make it another NIP for the limit.
    spellings = [nip, f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}", f" {nip[:9]}  {nip[9:]}"]
    codes = [
        web.post("/status/", data={"nip": spellings[i % 3], "nomor": "AAAA", "csrf_token": token}).status_code
        for i in range(11)
    ]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    # Another NIP from the same address is still served.
    assert (
        web.post("/status/", data={"nip": "199001012015011998", "nomor": "AAAA", "csrf_token": token}).status_code
        == 200
    )


def test_rate_limit_per_ip_across_nips(limited_web):
    application, web = limited_web
    token = csrf_token(web, "/status/lupa-nomor")
    codes = [
        web.post("/status/lupa-nomor", data={"nip": f"1990010120150119{i:02d}", "csrf_token": token}).status_code
        for i in range(31)
    ]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_rate_limit_applies_to_answer_guessing(limited_web):
    application, web = limited_web
    register(application)
    nip = db.session.scalars(select(Registrasi)).one().pegawai.nip
    token = csrf_token(web, "/status/lupa-nomor")
    codes = [
        web.post(
            "/status/lupa-nomor/jawaban", data={"nip": nip, "answer": f"tebak {i}", "csrf_token": token}
        ).status_code
        for i in range(11)
    ]
    assert codes[10] == 429 and 429 not in codes[:10]


@pytest.mark.parametrize(
    "url, data",
    [
        ("/status/", {"nip": "NIP", "nomor": "NOMOR"}),
        ("/status/lupa-nomor", {"nip": "NIP"}),
        ("/status/lupa-nomor/jawaban", {"nip": "NIP", "answer": ANSWER}),
        ("/status/lupa-jawaban", {"nip": "NIP", "mother_name": MOTHER, "question": "QID", "answer": "baru"}),
        ("/status/lupa-kata-kunci", {"nip": "NIP", "nomor": "NOMOR"}),
    ],
)
def test_posts_without_csrf_token_are_refused(web, approved, url, data):
    values = {"NIP": approved.pegawai.nip, "NOMOR": approved.nomor, "QID": str(questions()[1].id)}
    data = {k: values.get(v, v) for k, v in data.items()}
    before = fresh(Registrasi, approved.id).answer_hash
    response = web.post(url, data=data)
    assert response.status_code == 400
    body = text_of(response)
    assert approved.nomor_tampil not in body and "Disetujui" not in body
    assert count(OutboxMail) == 0
    assert fresh(Registrasi, approved.id).answer_hash == before


def test_reset_post_without_csrf_token_is_refused(web, approved):
    link, _ = request_reset(web, approved)
    response = web.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert accounts.authenticate(db.session, approved.pegawai.nip, NEW_PASSWORD) is None
