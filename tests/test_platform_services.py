"""Schedule phases, PDF isolation and password policy: the shared services behind the flows."""

import datetime as dt
import socket

import pytest

from app.extensions import db
from app.models import Instansi, Jadwal, Kanreg
from app.services import passwords, pdf
from app.services.schedule import current_phase

TODAY = dt.date(2015, 10, 1)


def _jadwal(fase, start, end, **where):
    db.session.add(Jadwal(fase=fase, mulai=start, selesai=end, **where))
    db.session.commit()


def test_no_schedule_means_no_open_phase(app):
    assert current_phase(db.session, today=TODAY).is_open is False


def test_instansi_schedule_beats_kanreg_beats_national(app):
    kanreg = db.session.query(Kanreg).filter_by(kode="I").one()
    instansi = Instansi(kode="3400", nama="Pemerintah Provinsi DI Yogyakarta", kanreg=kanreg)
    db.session.add(instansi)
    _jadwal("pengisian", dt.date(2015, 9, 1), dt.date(2015, 11, 30))
    _jadwal("persiapan", dt.date(2015, 9, 15), dt.date(2015, 10, 15), kanreg_id=kanreg.id)
    assert current_phase(db.session, today=TODAY).fase == "pengisian"
    assert current_phase(db.session, instansi=instansi, today=TODAY).fase == "persiapan"
    _jadwal("verifikasi", dt.date(2015, 10, 1), dt.date(2015, 10, 1), instansi_id=instansi.id)
    phase = current_phase(db.session, instansi=instansi, today=TODAY)
    assert (phase.fase, phase.days_left) == ("verifikasi", 1)


def test_days_left_counts_the_last_day(app):
    _jadwal("pengisian", dt.date(2015, 9, 1), dt.date(2015, 10, 3))
    assert current_phase(db.session, today=TODAY).days_left == 3


def test_every_page_shows_the_phase_in_indonesian(app, client):
    today = dt.date.today()
    _jadwal("pengisian", today - dt.timedelta(days=1), today + dt.timedelta(days=9))
    page = client.get("/").get_data(as_text=True)
    assert "Pengisian" in page or "pengisian" in page.lower()
    assert "10 hari" in page


@pytest.mark.parametrize(
    "uri",
    [
        "file:///etc/passwd",
        "/etc/passwd",
        "/static/../../config.py",
        "/static/../__init__.py",
        "http://127.0.0.1:9/x.png",
        "https://example.com/logo.png",
        "//example.com/logo.png",
    ],
)
def test_pdf_resources_outside_static_are_refused(app, uri):
    with app.test_request_context():
        assert pdf._static_only_link_callback(uri, "") == ""


def test_pdf_static_files_and_inline_images_are_allowed(app):
    with app.test_request_context():
        resolved = pdf._static_only_link_callback("/static/css/pupns.css", "")
        assert resolved.endswith("app/static/css/pupns.css")
        qr = pdf.qr_data_uri("PUPNS")
        assert pdf._static_only_link_callback(qr, "") == qr


def test_pdf_rendering_opens_no_network_connection(app, monkeypatch, tmp_path):
    """A remote image in the HTML is skipped, never fetched."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access during PDF rendering: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    template = tmp_path / "remote.html"
    template.write_text('<html><body><img src="http://10.0.0.1/x.png"><p>Halo</p></body></html>')
    app.jinja_loader.searchpath.append(str(tmp_path))
    with app.test_request_context():
        document = pdf.render_pdf("remote.html")
    assert document.startswith(b"%PDF")


@pytest.mark.parametrize(
    "password, ok",
    [
        ("Rahasia-Kuat-2015", True),
        ("short7!", False),
        ("12345678", False),
        ("aaaaaaaaaa", False),
        ("Indonesia", False),
        ("x196708171992102001y", False),
    ],
)
def test_password_policy(app, password, ok):
    with app.test_request_context():
        problems = passwords.password_problems(password, nip="196708171992102001")
    assert (problems == []) is ok


def test_answers_are_normalised_and_hashed(app):
    stored = passwords.hash_answer("Siti Aminah")
    assert "siti" not in stored.lower() and stored.startswith("$argon2id$")
    assert passwords.verify_answer(stored, "  siti   AMINAH ")
    assert passwords.verify_answer(stored, "ＳＩＴＩ aminah")  # full-width letters (NFKC)
    assert not passwords.verify_answer(stored, "Siti Aminah S")


def test_legacy_werkzeug_hashes_still_verify_and_need_rehash(app):
    from werkzeug.security import generate_password_hash

    legacy = generate_password_hash("Rahasia-Kuat-2015")
    assert passwords.verify_password(legacy, "Rahasia-Kuat-2015")
    assert passwords.needs_rehash(legacy)
    assert not passwords.verify_password(None, "anything")


def test_hashes_of_the_old_argon2_cost_still_verify_and_need_rehash(app_factory):
    """t=2 was the cost before the benchmarks (issue 7): such a hash still logs in, and is
    replaced by one of the current cost at that login (accounts.authenticate). Built with the
    production cost (the suite hashes at the minimum cost otherwise)."""
    from argon2 import PasswordHasher

    from config import Config

    app_factory(
        PASSWORD_HASH_TIME_COST=Config.PASSWORD_HASH_TIME_COST, PASSWORD_HASH_MEMORY_KIB=Config.PASSWORD_HASH_MEMORY_KIB
    )

    old = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash("Rahasia-Kuat-2015")
    assert passwords.verify_password(old, "Rahasia-Kuat-2015")
    assert passwords.needs_rehash(old)
    assert not passwords.needs_rehash(passwords.hash_password("Rahasia-Kuat-2015"))
    assert "$m=19456,t=4,p=1$" in passwords.hash_password("x")


def test_wtforms_validator_messages_are_indonesian(app):
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import DataRequired, Length

    class Probe(FlaskForm):
        class Meta:
            csrf = False

        nama = StringField(validators=[DataRequired()])
        kode = StringField(validators=[Length(max=3)])

    with app.test_request_context(method="POST", data={"nama": "", "kode": "ABCDE"}):
        form = Probe()
        assert not form.validate()
        assert form.nama.errors == ["Isian ini wajib diisi."]
        assert "3" in form.kode.errors[0] and "karakter" in form.kode.errors[0]
