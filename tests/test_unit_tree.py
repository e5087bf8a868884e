"""The unit kerja tree (security issue 13, finding 1): a unit's path, the scope of its
Verifikator SKPD, is derived from its parent on every insert and update — the Admin form,
the import, the seed — its subtree and the copies of its path follow a move, a unit is never
its own ancestor nor under another instansi, and every scope helper grants nothing to a
unit-level role whose unit is missing or whose path is broken.

Every request runs in its own app context (as in production), so the database is re-read."""

import re

import pytest
from sqlalchemy import select, text, update

from app.extensions import db
from app.models import Pegawai, UnitKerja
from app.models.monitoring import RekapAntrian, RekapUnit
from app.models import org
from app.models.submission import Usulan
from app.roles import ROLE_INTEGRASI, ROLE_PNS, ROLE_VERIFIKATOR_SKPD
from app.services import apikeys, monitoring, scope, workflow

from .helpers import csrf_token, make_user
from .factories import PegawaiFactory, UnitKerjaFactory

pytestmark = pytest.mark.usefixtures("open_run")

CYCLE = "Unit kerja tidak dapat ditempatkan di bawah dirinya sendiri"
OTHER_INSTANSI = "Unit induk milik instansi lain"
INSTANSI_LOCKED = "Instansi unit kerja yang masih memiliki sub-unit atau pegawai tidak dapat diubah"


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def unit_by_kode(kode):
    db.session.expire_all()
    return db.session.scalar(select(UnitKerja).where(UnitKerja.kode == kode))


def unit_form(unit=None, **values):
    """The Admin's unit form as a browser posts it (FAB sends ids for the relations)."""
    data = {
        "kode": unit.kode if unit else "",
        "nama": unit.nama if unit else "",
        "instansi": unit.instansi_id if unit else "",
        "parent": (unit.parent_id or "") if unit else "",
        "aktif": "y",
    }
    data.update(values)
    return data


def add_unit(client, **values):
    data = unit_form(**values)
    data["csrf_token"] = csrf_token(client, "/unitkerjaview/add")
    return client.post("/unitkerjaview/add", data=data, follow_redirects=True)


def edit_unit(client, unit, **values):
    url = f"/unitkerjaview/edit/{unit.id}"
    data = unit_form(unit, **values)
    data["csrf_token"] = csrf_token(client, url)
    return client.post(url, data=data, follow_redirects=True)


