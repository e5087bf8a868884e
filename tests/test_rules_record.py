"""The record rules (app/services/rules/): each rule called directly, with properties per family.

No database: a record is plain dicts, as every entry path builds it."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.services import rules
from app.services.rules import ERROR, WARNING, Record, References, check_record, check_row, pensiun_date

TODAY = dt.date(2026, 12, 8)
BORN = dt.date(1980, 3, 13)
TMT_CPNS = dt.date(2005, 3, 1)
GOLONGAN = {1: (31, "III/a"), 2: (32, "III/b"), 3: (33, "III/c"), 4: (34, "III/d")}
REFS = References(golongan=GOLONGAN, jenis_jabatan={7: "Fungsional Tertentu", 8: "Struktural"})


def utama(**values):
    base = {
        "nip": rules.make_nip(BORN, TMT_CPNS, "L", 2),
        "nama": "BUDI SANTOSO",
        "tanggal_lahir": BORN,
        "jenis_kelamin": "L",
        "tmt_cpns": TMT_CPNS,
        "status": "PNS",
    }
    return {**base, **values}


def codes(findings):
    return sorted(f.code for f in findings)


def test_every_finding_names_a_registered_rule_with_its_severity():
    record = Record(
        utama=utama(tmt_golongan=dt.date(2030, 1, 1)),
        rows={
            "riwayat_golongan": [{"golongan_id": 1, "tmt_golongan": dt.date(2004, 1, 1)}],
            "anak": [{"nama": "X", "tanggal_lahir": dt.date(2040, 1, 1), "nik": "123"}],
        },
    )
    findings = check_record(record, REFS, today=TODAY)
    assert findings
    for finding in findings:
        assert rules.CATALOGUE[finding.code].severity == finding.severity
        assert finding.section is not None


def test_the_impossible_cases_of_the_issue_are_errors():
    record = Record(
        utama=utama(tmt_golongan=dt.date(2030, 4, 1), golongan_id=2),
        rows={
            "riwayat_golongan": [
                {"golongan_id": 1, "tmt_golongan": dt.date(2004, 4, 1), "tanggal_sk": dt.date(2029, 1, 1)},
                {"golongan_id": 2, "tmt_golongan": dt.date(2009, 4, 1)},
            ],
            "riwayat_jabatan": [
                {"nama_jabatan": "Staf", "tmt_jabatan": dt.date(1999, 1, 1), "tmt_selesai": dt.date(2000, 1, 1)}
            ],
            "anak": [{"nama": "ANAK", "tanggal_lahir": dt.date(2040, 1, 1), "nik": "123", "jenis_kelamin": "P"}],
        },
    )
    found = {(f.section, f.code) for f in rules.blocking(check_record(record, REFS, today=TODAY))}
    assert ("data_utama", "date.tmt_ahead") in found  # TMT golongan 2030
    assert ("riwayat_golongan", "date.before_cpns") in found  # golongan row before TMT CPNS
    assert ("riwayat_golongan", "date.future") in found  # SK dated 2029
    assert ("riwayat_jabatan", "date.before_cpns") in found  # jabatan 1999-2000 for a 2005 CPNS
    assert ("anak", "date.future") in found  # a child born in 2040
    assert ("anak", "nik.format") in found  # NIK "123"
    assert ("data_utama", "golongan.utama_mismatch") in found  # main data ahead of its history


def test_a_plausible_record_has_no_finding():
    record = Record(
        utama=utama(golongan_id=3, tmt_golongan=dt.date(2013, 4, 1), jenis_jabatan_id=8),
        rows={
            "riwayat_golongan": [
                {"golongan_id": 1, "tmt_golongan": TMT_CPNS},
                {"golongan_id": 2, "tmt_golongan": dt.date(2009, 4, 1)},
                {"golongan_id": 3, "tmt_golongan": dt.date(2013, 4, 1)},
            ],
            "riwayat_jabatan": [
                {"nama_jabatan": "Staf", "tmt_jabatan": TMT_CPNS, "tmt_selesai": dt.date(2010, 1, 1)},
                {"nama_jabatan": "Kepala Seksi", "tmt_jabatan": dt.date(2010, 1, 1), "tmt_selesai": None},
            ],
            "riwayat_pendidikan": [{"tahun_lulus": 2003, "nama_sekolah": "UGM"}],
            "pasangan": [
                {"nama": "SITI", "tanggal_lahir": dt.date(1982, 5, 1), "tanggal_menikah": dt.date(2007, 6, 1)}
            ],
            "anak": [
                {
                    "nama": "ANAK",
                    "tanggal_lahir": dt.date(2009, 2, 3),
                    "jenis_kelamin": "P",
                    "status_anak": "kandung",
                    "nik": rules.make_nik("340101", dt.date(2009, 2, 3), "P", 1),
                }
            ],
            "orang_tua": [{"hubungan": "ayah", "nama": "AYAH", "tanggal_lahir": dt.date(1950, 1, 1)}],
        },
    )
    assert check_record(record, REFS, today=TODAY) == []


def test_a_golongan_jump_is_a_warning_not_an_error():
    rows = [{"golongan_id": 1, "tmt_golongan": TMT_CPNS}, {"golongan_id": 3, "tmt_golongan": dt.date(2009, 4, 1)}]
    findings = check_record(Record(utama=utama(), rows={"riwayat_golongan": rows}), REFS, today=TODAY)
    assert [(f.code, f.severity) for f in findings] == [("golongan.jump", WARNING)]


@given(
    section_field=st.sampled_from(
        [(s, f) for s, fields in rules.DATE_FIELDS.items() for f, kind in fields.items() if kind == "event"]
    ),
    days_ahead=st.integers(1, 20000),
)
def test_no_past_event_may_lie_in_the_future(section_field, days_ahead):
    section, name = section_field
    row = {name: TODAY + dt.timedelta(days=days_ahead)}
    found = check_row(section, row, {} if section != "data_utama" else row, REFS, today=TODAY)
    assert ("date.future", name) in {(f.code, f.field) for f in found}


@given(
    section_field=st.sampled_from(
        [(s, f) for s, fields in rules.DATE_FIELDS.items() for f, kind in fields.items() if kind == "tmt"]
    ),
    days_ahead=st.integers(-3000, 5000),
)
def test_a_tmt_may_lie_at_most_a_year_ahead(section_field, days_ahead):
    section, name = section_field
    row = {name: TODAY + dt.timedelta(days=days_ahead)}
    found = {(f.code, f.field) for f in rules.check_row_dates(section, row, today=TODAY)}
    assert (("date.tmt_ahead", name) in found) == (days_ahead > rules.TMT_AHEAD_DAYS)


@given(
    section=st.sampled_from(["riwayat_golongan", "riwayat_jabatan", "penghargaan", "hukuman_disiplin"]),
    offset=st.integers(-8000, 8000),
)
def test_no_career_row_begins_before_the_tmt_cpns(section, offset):
    start = rules.dates.CAREER_START[section]
    row = {start: TMT_CPNS + dt.timedelta(days=offset)}
    found = {f.code for f in check_row(section, row, utama(), REFS, today=TMT_CPNS + dt.timedelta(days=9000))}
    assert ("date.before_cpns" in found) == (offset < 0)


@given(parent_age_days=st.integers(-3650, 60 * 366), status=st.sampled_from(["kandung", "tiri", "angkat"]))
def test_a_child_by_birth_is_born_when_the_pns_could_be_a_parent(parent_age_days, status):
    child_born = BORN + dt.timedelta(days=parent_age_days)
    row = {"nama": "ANAK", "tanggal_lahir": child_born, "status_anak": status}
    found = {f.code: f.severity for f in check_row("anak", row, utama(), REFS, today=dt.date(2100, 1, 1))}
    age = rules.age_on(BORN, child_born) if child_born >= BORN else -1
    if status != "kandung":
        assert "family.parent_too_young" not in found and "family.parent_young" not in found
    elif age < 15:
        assert found.get("family.parent_too_young") == ERROR
    elif age < 18:
        assert found.get("family.parent_young") == WARNING
    else:
        assert not {"family.parent_too_young", "family.parent_young"} & set(found)


def test_a_family_member_with_the_pns_nik_or_a_siblings_nik_is_an_error():
    nik = rules.make_nik("340101", BORN, "L", 9)
    child_nik = rules.make_nik("340101", dt.date(2010, 1, 1), "L", 3)
    record = Record(
        utama=utama(nik=nik),
        rows={
            "pasangan": [{"nama": "SITI", "nik": nik}],
            "anak": [
                {"nama": "A", "tanggal_lahir": dt.date(2010, 1, 1), "jenis_kelamin": "L", "nik": child_nik},
                {"nama": "B", "tanggal_lahir": dt.date(2010, 1, 1), "jenis_kelamin": "L", "nik": child_nik},
            ],
        },
    )
    found = {(f.section, f.code) for f in check_record(record, REFS, today=TODAY)}
    assert ("pasangan", "family.nik_of_pns") in found
    assert ("anak", "family.nik_twice") in found


@given(born=st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31)))
def test_tmt_pensiun_is_the_first_of_the_month_after_the_bup_birthday(born):
    due = pensiun_date(born)
    assert due.day == 1
    assert rules.age_on(born, due) == rules.pensiun.DEFAULT_BUP
    assert rules.age_on(born, due - dt.timedelta(days=31)) in (57, 58)
    assert pensiun_date(born, "Fungsional Tertentu", "Analis Kebijakan Ahli Utama") > due


def test_an_active_pns_past_the_bup_is_a_warning():
    old = utama(tanggal_lahir=dt.date(1960, 1, 10))
    findings = check_record(Record(utama=old), REFS, today=TODAY)
    assert [(f.code, f.severity) for f in findings if f.code.startswith("pensiun")] == [("pensiun.past_bup", WARNING)]
    retired = utama(tanggal_lahir=dt.date(1960, 1, 10), status="PENSIUN")
    assert not [f for f in check_record(Record(utama=retired), REFS, today=TODAY) if f.code.startswith("pensiun")]


def test_spouses_must_be_of_age_at_the_marriage():
    row = {"nama": "SITI", "tanggal_lahir": dt.date(1990, 1, 1), "tanggal_menikah": dt.date(2005, 1, 1)}
    assert {f.code for f in check_row("pasangan", row, utama(), REFS, today=TODAY)} == {"family.marriage_too_young"}
    row["tanggal_menikah"] = dt.date(2007, 6, 1)
    assert {f.code for f in check_row("pasangan", row, utama(), REFS, today=TODAY)} == {"family.marriage_young"}
