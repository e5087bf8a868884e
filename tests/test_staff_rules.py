"""The rule catalogue on the staff's forms (every view of a record: add, edit, delete), the
last guard of apply, and TMT pensiun shown to the staff and to the PNS."""

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Anak, Golongan, Pegawai, RiwayatGolongan, Usulan
from app.roles import ROLE_PNS, ROLE_VERIFIKATOR_BKN
from app.services import rules, workflow

from .helpers import csrf_token, fresh
from .test_access import form_of, page_text
from .test_rules_paths import message_of
from .test_verification import _act
from .test_workflow import draft_with, drive

pytestmark = pytest.mark.usefixtures("open_run")


def golongan(kode):
    return db.session.scalars(select(Golongan).where(Golongan.kode == kode)).one()


def with_golongan_history(peg):
    """peg: III/a from the TMT CPNS, III/b four years later; the main data follows III/b."""
    first, second = peg.tmt_cpns, rules.add_years(peg.tmt_cpns, 4)
    rows = [
        RiwayatGolongan(pegawai=peg, golongan=golongan("III/a"), tmt_golongan=first),
        RiwayatGolongan(pegawai=peg, golongan=golongan("III/b"), tmt_golongan=second),
    ]
    db.session.add_all(rows)
    peg.golongan, peg.tmt_golongan = golongan("III/b"), second
    db.session.commit()
    return [r.id for r in rows]


def delete(client, view, row_id):
    token = csrf_token(client, f"/{view}/edit/{row_id}")
    return client.post(f"/{view}/delete/{row_id}", data={"csrf_token": token}, follow_redirects=True)


def test_deleting_the_golongan_row_the_main_data_follows_is_refused(app, world, login):
    """Removing a row can break the record too: without its latest golongan row, the main
    data's golongan would stand ahead of its history. The older row may go."""
    peg = world["peg_a"]
    older, latest = with_golongan_history(peg)
    client = login("vinstansi")
    text = page_text(delete(client, "riwayatgolonganview", latest))
    assert message_of(app, "golongan.utama_mismatch") in text
    assert fresh(RiwayatGolongan, latest) is not None

    delete(client, "riwayatgolonganview", older)
    assert fresh(RiwayatGolongan, older) is None


def test_editing_a_row_into_an_impossible_one_is_refused_and_changes_nothing(app, world, login):
    peg = world["peg_a"]
    _older, latest = with_golongan_history(peg)
    stored = fresh(RiwayatGolongan, latest).tmt_golongan
    client = login("vinstansi")
    form = form_of(client, f"/riwayatgolonganview/edit/{latest}")
    form["tmt_golongan"] = "2031-04-01"
    text = page_text(client.post(f"/riwayatgolonganview/edit/{latest}", data=form, follow_redirects=True))
    assert message_of(app, "date.tmt_ahead") in text
    assert fresh(RiwayatGolongan, latest).tmt_golongan == stored


def test_an_old_impossible_row_does_not_block_other_work_but_must_be_repaired_itself(app, world, login):
    """Staff repair old records one row at a time: a child born in 2040 already in the record
    does not refuse a new golongan row; an edit of that child that leaves the date is refused,
    one that repairs it is saved."""
    peg = world["peg_a"]
    child = Anak(pegawai=peg, nama="RARA", tanggal_lahir=dt.date(2040, 1, 1), jenis_kelamin="P")
    db.session.add(child)
    db.session.commit()
    client = login("vinstansi")

    url = f"/riwayatgolonganview/add?_flt_0_pegawai={peg.id}"
    form = {**form_of(client, url), "pegawai": str(peg.id), "golongan": str(golongan("III/a").id)}
    form["tmt_golongan"] = peg.tmt_cpns.isoformat()
    client.post(url, data=form)
    assert db.session.scalar(select(RiwayatGolongan.id).where(RiwayatGolongan.pegawai_id == peg.id))

    form = form_of(client, f"/anakview/edit/{child.id}")
    text = page_text(
        client.post(f"/anakview/edit/{child.id}", data={**form, "nama": "RARA AYU"}, follow_redirects=True)
    )
    assert message_of(app, "date.future") in text
    assert fresh(Anak, child.id).nama == "RARA"

    repaired = rules.add_years(peg.tanggal_lahir, 30).isoformat()
    client.post(f"/anakview/edit/{child.id}", data={**form, "tanggal_lahir": repaired})
    assert fresh(Anak, child.id).tanggal_lahir.isoformat() == repaired


