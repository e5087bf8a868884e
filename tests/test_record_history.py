"""The history of an official record ("Riwayat Perubahan"): values shown by name, the PNS's and
the staff's history pages, staff edits and imports writing history and bumping record_version
(an open submission then shows a conflict to its verifier)."""

import datetime as dt
import html
import re

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import (
    Golongan,
    Pegawai,
    RecordChange,
    RiwayatGolongan,
    TingkatPendidikan,
    UnitKerja,
    Usulan,
)
from app.roles import (
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from app.services import record_history, workflow

from .helpers import csrf_token, make_user, fresh
from .factories import PegawaiFactory, RiwayatGolonganFactory
from .test_access import form_of
from .test_import import person, run, write_csv

pytestmark = pytest.mark.usefixtures("open_run")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def golongan(kode):
    return db.session.scalars(select(Golongan).where(Golongan.kode == kode)).one()


def text_of(response):
    """The page as a user reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def changes_of(pegawai_id, **where):
    db.session.rollback()
    stmt = select(RecordChange).where(RecordChange.pegawai_id == pegawai_id)
    for name, value in where.items():
        stmt = stmt.where(getattr(RecordChange, name) == value)
    return db.session.scalars(stmt.order_by(RecordChange.id)).all()


def submit(world, pegawai, user, values):
    """`pegawai` proposes `values` for data utama, reviews everything and sends (as `user`)."""
    usulan = workflow.open_draft(db.session, pegawai)
    workflow.propose(db.session, usulan, workflow.DATA_UTAMA, "change", values)
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, user, usulan.id, workflow.KIRIM)
    return usulan.id


def verify_up_to(world, usulan_id, status):
    """Verify level by level until the Usulan is at `status`."""
    users = world["users"]
    by_status = {
        Usulan.DI_SKPD: ROLE_VERIFIKATOR_SKPD,
        Usulan.DI_INSTANSI: ROLE_VERIFIKATOR_INSTANSI,
        Usulan.DI_BKN: ROLE_VERIFIKATOR_BKN,
    }
    while True:
        db.session.expire_all()
        usulan = db.session.get(Usulan, usulan_id)
        if usulan.status == status:
            return usulan
        workflow.transition(db.session, users[by_status[usulan.status]], usulan_id, workflow.VERIFIKASI)


class QueryCounter:
    """Counts the SQL statements run on the session's engine (SELECTs by default)."""

    def __init__(self, prefix="SELECT"):
        self.prefix, self.statements = prefix, []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(self.prefix):
            self.statements.append(statement)

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


# --------------------------------------------------------------------------------------------
# Names instead of ids
# --------------------------------------------------------------------------------------------
def test_display_value_names_references_dates_choices(app, world):
    s1 = db.session.scalars(select(TingkatPendidikan).where(TingkatPendidikan.nama == "S-1")).one()
    iii_c = golongan("III/c")
    with app.test_request_context():
        show = workflow.display_value
        assert show("data_utama", "golongan_id", iii_c.id) == str(iii_c) == "III/c – Penata"
        assert show("data_utama", "pendidikan_terakhir_id", s1.id) == "S-1"
        assert show("anak", "tingkat_pendidikan_id", s1.id) == "S-1"
        assert show("data_utama", "unit_kerja_id", world["unit_a"].id) == "Dinas Pendidikan"
        assert show("data_utama", "tanggal_lahir", dt.date(2015, 8, 17)) == "17 Agustus 2015"
        assert show("data_utama", "jenis_kelamin", "P") == "Perempuan"
        assert show("pasangan", "is_pns", True) == "Ya"
        assert show("data_utama", "nama", "BUDI") == "BUDI"
        assert show("data_utama", "golongan_id", None) == ""
        assert show("data_utama", "golongan_id", 987654) == "987654"  # a row that is gone


def test_reference_names_are_read_once_per_request(app, world):
    units = [world[k].id for k in ("unit_a", "sub_a", "other_a", "unit_b")]
    gol = [g.id for g in db.session.scalars(select(Golongan))]
    with app.test_request_context():
        with QueryCounter() as counter:
            for gid in gol:  # a whole reference table: one query for all of it
                workflow.display_value("riwayat_golongan", "golongan_id", gid)
            workflow.prime_display(("data_utama", "unit_kerja_id", u) for u in units)
            names = [workflow.display_value("data_utama", "unit_kerja_id", u) for u in units]
        assert len(counter.statements) == 2
    assert names == ["Dinas Pendidikan", "SD Negeri 1", "Dinas Kesehatan", "Dinas Pendidikan Surabaya"]


def test_diff_shows_names_not_ids(world, login):
    iii_c, iii_a = golongan("III/c"), golongan("III/a")
    s2 = db.session.scalars(select(TingkatPendidikan).where(TingkatPendidikan.nama == "S-2")).one()
    peg = world["peg_a"]
    usulan_id = submit(
        world,
        peg,
        world["users"][ROLE_PNS],
        {"golongan_id": iii_c.id, "pendidikan_terakhir_id": s2.id, "tmt_golongan": "2016-04-01"},
    )

    page = login("vskpd").get(f"/verifikasi/{usulan_id}")
    text = text_of(page)
    assert "III/a – Penata Muda III/c – Penata" in text  # official → proposed, by name
    assert "S-2" in text and "1 April 2016" in text
    row = re.search(r"Golongan\s*</td>.*?</tr>", page.get_data(as_text=True), re.S).group(0)
    assert f">{iii_c.id}<" not in row and f">{iii_a.id}<" not in row

    # The PNS's own section page shows the same names.
    own = text_of(login("pns").get("/data-saya/data_utama"))
    assert "III/a – Penata Muda" in own and "III/c – Penata" in own


# --------------------------------------------------------------------------------------------
# History pages
# --------------------------------------------------------------------------------------------
@pytest.fixture
def finished(world):
    """peg_a's golongan III/a → III/c, verified through BKN and applied."""
    users = world["users"]
    first = submit(world, world["peg_a"], users[ROLE_PNS], {"golongan_id": golongan("III/c").id})
    verify_up_to(world, first, Usulan.SELESAI)
    return first


def test_pns_sees_his_own_history_and_nobody_elses(app, world, finished, login):
    siti = make_user(app, "siti", ROLE_PNS, pegawai=world["peg_sub"])
    other = submit(world, world["peg_sub"], siti, {"no_hp": "0811 2222 3333"})
    verify_up_to(world, other, Usulan.SELESAI)

    client = login("pns")
    assert 'href="/data-saya/riwayat-perubahan"' in client.get("/data-saya/").get_data(as_text=True)
    response = client.get("/data-saya/riwayat-perubahan")
    assert response.status_code == 200
    text = text_of(response)
    assert "Riwayat Perubahan" in text
    assert "Golongan III/a – Penata Muda III/c – Penata" in text
    assert f"Usulan terverifikasi: no. {finished}" in text
    assert "WIB" in text
    assert "0811 2222 3333" not in text and "SITI AMINAH" not in text  # not his record

    siti_page = text_of(login("siti").get("/data-saya/riwayat-perubahan"))
    assert "0811 2222 3333" in siti_page and "III/c – Penata" not in siti_page

    # A staff account has no record of its own.
    assert login("vinstansi").get("/data-saya/riwayat-perubahan").status_code == 403


def test_staff_sees_history_in_scope_only(world, finished, login):
    peg = world["peg_a"].id
    client = login("vinstansi")
    response = client.get(f"/pegawaiview/show/{peg}")
    assert response.status_code == 200
    text = text_of(response)
    assert "Riwayat Perubahan" in text and "III/a – Penata Muda III/c – Penata" in text
    assert f'href="/verifikasi/{finished}"' in response.get_data(as_text=True)  # its usulan
    assert "vbkn" in text  # who applied it

    # BKN of the same Kanreg and Monitor read it too (their scope); others do not.
    assert "III/c – Penata" in text_of(login("vbkn").get(f"/pegawaiview/show/{peg}"))
    monitor = login("monitor").get(f"/pegawaiview/show/{peg}").get_data(as_text=True)
    assert "III/c" in monitor and f'href="/verifikasi/{finished}"' not in monitor
    outside = login("vinstansi_b").get(f"/pegawaiview/show/{peg}")
    assert outside.status_code == 404 and "III/c" not in outside.get_data(as_text=True)
    assert login("pns").get(f"/pegawaiview/show/{peg}").status_code in (302, 403)


def test_history_pages_are_paged(world, login):
    peg = world["peg_a"]
    for n in range(60):
        workflow.record_changes(
            db.session, peg.id, workflow.DATA_UTAMA, peg.id, {"no_hp": f"0811{n:04d}"}, {"no_hp": f"0812{n:04d}"}
        )
    db.session.commit()
    client = login("pns")
    first = text_of(client.get("/data-saya/riwayat-perubahan"))
    assert "08120059" in first and "08120000" not in first and "Halaman 1 dari 2" in first
    second = text_of(client.get("/data-saya/riwayat-perubahan?page=2"))
    assert "08120000" in second and "08120059" not in second
    assert client.get("/data-saya/riwayat-perubahan?page=x").status_code == 200
    staff = text_of(login("vinstansi").get(f"/pegawaiview/show/{peg.id}?riwayat_page=2"))
    assert "08120000" in staff and "08120059" not in staff


# --------------------------------------------------------------------------------------------
# Staff edits
# --------------------------------------------------------------------------------------------
def test_staff_edit_of_pegawai_writes_history_and_bumps_version(world, login):
    peg = world["peg_a"].id
    version = fresh(Pegawai, peg).record_version
    client = login("vinstansi")
    form = form_of(client, f"/pegawaiview/edit/{peg}")

    # Saving the form unchanged changes nothing: no history, no new version.
    client.post(f"/pegawaiview/edit/{peg}", data=form)
    assert changes_of(peg) == [] and fresh(Pegawai, peg).record_version == version

    client.post(
        f"/pegawaiview/edit/{peg}", data={**form, "golongan": str(golongan("III/b").id), "no_hp": "0813 0000 1111"}
    )
    changes = {c.field: c for c in changes_of(peg)}
    assert set(changes) == {"golongan_id", "no_hp"}
    assert all(
        c.source == RecordChange.SOURCE_STAFF
        and c.usulan_id is None
        and c.actor_id == world["users"][ROLE_VERIFIKATOR_INSTANSI].id
        for c in changes.values()
    )
    assert fresh(Pegawai, peg).record_version == version + 1

    text = text_of(client.get(f"/pegawaiview/show/{peg}"))
    assert f"III/a – Penata Muda {golongan('III/b')}" in text
    assert "Perubahan oleh petugas" in text and "vinstansi" in text


def test_staff_edit_of_a_history_row_conflicts_with_an_open_submission(world, login):
    peg = world["peg_a"]
    row = RiwayatGolonganFactory(pegawai=peg, kode="III/a", nomor_sk="823/0001/BKD")
    db.session.commit()
    row_id = row.id
    usulan_id = submit(world, peg, world["users"][ROLE_PNS], {"no_hp": "0812 3456 7890"})
    verify_up_to(world, usulan_id, Usulan.DI_INSTANSI)
    version = fresh(Pegawai, peg.id).record_version

    client = login("vinstansi")
    assert "record_version_conflict" not in client.get(f"/verifikasi/{usulan_id}").get_data(as_text=True)
    form = form_of(client, f"/riwayatgolonganview/edit/{row_id}")
    client.post(
        f"/riwayatgolonganview/edit/{row_id}",
        data={**form, "nomor_sk": "823/0002/BKD", "golongan": str(golongan("III/b").id)},
    )
    assert fresh(RiwayatGolongan, row_id).nomor_sk == "823/0002/BKD"
    changes = {c.field: c for c in changes_of(peg.id, section="riwayat_golongan")}
    assert set(changes) == {"nomor_sk", "golongan_id"} and changes["nomor_sk"].row_id == row_id
    assert fresh(Pegawai, peg.id).record_version == version + 1

    # The verifier sees the conflict and what changed meanwhile, by name.
    page = client.get(f"/verifikasi/{usulan_id}")
    html_text = page.get_data(as_text=True)
    assert 'id="record_version_conflict"' in html_text and 'id="accept_conflicts"' in html_text
    text = text_of(page)
    assert "823/0001/BKD 823/0002/BKD" in text and f"III/a – Penata Muda {golongan('III/b')}" in text

    # Verifying without accepting is refused; accepting the differences applies the proposal.
    token = csrf_token(client, f"/verifikasi/{usulan_id}")
    version_on_page = int(re.search(r'name="version"[^>]*value="(\d+)"', html_text).group(1))
    data = {"csrf_token": token, "action": workflow.VERIFIKASI, "reason": "", "version": version_on_page}
    client.post(f"/verifikasi/{usulan_id}/act", data=data)
    assert fresh(Usulan, usulan_id).status == Usulan.DI_INSTANSI
    client.post(f"/verifikasi/{usulan_id}/act", data={**data, "accept_conflicts": "y"})
    assert fresh(Usulan, usulan_id).status == Usulan.SELESAI
    assert fresh(Pegawai, peg.id).no_hp == "0812 3456 7890"


def test_staff_add_and_delete_of_a_row_write_history(world, login):
    peg = world["peg_a"].id
    client = login("vinstansi")
    form = form_of(client, f"/riwayatgolonganview/add?_flt_0_pegawai={peg}")
    form.update(
        {
            "pegawai": str(peg),
            "golongan": str(golongan("III/b").id),
            "tmt_golongan": "2020-04-01",
            "nomor_sk": "SK-TAMBAH-1",
        }
    )
    client.post(f"/riwayatgolonganview/add?_flt_0_pegawai={peg}", data=form)
    db.session.rollback()
    row_id = db.session.scalars(select(RiwayatGolongan.id).where(RiwayatGolongan.pegawai_id == peg)).one()
    added = {c.field: c.id for c in changes_of(peg)}
    first = changes_of(peg, field="nomor_sk")[0]
    assert first.old_value is None and first.row_id == row_id
    assert {"golongan_id", "tmt_golongan", "nomor_sk"} <= set(added)
    version = fresh(Pegawai, peg).record_version

    token = csrf_token(client, f"/riwayatgolonganview/edit/{row_id}")
    client.post(f"/riwayatgolonganview/delete/{row_id}", data={"csrf_token": token})
    assert fresh(RiwayatGolongan, row_id) is None
    removed = [c for c in changes_of(peg) if c.id not in set(added.values())]
    assert {c.field for c in removed} >= {"golongan_id", "nomor_sk"}
    assert all(c.new_value is None and c.row_id == row_id for c in removed)
    assert fresh(Pegawai, peg).record_version == version + 1


def test_refused_staff_edit_writes_no_history(world, login):
    """Out of scope (another instansi's record) or against the rules: nothing is written."""
    peg_b = world["peg_b"].id
    client = login("vinstansi")
    form = form_of(login("vinstansi_b"), f"/pegawaiview/edit/{peg_b}")
    client.post(f"/pegawaiview/edit/{peg_b}", data={**form, "no_hp": "0899"})
    own = world["peg_a"].id
    own_form = form_of(client, f"/pegawaiview/edit/{own}")
    client.post(f"/pegawaiview/edit/{own}", data={**own_form, "tmt_cpns": "1950-01-01"})
    assert changes_of(peg_b) == [] and changes_of(own) == []


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------
def test_import_writes_history_for_changed_rows_only(app, tmp_path):
    rows = [person(1), person(2), person(3)]
    run(write_csv(tmp_path / "first.csv", rows))
    by_nip = {p.nip: p for p in db.session.scalars(select(Pegawai))}
    assert db.session.scalar(select(func.count()).select_from(RecordChange)) == 0  # created: no history
    changed_nip, same_nip = rows[0]["nip"], rows[1]["nip"]
    versions = {nip: p.record_version for nip, p in by_nip.items()}

    rows[0].update(golongan="III/b", email="baru@jogjakota.go.id", unit_kode="3471-02", unit_nama="Dinas Kesehatan")
    rows[2].update(email="")  # an empty cell keeps the stored value: unchanged
    with QueryCounter("INSERT INTO RECORD_CHANGE") as inserts:
        report = run(write_csv(tmp_path / "second.csv", rows))
    assert (report.updated, report.unchanged) == (1, 2)
    assert len(inserts.statements) == 1  # the batch's history in one statement

    changed = by_nip[changed_nip].id
    history = {c.field: c for c in changes_of(changed)}
    assert set(history) == {"golongan_id", "email", "unit_kerja_id"}
    assert all(
        c.source == RecordChange.SOURCE_IMPORT and c.actor_id is None and c.usulan_id is None for c in history.values()
    )
    assert history["golongan_id"].old_value == str(golongan("III/a").id)
    assert history["golongan_id"].new_value == str(golongan("III/b").id)
    total = db.session.scalar(select(func.count()).select_from(RecordChange))
    assert total == 3
    db.session.expire_all()
    assert db.session.get(Pegawai, changed).record_version == versions[changed_nip] + 1
    assert db.session.get(Pegawai, by_nip[same_nip].id).record_version == versions[same_nip]

    # The same file again changes nothing and writes no history.
    run(write_csv(tmp_path / "third.csv", rows))
    assert db.session.scalar(select(func.count()).select_from(RecordChange)) == total

    with app.test_request_context():
        page = record_history.history(db.session, changed)
        shown = {e.field: (e.old, e.new, str(e.source_label)) for e in page.entries}
    unit = db.session.scalars(select(UnitKerja).where(UnitKerja.kode == "3471-02")).one()
    assert shown["unit_kerja_id"][1] == unit.nama == "Dinas Kesehatan"
    assert shown["golongan_id"][:2] == ("III/a – Penata Muda", str(golongan("III/b")))
    assert shown["email"][2] == "Impor data"
