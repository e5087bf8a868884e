"""Monitoring (DESIGN.md §3): the figures of a known world, the refresh, the drill-down, the
scope of every role, the lists, the CSV / XLSX exports, the verifiers' workload."""

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, select, text, update

from app.extensions import db
from app.models import (
    AuditLog,
    Pegawai,
    RecordChange,
    RekapAntrian,
    RekapRefresh,
    RekapUnit,
    Usulan,
    UsulanEvent,
    utcnow,
)
from app.models import monitoring as m
from app.roles import ROLE_PNS, ROLE_VERIFIKATOR_SKPD
from app.services import monitoring, workflow

from .helpers import make_user, logged_in, post_login, approve_directly, register_pns
from .factories import PegawaiFactory
from .test_login import login_as, new_client  # noqa: F401 - new_client is a fixture


# The known world
# --------------------------------------------------------------------------------------------
def _send(pegawai, pns_user, change=None):
    """The PNS proposes a change, reviews every section and sends (as the workflow demands)."""
    usulan = workflow.open_draft(db.session, pegawai)
    workflow.propose(db.session, usulan, "data_utama", "change", change or {"no_hp": "0812 3456 7890"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, pns_user, usulan.id, workflow.KIRIM)
    return usulan.id


def _act(user, usulan_id, action=workflow.VERIFIKASI, reason=None):
    workflow.transition(db.session, user, usulan_id, action, reason)


@pytest.fixture
def known(app, world, open_run):
    """The `world` plus PNS in every stage, all made through the services:

    instansi A (Kanreg A)
      unit_a   peg_a di_skpd · a1 menunggu · a2 belum_kirim
        sub_a  peg_sub dikembalikan · s1 belum_daftar
      other_a  peg_other selesai · o1 di_instansi · o2 PENSIUN (not counted)
      no unit  n1 belum_daftar
    instansi B (Kanreg B)
      unit_b   peg_b di_bkn · b1 belum_daftar
    """
    w = dict(world)
    users = w["users"]
    w["a1"] = PegawaiFactory(unit_kerja=w["unit_a"], nama="ANI MENUNGGU")
    w["a2"] = PegawaiFactory(unit_kerja=w["unit_a"], nama="ARIF DISETUJUI")
    w["s1"] = PegawaiFactory(unit_kerja=w["sub_a"], nama="SRI BELUM")
    w["o1"] = PegawaiFactory(unit_kerja=w["other_a"], nama="OKA INSTANSI")
    w["o2"] = PegawaiFactory(unit_kerja=w["other_a"], nama="OMAR PENSIUN", status=Pegawai.STATUS_PENSIUN)
    w["n1"] = PegawaiFactory(unit_kerja=None, instansi=w["inst_a"], nama="NINA TANPA UNIT")
    w["b1"] = PegawaiFactory(unit_kerja=w["unit_b"], nama="BAYU SURABAYA")
    db.session.commit()
    w["vskpd_other"] = make_user(
        app, "vskpd_other", ROLE_VERIFIKATOR_SKPD, instansi=w["inst_a"], unit_kerja=w["other_a"]
    )
    w["vskpd_b"] = make_user(app, "vskpd_b", ROLE_VERIFIKATOR_SKPD, instansi=w["inst_b"], unit_kerja=w["unit_b"])
    pns_b = make_user(app, "pns_b", ROLE_PNS, pegawai=w["peg_b"])

    register_pns(app, w["a1"], email="a1@example.go.id")
    regs = {
        name: register_pns(app, w[name], email=f"{name}@example.go.id") for name in ("a2", "peg_sub", "peg_other", "o1")
    }
    for reg in regs.values():
        approve_directly(reg)
    pns = {name: db.session.get(type(users[ROLE_PNS]), reg.user_id) for name, reg in regs.items()}

    _send(w["peg_a"], users[ROLE_PNS])  # di_skpd
    returned = _send(w["peg_sub"], pns["peg_sub"])
    _act(users[ROLE_VERIFIKATOR_SKPD], returned, workflow.KEMBALIKAN, "BTS")  # dikembalikan
    done = _send(w["peg_other"], pns["peg_other"])
    _act(w["vskpd_other"], done)
    _act(users["Verifikator Instansi"], done)  # selesai
    at_instansi = _send(w["o1"], pns["o1"])
    _act(w["vskpd_other"], at_instansi)  # di_instansi
    at_bkn = _send(w["peg_b"], pns_b, {"nama": "DEWI LESTARI PUTRI"})
    _act(w["vskpd_b"], at_bkn)
    _act(users["vinstansi_b"], at_bkn)  # di_bkn
    w["usulan"] = {
        "di_skpd": None,
        "dikembalikan": returned,
        "selesai": done,
        "di_instansi": at_instansi,
        "di_bkn": at_bkn,
    }
    return w


EXPECTED_NATIONAL = {
    "jumlah_pns": 10,
    "terdaftar": 5,
    "disetujui": 4,
    "belum_daftar": 3,
    "menunggu": 1,
    "belum_kirim": 1,
    "dikembalikan": 1,
    "di_skpd": 1,
    "di_instansi": 1,
    "di_bkn": 1,
    "selesai": 1,
}


def staff(new_client, username):
    """A client logged in as `username`, reading the English texts (login resets the language)."""
    client = login_as(new_client, username)
    client.get("/lang/en")
    return client


def node(level, obj=None):
    return monitoring.find_node(db.session, level, obj.id if obj is not None else None)


def as_dict(figures):
    return {name: getattr(figures, name) for name in EXPECTED_NATIONAL}


def nips(*pegawai):
    return sorted(p.nip for p in pegawai)


# --------------------------------------------------------------------------------------------
# Figures and refresh
# --------------------------------------------------------------------------------------------
def test_figures_match_the_known_world(known):
    assert monitoring.refresh(db.session) is True
    total, rows = monitoring.figures(db.session, node(monitoring.NASIONAL))
    assert as_dict(total) == EXPECTED_NATIONAL
    assert total.sudah_kirim == 4 and total.capaian == pytest.approx(0.1)
    by_kanreg = {r.node.id: r.figures for r in rows}
    assert len(rows) == 14  # every Kanreg, with or without PNS
    assert by_kanreg[known["kanreg_a"].id].jumlah_pns == 8
    assert as_dict(by_kanreg[known["kanreg_b"].id]) == {
        **{k: 0 for k in EXPECTED_NATIONAL},
        "jumlah_pns": 2,
        "belum_daftar": 1,
        "di_bkn": 1,
    }

    # Kanreg A -> instansi A -> its top units and the PNS without a unit.
    _, rows = monitoring.figures(db.session, node(monitoring.KANREG, known["kanreg_a"]))
    assert [(r.label, r.figures.jumlah_pns) for r in rows] == [("Pemerintah Kota Yogyakarta", 8)]
    total, rows = monitoring.figures(db.session, node(monitoring.INSTANSI, known["inst_a"]))
    assert total.jumlah_pns == 8 and total.selesai == 1 and total.di_instansi == 1
    # The bucket without a node ("Tanpa unit kerja") is keyed None.
    table = {r.node.nama if r.node else None: r.figures for r in rows}
    assert set(table) == {"Dinas Pendidikan", "Dinas Kesehatan", None}
    assert table["Dinas Pendidikan"].jumlah_pns == 5  # with SD Negeri 1 below it
    assert (table["Dinas Pendidikan"].di_skpd, table["Dinas Pendidikan"].dikembalikan) == (1, 1)
    assert (table["Dinas Kesehatan"].jumlah_pns, table["Dinas Kesehatan"].selesai) == (2, 1)  # pensiun left out
    assert table[None].belum_daftar == 1
    # The unit: its sub-unit and the PNS directly in it.
    total, rows = monitoring.figures(db.session, node(monitoring.UNIT, known["unit_a"]))
    table = {r.node.nama if r.node else None: r.figures for r in rows}
    assert total.jumlah_pns == 5
    assert (table["SD Negeri 1"].jumlah_pns, table["SD Negeri 1"].belum_daftar) == (2, 1)
    assert (table[None].jumlah_pns, table[None].menunggu, table[None].belum_kirim) == (3, 1, 1)  # directly in it

    # The lists (EXISTS conditions) classify every PNS as the figures (joins) do.
    for tahap in m.TAHAP:
        live = db.session.scalar(select(func.count(Pegawai.id)).where(monitoring.tahap_clause(tahap)))
        stored = db.session.scalar(select(func.sum(getattr(RekapUnit, tahap))))
        assert live == stored == EXPECTED_NATIONAL[tahap], tahap


def _stored():
    columns = [c for c in RekapUnit.__table__.columns if c.key != "id"]
    units = sorted(tuple(map(str, r)) for r in db.session.execute(select(*columns)))
    queue_columns = [c for c in RekapAntrian.__table__.columns if c.key != "id"]
    queues = sorted(tuple(map(str, r)) for r in db.session.execute(select(*queue_columns)))
    return units, queues


def test_refresh_is_idempotent_and_follows_changes(known):
    monitoring.refresh(db.session)
    first = _stored()
    monitoring.refresh(db.session)
    assert _stored() == first
    assert db.session.scalar(select(func.count()).select_from(RekapRefresh)) == 1
    # The SKPD verifies peg_a: one less at SKPD, one more at Instansi after the next refresh.
    usulan_a = workflow.open_usulan(db.session, known["peg_a"].id)
    _act(known["users"][ROLE_VERIFIKATOR_SKPD], usulan_a.id)
    total = monitoring.node_total(db.session, node(monitoring.NASIONAL))
    assert (total.di_skpd, total.di_instansi) == (1, 1)  # not refreshed yet
    monitoring.refresh(db.session)
    total = monitoring.node_total(db.session, node(monitoring.NASIONAL))
    assert (total.di_skpd, total.di_instansi, total.jumlah_pns) == (0, 2, 10)


def test_a_refresh_while_another_runs_changes_nothing(world, backend):
    """On PostgreSQL a second refresh while one runs changes nothing and says so."""
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    monitoring.refresh(db.session)
    before = _stored()
    PegawaiFactory(unit_kerja=world["unit_b"], nama="BARU SAJA")
    db.session.commit()
    other = create_engine(db.engine.url)
    with other.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": monitoring.REFRESH_LOCK_KEY})
        assert monitoring.refresh(db.session) is False
        assert _stored() == before
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": monitoring.REFRESH_LOCK_KEY})
    other.dispose()
    assert monitoring.refresh(db.session) is True
    assert monitoring.node_total(db.session, node(monitoring.NASIONAL)).jumlah_pns == 5


def test_cli_refresh_monitoring(world, runner):
    result = runner.invoke(args=["pupns", "refresh-monitoring"])
    assert result.exit_code == 0, result.output
    assert monitoring.refreshed_at(db.session) is not None
    assert monitoring.node_total(db.session, node(monitoring.NASIONAL)).belum_daftar == 4


# --------------------------------------------------------------------------------------------
# The dashboard over HTTP
# --------------------------------------------------------------------------------------------
def _figure(html, name):
    found = re.search(rf'id="fig_{name}">([^<]*)<', html)
    assert found, name
    return found.group(1).strip()


def test_monitor_drills_down_from_his_kanreg_to_a_unit(known, new_client):
    client = staff(new_client, "monitor")
    page = client.get("/monitoring/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-level="kanreg"' in html  # a Kanreg monitor starts at his Kanreg
    assert "Data as of" in html
    assert _figure(html, "jumlah_pns") == "8" and _figure(html, "selesai") == "1"
    assert _figure(html, "capaian") == "12.5%"
    assert f"/monitoring/?instansi={known['inst_a'].id}" in html

    html = client.get(f"/monitoring/?instansi={known['inst_a'].id}").get_data(as_text=True)
    assert "Dinas Pendidikan" in html and "Without a work unit" in html
    assert f"/monitoring/?unit={known['unit_a'].id}" in html

    html = client.get(f"/monitoring/?unit={known['unit_a'].id}").get_data(as_text=True)
    assert _figure(html, "jumlah_pns") == "5" and _figure(html, "dikembalikan") == "1"
    assert "SD Negeri 1" in html and "Directly in this unit" in html
    # The breadcrumb leads back up: Indonesia is outside his scope, so not a link.
    crumbs = html[html.index('class="breadcrumb') : html.index("</ol>")]
    assert "Indonesia" in crumbs and "/monitoring/?kanreg=" in crumbs and 'href="/monitoring/"' not in crumbs

    # Admin starts at Indonesia, one row per Kanreg.
    html = staff(new_client, "admin").get("/monitoring/").get_data(as_text=True)
    assert 'data-level="nasional"' in html
    assert _figure(html, "jumlah_pns") == "10" and _figure(html, "di_bkn") == "1"
    assert "Kanreg I " in html


# Per role: where the dashboard opens, and areas he may and may not open.
SCOPES = {
    "monitor": ("kanreg", ["inst_a", "unit_a", "sub_a"], ["kanreg_b", "inst_b", "unit_b"]),
    "vbkn": ("kanreg", ["inst_a", "other_a"], ["kanreg_b", "inst_b", "unit_b"]),
    "vinstansi": ("instansi", ["unit_a", "sub_a", "other_a"], ["kanreg_a", "kanreg_b", "inst_b", "unit_b"]),
    "vskpd": ("unit", ["sub_a"], ["kanreg_a", "inst_a", "other_a", "inst_b", "unit_b"]),
    "admin": ("nasional", ["kanreg_b", "inst_b", "unit_b", "sub_a"], []),
}


def _query(world, name):
    level = {"kanreg": "kanreg", "inst": "instansi"}.get(name.split("_")[0], "unit")
    return f"{level}={world[name].id}"


@pytest.mark.parametrize("username", sorted(SCOPES))
def test_each_role_sees_only_his_areas(world, new_client, username):
    root, allowed, forbidden = SCOPES[username]
    client = staff(new_client, username)
    assert f'data-level="{root}"' in client.get("/monitoring/").get_data(as_text=True)
    for name in allowed:
        assert client.get(f"/monitoring/?{_query(world, name)}").status_code == 200, name
    for name in forbidden:
        q = _query(world, name)
        for url in (
            f"/monitoring/?{q}",
            f"/monitoring/daftar/belum_daftar?{q}",
            f"/monitoring/ekspor/belum_daftar.csv?{q}",
            f"/monitoring/ekspor/terverifikasi.xlsx?{q}",
            f"/monitoring/antrian/?{q}",
        ):
            assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("username", ["helpdesk", "pns", None])
def test_roles_without_monitoring_are_refused(world, new_client, username):
    client = staff(new_client, username) if username else new_client()
    for url in (
        "/monitoring/",
        "/monitoring/daftar/belum_daftar",
        "/monitoring/antrian/",
        "/monitoring/ekspor/belum_daftar.csv",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/login/" in response.headers["Location"] or response.headers["Location"].endswith("/")
        assert world["peg_a"].nip not in response.get_data(as_text=True)


def test_bad_area_and_list_arguments_are_404(world, new_client):
    client = staff(new_client, "admin")
    for url in (
        "/monitoring/?unit=abc",
        "/monitoring/?instansi=99999",
        "/monitoring/?kanreg=-1",
        "/monitoring/?unit=99999999999999",
        "/monitoring/daftar/semua",
        "/monitoring/ekspor/belum_daftar.pdf",
        "/monitoring/ekspor/rahasia.csv",
    ):
        assert client.get(url).status_code == 404, url


def test_figures_are_refreshed_on_read_only_when_configured_and_stale(app_factory, world, new_client):
    client = staff(new_client, "admin")
    html = client.get("/monitoring/").get_data(as_text=True)  # first read: computed now
    assert _figure(html, "jumlah_pns") == "4"
    PegawaiFactory(unit_kerja=world["unit_b"], nama="BARU SAJA")
    db.session.commit()
    html = client.get("/monitoring/").get_data(as_text=True)
    assert _figure(html, "jumlah_pns") == "4"  # younger than MONITORING_MAX_AGE: as they were
    db.session.execute(update(RekapRefresh).values(refreshed_at=utcnow() - dt.timedelta(minutes=10)))
    db.session.commit()
    html = client.get("/monitoring/").get_data(as_text=True)
    assert _figure(html, "jumlah_pns") == "5"

    # Without refresh on read (production), a stale table stays as it is until the cron runs.
    production_like = app_factory(MONITORING_REFRESH_ON_READ=False)
    PegawaiFactory(unit_kerja=world["unit_b"], nama="LAGI BARU")
    db.session.execute(update(RekapRefresh).values(refreshed_at=utcnow() - dt.timedelta(days=1)))
    db.session.commit()
    production_like.test_client_class = type(client)
    other = production_like.test_client()
    assert logged_in(post_login(other, "admin", "Rahasia-Kuat-2015"))
    assert _figure(other.get("/monitoring/").get_data(as_text=True), "jumlah_pns") == "5"


# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------
def _list_nips(html):
    return sorted(re.findall(r'class="pm-nip">(\d{18})<', html))


def test_lists_hold_exactly_the_in_scope_rows(known, new_client):
    k = known
    cases = [
        ("admin", "", "belum_daftar", nips(k["s1"], k["n1"], k["b1"])),
        ("monitor", "", "belum_daftar", nips(k["s1"], k["n1"])),
        ("vskpd", "", "belum_daftar", nips(k["s1"])),
        ("vinstansi", f"unit={k['other_a'].id}", "belum_daftar", []),
        ("admin", "", "belum_kirim", nips(k["a2"])),
        ("vinstansi", "", "dikembalikan", nips(k["peg_sub"])),
        ("vbkn", "", "dikembalikan", nips(k["peg_sub"])),
    ]
    for username, query, kind, expected in cases:
        client = staff(new_client, username)
        response = client.get(f"/monitoring/daftar/{kind}?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert _list_nips(html) == expected, (username, kind)
        for pegawai in (k["peg_a"], k["s1"], k["b1"], k["peg_sub"]):
            assert pegawai.nik not in html  # NIK is never shown


def test_list_is_sorted_and_paginated(world, new_client):
    client = staff(new_client, "admin")
    everyone = [world[name] for name in ("peg_a", "peg_sub", "peg_other", "peg_b")]  # none registered
    expected = sorted(everyone, key=lambda p: p.nip, reverse=True)
    html = client.get("/monitoring/daftar/belum_daftar?sort=-nip").get_data(as_text=True)
    assert re.findall(r'class="pm-nip">(\d{18})<', html) == [p.nip for p in expected]
    by_name = sorted(everyone, key=lambda p: p.nama)
    pages = [
        client.get(f"/monitoring/daftar/belum_daftar?per_page=1&page={n}").get_data(as_text=True) for n in (1, 2, 3, 4)
    ]
    assert [re.findall(r'class="pm-nip">(\d{18})<', p) for p in pages] == [[p.nip] for p in by_name]
    # A page size above the maximum is capped, not obeyed.
    html = client.get("/monitoring/daftar/belum_daftar?per_page=100000").get_data(as_text=True)
    assert len(_list_nips(html)) == 4


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------
def _csv_rows(response):
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx_rows(response):
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [list(r) for sheet in workbook.worksheets for r in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def test_exports_hold_the_in_scope_rows_and_are_audited(known, new_client, monkeypatch):
    monkeypatch.setattr(monitoring.exports, "EXPORT_BATCH", 1)  # several fetches per export
    client = staff(new_client, "monitor")
    today = dt.date.today().strftime("%Y%m%d")

    response = client.get("/monitoring/ekspor/belum_daftar.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert f"pupns-belum_daftar-kanreg-{known['kanreg_a'].id}-" in disposition and ".csv" in disposition
    assert re.search(r"-\d{8}\.csv", disposition) and today[:4] in disposition
    rows = _csv_rows(response)
    assert rows[0] == ["NIP", "Name", "Instansi", "Work unit", "Status"]
    assert sorted(r[0] for r in rows[1:]) == nips(known["s1"], known["n1"])
    assert {r[4] for r in rows[1:]} == {"Not registered"}

    response = client.get(f"/monitoring/ekspor/belum_daftar.xlsx?unit={known['unit_a'].id}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = _xlsx_rows(response)
    assert rows[0] == ["NIP", "Name", "Instansi", "Work unit", "Status"]
    assert [r[:4] for r in rows[1:]] == [[known["s1"].nip, "SRI BELUM", "Pemerintah Kota Yogyakarta", "SD Negeri 1"]]

    entries = db.session.scalars(select(AuditLog).where(AuditLog.event == "export").order_by(AuditLog.id)).all()
    assert [(e.actor_name, e.target_type) for e in entries] == [("monitor", "Kanreg"), ("monitor", "UnitKerja")]
    assert "belum_daftar csv" in entries[0].detail and "belum_daftar xlsx" in entries[1].detail


def test_verified_data_export(known, new_client):
    """Verified data: the official record (after apply) of PNS with a finished submission."""
    other = known["peg_other"]
    rows = _xlsx_rows(staff(new_client, "admin").get("/monitoring/ekspor/terverifikasi.xlsx"))
    header, data = rows[0], rows[1:]
    assert header[:2] == ["NIP", "Name"] and "NIK" not in header
    assert [r[0] for r in data] == [other.nip]
    record = dict(zip(header, data[0]))
    assert record["Work unit"] == "Dinas Kesehatan"
    assert record["Date of birth"].date() == other.tanggal_lahir
    assert record["Verified on"] is not None
    csv_rows = _csv_rows(staff(new_client, "vinstansi").get("/monitoring/ekspor/terverifikasi.csv"))
    assert [r[0] for r in csv_rows[1:]] == [other.nip]
    assert csv_rows[1][header.index("Date of birth")] == other.tanggal_lahir.isoformat()
    # The SKPD of Dinas Pendidikan has no verified record in his scope: a header only.
    assert len(_csv_rows(staff(new_client, "vskpd").get("/monitoring/ekspor/terverifikasi.csv"))) == 1


def test_exports_cannot_start_formulas(world, new_client):
    names = ['=HYPERLINK("http://x";"klik")', "+62 SUM", "-1+1", "@SUM(A1)"]
    for nama in names:
        PegawaiFactory(unit_kerja=world["unit_b"], nama=nama)
    db.session.commit()
    client = staff(new_client, "admin")
    rows = _csv_rows(client.get(f"/monitoring/ekspor/belum_daftar.csv?unit={world['unit_b'].id}"))
    assert sorted(r[1] for r in rows[1:] if r[1] != "DEWI LESTARI") == sorted("'" + n for n in names)

    response = client.get(f"/monitoring/ekspor/belum_daftar.xlsx?unit={world['unit_b'].id}")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    cells = [row[1] for row in workbook.active.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells if c.value != "DEWI LESTARI") == sorted(names)
    assert {c.data_type for c in cells} == {"s"}  # text, never a formula


def test_csv_safe_escapes_every_formula_start():
    assert [monitoring.csv_safe(v) for v in ("=1", "+1", "-1", "@x", "\tx", "\rx", "ok", None, 5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "ok",
        "",
        5,
    ]


def test_xlsx_starts_a_new_sheet_past_the_row_limit(monkeypatch):
    monkeypatch.setattr(monitoring.exports, "XLSX_MAX_ROWS", 3)
    target = io.BytesIO()
    count = monitoring.write_xlsx(["A"], ([str(n)] for n in range(5)), "Daftar", target)
    target.seek(0)
    workbook = load_workbook(target, read_only=True)
    assert count == 5
    assert [[r[0] for r in s.iter_rows(values_only=True)] for s in workbook.worksheets] == [
        ["A", "0", "1"],
        ["A", "2", "3"],
        ["A", "4"],
    ]


# --------------------------------------------------------------------------------------------
# Workload
# --------------------------------------------------------------------------------------------
def _queues(client, query=""):
    html = client.get(f"/monitoring/antrian/?{query}").get_data(as_text=True)
    return re.findall(r'<tr data-level="(\w+)">', html), html


def test_workload_oldest_and_median_per_queue(world, app, open_run):
    """Three waiting at the SKPD of unit_a: the oldest and the median arrival time."""
    ids = [_send(world["peg_a"], world["users"][ROLE_PNS])]
    for n in (1, 2):
        extra = PegawaiFactory(unit_kerja=world["unit_a"], nama=f"TAMBAHAN {n}")
        db.session.commit()
        ids.append(_send(extra, make_user(app, f"pns_extra{n}", ROLE_PNS, pegawai=extra)))
    now = utcnow()
    for usulan_id, days in zip(ids, (10, 6, 1)):
        db.session.execute(
            update(UsulanEvent)
            .where(UsulanEvent.usulan_id == usulan_id)
            .values(created_at=now - dt.timedelta(days=days))
        )
    db.session.commit()
    monitoring.refresh(db.session)
    queue = db.session.scalars(select(RekapAntrian).where(RekapAntrian.unit_kerja_id == world["unit_a"].id)).one()
    assert queue.level == "di_skpd" and queue.jumlah == 3
    assert abs(queue.oldest_since - (now - dt.timedelta(days=10))) < dt.timedelta(seconds=1)
    assert abs(queue.median_since - (now - dt.timedelta(days=6))) < dt.timedelta(seconds=1)
    # One of them arrived earlier after all: 10, 8 and 6 days ago.
    db.session.execute(
        update(UsulanEvent).where(UsulanEvent.usulan_id == ids[2]).values(created_at=now - dt.timedelta(days=8))
    )
    db.session.commit()
    monitoring.refresh(db.session)
    queue = db.session.scalars(select(RekapAntrian).where(RekapAntrian.unit_kerja_id == world["unit_a"].id)).one()
    assert abs(queue.median_since - (now - dt.timedelta(days=8))) < dt.timedelta(seconds=1)


def test_workload_is_scoped_and_names_the_verifiers(known, new_client):
    levels, html = _queues(staff(new_client, "admin"))
    assert sorted(levels) == ["di_bkn", "di_instansi", "di_skpd"]
    assert "vskpd" in html and "vinstansi" in html
    assert "no verifier account" in html  # Kanreg B has no Verifikator BKN
    levels, html = _queues(staff(new_client, "monitor"))
    assert sorted(levels) == ["di_instansi", "di_skpd"]
    levels, _ = _queues(staff(new_client, "vskpd"))
    assert levels == ["di_skpd"]
    levels, _ = _queues(staff(new_client, "vinstansi"), "level=di_instansi")
    assert levels == ["di_instansi"]
    levels, _ = _queues(staff(new_client, "vinstansi_b"))
    assert levels == []  # B's queue waits at BKN, not at his level… and not in his instansi's rows


def test_seed_demo_leaves_a_dashboard_with_every_stage(app, runner):
    result = runner.invoke(args=["pupns", "seed-demo", "--pegawai", "60"])
    assert result.exit_code == 0, result.output
    assert monitoring.refreshed_at(db.session) is not None  # refreshed at the end of the seed
    total = monitoring.node_total(db.session, node(monitoring.NASIONAL))
    assert total.jumlah_pns == db.session.scalar(
        select(func.count(Pegawai.id)).where(Pegawai.status.in_(Pegawai.ACTIVE_STATUSES))
    )
    for stage in ("belum_daftar", "menunggu", "belum_kirim", "dikembalikan", "di_skpd", "selesai"):
        assert getattr(total, stage) > 0, stage
    # The finished ones were applied to the official record, with its history.
    done = db.session.scalars(select(Usulan).where(Usulan.status == Usulan.SELESAI)).all()
    assert done and all(u.finished_at for u in done)
    changes = db.session.scalar(
        select(func.count(RecordChange.id)).where(RecordChange.usulan_id.in_([u.id for u in done]))
    )
    assert changes == len(done)


def test_csv_export_still_reads_after_the_view_returned(app_factory, monkeypatch):
    """In production the streamed CSV is read after the view's app context (and database
    session) ended; the rows must come from the context the response streams in. The other
    tests keep an app context open around every request, which would hide this."""
    monkeypatch.setattr(monitoring.exports, "EXPORT_BATCH", 2)
    application = app_factory()
    with application.app_context():
        unit = PegawaiFactory(nama="PERTAMA").unit_kerja
        for n in range(4):
            PegawaiFactory(unit_kerja=unit, nama=f"PEGAWAI {n}")
        db.session.commit()
        make_user(application, "admin_stream", "Admin")
        expected = sorted(db.session.scalars(select(Pegawai.nip)))
    client = application.test_client()
    assert logged_in(post_login(client, "admin_stream", "Rahasia-Kuat-2015"))
    response = client.get("/monitoring/ekspor/belum_daftar.csv")
    assert response.status_code == 200
    assert sorted(r[0] for r in _csv_rows(response)[1:]) == expected
