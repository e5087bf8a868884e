"""The data-quality report (services.data_quality, /kualitas-data/): findings of the rules over
the official record, counted per instansi × rule, drilled into and exported, in each role's scope."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import DataQualityCount, DataQualityFinding, DataQualityRun, Golongan, Pegawai
from app.roles import ROLE_ADMIN
from app.services import data_quality, rules
from scripts import rules_doc

from .factories import PegawaiFactory, RiwayatGolonganFactory
from .test_login import login_as, new_client  # noqa: F401 - new_client is a fixture

BORN = dt.date(1985, 3, 10)


def _pns(unit, nama, **kw):
    return PegawaiFactory(unit_kerja=unit, nama=nama, tanggal_lahir=BORN, **kw)


@pytest.fixture
def dirty(world):
    """In instansi A: a record with an impossible golongan row (TMT in the future), one with
    a warning (golongan rising three steps at once), a clean one; the world's own records
    made clean (born 1985) so the counts are exactly these."""
    for key in ("peg_a", "peg_sub", "peg_other", "peg_b"):
        person = world[key]
        person.tanggal_lahir = BORN
        person.tmt_cpns = rules.add_years(BORN, 23).replace(day=1)
        person.tmt_pns = rules.add_years(person.tmt_cpns, 1)
        person.nip = rules.make_nip(person.tanggal_lahir, person.tmt_cpns, person.jenis_kelamin, 900 + len(key))
        person.nik = rules.make_nik("327301", person.tanggal_lahir, person.jenis_kelamin, 9000 + len(key))
    impossible = _pns(world["unit_a"], "IMPOSSIBLE GOLONGAN")
    RiwayatGolonganFactory(pegawai=impossible, kode="III/a", tmt_golongan=dt.date.today() + dt.timedelta(days=800))
    warned = _pns(world["sub_a"], "GOLONGAN JUMP")
    RiwayatGolonganFactory(pegawai=warned, kode="III/a", tmt_golongan=warned.tmt_cpns)
    RiwayatGolonganFactory(pegawai=warned, kode="III/d", tmt_golongan=rules.add_years(warned.tmt_cpns, 4))
    clean = _pns(world["other_a"], "CLEAN RECORD")
    warned.golongan = db.session.scalar(select(Golongan).where(Golongan.kode == "III/d"))
    db.session.commit()
    return {**world, "impossible": impossible, "warned": warned, "clean": clean}


def _codes(pegawai):
    return {
        (f.code, f.severity)
        for f in db.session.scalars(select(DataQualityFinding).where(DataQualityFinding.pegawai_id == pegawai.id))
    }


def test_the_batch_loader_gives_what_record_of_gives(dirty):
    checked = 0
    for instansi in (dirty["inst_a"], dirty["inst_b"]):
        batch = data_quality.pegawai_batch(db.session, instansi.id, 0, 100)
        for pegawai_id, record in data_quality.records_of(db.session, batch):
            assert record == rules.record_of(db.session, db.session.get(Pegawai, pegawai_id))
            checked += 1
    assert checked == 7
    assert [p for p, _ in data_quality.pegawai_batch(db.session, dirty["inst_a"].id, 0, 2)] == sorted(
        p.id for p in db.session.scalars(select(Pegawai).where(Pegawai.instansi_id == dirty["inst_a"].id))
    )[:2]


def test_refresh_counts_the_broken_records_and_leaves_the_clean_one_out(dirty):
    done = data_quality.refresh(db.session, batch_size=2)
    assert done.instansi == 2 and done.records == 7
    impossible, warned, clean = _codes(dirty["impossible"]), _codes(dirty["warned"]), _codes(dirty["clean"])
    assert impossible == {("date.tmt_ahead", rules.ERROR)}
    assert warned == {("golongan.jump", rules.WARNING)}
    assert clean == set()
    jump = db.session.scalars(select(DataQualityFinding).where(DataQualityFinding.code == "golongan.jump")).one()
    assert (jump.section, jump.unit_path, jump.instansi_id) == (
        "riwayat_golongan",
        dirty["sub_a"].path,
        dirty["inst_a"].id,
    )
    report = data_quality.summary(db.session, dirty["users"][ROLE_ADMIN])
    row = next(r for r in report.rows if r.instansi_id == dirty["inst_a"].id)
    assert (row.records, row.with_errors, row.with_warnings) == (6, 1, 1)
    assert row.counts["golongan.jump"] == 1
    assert row.counts == {"date.tmt_ahead": 1, "golongan.jump": 1}
    other = next(r for r in report.rows if r.instansi_id == dirty["inst_b"].id)
    assert (other.records, other.with_errors, other.with_warnings, other.counts) == (1, 0, 0, {})


def test_refresh_twice_is_idempotent_and_a_fixed_record_leaves_the_report(dirty):
    data_quality.refresh(db.session)
    first = sorted(
        db.session.execute(select(DataQualityFinding.pegawai_id, DataQualityFinding.code, DataQualityFinding.row)).all()
    )
    counts = sorted(
        db.session.execute(select(DataQualityCount.instansi_id, DataQualityCount.code, DataQualityCount.records)).all()
    )
    data_quality.refresh(db.session)
    assert (
        sorted(
            db.session.execute(
                select(DataQualityFinding.pegawai_id, DataQualityFinding.code, DataQualityFinding.row)
            ).all()
        )
        == first
    )
    assert (
        sorted(
            db.session.execute(
                select(DataQualityCount.instansi_id, DataQualityCount.code, DataQualityCount.records)
            ).all()
        )
        == counts
    )
    assert db.session.scalar(select(func.count()).select_from(DataQualityRun)) == 2
    # The warned record retires: the next refresh of its instansi drops its findings.
    dirty["warned"].status = Pegawai.STATUS_PENSIUN
    db.session.commit()
    data_quality.refresh(db.session, dirty["inst_a"].id)
    assert _codes(dirty["warned"]) == set()
    row = next(
        r
        for r in data_quality.summary(db.session, dirty["users"][ROLE_ADMIN]).rows
        if r.instansi_id == dirty["inst_a"].id
    )
    assert "golongan.jump" not in row.counts and row.with_warnings == 0


# -- the pages -----------------------------------------------------------------------------
ALLOWED = {"admin": {"inst_a", "inst_b"}, "monitor": {"inst_a"}, "vinstansi": {"inst_a"}, "vinstansi_b": {"inst_b"}}
REFUSED = ("vskpd", "vbkn", "helpdesk", "pns")


def _urls(world, name):
    instansi_id = world[name].id
    return (
        f"/kualitas-data/daftar/{instansi_id}",
        f"/kualitas-data/daftar/{instansi_id}?code=golongan.jump",
        f"/kualitas-data/ekspor/{instansi_id}.csv",
        f"/kualitas-data/ekspor/{instansi_id}.xlsx?code=golongan.jump",
    )


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_allowed_role_sees_only_his_instansi(dirty, new_client, username):
    data_quality.refresh(db.session)
    client = login_as(new_client, username)
    client.get("/lang/en")
    page = client.get("/kualitas-data/").get_data(as_text=True)
    for name in ("inst_a", "inst_b"):
        visible = name in ALLOWED[username]
        assert (f'data-instansi="{dirty[name].id}"' in page) is visible, name
        for url in _urls(dirty, name):
            assert client.get(url).status_code == (200 if visible else 404), url


@pytest.mark.parametrize("username", [*REFUSED, None])
def test_other_roles_are_refused_every_endpoint(dirty, new_client, username):
    data_quality.refresh(db.session)
    client = login_as(new_client, username) if username else new_client()
    for url in ("/kualitas-data/", *_urls(dirty, "inst_a")):
        response = client.get(url)
        assert response.status_code in (302, 403), (username, url)
        assert dirty["impossible"].nip not in response.get_data(as_text=True)


def test_a_national_monitor_sees_every_instansi_and_a_kanreg_monitor_his_own(dirty, app):
    from .helpers import make_user

    data_quality.refresh(db.session)
    national = make_user(app, "monitor_pusat", "Monitor")
    seen = {r.instansi_id for r in data_quality.summary(db.session, national).rows}
    assert seen == {dirty["inst_a"].id, dirty["inst_b"].id}
    kanreg_b = make_user(app, "monitor_b", "Monitor", kanreg=dirty["kanreg_b"])
    assert [r.instansi_id for r in data_quality.summary(db.session, kanreg_b).rows] == [dirty["inst_b"].id]
    assert data_quality.findings(db.session, kanreg_b, dirty["inst_a"].id) is None


def test_the_table_links_to_the_findings_in_indonesian(dirty, new_client):
    data_quality.refresh(db.session)
    client = login_as(new_client, "monitor")
    client.get("/lang/id")
    page = client.get("/kualitas-data/").get_data(as_text=True)
    assert "Kualitas Data" in page
    link = f"/kualitas-data/daftar/{dirty['inst_a'].id}?code=golongan.jump"
    assert link in page.replace("&amp;", "&")
    listing = client.get(link).get_data(as_text=True)
    assert dirty["warned"].nip in listing and "GOLONGAN JUMP" in listing
    assert dirty["impossible"].nip not in listing and dirty["clean"].nip not in listing
    assert "golongan naik lebih dari satu tingkat sekaligus." in listing
    assert "the golongan rises" not in listing
    assert "Peringatan" in listing


def test_export_contains_the_rows_and_is_audited(dirty, new_client):
    from app.models import AuditLog

    data_quality.refresh(db.session)
    client = login_as(new_client, "vinstansi")
    client.get("/lang/en")
    response = client.get(f"/kualitas-data/ekspor/{dirty['inst_a'].id}.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["NIP", "Name", "Work unit", "Rule"]
    nips = {r[0] for r in rows[1:]}
    assert nips == {dirty["impossible"].nip, dirty["warned"].nip}
    jump = next(r for r in rows if r[3] == "golongan.jump")
    assert jump[4] == "the golongan rises by more than one step at once." and jump[8] == "Warning"
    xlsx = client.get(f"/kualitas-data/ekspor/{dirty['inst_a'].id}.xlsx?code=golongan.jump")
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 2 and values[1][0] == dirty["warned"].nip
    details = db.session.scalars(select(AuditLog.detail).where(AuditLog.event == "export")).all()
    assert any("kualitas-data" in d and ".csv" in d for d in details)


def test_bad_arguments_are_404(dirty, new_client):
    client = login_as(new_client, "admin")
    for url in (
        "/kualitas-data/daftar/99999",
        "/kualitas-data/daftar/99999999999999999999999",
        "/kualitas-data/ekspor/99999999999999999999999.csv",
        "/kualitas-data/daftar/abc",
        f"/kualitas-data/daftar/{dirty['inst_a'].id}?code=no.such.rule",
        f"/kualitas-data/ekspor/{dirty['inst_a'].id}.pdf",
        f"/kualitas-data/ekspor/{dirty['inst_a'].id}.csv?code=%3Dcmd",
    ):
        assert client.get(url).status_code == 404, url
    # Bad paging arguments show the first page, never an error.
    for query in ("page=-3", "page=abc", "per_page=0", "per_page=100000", "after=%%%", "before=bm90IGEgY3Vyc29y"):
        assert client.get(f"/kualitas-data/daftar/{dirty['inst_a'].id}?{query}").status_code == 200, query


def test_before_any_refresh_the_report_says_so(world, new_client):
    client = login_as(new_client, "admin")
    client.get("/lang/en")
    page = client.get("/kualitas-data/").get_data(as_text=True)
    assert "have not been checked yet" in page


def test_the_cli_refreshes_one_instansi_by_its_code(dirty, runner):
    result = runner.invoke(args=["pupns", "refresh-data-quality", "--instansi", dirty["inst_b"].kode])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(DataQualityRun.instansi_id)).all() == [dirty["inst_b"].id]
    bad = runner.invoke(args=["pupns", "refresh-data-quality", "--instansi", "NOPE"])
    assert bad.exit_code != 0 and "NOPE" in bad.output


def test_docs_rules_md_is_the_catalogue():
    current = rules_doc.DOC.read_text(encoding="utf-8")
    assert current == rules_doc.render(current), "docs/rules.md is stale: run .venv/bin/python scripts/rules_doc.py"
    for code in rules.CATALOGUE:
        assert f"| `{code}` |" in current, code
    assert "| `golongan.jump` | history | Peringatan | golongan naik lebih dari satu tingkat sekaligus. |" in current


def test_the_demo_seed_leaves_a_report_to_read(app, runner):
    result = runner.invoke(args=["pupns", "seed-demo", "--pegawai", "60"])
    assert result.exit_code == 0, result.output
    checked = db.session.scalar(select(func.sum(DataQualityRun.records)))
    active = db.session.scalar(select(func.count()).where(Pegawai.status.in_(Pegawai.ACTIVE_STATUSES)))
    assert checked == active > 0
