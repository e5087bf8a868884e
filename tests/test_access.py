"""Server-side access control and scoping of the staff screens (DESIGN.md §1), proved over HTTP.

Every request here runs in its own app context, as in production: the `app` fixture keeps one
app context open for the whole test, and Flask would otherwise reuse it for every request of
every client — the same `g.user`, CSRF token and database session — which hides scope bugs.
So the database is always re-read after a request (`row_exists`, `fresh`).
"""

import datetime as dt
import html
import io
import itertools
import secrets
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from flask_appbuilder.baseviews import BaseCRUDView
from PIL import Image
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, Text, select
from werkzeug.datastructures import FileStorage

from app import InsecureConfiguration, create_app
from app.extensions import db
from app.models import Dokumen, Golongan, Pegawai, RiwayatGolongan
from app.roles import (
    ALL_ROLES,
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from app.services import documents, rules
from app.views.employee import CHILD_VIEWS, DokumenView, PegawaiView
from app.services.labels import LABELS

from .conftest import PERMISSION_TABLES
from .helpers import PASSWORD, csrf_token, make_user, fresh, count
from .factories import PegawaiFactory

# --------------------------------------------------------------------------------------------
# The access table: who may do what, by kind of view. Anonymous users may do nothing.
# --------------------------------------------------------------------------------------------
ANONYMOUS = "anonymous"
READERS = {ROLE_ADMIN, ROLE_VERIFIKATOR_INSTANSI, ROLE_VERIFIKATOR_SKPD, ROLE_VERIFIKATOR_BKN, ROLE_MONITOR}
WRITERS = {ROLE_ADMIN, ROLE_VERIFIKATOR_INSTANSI}
ADMIN_ONLY = {ROLE_ADMIN}
NOBODY = set()

EXPECTED = {
    # Pegawai and every history/family view: read in scope, CRUD for Verifikator Instansi.
    "employee": {
        "list": READERS,
        "show": READERS,
        "add": WRITERS,
        "edit": WRITERS,
        "delete": WRITERS,
        "muldelete": WRITERS,
    },
    # Documents are attached through the history rows; the list only reads and downloads.
    "document": {
        "list": READERS,
        "show": READERS,
        "download": READERS,
        "add": NOBODY,
        "edit": NOBODY,
        "delete": NOBODY,
        "muldelete": NOBODY,
    },
    # Reference tables, FAB's security screens and any view nobody has classified yet.
    "admin": {
        "list": ADMIN_ONLY,
        "show": ADMIN_ONLY,
        "add": ADMIN_ONLY,
        "edit": ADMIN_ONLY,
        "delete": ADMIN_ONLY,
        "muldelete": ADMIN_ONLY,
        # FAB's user screen also carries "my account", open to every logged-in user.
        "userinfo": set(ALL_ROLES),
    },
}

USERNAMES = {
    ROLE_ADMIN: "admin",
    ROLE_VERIFIKATOR_INSTANSI: "vinstansi",
    ROLE_VERIFIKATOR_SKPD: "vskpd",
    ROLE_VERIFIKATOR_BKN: "vbkn",
    ROLE_HELPDESK: "helpdesk",
    ROLE_MONITOR: "monitor",
    ROLE_PNS: "pns",
    ANONYMOUS: None,
}
READ_ONLY_ROLES = [ROLE_VERIFIKATOR_SKPD, ROLE_VERIFIKATOR_BKN, ROLE_MONITOR, ROLE_HELPDESK, ROLE_PNS]


def view_kind(view):
    """Which row of EXPECTED governs `view`. Unknown views are Admin-only until classified."""
    if isinstance(view, DokumenView):
        return "document"
    if type(view) is PegawaiView or type(view) in CHILD_VIEWS:
        return "employee"
    return "admin"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def token_for(client, anonymous=False):
    """A valid CSRF token of this client's session, taken from a form the user can open."""
    return csrf_token(client, "/login/" if anonymous else "/resetmypassword/form")


def row_exists(model, pk):
    return fresh(model, pk) is not None


def refused(response, marker=None):
    """Login redirect, 403 or 404 — and nothing of the record in the body."""
    if response.status_code == 302:
        ok = "/login/" in response.headers.get("Location", "")
    else:
        ok = response.status_code in (403, 404)
    return ok and (marker is None or marker not in response.get_data(as_text=True))


def post_refused(response):
    """A refused POST: redirect, 400, 403 or 404 (the caller checks the database)."""
    return response.status_code in (302, 400, 403, 404)


_seq = itertools.count(1)


def fill_row(model, **values):
    """Insert a row of `model` with every required column filled; string columns carry a
    distinctive marker so a page that shows the row can be recognised. Returns (row, marker)."""
    marker = f"QXM{next(_seq):05d}"
    row = model(**values)
    used_marker = None
    for col in model.__table__.columns:
        if col.primary_key or col.key in values or col.key in ("created_at", "updated_at"):
            continue
        if col.default is not None or col.server_default is not None:
            continue
        if col.foreign_keys:
            if not col.nullable:
                target = next(iter(col.foreign_keys)).column
                first = db.session.scalar(select(target).order_by(target).limit(1))
                assert first is not None, f"no row in {target.table.name} for {model.__name__}"
                setattr(row, col.key, first)
            continue
        kind = col.type
        if isinstance(kind, (String, Text)):
            length = getattr(kind, "length", None)
            if length is None or length >= len(marker):
                setattr(row, col.key, marker)
                used_marker = marker
            elif not col.nullable:
                setattr(row, col.key, marker[-length:])
        elif col.nullable:
            continue
        elif isinstance(kind, DateTime):
            setattr(row, col.key, dt.datetime(2015, 6, 1, 8, 0))
        elif isinstance(kind, Date):
            setattr(row, col.key, dt.date(2015, 6, 1))
        elif isinstance(kind, Boolean):
            setattr(row, col.key, False)
        elif isinstance(kind, Numeric):
            setattr(row, col.key, Decimal("1"))
        elif isinstance(kind, Integer):
            setattr(row, col.key, 900 + int(marker[3:]))
    db.session.add(row)
    db.session.commit()
    return row, used_marker


def tiny_png(color="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), color).save(buffer, "PNG")
    return buffer.getvalue()


def store_document(pegawai_id, name="ijazah.png", data=None):
    """A Dokumen row and its file, stored the way an upload is."""
    data = data or tiny_png()
    upload = FileStorage(stream=io.BytesIO(data), filename=name, content_type="image/png")
    dokumen = documents.store_upload(db.session, pegawai_id, upload)
    db.session.commit()
    return dokumen.id, data


def stored_files():
    root = documents.upload_root()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class _FormParser(HTMLParser):
    """Fields of the model form (id="model_form") as a browser would submit them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields = {}
        self._in_form = False
        self._select = None
        self._first_option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "model_form":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value") or ("y" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form = False
        elif tag == "select" and self._select:
            self.fields.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_of(client, url):
    """The model form at `url` as the client's user would submit it unchanged."""
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    parser = _FormParser()
    parser.feed(response.get_data(as_text=True))
    assert "csrf_token" in parser.fields, f"no model form on {url}"
    return parser.fields


def page_text(response):
    """The page as a user reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def new_pegawai_data(world, nip=None, nik=None, **changes):
    """Form values for a new, valid Pegawai of instansi A (a woman born 12 March 1985)."""
    born, tmt = dt.date(1985, 3, 12), dt.date(2010, 1, 1)
    data = {
        "nip": nip or rules.make_nip(born, tmt, "P", 7),
        "nik": nik or rules.make_nik("327301", born, "P", 12),
        "nama": "RATNA SARI",
        "tempat_lahir": "Sleman",
        "tanggal_lahir": born.isoformat(),
        "jenis_kelamin": "P",
        "instansi": str(world["inst_a"].id),
        "unit_kerja": str(world["unit_a"].id),
        "status": Pegawai.STATUS_PNS,
        "tmt_cpns": tmt.isoformat(),
        "tmt_pns": dt.date(2011, 1, 1).isoformat(),
    }
    data.update(changes)
    return data


# --------------------------------------------------------------------------------------------
# The access matrix
# --------------------------------------------------------------------------------------------
def crud_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, BaseCRUDView)]


def is_shared_table(view):
    """FAB's permission tables survive between tests: never let Admin change them here."""
    return view.datamodel.obj.__tablename__ in PERMISSION_TABLES | {"ab_user"}


@pytest.fixture
def targets(app, world):
    """For every CRUD view: the row to show/edit, the rows to delete, and its marker text."""
    inst_a_units = {"unit_kerja": world["unit_a"]}
    spare = [PegawaiFactory(**inst_a_units).id for _ in range(3)]
    db.session.commit()
    result = {}
    peg_a = world["peg_a"]
    doc_id, _ = store_document(peg_a.id, name="ijazah-QXM-doc.png")
    for view in crud_views(app):
        model = view.datamodel.obj
        kind = view_kind(view)
        if type(view) is PegawaiView:
            t = {
                "row": peg_a.id,
                "delete": spare[0],
                "action_post": spare[1],
                "action": spare[2],
                "marker": peg_a.nip,
                "in_list": True,
            }
        elif kind == "employee":
            row, marker = fill_row(model, pegawai_id=peg_a.id)
            gone, _ = fill_row(model, pegawai_id=peg_a.id)
            t = {"row": row.id, "delete": gone.id, "action_post": row.id, "action": row.id, "marker": marker}
        elif kind == "document":
            t = {
                "row": doc_id,
                "delete": doc_id,
                "action_post": doc_id,
                "action": doc_id,
                "marker": "ijazah-QXM-doc.png",
                "in_list": True,
            }
        elif is_shared_table(view) or model.__tablename__.startswith("ab_"):
            first = db.session.scalar(select(model).limit(1))
            pk = first.id if first is not None else fill_row(model)[0].id
            t = {"row": pk, "delete": pk, "action_post": pk, "action": pk, "marker": None}
        else:
            row, marker = fill_row(model)
            gone, _ = fill_row(model)
            t = {"row": row.id, "delete": gone.id, "action_post": gone.id, "action": gone.id, "marker": marker}
        t["model"] = model
        result[view.endpoint] = t
    return result


def _rules_of(app, view):
    prefix = f"{view.endpoint}."
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith(prefix)), key=lambda r: r.endpoint)


