"""Public registration (DESIGN.md §3 "Registration"), end to end over HTTP.

Step 1 "NIP Baru" + "Cari" and "Email" + "Lanjut", step 2 "Kata Kunci" … "Kode Captcha" +
"Registrasi", the success page and the "Bukti Registrasi" PDF ("Cetak"); every refusal a
person can meet on the way; and two people registering one NIP at the same moment.

Each request runs in its own app context (as in production), so the database is re-read
with `fresh()` after requests.
"""

import datetime as dt
import html
import io
import re
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import Pegawai, SecurityQuestion
from app.models.registration import CaptchaChallenge, Registrasi
from app.models.schedule import Jadwal
from app.roles import ROLE_PNS
from app.models import User
from app.services import captcha, passwords, pdf, ratelimit, registration
from app.views.registration import CAPTCHA_KEY

from .helpers import PASSWORD, AuthActions, FreshContextClient, anonymous_visitor, csrf_token, race, set_phase
from .factories import PegawaiFactory
from .test_translations import compiled_catalogue, id_catalog  # noqa: F401 - fixtures

GOOD_PASSWORD = "Sawah-Hijau-2015"
_real_qr = pdf.qr_data_uri
MOTHER = "Siti Rahmawati Ningsih"
ANSWER = "Kucing belang tiga"
EMAIL = "pegawai@contoh.go.id"
STEP1, STEP1_EMAIL, STEP2, DONE = "/registrasi/", "/registrasi/lanjut", "/registrasi/langkah-2", "/registrasi/selesai"


@pytest.fixture
def new_client(app):
    app.test_client_class = FreshContextClient
    return app.test_client


@pytest.fixture
def client(new_client):  # noqa: F811 - every client of this module gets fresh contexts
    return new_client()


def live_registrations(pegawai_id):
    db.session.rollback()
    return db.session.scalars(
        select(Registrasi).where(Registrasi.pegawai_id == pegawai_id, Registrasi.status.in_(Registrasi.LIVE_STATUSES))
    ).all()


def registration_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Registrasi))


