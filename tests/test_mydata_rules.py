"""The PNS's draft and the rules (issue 14): a row is checked when it is saved (rules.check_row)
and an error is refused with its message next to the field; a warning is saved with a note;
his own NIP, NIK and status are not his to propose (a Helpdesk ticket), and the main data's
golongan follows the golongan history.

Every request runs in its own app context (as in production), so the database is re-read."""

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Golongan, Pegawai
from app.services import workflow
from app.services.rules import add_years

from .factories import RiwayatGolonganFactory
from .test_mydata import post, usulan_of

pytestmark = pytest.mark.usefixtures("open_run")

FUTURE_MESSAGE = "tidak boleh melewati tanggal hari ini."
IDENTITY_MESSAGE = "diubah lewat tiket Helpdesk dengan dokumen pendukung."
CHILD = {"nama": "RARA SANTOSO", "jenis_kelamin": "P", "status_anak": "kandung", "status_hidup": "hidup"}


def field_group(page: str, name: str) -> str:
    """The form-group of the input `name` on the page (its label, input and messages)."""
    match = re.search(
        rf'<div class="form-group[^"]*">(?:(?!<div class="form-group).)*?id="{name}".*?</div>\s*</div>', page, re.S
    )
    assert match, f"no form field {name}"
    return html.unescape(match.group(0))


def items_of(pegawai_id, section=None):
    usulan = usulan_of(pegawai_id)
    return [i for i in usulan.items if section is None or i.section == section] if usulan else []


def test_a_child_born_in_the_future_is_refused_next_to_the_field(world, login):
    client = login("pns")
    response = post(client, "/data-saya/anak/usul", {**CHILD, "tanggal_lahir": "2040-01-01"}, page="/data-saya/anak")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    group = field_group(page, "tanggal_lahir")
    assert "has-error" in group and FUTURE_MESSAGE in group
    assert "Periksa kembali isian Anda." in page
    assert items_of(world["peg_a"].id, "anak") == []  # nothing in the draft