def _check_endpoint(client, role, view, rule, target, anonymous):
    """None when the outcome matches EXPECTED, else a description of the mismatch."""
    op = rule.endpoint.split(".", 1)[1]
    kind = view_kind(view)
    base = view.route_base
    marker = target["marker"]
    model = target["model"]
    fab_owned = type(view).__module__.startswith("flask_appbuilder") or is_shared_table(view)
    table = EXPECTED[kind]
    if fab_owned:
        # FAB's own screens declare what they offer at all (e.g. permission lists are read-only).
        table = {
            k: (v if f"can_{k}" in view.base_permissions or k == "muldelete" else NOBODY) for k, v in table.items()
        }

    if op in ("list", "show", "add", "edit", "userinfo"):
        url = {
            "list": f"{base}/list/",
            "show": f"{base}/show/{target['row']}",
            "add": f"{base}/add",
            "edit": f"{base}/edit/{target['row']}",
            "userinfo": f"{base}/userinfo/",
        }[op]
        response = client.get(url)
        if role in table[op]:
            if response.status_code != 200:
                return f"GET {url}: expected 200, got {response.status_code}"
            if kind != "admin" and op in ("show", "edit") and marker not in response.get_data(as_text=True):
                return f"GET {url}: the record is not on the page"
            if op == "list" and target.get("in_list") and marker not in response.get_data(as_text=True):
                return f"GET {url}: the record is not in the list"
        elif not refused(response, marker):
            return f"GET {url}: expected refusal, got {response.status_code}"
        return None

    if op == "download":
        if kind != "document":
            # FAB's file-column download (UPLOAD_FOLDER) exists on every ModelView; e-PUPNS
            # stores no files there, so nobody, Admin included, gets anything from it.
            url = f"{base}/download/config.py"
            response = client.get(url)
            return None if refused(response) else f"GET {url}: {response.status_code}"
        url = f"{base}/download/{target['row']}"
        response = client.get(url)
        if role in table["download"]:
            if response.status_code != 200 or response.data != target["data"]:
                return f"GET {url}: expected the file, got {response.status_code}"
        elif not refused(response) or response.data == target["data"]:
            return f"GET {url}: expected refusal, got {response.status_code}"
        return None

    if op in ("delete", "action_post", "action"):
        pk = target[op]
        if pk is None or (fab_owned and role == ROLE_ADMIN):
            return None  # never let Admin change FAB's shared permission tables here
        token = token_for(client, anonymous)
        action = "muldelete" if "muldelete" in (view.actions or {}) else None
        if op == "delete":
            url, data, allowed = f"{base}/delete/{pk}", {}, role in table["delete"]
        elif fab_owned and action is None:
            # FAB's own screens: use an action they really have, if any.
            action = next(iter(view.actions or {}), None)
            if action is None:
                return None
            url = f"{base}/action_post" if op == "action_post" else f"{base}/action/{action}/{pk}"
            data, allowed = {"action": action, "rowid": [str(pk)]}, False
        else:
            name = action or "muldelete"
            url = f"{base}/action_post" if op == "action_post" else f"{base}/action/{name}/{pk}"
            data = {"action": name, "rowid": [str(pk)]}
            allowed = action is not None and role in table["muldelete"]
        data["csrf_token"] = token
        response = client.post(url, data=data)
        still_there = row_exists(model, pk)
        if allowed:
            if still_there:
                return f"POST {url}: expected the row deleted, status {response.status_code}"
        else:
            if not still_there:
                return f"POST {url}: row deleted although refused"
            if not post_refused(response):
                return f"POST {url}: expected refusal, got {response.status_code}"
            if op != "delete" and action is None and response.status_code not in (400, 404):
                return f"POST {url} (no such action): expected 400/404, got {response.status_code}"
        return None

    return f"{rule.rule}: endpoint '{op}' is not in the access table; classify it"