def submit(app, world, pegawai):
    """`pegawai` proposes a new phone number and sends it (as his own PNS account)."""
    user = (
        world["users"][ROLE_PNS]
        if pegawai.id == world["peg_a"].id
        else make_user(app, f"pns{pegawai.id}", ROLE_PNS, pegawai=pegawai)
    )
    usulan = workflow.open_draft(db.session, pegawai)
    workflow.propose(db.session, usulan, "data_utama", "change", {"no_hp": "0812 3456 7890"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, user, usulan.id, workflow.KIRIM)
    return usulan.id


def inbox_names(client):
    page = client.get("/verifikasi/").get_data(as_text=True)
    return set(re.findall(r"[A-Z]{3,} [A-Z]{3,}", page))


# --------------------------------------------------------------------------------------------
# The Admin form
# --------------------------------------------------------------------------------------------
def test_admin_adds_a_unit_under_a_parent_and_its_path_follows_the_parent(world, login):
    admin = login("admin")
    response = add_unit(
        admin,
        kode="UPTD-01",
        nama="UPTD Sanggar Kegiatan Belajar",
        instansi=world["inst_a"].id,
        parent=world["unit_a"].id,
    )
    assert response.status_code == 200
    unit = unit_by_kode("UPTD-01")
    parent = fresh(UnitKerja, world["unit_a"].id)
    assert unit is not None and unit.parent_id == parent.id
    assert unit.path == f"{parent.path}{unit.id}/"

    add_unit(admin, kode="DISHUB", nama="Dinas Perhubungan", instansi=world["inst_a"].id)
    root = unit_by_kode("DISHUB")
    assert root.path == f"/{root.id}/"


def test_the_verifikator_skpd_of_a_new_unit_sees_only_that_unit(app, world, login):
    """The tester's reproduction: a unit added in the Admin screens, its Verifikator SKPD, and
    records of another Kanreg, another unit and a parent unit he must not reach."""
    add_unit(
        login("admin"),
        kode="PUSKESMAS-1",
        nama="Puskesmas Gondokusuman",
        instansi=world["inst_a"].id,
        parent=world["other_a"].id,
    )
    unit = unit_by_kode("PUSKESMAS-1")
    own = PegawaiFactory(unit_kerja=unit, nama="RINA WULANDARI")
    db.session.commit()
    make_user(app, "vskpd_new", ROLE_VERIFIKATOR_SKPD, instansi=world["inst_a"], unit_kerja=unit)
    others = {name: submit(app, world, world[name]) for name in ("peg_a", "peg_other", "peg_b")}
    own_usulan = submit(app, world, own)

    client = login("vskpd_new")
    assert client.get(f"/pegawaiview/show/{own.id}").status_code == 200
    for name in ("peg_a", "peg_sub", "peg_other", "peg_b"):  # other unit, its sub-unit, the parent, other Kanreg
        assert client.get(f"/pegawaiview/show/{world[name].id}").status_code == 404, name
    listed = client.get("/pegawaiview/list/?psize_PegawaiView=100").get_data(as_text=True)
    assert "RINA WULANDARI" in listed
    assert not {"BUDI SANTOSO", "SITI AMINAH", "AGUS SALIM", "DEWI LESTARI"} & set(re.findall(r"[A-Z]+ [A-Z]+", listed))

    assert inbox_names(client) == {"RINA WULANDARI"}
    for name, pk in others.items():
        assert client.get(f"/verifikasi/{pk}").status_code == 404, name
        token = csrf_token(client, f"/verifikasi/{own_usulan}")
        refused = client.post(
            f"/verifikasi/{pk}/act",
            data={"csrf_token": token, "action": workflow.VERIFIKASI, "version": fresh(Usulan, pk).version},
        )
        assert refused.status_code == 404, name
        assert fresh(Usulan, pk).status == Usulan.DI_SKPD, name
    assert client.get(f"/verifikasi/{own_usulan}").status_code == 200


def test_moving_a_unit_moves_its_subtree_its_copies_and_the_scopes(app, world, login):
    """SD Negeri 1 (with a class of its own) moves from Dinas Pendidikan to Dinas Kesehatan:
    every path below it follows, so do the monitoring copies, and the old parent's
    Verifikator SKPD loses the moved records while the new parent's gains them."""
    sub, new_parent = world["sub_a"], world["other_a"]
    kelas = UnitKerjaFactory(instansi=world["inst_a"], parent=sub, nama="Kelas Jauh")
    peg_kelas = PegawaiFactory(unit_kerja=kelas, nama="TONO SUDIRJO")
    db.session.commit()
    make_user(app, "vskpd_kes", ROLE_VERIFIKATOR_SKPD, instansi=world["inst_a"], unit_kerja=new_parent)
    pending = submit(app, world, world["peg_sub"])
    monitoring.refresh(db.session)
    assert db.session.scalar(select(RekapAntrian.unit_path).where(RekapAntrian.unit_kerja_id == sub.id)) == sub.path

    response = edit_unit(login("admin"), sub, parent=new_parent.id)
    assert response.status_code == 200

    sub, kelas, new_parent = fresh(UnitKerja, sub.id), fresh(UnitKerja, kelas.id), fresh(UnitKerja, new_parent.id)
    assert sub.path == f"{new_parent.path}{sub.id}/"
    assert kelas.path == f"{sub.path}{kelas.id}/"
    copies = dict(
        db.session.execute(
            select(RekapUnit.unit_kerja_id, RekapUnit.unit_path).where(RekapUnit.unit_kerja_id.in_([sub.id, kelas.id]))
        ).all()
    )
    assert copies == {sub.id: sub.path, kelas.id: kelas.path}
    assert db.session.scalar(select(RekapAntrian.unit_path).where(RekapAntrian.unit_kerja_id == sub.id)) == sub.path

    before = login("vskpd")  # Dinas Pendidikan, the old parent
    for pegawai in (world["peg_sub"], peg_kelas):
        assert before.get(f"/pegawaiview/show/{pegawai.id}").status_code == 404
    assert before.get(f"/verifikasi/{pending}").status_code == 404
    assert "SITI AMINAH" not in inbox_names(before)
    assert before.get(f"/pegawaiview/show/{world['peg_a'].id}").status_code == 200

    after = login("vskpd_kes")
    for pegawai in (world["peg_sub"], peg_kelas):
        assert after.get(f"/pegawaiview/show/{pegawai.id}").status_code == 200
    assert "SITI AMINAH" in inbox_names(after)


def test_a_unit_cannot_become_its_own_ancestor(world, login):
    admin = login("admin")
    unit, sub = world["unit_a"], world["sub_a"]
    paths = {u.id: u.path for u in (unit, sub)}
    for parent in (sub, unit):  # under its own sub-unit; under itself
        response = edit_unit(admin, unit, parent=parent.id)
        assert response.status_code == 200
        assert CYCLE in response.get_data(as_text=True)
        assert fresh(UnitKerja, unit.id).parent_id is None
    assert {u.id: fresh(UnitKerja, u.id).path for u in (unit, sub)} == paths


def test_a_unit_keeps_to_its_parents_instansi(world, login):
    admin = login("admin")
    response = add_unit(
        admin, kode="LINTAS", nama="Unit Lintas Instansi", instansi=world["inst_a"].id, parent=world["unit_b"].id
    )
    assert OTHER_INSTANSI in response.get_data(as_text=True)
    assert unit_by_kode("LINTAS") is None

    response = edit_unit(admin, world["sub_a"], parent=world["unit_b"].id)
    assert OTHER_INSTANSI in response.get_data(as_text=True)
    assert fresh(UnitKerja, world["sub_a"].id).parent_id == world["unit_a"].id

    # A unit with sub-units or employees does not change instansi (they would not follow).
    response = edit_unit(admin, world["unit_a"], instansi=world["inst_b"].id)
    assert INSTANSI_LOCKED in response.get_data(as_text=True)
    assert fresh(UnitKerja, world["unit_a"].id).instansi_id == world["inst_a"].id


# --------------------------------------------------------------------------------------------
# The model, whatever writes it
# --------------------------------------------------------------------------------------------
def test_the_model_derives_every_path_and_refuses_a_cycle(world):
    unit, other = world["unit_a"], world["other_a"]
    child = UnitKerja(kode="X-1", nama="Seksi", instansi_id=unit.instansi_id, parent_id=unit.id, path="/")
    db.session.add(child)
    db.session.commit()
    assert fresh(UnitKerja, child.id).path == f"{unit.path}{child.id}/"

    # A typed path never sticks; moving by the column alone moves the subtree.
    child.path = "/"
    db.session.commit()
    assert fresh(UnitKerja, child.id).path == f"{unit.path}{child.id}/"
    db.session.execute(update(UnitKerja).where(UnitKerja.id == unit.id).values(parent_id=None))
    moved = fresh(UnitKerja, unit.id)
    moved.parent_id = other.id
    db.session.commit()
    assert fresh(UnitKerja, unit.id).path == f"{other.path}{unit.id}/"
    assert fresh(UnitKerja, world["sub_a"].id).path == f"{other.path}{unit.id}/{world['sub_a'].id}/"
    assert fresh(UnitKerja, child.id).path == f"{other.path}{unit.id}/{child.id}/"

    looped = fresh(UnitKerja, other.id)
    looped.parent_id = child.id  # other -> unit -> child -> other
    with pytest.raises(org.UnitTreeError):
        db.session.commit()
    db.session.rollback()
    assert fresh(UnitKerja, other.id).parent_id is None


# --------------------------------------------------------------------------------------------
# Fail closed
# --------------------------------------------------------------------------------------------
BROKEN_PATHS = ["/", "", "/99999/", "/1/x/"]


def _break(unit, path):
    # Written past the model, as the old Admin form left it.
    db.session.execute(text("UPDATE unit_kerja SET path = :p WHERE id = :i"), {"p": path, "i": unit.id})
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize("path", BROKEN_PATHS + [None])
def test_a_unit_role_with_a_broken_or_missing_unit_sees_nothing(app, world, login, path):
    """A Verifikator SKPD whose unit's path is empty, "/" or not his unit's own, or who has
    no unit at all: nothing on any list, page, action, inbox, dashboard, export or API."""
    unit = world["unit_a"]
    pending = submit(app, world, world["peg_a"])
    monitoring.refresh(db.session)
    skpd = make_user(
        app,
        "vskpd_broken",
        ROLE_VERIFIKATOR_SKPD,
        instansi=world["inst_a"],
        unit_kerja=unit if path is not None else None,
    )
    client_user = make_user(
        app, "api_broken", ROLE_INTEGRASI, unit_kerja=unit if path is not None else None, instansi=world["inst_a"]
    )
    key = apikeys.create(db.session, client_user, "unit key")[1]
    if path is not None:
        _break(unit, path)

    client = login("vskpd_broken")
    listed = client.get("/pegawaiview/list/").get_data(as_text=True)
    for name in ("peg_a", "peg_sub", "peg_other", "peg_b"):
        assert world[name].nip not in listed
        assert client.get(f"/pegawaiview/show/{world[name].id}").status_code == 404
    assert inbox_names(client) == set()
    for url in (
        f"/verifikasi/{pending}",
        f"/verifikasi/{pending}/ringkasan",
        "/monitoring/",
        "/monitoring/daftar/belum_daftar",
        "/monitoring/antrian/",
        "/monitoring/ekspor/terverifikasi.csv",
        f"/monitoring/?unit={unit.id}",
    ):
        assert client.get(url).status_code in (403, 404), url
    assert fresh(Usulan, pending).status == Usulan.DI_SKPD

    if path is not None:  # an API client with a broken unit: none, not his instansi's records
        response = app.test_client().get("/api/v1/pegawai/", headers={"X-API-Key": key})
        assert response.status_code == 200
        assert response.get_json()["result"] == []

    # The helpers themselves, for every other caller.
    skpd = fresh(type(skpd), skpd.id)
    assert db.session.scalar(select(Pegawai.id).where(scope.pegawai_clause(skpd))) is None
    assert db.session.scalar(select(Usulan.id).where(scope.usulan_clause(skpd))) is None
    assert db.session.scalar(select(Usulan.id).where(scope.inbox_clause(skpd))) is None
    assert monitoring.areas(skpd) == []