def test_a_warning_does_not_block_and_is_shown_after_saving(app, world, login):
    peg = world["peg_a"]
    client = login("vinstansi")
    url = f"/anakview/add?_flt_0_pegawai={peg.id}"
    born = rules.add_years(peg.tanggal_lahir, 17).isoformat()  # the PNS was 17: possible, unusual
    form = {**form_of(client, url), "pegawai": str(peg.id), "nama": "BAYU", "tanggal_lahir": born}
    text = page_text(client.post(url, data=form, follow_redirects=True))
    assert db.session.scalar(select(Anak.nama).where(Anak.pegawai_id == peg.id)) == "BAYU"
    with app.test_request_context():
        warning = str(rules.CATALOGUE["family.parent_young"].description)
    assert "Tersimpan, tetapi mohon periksa" in text and warning in text


# --------------------------------------------------------------------------------------------
# Apply: the last guard
# --------------------------------------------------------------------------------------------
def _impossible_behind_the_workflows_back(peg_id):
    db.session.add(Anak(pegawai_id=peg_id, nama="RARA", tanggal_lahir=dt.date(2040, 1, 1), jenis_kelamin="P"))
    db.session.commit()


def test_apply_refuses_a_record_made_impossible_after_kirim(app, world):
    peg = world["peg_a"]
    old_nama = peg.nama
    usulan = drive(world, draft_with(peg), "di_bkn")
    _impossible_behind_the_workflows_back(peg.id)
    with pytest.raises(workflow.RecordRefused) as refused:
        workflow.transition(db.session, world["users"][ROLE_VERIFIKATOR_BKN], usulan.id, workflow.VERIFIKASI)
    assert {f.code for f in refused.value.findings} == {"date.future"}
    assert fresh(Usulan, usulan.id).status == Usulan.DI_BKN
    assert fresh(Pegawai, peg.id).nama == old_nama


def test_the_verifier_sees_why_nothing_was_applied(app, world, login):
    peg = world["peg_a"]
    old_nama, version = peg.nama, peg.record_version
    usulan = drive(world, draft_with(peg), "di_bkn")
    _impossible_behind_the_workflows_back(peg.id)
    text = page_text(_act(login("vbkn"), usulan.id, workflow.VERIFIKASI))
    assert "Usulan tidak diterapkan: data resmi akan menjadi tidak mungkin." in text
    with app.test_request_context():
        where = f"{workflow.SECTION_LABELS['anak']}, {workflow.field_label('tanggal_lahir')}: "
    assert where + message_of(app, "date.future") in text
    assert fresh(Usulan, usulan.id).status == Usulan.DI_BKN
    peg = fresh(Pegawai, peg.id)
    assert (peg.nama, peg.record_version) == (old_nama, version)


def test_apply_refuses_a_nik_taken_meanwhile(app, world):
    """The PNS proposed his spouse with a free NIK; before BKN approved, another PNS was given it."""
    peg = world["peg_a"]
    nik = rules.make_nik("327301", dt.date(1990, 5, 17), "P", 4444)
    spouse = {"nama": "SRI WAHYUNI", "nik": nik, "tanggal_lahir": dt.date(1990, 5, 17)}
    changes = [("data_utama", "change", {"nama": "BUDI S"}, None), ("pasangan", "add", spouse, None)]
    usulan = drive(world, draft_with(peg, changes), "di_bkn")
    other = world["peg_b"]
    db.session.execute(Pegawai.__table__.update().where(Pegawai.id == other.id).values(nik=nik))
    db.session.commit()
    with pytest.raises(workflow.RecordRefused) as refused:
        workflow.transition(db.session, world["users"][ROLE_VERIFIKATOR_BKN], usulan.id, workflow.VERIFIKASI)
    assert [f.code for f in refused.value.findings] == ["nik.duplicate"]
    assert fresh(Usulan, usulan.id).status == Usulan.DI_BKN


# --------------------------------------------------------------------------------------------
# TMT pensiun
# --------------------------------------------------------------------------------------------
def _expected_pensiun(peg):
    day = rules.pensiun_date(peg.tanggal_lahir)
    return f"TMT Pensiun (BUP {rules.bup_years()} tahun)", day


def test_the_staff_see_the_tmt_pensiun(app, world, login):
    from app.i18n import format_tanggal

    peg = world["peg_a"]
    label, day = _expected_pensiun(peg)
    text = page_text(login("vinstansi").get(f"/pegawaiview/show/{peg.id}"))
    assert label in text
    with app.test_request_context():
        assert format_tanggal(day) in text


def test_the_pns_sees_the_tmt_pensiun_of_his_main_data(app, world, login):
    from app.i18n import format_tanggal

    peg = world["peg_a"]
    label, day = _expected_pensiun(peg)
    assert world["users"][ROLE_PNS].pegawai_id == peg.id
    text = page_text(login("pns").get("/data-saya/data_utama"))
    assert label in text
    with app.test_request_context():
        assert format_tanggal(day) in text