@pytest.mark.parametrize("role", list(USERNAMES))
def test_access_matrix(role, app, world, targets, login):
    """Every role (and anonymous) against every route of every CRUD view of the app."""
    anonymous = role == ANONYMOUS
    client = login(USERNAMES[role])
    for t in targets.values():
        t.setdefault("data", None)
    doc = next(t for ep, t in targets.items() if ep == "DokumenView")
    doc["data"] = documents.path_of(fresh(Dokumen, doc["row"])).read_bytes()

    failures = []
    checked = 0
    for view in crud_views(app):
        target = targets[view.endpoint]
        for rule in _rules_of(app, view):
            try:
                problem = _check_endpoint(client, role, view, rule, target, anonymous)
            except Exception as exc:  # noqa: BLE001 - an exception is a 500 for the user
                db.session.rollback()
                problem = f"{rule.rule}: {type(exc).__name__}: {exc}"
            checked += 1
            if problem:
                failures.append(f"{view.endpoint}: {problem}")
    assert checked > 100, "the url_map walk found too few routes"
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_every_staff_view_is_covered(app):
    """The matrix walks the real app: Pegawai, Dokumen, every child and reference view are in it,
    and a view with actions really routes them (an override without @expose drops the route)."""
    names = {type(v).__name__ for v in crud_views(app)}
    assert {"PegawaiView", "DokumenView", "KanregView", "GolonganView"} <= names
    assert {cls.__name__ for cls in CHILD_VIEWS} <= names
    assert {"PupnsUserDBModelView", "RoleModelView"} <= names
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    for view in crud_views(app):
        if view.actions:
            assert {f"{view.endpoint}.action_post", f"{view.endpoint}.action"} <= endpoints, view.endpoint


