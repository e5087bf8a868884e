"""CSRF on every state-changing route (house rule: "CSRF on every POST").

The routes are not listed by hand: every rule of `app.url_map` accepting POST, PUT, PATCH or
DELETE is tried, so a route added later is covered without touching this file. Each is
called by a user who may use it (the PNS for his own pages, Admin for staff pages, nobody
for the public forms) with real ids, once without a token, once with a garbage token and
once with the valid token of another session: always 400 from Flask-WTF's CSRF check, and
no table changes (the audit log may record the refusal).
"""

import pytest
from flask_appbuilder import Model
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select, text

from app.extensions import csrf, db
from app.models import Pegawai, SecurityQuestion
from app.roles import ROLE_PNS
from app.services import registration, workflow
from app.services import ticket as ticket_service

from .helpers import PASSWORD, csrf_token, FreshContextClient

pytestmark = pytest.mark.usefixtures("open_run")

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# FAB's JSON login/refresh: authenticated by the JWT in the Authorization header, never by the
# session cookie, so a forged cross-site request carries no credential. Flask-WTF exempts
# FAB's API blueprints; no other route may be exempt.
TOKEN_API_ROUTES = {"/api/v1/security/login", "/api/v1/security/refresh"}
# Tables whose rows a refused request may add: the audit trail records refusals.
MAY_GROW = {"audit_log"}
# Views whose POSTs belong to a logged-in PNS, and public ones (no login).
PNS_VIEWS = {"MyDataView", "MessageView"}
PUBLIC_VIEWS = {"RegistrationView", "StatusView", "TicketView", "AuthDBView"}


def state_changing_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.methods & STATE_CHANGING and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


def _is_exempt(app, rule) -> bool:
    view = app.view_functions[rule.endpoint]
    name = f"{view.__module__}.{view.__name__}"
    blueprint = rule.endpoint.rpartition(".")[0]
    return name in csrf._exempt_views or app.blueprints.get(blueprint) in csrf._exempt_blueprints


def snapshot():
    """Every row of every table (but MAY_GROW), as the database holds it now."""
    db.session.rollback()
    state = {}
    with db.engine.connect() as conn:
        for table in Model.metadata.sorted_tables:
            if table.name in MAY_GROW:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            state[table.name] = [tuple(map(repr, row)) for row in rows]
    return state