def test_every_error_of_a_row_is_shown_each_next_to_its_field(world, login):
    """A bad title (a field of the form) and a birth date the NIP no longer matches (the NIP is
    not on the form: the message goes to the top of the form, with the field's name)."""
    peg = world["peg_a"]
    client = login("pns")
    born = (peg.tanggal_lahir + dt.timedelta(days=1)).isoformat()
    response = post(
        client,
        "/data-saya/data_utama/usul",
        {"gelar_depan": "Dr.1", "tanggal_lahir": born},
        page="/data-saya/data_utama",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "hanya boleh berisi huruf" in field_group(page, "gelar_depan")
    top = html.unescape(re.search(r'id="form_errors">(.*?)</div>', page, re.S).group(1))
    assert "NIP: digit 1-8 tidak sesuai dengan tanggal lahir." in top
    assert items_of(peg.id) == []


def test_a_warning_is_saved_with_a_note(world, login):
    """A child born when the PNS was 16: possible, so saved; he is told the verifier will look."""
    peg = world["peg_a"]
    client = login("pns")
    born = add_years(peg.tanggal_lahir, 16) + dt.timedelta(days=30)
    response = post(
        client, "/data-saya/anak/usul", {**CHILD, "tanggal_lahir": born.isoformat()}, page="/data-saya/anak"
    )
    assert response.status_code == 302
    page = html.unescape(client.get("/data-saya/anak").get_data(as_text=True))
    assert "Perhatian (akan diperiksa verifikator)" in page
    assert "orang tua berusia di bawah 18 tahun saat kelahiran ini." in page
    assert len(items_of(peg.id, "anak")) == 1


def test_the_service_returns_the_warnings_of_the_saved_row(world):
    peg = world["peg_a"]
    usulan = workflow.open_draft(db.session, peg)
    notes = []
    born = add_years(peg.tanggal_lahir, 16) + dt.timedelta(days=30)
    workflow.propose(db.session, usulan, "anak", "add", {**CHILD, "tanggal_lahir": born}, notes=notes)
    assert [n.code for n in notes] == ["family.parent_young"]
    with pytest.raises(workflow.RuleRefused) as refused:
        workflow.propose(db.session, usulan, "anak", "add", {**CHILD, "tanggal_lahir": dt.date(2040, 1, 1)})
    assert [(f.field, f.code) for f in refused.value.findings] == [("tanggal_lahir", "date.future")]


def test_an_old_error_in_the_official_record_does_not_block_an_unrelated_change(world):
    """An imported record with a bad old NIP: the PNS can still correct his address (Kirim
    lists the old NIP, for him or the Helpdesk to fix)."""
    peg = db.session.get(Pegawai, world["peg_a"].id)
    peg.nip_lama = "12345"
    db.session.commit()
    usulan = workflow.open_draft(db.session, peg)
    item = workflow.propose(db.session, usulan, "data_utama", "change", {"alamat": "Jl. Malioboro 1"})
    assert item is not None
    problems = workflow.kirim_problems(db.session, usulan)
    assert ("data_utama", "nip_lama") in {(p.section, p.field) for p in problems}


def test_own_identity_is_shown_read_only_with_the_helpdesk_note(world, login):
    peg = world["peg_a"]
    page = login("pns").get("/data-saya/data_utama").get_data(as_text=True)
    text = html.unescape(page)
    assert "Perubahan NIP, NIK atau status diajukan lewat Helpdesk dengan dokumen pendukung." in text
    assert 'href="/laporkan/?kategori=lainnya"' in page
    assert peg.nip in page and peg.nik in page  # still shown
    form = re.search(r'<form[^>]*id="section_form".*?</form>', page, re.S).group(0)
    for name in ("nip", "nik", "status"):
        assert f'name="{name}"' not in form
        assert f'data-locked="{name}"' in page  # the read-only row of the compare table


@pytest.mark.parametrize("name", ["nip", "nik", "status"])
def test_a_crafted_post_of_own_identity_is_refused(world, login, name):
    peg = world["peg_a"]
    value = {"nip": "199001012015011001", "nik": "3273010101900001", "status": Pegawai.STATUS_CPNS}[name]
    client = login("pns")
    response = post(
        client, "/data-saya/data_utama/usul", {name: value, "alamat": "Jl. Baru 2"}, page="/data-saya/data_utama"
    )
    assert response.status_code == 400
    assert IDENTITY_MESSAGE in html.unescape(response.get_data(as_text=True))
    assert items_of(peg.id) == []
    assert getattr(db.session.get(Pegawai, peg.id), name) == getattr(peg, name)
    with pytest.raises(workflow.InvalidValue) as refused:
        workflow.propose(db.session, usulan_of(peg.id), "data_utama", "change", {name: value})
    assert refused.value.field == name


def test_golongan_follows_the_golongan_history(world, login):
    peg = world["peg_a"]
    client = login("pns")
    page = client.get("/data-saya/data_utama").get_data(as_text=True)
    assert 'name="golongan_id"' in page  # no history rows: his to propose

    RiwayatGolonganFactory(pegawai=db.session.get(Pegawai, peg.id), kode="III/a", tmt_golongan=peg.tmt_cpns)
    db.session.commit()
    page = client.get("/data-saya/data_utama").get_data(as_text=True)
    assert 'name="golongan_id"' not in page and 'name="tmt_golongan"' not in page
    assert 'data-locked="golongan_id"' in page and "ikuti riwayat golongan." in html.unescape(page)

    iii_b = db.session.scalar(select(Golongan.id).where(Golongan.kode == "III/b"))
    response = post(client, "/data-saya/data_utama/usul", {"golongan_id": str(iii_b)}, page="/data-saya/data_utama")
    assert response.status_code == 400
    assert "ikuti riwayat golongan." in html.unescape(response.get_data(as_text=True))
    assert items_of(peg.id) == []

    # The other fields of the main data stay his to propose.
    response = post(client, "/data-saya/data_utama/usul", {"alamat": "Jl. Baru 3"}, page="/data-saya/data_utama")
    assert response.status_code == 302
    [item] = items_of(peg.id)
    assert workflow.proposed_values(item) == {"alamat": "Jl. Baru 3"}