# --------------------------------------------------------------------------------------------
# Cross-instansi IDOR: Verifikator Instansi of A against the records of B
# --------------------------------------------------------------------------------------------
def test_vinstansi_cannot_read_or_change_pegawai_of_other_instansi(world, login):
    peg_b = world["peg_b"].id
    nama_b = world["peg_b"].nama
    form_b = form_of(login("vinstansi_b"), f"/pegawaiview/edit/{peg_b}")
    client = login("vinstansi")
    token = token_for(client)

    assert refused(client.get(f"/pegawaiview/show/{peg_b}"), nama_b)
    assert refused(client.get(f"/pegawaiview/edit/{peg_b}"), nama_b)
    listing = client.get(f"/pegawaiview/list/?_flt_0_instansi={world['inst_b'].id}")
    assert listing.status_code == 200 and nama_b not in listing.get_data(as_text=True)

    response = client.post(f"/pegawaiview/edit/{peg_b}", data={**form_b, "nama": "DIUBAH", "csrf_token": token})
    assert post_refused(response)
    assert fresh(Pegawai, peg_b).nama == nama_b

    response = client.post(f"/pegawaiview/delete/{peg_b}", data={"csrf_token": token})
    assert post_refused(response) and row_exists(Pegawai, peg_b)

    # Control: the same user edits his own record with the same kind of form.
    peg_a = world["peg_a"].id
    form_a = form_of(client, f"/pegawaiview/edit/{peg_a}")
    client.post(f"/pegawaiview/edit/{peg_a}", data={**form_a, "nama": "BUDI SANTOSO SE"})
    assert fresh(Pegawai, peg_a).nama == "BUDI SANTOSO SE"


def test_muldelete_with_a_foreign_pk_deletes_nothing(world, login):
    own = PegawaiFactory(unit_kerja=world["unit_a"]).id
    peg_b = world["peg_b"].id
    db.session.commit()
    client = login("vinstansi")
    token = token_for(client)

    response = client.post(
        "/pegawaiview/action_post", data={"action": "muldelete", "rowid": [str(own), str(peg_b)], "csrf_token": token}
    )
    assert post_refused(response)
    assert row_exists(Pegawai, own) and row_exists(Pegawai, peg_b)

    response = client.post(f"/pegawaiview/action/muldelete/{peg_b}", data={"csrf_token": token})
    assert post_refused(response) and row_exists(Pegawai, peg_b)

    # Control: the action works on his own record alone.
    response = client.post(
        "/pegawaiview/action_post", data={"action": "muldelete", "rowid": [str(own)], "csrf_token": token}
    )
    assert response.status_code == 302 and not row_exists(Pegawai, own)


def test_child_rows_of_other_instansi_are_out_of_reach(world, login):
    """Every history/family view: B's row cannot be shown, listed, edited or deleted by A."""
    client = login("vinstansi")
    client_b = login("vinstansi_b")
    token = token_for(client)
    failures = []
    for child_view in CHILD_VIEWS:
        model = child_view.datamodel.obj
        row_b, marker = fill_row(model, pegawai_id=world["peg_b"].id)
        row_b = row_b.id
        base = f"/{child_view.__name__.lower()}"
        assert marker, f"{model.__name__} has no text column to recognise the row by"
        # B's own edit form, with every marked text changed, posted by A.
        form_b = {k: ("DIUBAH" if v == marker else v) for k, v in form_of(client_b, f"{base}/edit/{row_b}").items()}
        before = {c.key: getattr(fresh(model, row_b), c.key) for c in model.__table__.columns}
        checks = {
            "show": refused(client.get(f"{base}/show/{row_b}"), marker),
            "edit GET": refused(client.get(f"{base}/edit/{row_b}"), marker),
            "list": marker not in client.get(f"{base}/list/").get_data(as_text=True),
            "edit POST": post_refused(client.post(f"{base}/edit/{row_b}", data={**form_b, "csrf_token": token})),
            "delete POST": post_refused(client.post(f"{base}/delete/{row_b}", data={"csrf_token": token})),
        }
        row = fresh(model, row_b)
        checks["unchanged"] = (
            row is not None and {c.key: getattr(row, c.key) for c in model.__table__.columns} == before
        )
        failures += [f"{child_view.__name__}: {name}" for name, ok in checks.items() if not ok]
    assert not failures, failures


def _golongan_row_form(client, url="/riwayatgolonganview/add"):
    """The add form of a golongan history row as the client's user sees it, filled in."""
    form = form_of(client, url)
    # After every TMT CPNS the factories make (the rules refuse a golongan before it).
    form.update({"tmt_golongan": "2020-04-01", "nomor_sk": "SK-QXM-1"})
    return form