@pytest.fixture
def targets(app, world):
    """Real ids behind every <pk>: a pending registration, a ticket, a submission in the
    SKPD inbox, and the first row of each model view's table."""
    question = db.session.scalar(select(SecurityQuestion).order_by(SecurityQuestion.id))
    pending = registration.register(
        db.session,
        app.appbuilder.sm,
        nip=world["peg_sub"].nip,
        email="siti@example.go.id",
        password="Kopi-Tubruk-Sleman-88",
        mother_name="SITI MARYAM",
        question_id=question.id,
        answer="kucing belang tiga",
    )
    tiket = ticket_service.create(
        db.session,
        kategori="lainnya",
        nip=world["peg_a"].nip,
        nama="BUDI SANTOSO",
        detail="Nama salah",
        email="budi@example.go.id",
    )
    usulan = workflow.open_draft(db.session, world["peg_a"])
    workflow.propose(db.session, usulan, "data_utama", "change", {"no_hp": "0812 3456 7890"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    return {
        "RegistrationApprovalView": pending.id,
        "HelpdeskAccountView.reset": pending.id,
        "HelpdeskAccountView.unlock": world["users"][ROLE_PNS].id,
        "TicketInboxView": tiket.id,
        "VerificationInboxView": usulan.id,
    }


def _pk_for(app, endpoint, targets):
    view_name = endpoint.split(".")[0]
    for key in (endpoint, view_name):
        if key in targets:
            return targets[key]
    view = next((v for v in app.appbuilder.baseviews if type(v).__name__ == view_name), None)
    model = getattr(getattr(view, "datamodel", None), "obj", None)
    if model is not None:
        first = db.session.scalar(select(model).order_by(*model.__table__.primary_key.columns))
        if first is not None:
            return first.id
    return db.session.scalar(select(Pegawai.id).order_by(Pegawai.id))


def _url_and_form(app, rule, targets):
    """The rule's URL with real ids, and form data that would change something if accepted."""
    view_name = rule.endpoint.split(".")[0]
    view = next((v for v in app.appbuilder.baseviews if type(v).__name__ == view_name), None)
    pk = _pk_for(app, rule.endpoint, targets)
    values = {}
    for argument in rule.arguments:
        if argument == "section":
            values[argument] = workflow.DATA_UTAMA
        elif argument == "name":
            values[argument] = next(iter(getattr(view, "actions", None) or {"muldelete": None}))
        elif argument == "token":
            values[argument] = "token-from-a-mail"
        else:  # pk, item_id, target_id
            values[argument] = pk
    url = rule.build(values, append_unknown=False)[1]
    form = {
        "action": values.get("name", workflow.VERIFIKASI),
        "rowid": str(pk),
        "ids": str(pk),
        "reason": "CSRF",
        "resolution": "CSRF",
        "nama": "CSRF",
        "version": "1",
        "item_id": str(pk),
        "verdict": "tidak_sesuai",
        "no_hp": "0899",
        "username": "admin",
        "password": PASSWORD,
        "conf_password": "Lain-Sandi-2015-x",
        "nip": "198005172005031001",
        "email": "x@y.id",
    }
    return url, form


def _client_for(app, view_name, clients):
    if view_name in PUBLIC_VIEWS:
        return clients["anonymous"]
    return clients["pns" if view_name in PNS_VIEWS else "admin"]


@pytest.fixture
def clients(app, world):
    # Each request in its own app context (its own `g.user`), as in production.
    app.test_client_class = FreshContextClient
    made = {}
    for name in ("admin", "pns", "anonymous", "other"):
        client = app.test_client()
        if name in ("admin", "pns"):
            token = csrf_token(client, "/login/")
            response = client.post("/login/", data={"username": name, "password": PASSWORD, "csrf_token": token})
            assert response.status_code == 302 and "/login/" not in response.headers["Location"], name
        made[name] = client
    return made


@pytest.fixture
def csrf_refusals(monkeypatch):
    """The reasons Flask-WTF gave for every CSRF refusal, in order (the response itself is
    whatever the app's error handler makes of CSRFError)."""
    reasons = []
    original = CSRFProtect._error_response

    def recording(self, reason):
        reasons.append(reason)
        return original(self, reason)

    monkeypatch.setattr(CSRFProtect, "_error_response", recording)
    return reasons


def test_only_the_token_authenticated_api_is_exempt_from_csrf(app):
    exempt = {r.rule for r in state_changing_rules(app) if _is_exempt(app, r)}
    assert exempt == TOKEN_API_ROUTES


def test_the_csrf_recorder_sees_refusals_and_lets_valid_tokens_through(app, clients, csrf_refusals):
    client = clients["pns"]
    assert client.post("/pesan/baca").status_code == 400
    assert len(csrf_refusals) == 1
    response = client.post("/pesan/baca", data={"csrf_token": csrf_token(client, "/resetmypassword/form")})
    assert response.status_code == 302 and len(csrf_refusals) == 1


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app, targets, clients, csrf_refusals):
    rules = [r for r in state_changing_rules(app) if not _is_exempt(app, r)]
    assert len(rules) > 100  # every CRUD view, action and form of the app
    foreign_token = csrf_token(clients["other"], "/login/")  # valid, but another session's
    before = snapshot()
    failures = []
    for rule in rules:
        url, form = _url_and_form(app, rule, targets)
        client = _client_for(app, rule.endpoint.split(".")[0], clients)
        for label, token in (("missing", None), ("garbage", "not-a-token"), ("foreign", foreign_token)):
            data = dict(form, csrf_token=token) if token else dict(form)
            refused_before = len(csrf_refusals)
            method = sorted(rule.methods & STATE_CHANGING)[0]
            response = client.open(url, method=method, data=data)
            if response.status_code != 400 or len(csrf_refusals) != refused_before + 1:
                failures.append(f"{method} {url} ({label} token): {response.status_code}")
    assert failures == []
    after = snapshot()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == []


def test_login_form_refuses_a_foreign_token_and_logs_nobody_in(app, world, clients, csrf_refusals):
    """Login CSRF: a page of another site must not log the victim into the attacker's account."""
    client = clients["anonymous"]
    foreign_token = csrf_token(clients["other"], "/login/")
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD, "csrf_token": foreign_token})
    assert response.status_code == 400
    assert client.get("/persetujuan/").status_code == 302  # still anonymous: sent to the login page
    db.session.rollback()
    assert db.session.execute(text("SELECT login_count FROM ab_user WHERE username = 'admin'")).scalar() == 1
