"""Plain helpers shared by the test modules (no fixtures: those live in conftest.py).

Import them from here, never from conftest: pytest loads conftest itself, and a test module
importing it as a module is the second copy pytest's docs warn about."""

import datetime as dt
import re
import threading
from contextlib import contextmanager

from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.roles import ROLE_PNS

PASSWORD = "Rahasia-Kuat-2015"
# What a PNS types when registering (register_pns): his password, his mother's name and the
# answer to the first security question.
PNS_PASSWORD = "Kopi-Tubruk-Sleman-88"
MOTHER = "SITI MARYAM"
ANSWER = "kucing belang tiga"


def csrf_token(client, url):
    """The CSRF token of the form at `url`, as a browser would submit it."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'id="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def logout(client):
    """Log out as the user menu does: POST /logout/ with the CSRF token of the session (taken
    from the page GET /logout/ shows)."""
    return client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username, password=PASSWORD):
        token = csrf_token(self.client, "/login/")
        return self.client.post("/login/", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        """The menu's logout: a POST with the session's CSRF token."""
        return logout(self.client)


def make_user(app, username, role_name, **scope):
    """Create an active user with one role and the given scope (instansi=…, unit_kerja=…).
    A PNS user given his Pegawai is that Pegawai's PNS account (as registration makes it)."""
    if role_name == ROLE_PNS and ("pegawai" in scope or "pegawai_id" in scope):
        scope.setdefault("is_pns_account", True)
    sm = app.appbuilder.sm
    role = sm.find_role(role_name)
    user = sm.add_user(username, username, "Test", f"{username}@test.go.id", role, password=PASSWORD)
    assert user, f"could not create {username}"
    for key, value in scope.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def set_phase(fase, start_offset, end_offset, **where):
    """A Jadwal row from today+start_offset to today+end_offset (national unless `where`)."""
    from app.models import Jadwal

    today = dt.date.today()
    row = Jadwal(
        fase=fase, mulai=today + dt.timedelta(days=start_offset), selesai=today + dt.timedelta(days=end_offset), **where
    )
    db.session.add(row)
    db.session.commit()
    return row


class FreshContextClient(FlaskClient):
    """Runs every request in a new app context: its own `g` and database session."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def fresh(model, pk):
    """The row as committed in the database now (requests run in their own sessions)."""
    db.session.rollback()
    return db.session.get(model, pk)


def count(model, *where):
    """How many committed rows of `model` match `where`."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def post_login(client, username, password):
    """The login form posted as a browser posts it (with the page's CSRF token)."""
    token = csrf_token(client, "/login/")
    return client.post("/login/", data={"username": username, "password": password, "csrf_token": token})


def logged_in(response) -> bool:
    """FAB answers a login POST with a redirect: back to /login/ on failure."""
    return response.status_code == 302 and "/login/" not in response.headers["Location"]


def race(application, attempts, attempt, *, barrier_timeout=30, join_timeout=120):
    """Run attempt(n) for n in range(attempts), each in its own thread and app context, all
    released at the same moment by a barrier; return (results, errors): what the attempts
    returned, and the repr of whatever they raised (a test asserts errors == []). Each
    thread's session is removed when it is done."""
    barrier = threading.Barrier(attempts)
    results, errors = [], []

    def run(n):
        with application.app_context():
            try:
                barrier.wait(timeout=barrier_timeout)
                results.append(attempt(n))
            except Exception as exc:  # noqa: BLE001 - reported to the test
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return results, errors


@contextmanager
def anonymous_visitor(app_factory, **config):
    """An app built with `config` whose run is open today, with one unregistered Pegawai:
    yields (application, pegawai, client) inside an app context, the client anonymous and
    every request in a fresh app context (as in production)."""
    from app.models.schedule import Jadwal

    from .factories import PegawaiFactory

    application = app_factory(**config)
    application.test_client_class = FreshContextClient
    with application.app_context():
        set_phase(Jadwal.FASE_PENGISIAN, -1, 10)
        pegawai = PegawaiFactory()
        db.session.commit()
        yield application, pegawai, application.test_client()


def kirim(world, usulan_id):
    """The PNS of `world` marks every section reviewed and sends his draft ("Kirim")."""
    from app.models.submission import Usulan
    from app.services import workflow

    usulan = db.session.get(Usulan, usulan_id)
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan_id, workflow.KIRIM)


def register_pns(
    app,
    pegawai,
    email="budi.santoso@gmail.com",
    password=PNS_PASSWORD,
    *,
    mother=MOTHER,
    answer=ANSWER,
    question_id=None,
):
    """A pending registration of `pegawai`, made by the registration service as the public
    form makes it (the first security question unless `question_id`)."""
    from app.models import SecurityQuestion
    from app.services import registration

    if question_id is None:
        question_id = db.session.scalar(select(SecurityQuestion.id).order_by(SecurityQuestion.id))
    return registration.register(
        db.session,
        app.appbuilder.sm,
        nip=pegawai.nip,
        email=email,
        password=password,
        mother_name=mother,
        question_id=question_id,
        answer=answer,
    )


def approve_directly(registrasi):
    """Approve `registrasi` as the `world` admin would, through the service (no HTTP)."""
    from app.models import User
    from app.services import registration

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    registration.approve(db.session, admin, [registrasi])


def clear_outbox():
    """Forget the mails queued so far (an approval's mail, tested in test_approval) so that a
    test about a later mail sees only that one."""
    from app.models.audit import OutboxMail

    db.session.execute(OutboxMail.__table__.delete())
    db.session.commit()