def test_child_row_cannot_be_attached_to_a_foreign_pegawai(world, login):
    client = login("vinstansi")
    peg_a, peg_b = world["peg_a"].id, world["peg_b"].id

    # The dropdown offers only his own employees …
    page = client.get("/riwayatgolonganview/add").get_data(as_text=True)
    assert world["peg_a"].nama in page and world["peg_b"].nama not in page

    # … and a forged POST with B's pk is refused, by the form field or by the filter argument.
    form = _golongan_row_form(client)
    client.post("/riwayatgolonganview/add", data={**form, "pegawai": str(peg_b)})
    client.post(f"/riwayatgolonganview/add?_flt_0_pegawai={peg_b}", data=form)
    assert count(RiwayatGolongan, RiwayatGolongan.pegawai_id == peg_b) == 0

    # Moving his own row to B's employee is refused as well.
    own, _ = fill_row(RiwayatGolongan, pegawai_id=peg_a)
    own = own.id
    edit = form_of(client, f"/riwayatgolonganview/edit/{own}")
    client.post(f"/riwayatgolonganview/edit/{own}", data={**edit, "pegawai": str(peg_b)})
    assert fresh(RiwayatGolongan, own).pegawai_id == peg_a

    # Control: the same form for his own employee is saved, also through the related "add" link
    # (each row a golongan above the last: the history rules refuse a rank that does not rise).
    rank = {kode: str(db.session.scalar(select(Golongan.id).where(Golongan.kode == kode))) for kode in ("II/a", "II/b")}
    client.post("/riwayatgolonganview/add", data={**form, "pegawai": str(peg_a), "golongan": rank["II/a"]})
    response = client.get(f"/riwayatgolonganview/add?_flt_0_pegawai={peg_a}")
    assert response.status_code == 200
    later = {**form, "golongan": rank["II/b"], "tmt_golongan": "2022-04-01"}
    client.post(f"/riwayatgolonganview/add?_flt_0_pegawai={peg_a}", data=later)
    assert count(RiwayatGolongan, RiwayatGolongan.pegawai_id == peg_a) == 3


def test_pegawai_cannot_be_moved_out_of_the_users_instansi(world, login):
    client = login("vinstansi")
    peg_a = world["peg_a"].id
    inst_a, unit_a = world["inst_a"].id, world["unit_a"].id

    page = client.get("/pegawaiview/add").get_data(as_text=True)
    assert world["inst_b"].nama not in page and world["unit_b"].nama not in page
    assert world["inst_a"].nama in page and world["unit_a"].nama in page

    form = form_of(client, f"/pegawaiview/edit/{peg_a}")
    client.post(
        f"/pegawaiview/edit/{peg_a}",
        data={**form, "instansi": str(world["inst_b"].id), "unit_kerja": str(world["unit_b"].id)},
    )
    client.post(f"/pegawaiview/edit/{peg_a}", data={**form, "instansi": str(world["inst_b"].id)})
    client.post(f"/pegawaiview/edit/{peg_a}", data={**form, "unit_kerja": str(world["unit_b"].id)})
    record = fresh(Pegawai, peg_a)
    assert (record.instansi_id, record.unit_kerja_id) == (inst_a, unit_a)

    # A new record cannot be created in B either.
    data = new_pegawai_data(world, instansi=str(world["inst_b"].id), unit_kerja=str(world["unit_b"].id))
    client.post("/pegawaiview/add", data={**form_of(client, "/pegawaiview/add"), **data})
    assert count(Pegawai, Pegawai.nip == data["nip"]) == 0

    # Control: a move to another unit of his own instansi is saved.
    client.post(f"/pegawaiview/edit/{peg_a}", data={**form, "unit_kerja": str(world["other_a"].id)})
    assert fresh(Pegawai, peg_a).unit_kerja_id == world["other_a"].id


def test_admin_cannot_put_a_pegawai_in_a_unit_of_another_instansi(world, login):
    client = login("admin")
    peg_a = world["peg_a"].id
    form = form_of(client, f"/pegawaiview/edit/{peg_a}")
    client.post(f"/pegawaiview/edit/{peg_a}", data={**form, "unit_kerja": str(world["unit_b"].id)})
    assert fresh(Pegawai, peg_a).unit_kerja_id == world["unit_a"].id
    # Control: Admin may move the record to B with a unit of B.
    client.post(
        f"/pegawaiview/edit/{peg_a}",
        data={**form, "instansi": str(world["inst_b"].id), "unit_kerja": str(world["unit_b"].id)},
    )
    assert fresh(Pegawai, peg_a).instansi_id == world["inst_b"].id