def text_of(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def tr(app, message, **params) -> str:
    """`message` as the (Indonesian) user sees it."""
    from flask_babel import gettext

    with app.test_request_context():
        return gettext(message, **params) if isinstance(message, str) else str(message)


def question_id():
    return db.session.scalar(select(SecurityQuestion.id).order_by(SecurityQuestion.id))


def search(client, nip):
    """Step 1: "NIP Baru" + "Cari"."""
    return client.post(STEP1, data={"nip": nip, "csrf_token": csrf_token(client, STEP1)})


def reach_step2(client, nip, email=EMAIL):
    response = search(client, nip)
    assert response.status_code == 302, text_of(response)
    response = client.post(STEP1_EMAIL, data={"email": email, "csrf_token": csrf_token(client, STEP1)})
    assert response.status_code == 302 and response.headers["Location"].endswith(STEP2)


def step2_form(client, **overrides):
    """The step-2 fields as a person fills them in (GET the page first: CSRF, captcha)."""
    data = {
        "csrf_token": csrf_token(client, STEP2),
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "mother_name": MOTHER,
        "question": str(question_id()),
        "answer": ANSWER,
        "captcha": "",
    }
    data.update(overrides)
    return data


def register(client, nip, **overrides):
    reach_step2(client, nip)
    return client.post(STEP2, data=step2_form(client, **overrides))


def proof_link(response) -> str:
    match = re.search(r'href="(/registrasi/bukti/[0-9A-Z]+\.pdf)"', response.get_data(as_text=True))
    assert match, "no Cetak link on the page"
    return match.group(1)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def captcha_answers(monkeypatch):
    """The answers of the captcha images the pages show (what a person reads off the image)."""
    shown = []
    original = captcha.new_challenge

    def recording(*args):
        challenge_id, answer = original(*args)
        shown.append((challenge_id, answer))
        return challenge_id, answer

    monkeypatch.setattr(captcha, "new_challenge", recording)
    return shown


# --------------------------------------------------------------------------------------------
# The happy path
# --------------------------------------------------------------------------------------------
def test_register_and_print_the_proof(app, client, world, open_run, compiled_catalogue, monkeypatch):
    pegawai = world["peg_sub"]
    nip, nama, instansi = pegawai.nip, pegawai.nama, world["inst_a"].nama

    # Step 1: Cari shows Nama and Instansi from the master data, then Email + Lanjut.
    page = client.get(STEP1)
    assert page.status_code == 200
    assert "NIP Baru" in text_of(page) and 'value="Cari"' in page.get_data(as_text=True)
    response = search(client, f" {nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]} ")  # as printed on an SK
    assert response.status_code == 302
    found = client.get(STEP1)
    assert nama in text_of(found) and instansi in text_of(found)
    assert 'value="Lanjut"' in found.get_data(as_text=True)
    response = client.post(STEP1_EMAIL, data={"email": EMAIL, "csrf_token": csrf_token(client, STEP1)})
    assert response.headers["Location"].endswith(STEP2)

    # Step 2 shows the 2015 labels.
    step2 = text_of(client.get(STEP2))
    for label in ("Kata Kunci", "Konfirmasi Kata Kunci", "Pertanyaan Pengaman", "Jawaban", "Registrasi"):
        assert label in step2
    assert "nama ibu kandung" in step2.casefold()  # msgid shared with the recovery forms
    qr_texts = []
    monkeypatch.setattr(pdf, "qr_data_uri", lambda text, **kw: qr_texts.append(text) or _real_qr(text))
    response = client.post(STEP2, data=step2_form(client))
    assert response.status_code == 302 and response.headers["Location"].endswith(DONE)

    # The success page: the number, large, what happens next, and "Cetak".
    registrasi = db.session.scalar(select(Registrasi).where(Registrasi.pegawai_id == pegawai.id))
    done = client.get(DONE)
    assert done.status_code == 200
    assert re.search(r'class="pupns-nomor"[^>]*>\s*' + re.escape(registrasi.nomor_tampil), done.get_data(as_text=True))
    assert "Nomor Registrasi" in text_of(done) and "Cetak" in text_of(done)
    assert f"BKD / Biro Kepegawaian {instansi}" in text_of(done)
    assert done.headers["Cache-Control"] == "no-store"

    # "Cetak": the PDF carries the number, NIP, name, instansi and a QR code to the approval inbox.
    response = client.get(proof_link(done))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = pdf_text(response.data)
    assert text.count(registrasi.nomor_tampil) == 2  # both halves
    for value in (nip, nama, instansi, world["sub_a"].nama):
        assert value in text
    assert "Bukti Registrasi" in text and "gunting di sini" in text
    assert qr_texts == [f"http://localhost/persetujuan/?q={registrasi.nomor}"]
    # The printed number (with dashes) opens the same proof.
    assert client.get(f"/registrasi/bukti/{registrasi.nomor_tampil}.pdf").status_code == 200


def test_created_account_is_inactive_pns_linked_and_secrets_are_only_hashed(app, client, world, open_run):
    pegawai = world["peg_sub"]
    response = register(client, pegawai.nip)
    assert response.status_code == 302

    registrasi = live_registrations(pegawai.id)[0]
    assert registrasi.status == Registrasi.STATUS_MENUNGGU and registrasi.email == EMAIL
    assert re.fullmatch(f"[{registration.NOMOR_ALPHABET}]{{12}}", registrasi.nomor)
    user = registrasi.user
    assert user.active is False
    assert [r.name for r in user.roles] == [ROLE_PNS]
    assert user.pegawai_id == pegawai.id and user.username == pegawai.nip
    assert passwords.verify_password(user.password, GOOD_PASSWORD)

    for column, secret in (("answer_hash", ANSWER), ("mother_name_hash", MOTHER)):
        stored = getattr(registrasi, column)
        assert stored.startswith("$argon2id$")
        assert passwords.verify_answer(stored, secret.upper())  # normalised: case does not matter
    row = db.session.execute(select(Registrasi.__table__).where(Registrasi.id == registrasi.id)).one()
    user_row = db.session.execute(select(User.__table__).where(User.id == user.id)).one()
    everything = " ".join(str(v) for v in (*row, *user_row)).casefold()
    for secret in (ANSWER, MOTHER, GOOD_PASSWORD):
        assert secret.casefold() not in everything

    # He cannot log in before approval.
    auth = AuthActions(client)
    response = auth.login(pegawai.nip, GOOD_PASSWORD)
    assert "/login/" in response.headers.get("Location", "/login/")


# --------------------------------------------------------------------------------------------
# Step 1 refusals: each with a clear message and a "Laporkan" link to the ticket form
# --------------------------------------------------------------------------------------------
def _report_links(response):
    return [html.unescape(h) for h in re.findall(r'href="([^"]*laporkan[^"]*)"', response.get_data(as_text=True))]


@pytest.mark.parametrize("case", ["unknown", "retired", "registered", "letters", "arabic_indic", "too_short"])
def test_step1_refusals_explain_and_offer_a_ticket(app, client, world, open_run, compiled_catalogue, case):
    pegawai = world["peg_other"]
    if case == "unknown":
        nip = "199001012015031999"
        expected, kategori, with_nip = registration.LOOKUP_UNKNOWN, "tidak_ada", True
    elif case == "retired":
        pegawai.status = Pegawai.STATUS_PENSIUN
        db.session.commit()
        nip = pegawai.nip
        expected, kategori, with_nip = registration.LOOKUP_RETIRED, "pensiun_berhenti", True
    elif case == "registered":
        register(new_client_for(app), pegawai.nip)
        nip = pegawai.nip
        expected, kategori, with_nip = registration.LOOKUP_REGISTERED, "lainnya", True
    else:
        nip = {
            "letters": pegawai.nip[:17] + "A",
            "arabic_indic": "".join(chr(0x0660 + int(d)) for d in pegawai.nip),
            "too_short": pegawai.nip[:17],
        }[case]
        expected, kategori, with_nip = registration.LOOKUP_INVALID, "tidak_ada", False
    before = registration_count()

    response = search(client, nip)
    assert response.status_code == 200
    text = text_of(response)
    assert tr(app, registration.NipLookup(expected).message) in text
    assert "Laporkan" in text
    links = _report_links(response)
    assert len(links) == 1 and f"kategori={kategori}" in links[0]
    assert (f"nip={nip}" in links[0]) is with_nip
    # Nothing to continue with: no email step, and step 2 sends him back to step 1.
    assert 'value="Lanjut"' not in response.get_data(as_text=True)
    assert client.get(STEP2).headers["Location"].endswith(STEP1)
    assert registration_count() == before


def new_client_for(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


def test_report_link_opens_the_prefilled_ticket_form(app, client, world, open_run):
    response = search(client, "199001012015031999")
    link = _report_links(response)[0]
    ticket = client.get(link)
    assert ticket.status_code == 200
    assert 'value="199001012015031999"' in ticket.get_data(as_text=True)


def test_empty_or_bad_email_stays_on_step1(app, client, world, open_run, compiled_catalogue):
    assert search(client, world["peg_a"].nip).status_code == 302
    for email in ("", "bukan-email", "a@b"):
        response = client.post(STEP1_EMAIL, data={"email": email, "csrf_token": csrf_token(client, STEP1)})
        assert response.status_code == 200
        assert "has-error" in response.get_data(as_text=True)
    assert client.get(STEP2).headers["Location"].endswith(STEP1)


def test_the_nip_comes_from_the_session_never_from_a_form_field(app, client, world, open_run):
    """A forged `nip` on step 2 (or on "Lanjut") changes nothing: the looked-up NIP is registered."""
    mine, other = world["peg_sub"], world["peg_other"]
    reach_step2(client, mine.nip)
    response = client.post(STEP2, data=step2_form(client, nip=other.nip))
    assert response.status_code == 302
    assert len(live_registrations(mine.id)) == 1
    assert live_registrations(other.id) == []


# --------------------------------------------------------------------------------------------
# Step 2 refusals
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case", ["mismatch", "short", "common", "contains_nip", "no_question", "empty_answer", "empty_mother"]
)
def test_step2_bad_input_registers_nothing(app, client, world, open_run, compiled_catalogue, case):
    pegawai = world["peg_sub"]
    fields = {
        "mismatch": {"confirm": GOOD_PASSWORD + "x"},
        "short": {"password": "Ab1-x", "confirm": "Ab1-x"},
        "common": {"password": "bismillah", "confirm": "bismillah"},
        "contains_nip": {"password": f"x{pegawai.nip}", "confirm": f"x{pegawai.nip}"},
        "no_question": {"question": "0"},
        "empty_answer": {"answer": "   "},
        "empty_mother": {"mother_name": " "},
    }[case]
    expected = {
        "mismatch": "The two passwords are not the same.",
        "short": "The password must have at least 8 characters.",
        "common": "This password is too common; choose another.",
        "contains_nip": "The password must not contain your NIP.",
        "no_question": "Choose a security question.",
        "empty_answer": "Enter the answer to your security question.",
        "empty_mother": "Enter your mother's maiden name.",
    }[case]
    response = register(client, pegawai.nip, **fields)
    assert response.status_code == 200
    assert tr(app, expected) in text_of(response)
    assert live_registrations(pegawai.id) == []
    # The typed password is never sent back in the page.
    assert fields.get("password", GOOD_PASSWORD) not in response.get_data(as_text=True)


def test_missing_csrf_token_is_refused(app, client, world, open_run):
    pegawai = world["peg_sub"]
    assert client.post(STEP1, data={"nip": pegawai.nip}).status_code == 400
    reach_step2(client, pegawai.nip)
    data = step2_form(client)
    del data["csrf_token"]
    assert client.post(STEP2, data=data).status_code == 400
    assert live_registrations(pegawai.id) == []


# --------------------------------------------------------------------------------------------
# Captcha (enabled)
# --------------------------------------------------------------------------------------------
@pytest.fixture
def captcha_app(app_factory):
    application = app_factory(CAPTCHA_ENABLED=True)
    application.test_client_class = FreshContextClient
    with application.app_context():
        yield application


def _captcha_world(app):
    set_phase(Jadwal.FASE_PENGISIAN, -1, 10)
    return PegawaiFactory(), PegawaiFactory()


def test_wrong_captcha_is_refused_and_the_new_image_works(captcha_app, compiled_catalogue, captcha_answers):
    pegawai, _ = _captcha_world(captcha_app)
    db.session.commit()
    client = captcha_app.test_client()
    reach_step2(client, pegawai.nip)
    page = client.get(STEP2)
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{500,}"', page.get_data(as_text=True))
    assert "Kode Captcha" in text_of(page)

    form = step2_form(client)  # GETs the page again: a new image
    answer = captcha_answers[-1][1]
    wrong = "".join(captcha.ALPHABET[(captcha.ALPHABET.index(c) + 1) % len(captcha.ALPHABET)] for c in answer)
    response = client.post(STEP2, data={**form, "captcha": wrong})
    assert response.status_code == 200
    assert tr(captcha_app, "The captcha code is wrong or has expired. Type the code of the new image.") in text_of(
        response
    )
    assert live_registrations(pegawai.id) == []

    # The refusal page shows a new image; its code (typed in lower case) is accepted.
    assert captcha_answers[-1][0] not in {challenge for challenge, _ in captcha_answers[:-1]}
    assert captcha_answers[-1][0] not in response.get_data(as_text=True)  # the id stays in the session
    response = client.post(STEP2, data={**form, "captcha": captcha_answers[-1][1].lower()})
    assert response.status_code == 302
    assert len(live_registrations(pegawai.id)) == 1


def test_a_used_captcha_cannot_be_replayed(captcha_app, compiled_catalogue, captcha_answers):
    first, second = _captcha_world(captcha_app)
    db.session.commit()
    alice = captcha_app.test_client()
    reach_step2(alice, first.nip)
    form = step2_form(alice)
    used_id, used_answer = captcha_answers[-1]
    assert alice.post(STEP2, data={**form, "captcha": used_answer}).status_code == 302

    # Bob replays Alice's solved challenge (id and answer) in his own session.
    bob = captcha_app.test_client()
    reach_step2(bob, second.nip)
    form = step2_form(bob)
    with bob.session_transaction() as sess:
        sess[CAPTCHA_KEY] = used_id
    response = bob.post(STEP2, data={**form, "captcha": used_answer})
    assert response.status_code == 200
    assert tr(captcha_app, "The captcha code is wrong or has expired. Type the code of the new image.") in text_of(
        response
    )
    assert live_registrations(second.id) == []


def test_an_expired_captcha_is_refused(captcha_app, compiled_catalogue, captcha_answers, monkeypatch):
    pegawai, _ = _captcha_world(captcha_app)
    db.session.commit()
    client = captcha_app.test_client()
    reach_step2(client, pegawai.nip)
    form = step2_form(client)
    challenge_id, answer = captcha_answers[-1]
    monkeypatch.setattr(captcha, "LIFETIME", dt.timedelta(seconds=-1))  # issued, then expired
    response = client.post(STEP2, data={**form, "captcha": answer})
    assert response.status_code == 200
    assert "has-error" in response.get_data(as_text=True)
    assert live_registrations(pegawai.id) == []


def test_captcha_page_is_limited_per_address_and_writes_nothing(app_factory, compiled_catalogue):
    """Finding 12: reloading step 2 draws a new image each time; past the per-IP limit of the
    public forms it answers the friendly 429, and no GET stores a row."""
    application = app_factory(CAPTCHA_ENABLED=True, RATELIMIT_ENABLED=True)
    application.test_client_class = FreshContextClient
    with application.app_context():
        pegawai, _ = _captcha_world(application)
        db.session.commit()
        client = application.test_client()
        reach_step2(client, pegawai.nip)
        allowed = int(ratelimit.PUBLIC_FORM_PER_IP.split()[0])
        statuses = [client.get(STEP2).status_code for _ in range(allowed + 1)]
        assert statuses == [200] * allowed + [429]
        response = client.get(STEP2)
        assert response.status_code == 429 and "Terlalu banyak percobaan" in text_of(response)
        assert db.session.scalar(select(func.count()).select_from(CaptchaChallenge)) == 0
        # Another address still gets its image.
        other = client.get(STEP2, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert other.status_code == 200 and "data:image/png;base64," in other.get_data(as_text=True)


def test_only_an_attempt_writes_a_captcha_row(captcha_app, compiled_catalogue, captcha_answers):
    pegawai, _ = _captcha_world(captcha_app)
    db.session.commit()
    client = captcha_app.test_client()
    reach_step2(client, pegawai.nip)
    for _ in range(5):
        assert client.get(STEP2).status_code == 200
    form = step2_form(client)
    assert db.session.scalar(select(func.count()).select_from(CaptchaChallenge)) == 0
    assert client.post(STEP2, data={**form, "captcha": captcha_answers[-1][1]}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(CaptchaChallenge)) == 1


# --------------------------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------------------------
def test_no_registration_before_the_phase_with_its_dates(app, client, world, compiled_catalogue):
    set_phase(Jadwal.FASE_PERSIAPAN, -3, 4)
    window = set_phase(Jadwal.FASE_PENGISIAN, 5, 40)
    response = search(client, world["peg_a"].nip)
    assert response.status_code == 200
    text = text_of(response)
    from app.i18n import format_tanggal

    with app.test_request_context():
        mulai, selesai = format_tanggal(window.mulai), format_tanggal(window.selesai)
    assert mulai in text and selesai in text
    assert "Persiapan" in text
    assert 'value="Lanjut"' not in response.get_data(as_text=True)
    assert client.get(STEP2).headers["Location"].endswith(STEP1)


def test_no_registration_after_the_phase(app, client, world, compiled_catalogue):
    ended = set_phase(Jadwal.FASE_PENGISIAN, -40, -1)
    response = search(client, world["peg_a"].nip)
    from app.i18n import format_tanggal

    with app.test_request_context():
        assert format_tanggal(ended.selesai) in text_of(response)
    assert registration_count() == 0


def test_instansi_schedule_overrides_the_national_one(app, client, world):
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    set_phase(Jadwal.FASE_PERSIAPAN, -5, 2, instansi_id=world["inst_b"].id)
    assert search(client, world["peg_a"].nip).status_code == 302  # instansi A: open
    other = new_client_for(app)
    assert search(other, world["peg_b"].nip).status_code == 200  # instansi B: not yet


def test_the_schedule_is_enforced_on_every_step_not_only_the_page(app, client, world, open_run):
    """A session that reached step 2 while it was open cannot register once it closed."""
    pegawai = world["peg_sub"]
    reach_step2(client, pegawai.nip)
    form = step2_form(client)
    open_run.selesai = dt.date.today() - dt.timedelta(days=1)
    open_run.mulai = open_run.selesai - dt.timedelta(days=30)
    db.session.commit()
    response = client.post(STEP2, data=form)
    assert response.status_code == 200
    assert live_registrations(pegawai.id) == []
    # The refusal dropped the draft: every later step starts again at step 1.
    response = client.post(STEP1_EMAIL, data={"email": EMAIL, "csrf_token": csrf_token(client, STEP1)})
    assert response.headers["Location"].endswith(STEP1)
    assert client.get(STEP2).headers["Location"].endswith(STEP1)
    assert live_registrations(pegawai.id) == []


def test_nip_registered_meanwhile_is_refused_at_the_final_post(app, client, world, open_run, compiled_catalogue):
    pegawai = world["peg_sub"]
    reach_step2(client, pegawai.nip)
    form = step2_form(client)
    assert register(new_client_for(app), pegawai.nip).status_code == 302  # someone else wins
    response = client.post(STEP2, data=form)
    assert response.status_code == 200
    assert tr(app, "NIP ini sudah terdaftar.") in text_of(response)
    assert "Laporkan" in text_of(response)
    assert len(live_registrations(pegawai.id)) == 1


# --------------------------------------------------------------------------------------------
# Who may print the proof
# --------------------------------------------------------------------------------------------
def test_only_the_registrant_and_staff_in_scope_get_the_proof(app, client, world, open_run):
    pegawai = world["peg_sub"]  # instansi A
    register(client, pegawai.nip)
    url = proof_link(client.get(DONE))
    assert client.get(url).status_code == 200

    def as_user(username):
        other = new_client_for(app)
        if username:
            assert AuthActions(other).login(username, PASSWORD).status_code == 302
        return other.get(url)

    assert as_user(None).status_code == 404  # another browser
    assert as_user("vinstansi_b").status_code == 404  # staff of another instansi
    assert as_user("pns").status_code == 404  # another PNS
    assert as_user("vinstansi").status_code == 200  # his instansi's verifier
    assert as_user("admin").status_code == 200
    assert new_client_for(app).get("/registrasi/bukti/AAAABBBBCCCC.pdf").status_code == 404


def test_the_approved_pns_can_print_his_own_proof_after_login(app, client, world, open_run):
    pegawai = world["peg_sub"]
    register(client, pegawai.nip)
    registrasi = live_registrations(pegawai.id)[0]
    registration.approve(db.session, world["users"]["Verifikator Instansi"], [registrasi])
    pns = new_client_for(app)
    assert AuthActions(pns).login(pegawai.nip, GOOD_PASSWORD).status_code == 302
    assert pns.get(f"/registrasi/bukti/{registrasi.nomor}.pdf").status_code == 200


# --------------------------------------------------------------------------------------------
# Names with markup
# --------------------------------------------------------------------------------------------
def test_markup_in_a_name_is_text_on_the_pages_and_in_the_pdf(app, client, world, open_run):
    evil = '<b>SITI</b> <img src="/etc/passwd"> <script>alert(1)</script>'
    pegawai = PegawaiFactory(unit_kerja=world["unit_a"], nama=evil)
    db.session.commit()
    assert search(client, pegawai.nip).status_code == 302
    pages = [client.get(STEP1)]
    response = client.post(STEP1_EMAIL, data={"email": EMAIL, "csrf_token": csrf_token(client, STEP1)})
    assert response.status_code == 302
    pages.append(client.get(STEP2))
    assert client.post(STEP2, data=step2_form(client)).status_code == 302
    done = client.get(DONE)
    pages.append(done)
    for page in pages:
        body = page.get_data(as_text=True)
        assert "<script>alert(1)" not in body and '<img src="/etc/passwd">' not in body
        assert (
            "&lt;b&gt;SITI&lt;/b&gt; &lt;img src=&#34;/etc/passwd&#34;&gt; &lt;script&gt;alert(1)&lt;/script&gt;"
            in body
        )
        assert evil in text_of(page)  # shown as the literal text it is

    text = pdf_text(client.get(proof_link(done)).data)
    flat = " ".join(text.split())
    assert "<b>SITI</b>" in flat and '<img src="/etc/passwd">' in flat and "<script>alert(1)</script>" in flat


# --------------------------------------------------------------------------------------------
# Rate limits
# --------------------------------------------------------------------------------------------
def test_rate_limit_gives_a_friendly_429(app_factory, compiled_catalogue):
    with anonymous_visitor(app_factory, RATELIMIT_ENABLED=True) as (application, pegawai, client):
        token = csrf_token(client, STEP1)
        statuses = [client.post(STEP1, data={"nip": pegawai.nip, "csrf_token": token}).status_code for _ in range(11)]
        assert statuses[:10] == [302] * 10  # "10 per 10 minute" per NIP
        assert statuses[10] == 429
        response = client.post(STEP1, data={"nip": pegawai.nip, "csrf_token": token})
        assert response.status_code == 429
        text = text_of(response)
        assert "Terlalu banyak percobaan" in text and "Too many" not in text
        assert "e-PUPNS" in text  # the portal's own layout, not a bare error
        # Another NIP from another address is still served.
        other = application.test_client()
        token = csrf_token(other, STEP1)
        response = other.post(
            STEP1, data={"nip": PegawaiFactory().nip, "csrf_token": token}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
        )
        assert response.status_code in (200, 302)


# --------------------------------------------------------------------------------------------
# Two people, one NIP, one moment (PostgreSQL)
# --------------------------------------------------------------------------------------------
def test_simultaneous_registrations_of_one_nip_only_one_wins(app_factory, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises all writers, so there is no race to prove; runs on PostgreSQL")
    application = app_factory()
    with application.app_context():
        qid = question_id()
        nips = []
        for _ in range(5):
            nips.append(PegawaiFactory().nip)
        db.session.commit()

    for nip in nips:
        started, finished = [], []

        def attempt(_n, nip=nip, started=started, finished=finished):
            started.append(time.monotonic())
            try:
                registration.register(
                    db.session,
                    application.appbuilder.sm,
                    nip=nip,
                    email=EMAIL,
                    password=GOOD_PASSWORD,
                    mother_name=MOTHER,
                    question_id=qid,
                    answer=ANSWER,
                )
                return "ok"
            except registration.RegistrationRefused as refused:
                return refused.code
            finally:
                finished.append(time.monotonic())

        results, errors = race(application, 2, attempt, barrier_timeout=10, join_timeout=60)
        assert errors == []
        # Both were inside register() at the same time: a real race, not two turns.
        assert max(started) < min(finished)
        assert sorted(results) == ["ok", registration.LOOKUP_REGISTERED]
        with application.app_context():
            pegawai_id = db.session.scalar(select(Pegawai.id).where(Pegawai.nip == nip))
            assert len(live_registrations(pegawai_id)) == 1
            assert db.session.scalar(select(func.count()).select_from(User).where(User.pegawai_id == pegawai_id)) == 1


def test_one_captcha_solved_twice_at_once_counts_once(app_factory, backend):
    """The used-challenge row's primary key decides between simultaneous attempts."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises all writers, so there is no race to prove; runs on PostgreSQL")
    application = app_factory(CAPTCHA_ENABLED=True)
    for _ in range(5):
        with application.test_request_context():
            challenge_id, answer = captcha.new_challenge()
        results, errors = race(
            application,
            2,
            lambda _n, challenge=challenge_id, code=answer: captcha.consume(db.session, challenge, code),
            barrier_timeout=10,
            join_timeout=60,
        )
        assert errors == []
        assert sorted(results) == [False, True]
