""" "Data Saya" (DESIGN.md §3): the PNS proposes changes to his own record in a draft, marks
every section "sudah diperiksa" and sends it (Kirim); the official record stays unchanged.

Every request runs in its own app context (as in production), so the database is re-read."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Pegawai
from app.models.family import Anak
from app.models.submission import Usulan
from app.roles import ROLE_PNS, ROLE_VERIFIKATOR_SKPD
from app.services import workflow

from .helpers import csrf_token, make_user

# The run is open today (Jadwal pengisian): the workflow refuses everything outside it.
pytestmark = pytest.mark.usefixtures("open_run")


def usulan_of(pegawai_id):
    with db.session.no_autoflush:
        db.session.expire_all()
        return db.session.scalar(select(Usulan).where(Usulan.pegawai_id == pegawai_id))


def post(client, url, data=None, page=None):
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, page or url.rsplit("/", 2)[0] + "/")
    return client.post(url, data=data)


def review_all(client):
    for section in workflow.SECTIONS:
        response = post(client, f"/data-saya/{section}/diperiksa", page=f"/data-saya/{section}")
        assert response.status_code == 302


def test_pns_proposes_reviews_and_sends(world, login):
    peg_a = world["peg_a"]
    official_gelar = peg_a.gelar_belakang
    client = login("pns")
    page = client.get("/data-saya/").get_data(as_text=True)
    assert peg_a.nama in page and 'data-status="draft"' in page

    response = post(client, "/data-saya/data_utama/usul", {"gelar_belakang": "S.Kom."}, page="/data-saya/data_utama")
    assert response.status_code == 302
    page = client.get("/data-saya/data_utama").get_data(as_text=True)
    assert 'data-changed="gelar_belakang"' in page and "S.Kom." in page

    response = post(
        client,
        "/data-saya/anak/usul",
        {
            "nama": "RARA SANTOSO",
            "tanggal_lahir": "2015-03-02",
            "jenis_kelamin": "P",
            "status_anak": "kandung",
            "status_hidup": "hidup",
        },
        page="/data-saya/anak",
    )
    assert response.status_code == 302
    page = client.get("/data-saya/anak").get_data(as_text=True)
    assert "RARA SANTOSO" in page

    index = client.get("/data-saya/").get_data(as_text=True)
    assert index.count("label-warning") >= 2  # data utama and anak show "changed"

    review_all(client)
    version = usulan_of(peg_a.id).version
    response = post(client, "/data-saya/kirim", {"version": version}, page="/data-saya/")
    assert response.status_code == 302
    page = client.get("/data-saya/").get_data(as_text=True)
    assert 'data-status="di_skpd"' in page and 'id="kirim_form"' not in page

    usulan = usulan_of(peg_a.id)
    assert usulan.status == Usulan.DI_SKPD
    pegawai = db.session.get(Pegawai, peg_a.id)
    assert pegawai.gelar_belakang == official_gelar  # official record unchanged until verified
    assert db.session.scalars(select(Anak).where(Anak.pegawai_id == peg_a.id)).all() == []

    # Locked: a further proposal is refused and nothing changes.
    page = client.get("/data-saya/data_utama").get_data(as_text=True)
    assert 'id="section_form"' not in page  # no form once sent
    response = post(
        client, "/data-saya/data_utama/usul", {"gelar_belakang": "M.Kom."}, page="/laporkan/"
    )  # the session's CSRF token, from any form
    assert response.status_code == 302
    page = client.get("/data-saya/data_utama").get_data(as_text=True)
    assert "can no longer be changed" in page or "tidak dapat diubah" in page
    assert "M.Kom." not in page


def test_kirim_refused_lists_unreviewed_sections(world, login):
    client = login("pns")
    client.get("/data-saya/")
    version = usulan_of(world["peg_a"].id).version
    response = post(client, "/data-saya/kirim", {"version": version}, page="/data-saya/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    listed = set(re.findall(r'<li data-section="([a-z_]+)"', page))
    assert listed == set(workflow.SECTIONS)
    assert usulan_of(world["peg_a"].id).status == Usulan.DRAFT


def test_invalid_value_shown_on_page(world, login):
    client = login("pns")
    response = post(
        client, "/data-saya/anak/usul", {"nama": "X", "tanggal_lahir": "not a date"}, page="/data-saya/anak"
    )
    assert response.status_code == 400
    assert "has-error" in response.get_data(as_text=True)


def test_others_cannot_touch_his_draft(app, world, login):
    owner = login("pns")
    post(owner, "/data-saya/data_utama/usul", {"gelar_belakang": "S.Kom."}, page="/data-saya/data_utama")
    item_id = usulan_of(world["peg_a"].id).items[0].id

    make_user(app, "pns_b", ROLE_PNS, pegawai=world["peg_b"])
    other = login("pns_b")
    page = other.get("/data-saya/data_utama").get_data(as_text=True)
    assert world["peg_b"].nama in page and "S.Kom." not in page
    post(other, f"/data-saya/data_utama/batal/{item_id}", page="/data-saya/data_utama")
    assert len(usulan_of(world["peg_a"].id).items) == 1  # his item is still there

    for username in ("vskpd", "admin"):
        staff = login(username)
        response = staff.get("/data-saya/")
        assert response.status_code in (302, 403)
        assert "S.Kom." not in response.get_data(as_text=True)


def test_missing_csrf_refused(world, login):
    client = login("pns")
    client.get("/data-saya/")
    response = client.post("/data-saya/data_utama/usul", data={"gelar_belakang": "S.Kom."})
    assert response.status_code == 400
    response = client.post("/data-saya/kirim", data={"version": "1"})
    assert response.status_code == 400
    assert usulan_of(world["peg_a"].id).items == []


def test_change_remove_and_withdraw_rows(world, login):
    from .factories import AnakFactory

    first = AnakFactory(pegawai=world["peg_a"], nama="ANAK PERTAMA")
    second = AnakFactory(pegawai=world["peg_a"], nama="ANAK KEDUA")
    db.session.commit()
    first_id, second_id = first.id, second.id
    client = login("pns")
    page = client.get(f"/data-saya/anak?edit={first_id}").get_data(as_text=True)
    assert 'value="ANAK PERTAMA"' in page  # the change form is pre-filled with the row
    response = post(
        client, f"/data-saya/anak/usul?target_id={first_id}", {"nama": "ANAK PERTAMA SEKALI"}, page="/data-saya/anak"
    )
    assert response.status_code == 302
    response = post(client, f"/data-saya/anak/hapus/{second_id}", page="/data-saya/anak")
    assert response.status_code == 302
    page = client.get("/data-saya/anak").get_data(as_text=True)
    assert "ANAK PERTAMA SEKALI" in page and f'data-removed="{second_id}"' in page

    removal = next(i for i in usulan_of(world["peg_a"].id).items if i.operation == "remove")
    post(client, f"/data-saya/anak/batal/{removal.id}", page="/data-saya/anak")
    page = client.get("/data-saya/anak").get_data(as_text=True)
    assert f'data-removed="{second_id}"' not in page and f'data-row="{second_id}"' in page
    # The official rows are untouched by the draft.
    assert db.session.get(Anak, first_id).nama == "ANAK PERTAMA"


def test_returned_submission_shows_reason_and_items(world, login):
    client = login("pns")
    post(client, "/data-saya/data_utama/usul", {"gelar_belakang": "S.Kom."}, page="/data-saya/data_utama")
    review_all(client)
    post(client, "/data-saya/kirim", {"version": usulan_of(world["peg_a"].id).version}, page="/data-saya/")
    usulan = usulan_of(world["peg_a"].id)
    assert usulan.status == Usulan.DI_SKPD
    verifier = world["users"][ROLE_VERIFIKATOR_SKPD]
    workflow.set_verdict(
        db.session, verifier, usulan.id, usulan.items[0].id, "tidak_sesuai", "BTS", "Ijazah tidak terlampir"
    )
    workflow.transition(db.session, verifier, usulan.id, workflow.KEMBALIKAN, reason="Gelar belum didukung ijazah")

    page = client.get("/data-saya/").get_data(as_text=True)
    assert 'id="returned"' in page and 'data-status="draft"' in page
    assert "Gelar belum didukung ijazah" in page and "Ijazah tidak terlampir" in page
    # The section with the rejected item must be reviewed again.
    row = re.search(r'<tr data-section="data_utama">.*?</tr>', page, re.S).group(0)
    assert "label-success" not in row
