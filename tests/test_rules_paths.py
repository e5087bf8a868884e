"""The same impossible values tried through every way data reaches the official record: the
staff forms (PegawaiView and the history/family views, as Verifikator SKPD and Instansi), the
PNS's draft and Kirim, and the import. Each path refuses with the same Indonesian message, the
rule catalogue's (issue 14: the staff forms skipped the history rules Kirim checks)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Anak, Golongan, Pegawai, RiwayatGolongan
from app.services import rules, workflow
from app.roles import ROLE_PNS

from .factories import PegawaiFactory
from .helpers import fresh
from .test_access import form_of, page_text
from .test_import import BORN, person, run, write_csv

pytestmark = pytest.mark.usefixtures("open_run")

# The staff who may write records (a Verifikator SKPD reads only: 403, tests/test_access.py).
STAFF = ("vinstansi", "admin")


def golongan_id(kode="III/b"):
    return db.session.scalar(select(Golongan.id).where(Golongan.kode == kode))


def message_of(app, code):
    """The rule's message as an Indonesian user reads it."""
    with app.test_request_context():
        return str(rules.CATALOGUE[code].description)


def count(model, **where):
    db.session.rollback()
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


# --------------------------------------------------------------------------------------------
# The impossible values, per path: each returns (what the user was told, nothing was saved)
# --------------------------------------------------------------------------------------------
def other_holder(like):
    """Another PNS (in another instansi) holding a valid NIK a PNS like `like` could have."""
    nik = rules.make_nik("327301", like["born"], like["gender"], 4321)
    PegawaiFactory(tanggal_lahir=like["born"], jenis_kelamin=like["gender"], nik=nik, nama="ORANG LAIN")
    db.session.commit()
    return nik


def case_values(world, case):
    """(section, operation, values) of `case` for peg_a, and a check that nothing was stored."""
    peg = world["peg_a"]
    if case == "tmt_golongan_2031":
        return "data_utama", {"tmt_golongan": dt.date(2031, 4, 1)}, lambda: fresh(Pegawai, peg.id).tmt_golongan is None
    if case == "child_born_2040":
        values = {"nama": "RARA", "tanggal_lahir": dt.date(2040, 1, 1), "jenis_kelamin": "P"}
        return "anak", values, lambda: count(Anak, pegawai_id=peg.id) == 0
    if case == "golongan_before_cpns":
        values = {"golongan_id": golongan_id(), "tmt_golongan": rules.add_years(peg.tmt_cpns, -2)}
        return "riwayat_golongan", values, lambda: count(RiwayatGolongan, pegawai_id=peg.id) == 0
    if case == "child_nik_of_parent":
        values = {"nama": "RARA", "tanggal_lahir": dt.date(2012, 1, 1), "jenis_kelamin": "P", "nik": peg.nik}
        return "anak", values, lambda: count(Anak, pegawai_id=peg.id) == 0
    if case == "nik_of_another_pns":
        nik = other_holder({"born": peg.tanggal_lahir, "gender": peg.jenis_kelamin})
        return "data_utama", {"nik": nik}, lambda: fresh(Pegawai, peg.id).nik != nik
    raise AssertionError(case)


CASES = {
    "tmt_golongan_2031": "date.tmt_ahead",
    "child_born_2040": "date.future",
    "golongan_before_cpns": "date.before_cpns",
    # The parent's NIK carries the parent's birth date: the child's row is refused by its own NIK
    # check on every path (the staff form names family.nik_of_pns as well).
    "child_nik_of_parent": "nik.birth_date",
    "nik_of_another_pns": "nik.duplicate",
}
VIEWS = {"data_utama": "pegawaiview", "anak": "anakview", "riwayat_golongan": "riwayatgolonganview"}


def _form_value(value):
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def through_staff_form(world, login, section, values, username):
    client = login(username)
    peg = world["peg_a"].id
    view = VIEWS[section]
    url = f"/{view}/edit/{peg}" if section == "data_utama" else f"/{view}/add?_flt_0_pegawai={peg}"
    form = form_of(client, url)
    if section != "data_utama":
        form["pegawai"] = str(peg)
    form.update({k[:-3] if k.endswith("_id") else k: _form_value(v) for k, v in values.items()})
    response = client.post(url, data=form, follow_redirects=True)
    assert response.status_code == 200
    return page_text(response)


def through_kirim(app, world, section, values):
    """The PNS proposes `values`, reviews every section and sends: the messages he is shown."""
    usulan = workflow.open_draft(db.session, world["peg_a"])
    operation = "change" if section == "data_utama" else "add"
    with app.test_request_context():
        try:
            workflow.propose(db.session, usulan, section, operation, values)
            for name in workflow.SECTIONS:
                workflow.mark_reviewed(db.session, usulan, name)
            workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
        except workflow.KirimRefused as refused:
            return " ".join(str(p) for p in refused.problems)
        except workflow.WorkflowError as refused:
            return str(refused)
    raise AssertionError("Kirim accepted an impossible record")


# --------------------------------------------------------------------------------------------
# The paths
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", STAFF)
@pytest.mark.parametrize("case", CASES)
def test_staff_forms_refuse_with_the_rule_message(app, world, login, case, username):
    expected = message_of(app, CASES[case])
    section, values, nothing_saved = case_values(world, case)
    text = through_staff_form(world, login, section, values, username)
    assert expected in text
    assert nothing_saved()


# The PNS proposes no NIK of his own (a Helpdesk ticket changes it): see the test below.
@pytest.mark.parametrize("case", [c for c in CASES if c != "nik_of_another_pns"])
def test_kirim_refuses_with_the_same_message(app, world, case):
    expected = message_of(app, CASES[case])
    section, values, nothing_saved = case_values(world, case)
    assert expected in through_kirim(app, world, section, values)
    assert nothing_saved()


# The import of data utama (services.importer): the same rules, the same messages.
IMPORT_CASES = {
    "tmt_golongan_2031": {"tmt_golongan": "2031-04-01"},
    "nik_of_another_pns": None,  # filled in by the test: the NIK of a PNS already stored
}


@pytest.mark.parametrize("case", IMPORT_CASES)
def test_import_refuses_with_the_same_message(app, world, tmp_path, case):
    expected = message_of(app, CASES[case])
    overrides = IMPORT_CASES[case] or {"nik": other_holder({"born": BORN, "gender": "L"})}
    path = write_csv(tmp_path / "pegawai.csv", [person(901, **overrides)])
    with app.test_request_context():
        report = run(path)
        reasons = " ".join(str(e.reason) for e in report.errors)
    assert report.rejected == 1 and report.created == 0
    assert expected in reasons


def test_the_import_is_checked_as_it_is_today(app, world, tmp_path):
    """What the import does refuse already carries the catalogue's message (a NIK whose
    digits do not match the date of birth)."""
    expected = message_of(app, "nik.birth_date")
    bad = rules.make_nik("347101", dt.date(1970, 1, 1), "L", 5)
    path = write_csv(tmp_path / "pegawai.csv", [person(902, nik=bad)])
    with app.test_request_context():
        report = run(path)
        reasons = " ".join(str(e.reason) for e in report.errors)
    assert report.rejected == 1 and expected in reasons


def test_the_pns_cannot_propose_a_nik_at_all(app, world):
    """So another PNS's NIK cannot reach his record through the draft either."""
    _section, values, nothing_saved = case_values(world, "nik_of_another_pns")
    assert "NIK: " in through_kirim(app, world, "data_utama", values)
    assert nothing_saved()