def test_wider_read_scope_does_not_widen_write_scope(app, world, login):
    """A Verifikator Instansi of A who is also a national Monitor reads B but may not change it,
    nor pull B's record into A (FAB checks only the read scope before copying the form)."""
    user = make_user(app, "vi_monitor", ROLE_VERIFIKATOR_INSTANSI, instansi=world["inst_a"])
    user.roles.append(app.appbuilder.sm.find_role(ROLE_MONITOR))
    db.session.commit()
    peg_b = world["peg_b"].id
    form_b = form_of(login("vinstansi_b"), f"/pegawaiview/edit/{peg_b}")
    client = login("vi_monitor")
    token = token_for(client)
    assert client.get(f"/pegawaiview/show/{peg_b}").status_code == 200
    assert refused(client.get(f"/pegawaiview/edit/{peg_b}"))
    moved = {**form_b, "instansi": str(world["inst_a"].id), "unit_kerja": str(world["unit_a"].id), "csrf_token": token}
    assert post_refused(client.post(f"/pegawaiview/edit/{peg_b}", data=moved))
    assert post_refused(client.post(f"/pegawaiview/delete/{peg_b}", data={"csrf_token": token}))
    client.post("/pegawaiview/action_post", data={"action": "muldelete", "rowid": [str(peg_b)], "csrf_token": token})
    record = fresh(Pegawai, peg_b)
    assert record is not None and record.instansi_id == world["inst_b"].id


