"""Mail: delivered by a real SMTP server on loopback when MAIL_SERVER is set; otherwise kept in
the outbox, logged for the dev console, readable by Admin (only) and by `pupns outbox`."""

import logging
import re
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.models import SecurityQuestion
from app.models.audit import OutboxMail
from app.roles import ROLE_ADMIN, ROLE_HELPDESK, ROLE_MONITOR, ROLE_VERIFIKATOR_INSTANSI
from app.services import accounts, mail, registration

from .helpers import PASSWORD, AuthActions, csrf_token, make_user, FreshContextClient, register_pns, clear_outbox
from .factories import PegawaiFactory

EMAIL = "ratna.sari@example.co.id"
NEW_PASSWORD = "Kunci-Baru-Sekali-9"
LINK = re.compile(r"http://localhost/status/reset/[A-Za-z0-9_\-]+")


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 at a free port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def make_app(app_factory, **config):
    application = app_factory(**config)
    application.test_client_class = FreshContextClient
    return application


def registered(application):
    """An approved registration with EMAIL as the email of record."""
    pegawai = PegawaiFactory()
    db.session.commit()
    reg = register_pns(
        application,
        pegawai,
        EMAIL,
        PASSWORD,
        mother="Sri Wahyuni",
        answer="siti aminah",
        question_id=db.session.scalar(select(SecurityQuestion.id).limit(1)),
    )
    admin = make_user(application, "admin", ROLE_ADMIN)
    registration.approve(db.session, admin, [reg])
    clear_outbox()
    return reg


def ask_for_reset(client, reg):
    token = csrf_token(client, "/status/lupa-kata-kunci")
    response = client.post(
        "/status/lupa-kata-kunci", data={"nip": reg.pegawai.nip, "nomor": reg.nomor, "csrf_token": token}
    )
    assert response.status_code == 200
    return response


def outbox():
    db.session.rollback()
    return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def test_reset_mail_is_delivered_by_smtp(app_factory, smtp_server):
    controller, inbox = smtp_server
    application = make_app(
        app_factory, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_DEFAULT_SENDER="noreply@pupns.test"
    )
    with application.app_context():
        reg = registered(application)
        # The approval was mailed first (test_approval tells its content); the reset is next.
        assert [m[1] for m in inbox.messages] == [[EMAIL]]
        inbox.messages.clear()
        client = application.test_client()
        ask_for_reset(client, reg)

        assert len(inbox.messages) == 1
        sender, recipients, content = inbox.messages[0]
        assert sender == "noreply@pupns.test" and recipients == [EMAIL]
        message = message_from_bytes(content, policy=policy.default)
        assert message["To"] == EMAIL
        body = message.get_content()
        link = LINK.search(body).group(0)
        assert reg.pegawai.nip in body

        [stored] = outbox()
        assert stored.recipient == EMAIL and stored.sent_at is not None and stored.error is None
        assert link in stored.body

        # The delivered link works: the PNS sets a new password and logs in with it.
        token = csrf_token(client, link)
        client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token})
        assert accounts.authenticate(db.session, reg.pegawai.nip, NEW_PASSWORD) is not None


def test_unreachable_smtp_server_keeps_the_mail_with_the_error(app_factory):
    application = make_app(app_factory, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with application.app_context():
        reg = registered(application)
        response = ask_for_reset(application.test_client(), reg)
        assert "Jika data cocok, tautan telah dikirim ke email terdaftar." in response.get_data(as_text=True)
        [stored] = outbox()
        assert stored.sent_at is None and "ConnectionRefusedError" in stored.error
        assert LINK.search(stored.body)


def test_without_mail_server_the_mail_stays_in_the_outbox_and_is_logged(app_factory, caplog):
    application = make_app(app_factory, MAIL_SERVER="")
    with application.app_context():
        reg = registered(application)
        caplog.clear()  # the approval's mail was logged too (test_approval)
        with caplog.at_level(logging.INFO):
            ask_for_reset(application.test_client(), reg)
        [stored] = outbox()
        assert stored.recipient == EMAIL and stored.sent_at is None and stored.error is None
        link = LINK.search(stored.body).group(0)
        logged = [r for r in caplog.records if r.name.endswith(".outbox") and r.levelno == logging.INFO]
        assert len(logged) == 1
        line = logged[0].getMessage()
        assert EMAIL in line and stored.subject in line and link in line


def test_outbox_log_reaches_the_console_outside_debug_mode(app_factory):
    """Flask's logger passes only warnings outside debug mode; `make run` is not in debug mode."""
    application = make_app(app_factory, MAIL_SERVER="", DEBUG=False)
    with application.app_context():
        assert not application.debug
        assert mail.outbox_logger().isEnabledFor(logging.INFO)


@pytest.fixture
def admin_world(app_factory):
    application = make_app(app_factory, MAIL_SERVER="")
    with application.app_context():
        reg = registered(application)
        for username, role in (
            ("helpdesk", ROLE_HELPDESK),
            ("monitor", ROLE_MONITOR),
            ("vinstansi", ROLE_VERIFIKATOR_INSTANSI),
        ):
            make_user(application, username, role)
        ask_for_reset(application.test_client(), reg)
        mail.send(db.session, "lain@example.co.id", "Pesan kedua", "Isi pesan kedua")
        yield application, reg


def logged_in(application, username):
    client = application.test_client()
    if username:
        assert AuthActions(client).login(username).status_code == 302
    return client


def test_admin_reads_the_outbox_newest_first(admin_world):
    application, reg = admin_world
    first, second = outbox()
    client = logged_in(application, "admin")
    listing = client.get("/outboxmailview/list/")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert EMAIL in page and "Pesan kedua" in page and "Kotak Keluar" in page
    assert page.index("Pesan kedua") < page.index(first.subject), "newest first"

    shown = client.get(f"/outboxmailview/show/{first.id}")
    assert shown.status_code == 200
    assert LINK.search(first.body).group(0) in shown.get_data(as_text=True)
    # Read-only: there is no route to add, change or delete a mail.
    for url in ("/outboxmailview/add", f"/outboxmailview/edit/{first.id}", f"/outboxmailview/delete/{first.id}"):
        assert client.get(url).status_code == 404
    assert len(outbox()) == 2


@pytest.mark.parametrize("username", [None, "pns", "helpdesk", "monitor", "vinstansi"])
def test_nobody_but_admin_reads_the_outbox(admin_world, username):
    application, reg = admin_world
    if username == "pns":
        username = reg.pegawai.nip  # the PNS whose reset link is in the outbox
    first = outbox()[0]
    client = logged_in(application, username)
    for url in ("/outboxmailview/list/", f"/outboxmailview/show/{first.id}"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/login/" in response.headers["Location"]
        assert "/status/reset/" not in response.get_data(as_text=True)


def test_cli_prints_the_latest_mails(admin_world):
    application, _ = admin_world
    first, second = outbox()
    runner = application.test_cli_runner()
    result = runner.invoke(args=["pupns", "outbox", "--last", "1"])
    assert result.exit_code == 0, result.output
    assert "Pesan kedua" in result.output and "Isi pesan kedua" in result.output
    assert first.subject not in result.output

    result = runner.invoke(args=["pupns", "outbox"])
    assert result.exit_code == 0
    assert LINK.search(result.output) and EMAIL in result.output
    assert result.output.index(first.subject) < result.output.index("Pesan kedua"), "latest last"


def test_cli_says_when_the_outbox_is_empty(app_factory):
    application = make_app(app_factory)
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["pupns", "outbox"])
    assert result.exit_code == 0 and "Kotak keluar kosong." in result.output