def test_document_of_other_instansi_cannot_be_downloaded(world, login):
    doc_b, data = store_document(world["peg_b"].id, name="sk-surabaya.png", data=tiny_png("blue"))
    client = login("vinstansi")
    response = client.get(f"/dokumenview/download/{doc_b}")
    assert refused(response) and response.data != data
    assert refused(client.get(f"/dokumenview/show/{doc_b}"), "sk-surabaya.png")
    assert "sk-surabaya.png" not in client.get("/dokumenview/list/").get_data(as_text=True)
    # Control: B's own verifier downloads it.
    response = login("vinstansi_b").get(f"/dokumenview/download/{doc_b}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.headers["Content-Disposition"]


# --------------------------------------------------------------------------------------------
# Read scopes of the other roles
# --------------------------------------------------------------------------------------------
def test_skpd_sees_his_unit_and_sub_units_only(world, login):
    client = login("vskpd")
    page = client.get("/pegawaiview/list/").get_data(as_text=True)
    assert world["peg_a"].nama in page and world["peg_sub"].nama in page
    assert world["peg_other"].nama not in page and world["peg_b"].nama not in page
    assert client.get(f"/pegawaiview/show/{world['peg_sub'].id}").status_code == 200
    assert refused(client.get(f"/pegawaiview/show/{world['peg_other'].id}"), world["peg_other"].nama)
    row, marker = fill_row(RiwayatGolongan, pegawai_id=world["peg_other"].id)
    assert refused(client.get(f"/riwayatgolonganview/show/{row.id}"), marker)
    doc, _ = store_document(world["peg_other"].id)
    assert refused(client.get(f"/dokumenview/download/{doc}"))


@pytest.mark.parametrize("username", ["vbkn", "monitor"])
def test_kanreg_roles_see_their_kanreg_only(username, world, login):
    client = login(username)
    page = client.get("/pegawaiview/list/").get_data(as_text=True)
    for name in ("peg_a", "peg_sub", "peg_other"):
        assert world[name].nama in page
    assert world["peg_b"].nama not in page
    assert refused(client.get(f"/pegawaiview/show/{world['peg_b'].id}"), world["peg_b"].nama)
    doc, _ = store_document(world["peg_b"].id)
    assert refused(client.get(f"/dokumenview/download/{doc}"))


def test_national_monitor_sees_every_kanreg(app, world, login):
    make_user(app, "monitor_pusat", ROLE_MONITOR)
    page = login("monitor_pusat").get("/pegawaiview/list/").get_data(as_text=True)
    assert world["peg_a"].nama in page and world["peg_b"].nama in page


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_roles_cannot_write(role, world, login):
    admin = login("admin")
    peg_a = world["peg_a"].id
    edit_form = form_of(admin, f"/pegawaiview/edit/{peg_a}")
    add_form = {**form_of(admin, "/pegawaiview/add"), **new_pegawai_data(world)}
    child, _ = fill_row(RiwayatGolongan, pegawai_id=peg_a)
    child = child.id
    child_form = form_of(admin, f"/riwayatgolonganview/edit/{child}")
    spare = PegawaiFactory(unit_kerja=world["unit_a"]).id
    db.session.commit()

    client = login(USERNAMES[role])
    token = token_for(client)
    responses = [
        client.post(f"/pegawaiview/edit/{peg_a}", data={**edit_form, "nama": "DIUBAH", "csrf_token": token}),
        client.post("/pegawaiview/add", data={**add_form, "csrf_token": token}),
        client.post(f"/pegawaiview/delete/{spare}", data={"csrf_token": token}),
        client.post(
            "/pegawaiview/action_post", data={"action": "muldelete", "rowid": [str(spare)], "csrf_token": token}
        ),
        client.post(
            f"/riwayatgolonganview/edit/{child}", data={**child_form, "nomor_sk": "DIUBAH", "csrf_token": token}
        ),
        client.post("/riwayatgolonganview/add", data={**child_form, "pegawai": str(peg_a), "csrf_token": token}),
        client.post(f"/riwayatgolonganview/delete/{child}", data={"csrf_token": token}),
    ]
    assert all(post_refused(r) for r in responses), [r.status_code for r in responses]
    assert fresh(Pegawai, peg_a).nama == world["peg_a"].nama
    assert count(Pegawai, Pegawai.nip == add_form["nip"]) == 0
    assert row_exists(Pegawai, spare)
    assert fresh(RiwayatGolongan, child).nomor_sk != "DIUBAH"
    assert count(RiwayatGolongan) == 1


# --------------------------------------------------------------------------------------------
# Security baseline
# --------------------------------------------------------------------------------------------
def test_post_without_csrf_token_is_refused(world, login):
    client = login("vinstansi")
    peg_a = world["peg_a"].id
    form = form_of(client, f"/pegawaiview/edit/{peg_a}")
    del form["csrf_token"]
    assert client.post(f"/pegawaiview/edit/{peg_a}", data={**form, "nama": "TANPA TOKEN"}).status_code == 400
    assert client.post(f"/pegawaiview/delete/{peg_a}").status_code == 400
    response = client.post("/pegawaiview/action_post", data={"action": "muldelete", "rowid": [str(peg_a)]})
    assert response.status_code == 400
    record = fresh(Pegawai, peg_a)
    assert record is not None and record.nama == "BUDI SANTOSO"


def test_get_on_delete_does_not_delete(world, login):
    spare = PegawaiFactory(unit_kerja=world["unit_a"]).id
    db.session.commit()
    for username in ("vinstansi", "admin"):
        client = login(username)
        client.get(f"/pegawaiview/delete/{spare}")
        client.get(f"/pegawaiview/action/muldelete/{spare}")
        assert row_exists(Pegawai, spare)


BAD_LIST_QUERIES = [
    "_oc_PegawaiView=nonexistent",
    "_od_PegawaiView=sideways",
    "_oc_PegawaiView=nama&_od_PegawaiView=sideways",
    "psize_PegawaiView=100000",
    "psize_PegawaiView=-1",
    "psize_PegawaiView=0",
    "page_PegawaiView=abc",
    "page_PegawaiView=%D9%A3",  # Arabic-Indic digit three
    "_flt_10_nama=x",  # "nama" has 10 filters (0-9)
    "_flt_0_nonexistent=x",
    "_flt_0_instansi=abc",
    "_flt_0_nama=a%00b",
]
MALFORMED_PK_URLS = [
    "/pegawaiview/show/abc",
    "/pegawaiview/edit/1%20or%201=1",
    "/riwayatgolonganview/show/-1",
    "/dokumenview/show/1.0",
    "/pegawaiview/show/99999999999",
]  # beyond INTEGER: PostgreSQL would fail


def test_bad_list_params_give_400_and_malformed_ids_404(world, login):
    client = login("admin")
    statuses = {q: client.get(f"/pegawaiview/list/?{q}").status_code for q in BAD_LIST_QUERIES}
    assert statuses == {q: 400 for q in BAD_LIST_QUERIES}
    statuses = {url: client.get(url).status_code for url in MALFORMED_PK_URLS}
    assert statuses == {url: 404 for url in MALFORMED_PK_URLS}


def test_unknown_action_is_400_not_500(world, login):
    client = login("admin")
    token = token_for(client)
    for url in ("/pegawaiview/action_post", "/kanregview/action_post", "/roles/action_post"):
        response = client.post(url, data={"action": "nonexistent", "rowid": ["1"], "csrf_token": token})
        assert response.status_code == 400, url
    response = client.post("/pegawaiview/action/nonexistent/1", data={"csrf_token": token})
    assert response.status_code == 400


def test_valid_sort_filter_and_page_work(world, login):
    client = login("vinstansi")
    response = client.get(
        "/pegawaiview/list/?_oc_PegawaiView=nama&_od_PegawaiView=desc&page_PegawaiView=0&psize_PegawaiView=2"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # Descending by name, two per page: SITI AMINAH and BUDI SANTOSO; AGUS SALIM is on page 2.
    assert page.index("SITI AMINAH") < page.index("BUDI SANTOSO") and "AGUS SALIM" not in page
    response = client.get("/pegawaiview/list/?_flt_0_nama=SITI")
    assert response.status_code == 200 and "SITI AMINAH" in response.get_data(as_text=True)
    # Filter 9 of a text column is FAB's "not in": every name but the one given.
    response = client.get("/pegawaiview/list/?_flt_9_nama=SITI AMINAH")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and world["peg_sub"].nip not in page and world["peg_a"].nip in page
    response = client.get(f"/pegawaiview/list/?_flt_0_unit_kerja={world['sub_a'].id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "SITI AMINAH" in page and "BUDI SANTOSO" not in page


def test_json_login_api_is_rate_limited_like_the_login_form(app_factory):
    """FAB limits only /login/; its JSON login must not allow unlimited password guessing."""
    application = app_factory(RATELIMIT_ENABLED=True)
    with application.app_context():
        make_user(application, "admin", ROLE_ADMIN)
    limit = int(application.config["AUTH_RATE_LIMIT"].split()[0])  # "10 per 5 minute"
    client = application.test_client()
    wrong = {"username": "admin", "password": "salah-terus", "provider": "db"}
    statuses = [client.post("/api/v1/security/login", json=wrong).status_code for _ in range(limit + 1)]
    assert statuses == [401] * limit + [429]
    right = {**wrong, "password": PASSWORD}
    assert client.post("/api/v1/security/login", json=right).status_code == 429


def test_production_refuses_the_development_secret():
    for secret in ("dev-only-insecure-secret-key-change-me", "", None):
        with pytest.raises(InsecureConfiguration):
            create_app(
                {
                    "ENV_NAME": "production",
                    "SECRET_KEY": secret,
                    "TRUSTED_HOSTS": ["x.go.id"],
                    "SQLALCHEMY_DATABASE_URI": "sqlite://",
                }
            )
    application = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TRUSTED_HOSTS": ["x.go.id"],
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert application.config["SESSION_COOKIE_SECURE"] is True
    assert application.config["FAB_UPDATE_PERMS"] is False


# --------------------------------------------------------------------------------------------
# Validation through the UI (Verifikator Instansi)
# --------------------------------------------------------------------------------------------
def field_row(page, name):
    """The form row (label, input, errors) of field `name` on a FAB form page."""
    rows = [r for r in html.unescape(page).split("<tr") if f'name="{name}"' in r]
    assert len(rows) == 1, f"no single form row for {name}"
    return rows[0]


def test_nip_not_matching_birth_date_is_refused_with_a_message_naming_nip(world, login):
    client = login("vinstansi")
    born = dt.date(1985, 3, 12)
    wrong_nip = rules.make_nip(dt.date(1986, 3, 12), dt.date(2010, 1, 1), "P", 7)
    expected = [str(e.message) for e in rules.check_nip(wrong_nip, born, "P", dt.date(2010, 1, 1))]
    assert expected

    data = {**form_of(client, "/pegawaiview/add"), **new_pegawai_data(world, nip=wrong_nip)}
    response = client.post("/pegawaiview/add", data=data, follow_redirects=True)
    assert count(Pegawai, Pegawai.nip == wrong_nip) == 0
    row = field_row(response.get_data(as_text=True), "nip")
    assert str(LABELS["nip"]) in row and "alert-danger" in row
    for message in expected:
        assert message in row
    # The form keeps what was typed.
    assert 'value="RATNA SARI"' in page_text(response)

    # Control: the same form with the right NIP creates the record in his instansi.
    good = {**form_of(client, "/pegawaiview/add"), **new_pegawai_data(world)}
    client.post("/pegawaiview/add", data=good)
    db.session.rollback()
    created = db.session.scalars(select(Pegawai).where(Pegawai.nip == good["nip"])).one()
    assert created.instansi_id == world["inst_a"].id and created.nama == "RATNA SARI"


@pytest.mark.parametrize("digits", ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"], ids=["arabic-indic", "fullwidth"])
def test_nik_with_non_ascii_digits_is_refused(digits, world, login):
    good = rules.make_nik("327301", dt.date(1985, 3, 12), "P", 12)
    foreign = good.translate(str.maketrans("0123456789", digits))
    assert foreign != good and len(foreign) == 16
    expected = [str(e.message) for e in rules.check_nik(foreign)]
    client = login("vinstansi")
    data = {**form_of(client, "/pegawaiview/add"), **new_pegawai_data(world, nik=foreign)}
    response = client.post("/pegawaiview/add", data=data, follow_redirects=True)
    assert count(Pegawai, Pegawai.nip == data["nip"]) == 0
    row = field_row(response.get_data(as_text=True), "nik")
    assert str(LABELS["nik"]) in row
    assert expected and all(message in row for message in expected)


def _upload_rejection(data, filename):
    with pytest.raises(documents.UploadRejected) as excinfo:
        documents.store_upload(db.session, 0, FileStorage(io.BytesIO(data), filename=filename))
    db.session.rollback()
    return str(excinfo.value)


@pytest.mark.parametrize("upload", ["fake-pdf", "too-large"])
def test_bad_upload_on_a_child_row_is_refused_and_leaves_nothing(upload, world, login):
    if upload == "fake-pdf":
        data, filename = b"This is only text, not a PDF.\n" * 20, "sk-pangkat.pdf"
    else:
        data, filename = tiny_png() + b"\0" * (2 * 1024 * 1024), "sk-pangkat.png"
    expected = _upload_rejection(data, filename)
    client = login("vinstansi")
    form = {**_golongan_row_form(client), "pegawai": str(world["peg_a"].id)}
    page = page_text(
        client.post(
            "/riwayatgolonganview/add",
            follow_redirects=True,
            data={**form, "berkas": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )
    )
    assert expected in page
    assert count(RiwayatGolongan) == 0 and count(Dokumen) == 0
    assert stored_files() == []


def test_good_upload_on_a_child_row_is_stored_and_downloadable(world, login):
    data = tiny_png("green")
    client = login("vinstansi")
    form = {**_golongan_row_form(client), "pegawai": str(world["peg_a"].id)}
    client.post(
        "/riwayatgolonganview/add",
        data={**form, "berkas": (io.BytesIO(data), "sk.png")},
        content_type="multipart/form-data",
    )
    db.session.rollback()
    row = db.session.scalars(select(RiwayatGolongan)).one()
    assert row.dokumen is not None and row.dokumen.content_type == "image/png"
    assert len(stored_files()) == 1
    response = client.get(f"/dokumenview/download/{row.dokumen.id}")
    assert response.status_code == 200 and response.data == data
