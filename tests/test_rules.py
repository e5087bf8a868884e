"""Domain rules (app/services/rules.py): NIP, NIK, dates, golongan and jabatan history.

The rules are pure; only rendering their lazy messages needs an app and a locale, so these
tests run in one lightweight app with the English msgids (locale "en") and no database.
"""

import datetime as dt

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from app import create_app
from app.services.rules import (
    PROVINCE_CODES,
    RuleError,
    add_years,
    check_dates,
    check_golongan_history,
    check_jabatan_history,
    check_nik,
    check_nip,
    check_pegawai,
    make_nik,
    make_nip,
)

TODAY = dt.date(2015, 9, 1)  # the 2015 portal opened on 1 September
BORN = dt.date(1980, 5, 17)
TMT_CPNS = dt.date(2005, 3, 1)
TMT_PNS = dt.date(2006, 3, 1)
REGION = "327301"  # Kota Bandung
NIP_MALE = make_nip(BORN, TMT_CPNS, "L", 1)
NIK_MALE = make_nik(REGION, BORN, "L", 1)
NIK_FEMALE = make_nik(REGION, BORN, "P", 1)


@pytest.fixture(scope="module", autouse=True)
def english():
    """A request context in locale "en" so lazy messages render as their English msgids."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context(), force_locale("en"):
        yield app


def found(errors):
    """Errors as (field, rendered message) pairs, the way a user reads them."""
    return [(e.field, str(e.message)) for e in errors]


def valid_pegawai(**changes):
    data = {
        "nip": NIP_MALE,
        "nip_lama": "010203040",
        "nik": NIK_MALE,
        "nama": "BUDI SANTOSO",
        "tanggal_lahir": BORN,
        "jenis_kelamin": "L",
        "tmt_cpns": TMT_CPNS,
        "tmt_pns": TMT_PNS,
    }
    data.update(changes)
    return data


# --- NIP -------------------------------------------------------------------------------------


def test_identifiers_built_by_make_nip_and_make_nik_have_the_documented_layout():
    assert NIP_MALE == "198005172005031001"
    assert NIK_MALE == "3273011705800001"
    assert NIK_FEMALE == "3273015705800001"
    assert make_nip(BORN, TMT_CPNS, "P", 12) == "198005172005032012"


def test_valid_nip_passes_with_and_without_the_data_it_encodes():
    assert check_nip(NIP_MALE) == []
    assert check_nip(NIP_MALE, BORN, "L", TMT_CPNS) == []
    # TMT CPNS is encoded to the month only: any day in that month agrees.
    assert check_nip(NIP_MALE, BORN, "L", dt.date(2005, 3, 31)) == []
    assert check_nip(make_nip(BORN, TMT_CPNS, "P", 999), BORN, "P", TMT_CPNS) == []


NOT_18_DIGITS = [
    pytest.param("19800517200503100", id="17-digits"),
    pytest.param("1980051720050310011", id="19-digits"),
    pytest.param("", id="empty"),
    pytest.param(None, id="none"),
    pytest.param(198005172005031001, id="int-not-text"),
    pytest.param("19800517200503100A", id="letter"),
    pytest.param("1980O5172005031001", id="letter-O-for-zero"),
    pytest.param("١٩٨٠٠٥١٧٢٠٠٥٠٣١٠٠١", id="arabic-indic-digits"),
    pytest.param("１９８００５１７２００５０３１００１", id="full-width-digits"),
    pytest.param("198005172005031001\n", id="trailing-newline"),
    pytest.param(" 198005172005031001", id="leading-space"),
    pytest.param("198005172005031001 ", id="trailing-space"),
    pytest.param("1980 0517 2005 03 1 001", id="grouped-with-spaces"),
    pytest.param("19800517-200503-1-001", id="dashes"),
]


@pytest.mark.parametrize("nip", NOT_18_DIGITS)
def test_nip_that_is_not_18_ascii_digits_is_refused(nip):
    assert found(check_nip(nip, BORN, "L", TMT_CPNS)) == [("nip", "must be exactly 18 digits 0-9.")]


@pytest.mark.parametrize(
    "nip, message",
    [
        ("198002302005031001", "digits 1-8 are not a valid birth date (YYYYMMDD)."),
        ("198013172005031001", "digits 1-8 are not a valid birth date (YYYYMMDD)."),
        ("000005172005031001", "digits 1-8 are not a valid birth date (YYYYMMDD)."),
        ("198005172005131001", "digits 9-14 are not a valid TMT CPNS (YYYYMM)."),
        ("198005172005001001", "digits 9-14 are not a valid TMT CPNS (YYYYMM)."),
        ("198005172005033001", "digit 15 must be 1 (male) or 2 (female)."),
        ("198005172005030001", "digit 15 must be 1 (male) or 2 (female)."),
        ("198005172005031000", "the sequence number (digits 16-18) starts at 001."),
    ],
    ids=["30-feb", "month-13-birth", "year-0", "tmt-month-13", "tmt-month-0", "gender-3", "gender-0", "sequence-000"],
)
def test_nip_with_an_impossible_part_is_refused(nip, message):
    assert found(check_nip(nip)) == [("nip", message)]


def test_nip_reports_every_broken_part_at_once():
    assert found(check_nip("198002302005133000")) == [
        ("nip", "digits 1-8 are not a valid birth date (YYYYMMDD)."),
        ("nip", "digits 9-14 are not a valid TMT CPNS (YYYYMM)."),
        ("nip", "digit 15 must be 1 (male) or 2 (female)."),
        ("nip", "the sequence number (digits 16-18) starts at 001."),
    ]


def test_nip_birth_date_must_match_the_date_of_birth():
    assert found(check_nip(NIP_MALE, tanggal_lahir=dt.date(1980, 5, 18))) == [
        ("nip", "digits 1-8 do not match the date of birth.")
    ]


@pytest.mark.parametrize("tmt", [dt.date(2005, 4, 1), dt.date(2006, 3, 1), dt.date(2005, 2, 28)])
def test_nip_tmt_must_match_the_tmt_cpns_month(tmt):
    assert found(check_nip(NIP_MALE, tmt_cpns=tmt)) == [("nip", "digits 9-14 do not match the TMT CPNS.")]


def test_nip_gender_digit_must_match_the_gender():
    assert found(check_nip(NIP_MALE, jenis_kelamin="P")) == [("nip", "digit 15 does not match the gender.")]
    female_nip = make_nip(BORN, TMT_CPNS, "P", 1)
    assert found(check_nip(female_nip, jenis_kelamin="L")) == [("nip", "digit 15 does not match the gender.")]


# --- NIK -------------------------------------------------------------------------------------


def test_valid_nik_passes_for_men_and_women():
    assert check_nik(NIK_MALE) == []
    assert check_nik(NIK_MALE, BORN, "L") == []
    assert check_nik(NIK_FEMALE, BORN, "P") == []


@pytest.mark.parametrize(
    "nik",
    [
        "327301170580000",
        "32730117058000011",
        "",
        None,
        "32730117058000O1",
        "٣٢٧٣٠١١٧٠٥٨٠٠٠٠١",
        "３２７３０１１７０５８０００１",
        "3273011705800001\n",
        " 3273011705800001",
        "32.73.01.170580.0001",
    ],
    ids=[
        "15-digits",
        "17-digits",
        "empty",
        "none",
        "letter",
        "arabic-indic",
        "full-width",
        "trailing-newline",
        "leading-space",
        "dotted",
    ],
)
def test_nik_that_is_not_16_ascii_digits_is_refused(nik):
    assert found(check_nik(nik, BORN, "L")) == [("nik", "must be exactly 16 digits 0-9.")]


def test_nik_day_plus_40_is_a_woman_and_refused_for_a_man():
    assert found(check_nik(NIK_FEMALE, BORN, "L")) == [
        ("nik", "the birth day does not match the gender (women: day + 40).")
    ]
    assert found(check_nik(NIK_MALE, BORN, "P")) == [
        ("nik", "the birth day does not match the gender (women: day + 40).")
    ]


@pytest.mark.parametrize("day", ["41", "71"])
def test_nik_female_day_range_41_to_71_is_accepted(day):
    born = dt.date(1980, 1, int(day) - 40)
    assert check_nik(f"{REGION}{day}0180" + "0001", born, "P") == []


@pytest.mark.parametrize(
    "ddmmyy",
    ["720580", "320580", "400580", "000580", "170080", "171380", "310480", "300280", "290299", "690299"],
    ids=[
        "day-72",
        "day-32",
        "day-40",
        "day-0",
        "month-0",
        "month-13",
        "31-april",
        "30-feb",
        "29-feb-non-leap-yy",
        "29-feb-female-non-leap-yy",
    ],
)
def test_nik_with_an_impossible_birth_date_is_refused(ddmmyy):
    assert found(check_nik(f"{REGION}{ddmmyy}0001")) == [("nik", "digits 7-12 are not a valid birth date (DDMMYY).")]


def test_nik_29_february_is_accepted_when_some_century_makes_it_real():
    assert check_nik(f"{REGION}2902000001", dt.date(2000, 2, 29), "L") == []
    assert check_nik(f"{REGION}6902960001", dt.date(1996, 2, 29), "P") == []


def test_nik_sequence_starts_at_0001():
    assert found(check_nik(f"{REGION}1705800000", BORN, "L")) == [
        ("nik", "the sequence number (digits 13-16) starts at 0001.")
    ]


def test_nik_sequence_is_reported_even_when_the_date_is_broken():
    assert found(check_nik(f"{REGION}7205800000")) == [
        ("nik", "digits 7-12 are not a valid birth date (DDMMYY)."),
        ("nik", "the sequence number (digits 13-16) starts at 0001."),
    ]


@pytest.mark.parametrize(
    "born",
    [dt.date(1980, 5, 18), dt.date(1980, 6, 17), dt.date(1981, 5, 17)],
    ids=["day", "month", "year"],
)
def test_nik_birth_date_must_match_the_date_of_birth(born):
    assert found(check_nik(NIK_MALE, born, "L")) == [("nik", "digits 7-12 do not match the date of birth.")]


def test_nik_two_digit_year_matches_any_century():
    assert check_nik(make_nik(REGION, dt.date(2001, 3, 4), "L", 5), dt.date(2001, 3, 4), "L") == []
    # YY carries no century: 1901 and 2001 share it; the NIP supplies the full year.
    assert check_nik(make_nik(REGION, dt.date(2001, 3, 4), "L", 5), dt.date(1901, 3, 4), "L") == []


# --- Dates -----------------------------------------------------------------------------------


def test_add_years_keeps_the_calendar_day_and_moves_29_february_to_28():
    leapling = dt.date(2000, 2, 29)
    assert add_years(leapling, 18) == dt.date(2018, 2, 28)
    assert add_years(leapling, 4) == dt.date(2004, 2, 29)
    assert add_years(BORN, 18) == dt.date(1998, 5, 17)


def test_29_february_birth_passes_nip_nik_and_turns_18_on_28_february():
    leapling = dt.date(1988, 2, 29)
    tmt = dt.date(2006, 2, 28)
    assert check_nip(make_nip(leapling, tmt, "P", 7), leapling, "P", tmt) == []
    assert check_nik(make_nik(REGION, leapling, "P", 7), leapling, "P") == []
    assert check_dates(leapling, tmt, today=TODAY) == []
    assert found(check_dates(leapling, dt.date(2006, 2, 27), today=TODAY)) == [
        ("tmt_cpns", "must be on or after the 18th birthday.")
    ]


def test_tmt_cpns_one_day_before_the_18th_birthday_is_refused_and_on_it_accepted():
    birthday_18 = dt.date(1998, 5, 17)
    assert found(check_dates(BORN, birthday_18 - dt.timedelta(days=1), today=TODAY)) == [
        ("tmt_cpns", "must be on or after the 18th birthday.")
    ]
    assert check_dates(BORN, birthday_18, today=TODAY) == []


def test_tmt_pns_before_tmt_cpns_is_refused_and_the_same_day_accepted():
    assert found(check_dates(BORN, TMT_CPNS, TMT_CPNS - dt.timedelta(days=1), today=TODAY)) == [
        ("tmt_pns", "cannot be before the TMT CPNS.")
    ]
    assert check_dates(BORN, TMT_CPNS, TMT_CPNS, today=TODAY) == []


def test_birth_date_in_the_future_is_refused_and_today_accepted():
    assert found(check_dates(TODAY + dt.timedelta(days=1), today=TODAY)) == [
        ("tanggal_lahir", "cannot be in the future.")
    ]
    assert check_dates(TODAY, today=TODAY) == []


def test_tmt_cpns_more_than_a_year_ahead_is_refused():
    assert check_dates(BORN, TODAY + dt.timedelta(days=366), today=TODAY) == []
    assert found(check_dates(BORN, TODAY + dt.timedelta(days=367), today=TODAY)) == [
        ("tmt_cpns", "is too far in the future.")
    ]


def test_check_dates_defaults_to_the_real_today():
    assert found(check_dates(dt.date.today() + dt.timedelta(days=1))) == [("tanggal_lahir", "cannot be in the future.")]


# --- check_pegawai ---------------------------------------------------------------------------


def test_valid_pegawai_passes():
    assert check_pegawai(valid_pegawai(), today=TODAY) == []
    assert check_pegawai(valid_pegawai(nik=None, nip_lama=None, tmt_pns=None), today=TODAY) == []
    female = valid_pegawai(jenis_kelamin="P", nip=make_nip(BORN, TMT_CPNS, "P", 3), nik=NIK_FEMALE)
    assert check_pegawai(female, today=TODAY) == []


def test_check_pegawai_reports_every_error_at_once():
    data = valid_pegawai(
        nama="   ",
        jenis_kelamin="X",
        nip="19800517200503100",
        nik=make_nik(REGION, BORN, "L", 0),
        nip_lama="12345678",
        tmt_pns=TMT_CPNS - dt.timedelta(days=1),
    )
    assert found(check_pegawai(data, today=TODAY)) == [
        ("jenis_kelamin", "must be L (male) or P (female)."),
        ("nama", "is required."),
        ("nip", "must be exactly 18 digits 0-9."),
        ("nik", "the sequence number (digits 13-16) starts at 0001."),
        ("nip_lama", "must be exactly 9 digits 0-9."),
        ("tmt_pns", "cannot be before the TMT CPNS."),
    ]


def test_check_pegawai_requires_the_dates_the_nip_and_nik_are_checked_against():
    data = valid_pegawai(tanggal_lahir=None, tmt_cpns=None, tmt_pns=None)
    assert found(check_pegawai(data, today=TODAY)) == [
        ("tanggal_lahir", "is required."),
        ("tmt_cpns", "is required."),
    ]


def test_check_pegawai_nik_must_agree_with_the_nip_birth_date_and_gender():
    # NIP and birth date say 17-05-1980, man; the NIK says 18-05-1980, woman.
    data = valid_pegawai(nik=make_nik(REGION, dt.date(1980, 5, 18), "P", 1))
    assert found(check_pegawai(data, today=TODAY)) == [
        ("nik", "digits 7-12 do not match the date of birth."),
        ("nik", "the birth day does not match the gender (women: day + 40)."),
    ]


def test_check_pegawai_checks_nip_against_birth_date_tmt_and_gender():
    # The NIK agrees with the new data; the NIP (17-05-1980, 03-2005, man) does not.
    data = valid_pegawai(
        tanggal_lahir=dt.date(1980, 5, 18),
        nik=make_nik(REGION, dt.date(1980, 5, 18), "P", 1),
        tmt_cpns=dt.date(2005, 4, 1),
        tmt_pns=dt.date(2006, 4, 1),
        jenis_kelamin="P",
    )
    assert found(check_pegawai(data, today=TODAY)) == [
        ("nip", "digits 1-8 do not match the date of birth."),
        ("nip", "digits 9-14 do not match the TMT CPNS."),
        ("nip", "digit 15 does not match the gender."),
    ]


def test_check_pegawai_refuses_a_missing_nip():
    assert found(check_pegawai(valid_pegawai(nip=None), today=TODAY)) == [("nip", "must be exactly 18 digits 0-9.")]


def test_str_of_an_error_names_the_field_label_then_the_message():
    error = check_dates(TODAY + dt.timedelta(days=1), today=TODAY)[0]
    assert str(error) == "Date of birth: cannot be in the future."
    assert str(check_nip("123")[0]) == "NIP: must be exactly 18 digits 0-9."
    # A field without a label still shows which field it is.
    assert str(RuleError("unknown_field", "x")) == "unknown_field: x"


# --- Golongan history ------------------------------------------------------------------------


def test_golongan_history_ascending_in_rank_and_tmt_passes_in_any_input_order():
    rows = [
        (33, dt.date(2013, 4, 1), "III/c"),
        (31, dt.date(2005, 3, 1), "III/a"),
        (32, dt.date(2009, 4, 1), "III/b"),
    ]
    assert check_golongan_history(rows) == []
    assert check_golongan_history([]) == []
    assert check_golongan_history(rows[:1]) == []


def test_golongan_history_equal_rank_with_later_tmt_is_refused_naming_both():
    rows = [(31, dt.date(2005, 3, 1), "III/a"), (31, dt.date(2006, 3, 1), "III/a")]
    assert found(check_golongan_history(rows)) == [("golongan", "III/a (TMT 1 March 2006) is not higher than III/a.")]


def test_golongan_history_descending_with_later_tmt_is_refused_naming_both():
    rows = [(32, dt.date(2005, 3, 1), "III/b"), (31, dt.date(2009, 4, 1), "III/a")]
    assert found(check_golongan_history(rows)) == [("golongan", "III/a (TMT 1 April 2009) is not higher than III/b.")]


def test_golongan_history_two_golongan_on_the_same_tmt_are_refused():
    rows = [(31, dt.date(2005, 3, 1), "III/a"), (32, dt.date(2005, 3, 1), "III/b")]
    assert found(check_golongan_history(rows)) == [("golongan", "III/b and III/a have the same TMT (1 March 2005).")]


def test_golongan_history_reports_every_row_below_an_earlier_higher_rank():
    rows = [
        (31, dt.date(2000, 1, 1), "III/a"),
        (34, dt.date(2004, 1, 1), "III/d"),
        (32, dt.date(2008, 1, 1), "III/b"),
        (33, dt.date(2012, 1, 1), "III/c"),
    ]
    assert found(check_golongan_history(rows)) == [
        ("golongan", "III/b (TMT 1 January 2008) is not higher than III/d."),
        ("golongan", "III/c (TMT 1 January 2012) is not higher than III/d."),
    ]


def test_golongan_history_skips_incomplete_rows_instead_of_crashing():
    rows = [(31, dt.date(2005, 3, 1), "III/a"), (None, dt.date(2006, 1, 1), "?"), (32, None, "III/b")]
    assert check_golongan_history(rows) == []


# --- Jabatan history -------------------------------------------------------------------------


def test_jabatan_history_adjacent_rows_pass():
    rows = [
        (dt.date(2010, 1, 1), dt.date(2012, 6, 1), "Kepala Seksi"),
        (dt.date(2005, 3, 1), dt.date(2010, 1, 1), "Staf"),
        (dt.date(2012, 6, 1), None, "Kepala Bidang"),
    ]
    assert check_jabatan_history(rows) == []
    assert check_jabatan_history([]) == []


def test_jabatan_history_open_row_ends_where_the_next_one_starts():
    rows = [(dt.date(2005, 3, 1), None, "Staf"), (dt.date(2010, 1, 1), None, "Kepala Seksi")]
    assert check_jabatan_history(rows) == []


def test_jabatan_history_overlap_is_refused_naming_both():
    rows = [
        (dt.date(2005, 3, 1), dt.date(2010, 6, 1), "Staf"),
        (dt.date(2010, 1, 1), None, "Kepala Seksi"),
    ]
    assert found(check_jabatan_history(rows)) == [("tmt_jabatan", "Kepala Seksi starts before Staf ends.")]


def test_jabatan_history_overlap_with_a_long_earlier_row_is_not_hidden_by_a_short_one():
    rows = [
        (dt.date(2000, 1, 1), dt.date(2020, 1, 1), "Kepala Dinas"),
        (dt.date(2005, 1, 1), dt.date(2006, 1, 1), "Plt. Kepala Bidang"),
        (dt.date(2010, 1, 1), None, "Kepala Seksi"),
    ]
    assert found(check_jabatan_history(rows)) == [
        ("tmt_jabatan", "Plt. Kepala Bidang starts before Kepala Dinas ends."),
        ("tmt_jabatan", "Kepala Seksi starts before Kepala Dinas ends."),
    ]


def test_jabatan_history_two_rows_starting_the_same_day_are_refused_once():
    rows = [
        (dt.date(2005, 3, 1), dt.date(2008, 1, 1), "Staf"),
        (dt.date(2005, 3, 1), dt.date(2007, 1, 1), "Bendahara"),
    ]
    errors = found(check_jabatan_history(rows))
    assert len(errors) == 1
    assert errors[0][0] == "tmt_jabatan"
    assert "start on the same day" in errors[0][1]
    assert "Staf" in errors[0][1] and "Bendahara" in errors[0][1]


def test_jabatan_row_ending_before_it_starts_is_refused():
    rows = [(dt.date(2010, 1, 1), dt.date(2009, 1, 1), "Staf")]
    assert found(check_jabatan_history(rows)) == [("tmt_jabatan", "Staf ends before it starts.")]


# --- Properties ------------------------------------------------------------------------------

genders = st.sampled_from(["L", "P"])
ascii_digits = st.characters(min_codepoint=ord("0"), max_codepoint=ord("9"))
non_ascii = st.characters(min_codepoint=128)
non_ascii_digits = st.characters(categories=["Nd"], min_codepoint=128)


@given(born=st.dates(), tmt=st.dates(), gender=genders, sequence=st.integers(1, 999))
def test_make_nip_round_trips_through_check_nip(born, tmt, gender, sequence):
    nip = make_nip(born, tmt, gender, sequence)
    assert len(nip) == 18
    assert check_nip(nip, born, gender, tmt) == []


valid_regions = st.builds(
    lambda province, regency, district: f"{province}{regency:02d}{district:02d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(1, 99),
    st.integers(1, 99),
)


@given(
    region=valid_regions,
    born=st.dates(),
    gender=genders,
    sequence=st.integers(1, 9999),
)
def test_make_nik_round_trips_through_check_nik(region, born, gender, sequence):
    nik = make_nik(region, born, gender, sequence)
    assert len(nik) == 16
    assert check_nik(nik, born, gender) == []


@given(
    region=st.text(ascii_digits, min_size=6, max_size=6).filter(
        lambda r: r[:2] not in PROVINCE_CODES or r[2:4] == "00" or r[4:6] == "00"
    ),
    born=st.dates(),
    gender=genders,
)
def test_a_nik_outside_every_known_region_is_refused(region, born, gender):
    codes = [e.code for e in check_nik(make_nik(region, born, gender, 1), born, gender)]
    assert codes == ["nik.region"]


@given(text=st.text(), born=st.none() | st.dates(), gender=st.none() | st.text(max_size=2), tmt=st.none() | st.dates())
def test_arbitrary_text_never_raises(text, born, gender, tmt):
    for errors in (check_nip(text, born, gender, tmt), check_nik(text, born, gender)):
        assert isinstance(errors, list)
        assert all(isinstance(e, RuleError) for e in errors)
    data = {
        "nip": text,
        "nik": text,
        "nip_lama": text,
        "nama": text,
        "tanggal_lahir": born,
        "jenis_kelamin": gender,
        "tmt_cpns": tmt,
    }
    assert isinstance(check_pegawai(data, today=TODAY), list)


@given(st.text(ascii_digits, min_size=18, max_size=18))
def test_any_18_ascii_digits_never_raises(nip):
    assert isinstance(check_nip(nip, BORN, "L", TMT_CPNS), list)
    assert isinstance(check_nik(nip[:16], BORN, "P"), list)


@given(prefix=st.text(), char=non_ascii, suffix=st.text())
def test_any_text_with_a_non_ascii_character_is_refused(prefix, char, suffix):
    text = prefix + char + suffix
    assert [e.field for e in check_nip(text)] == ["nip"]
    assert [e.field for e in check_nik(text)] == ["nik"]


@given(position=st.integers(0, 17), digit=non_ascii_digits)
def test_a_valid_nip_or_nik_with_one_non_ascii_digit_is_refused(position, digit):
    # The dangerous case: `\d` and int() both accept these, so they look like good digits.
    nip = NIP_MALE[:position] + digit + NIP_MALE[position + 1 :]
    assert found(check_nip(nip)) == [("nip", "must be exactly 18 digits 0-9.")]
    nik = NIK_MALE[: position % 16] + digit + NIK_MALE[position % 16 + 1 :]
    assert found(check_nik(nik)) == [("nik", "must be exactly 16 digits 0-9.")]


# --- Properties: the rules as an oracle of the documented layouts ------------------------------


def _real_date(year, month, day):
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@given(st.text(ascii_digits, min_size=18, max_size=18))
def test_a_nip_is_accepted_exactly_when_every_part_of_its_layout_is_possible(nip):
    possible = (
        _real_date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8])) is not None
        and 1 <= int(nip[12:14]) <= 12
        and nip[14] in "12"
        and nip[15:18] != "000"
    )
    assert (check_nip(nip) == []) == possible


@given(st.text(ascii_digits, min_size=16, max_size=16))
def test_a_nik_is_accepted_exactly_when_its_date_and_sequence_are_possible(nik):
    day = int(nik[6:8])
    real_day = day - 40 if day > 40 else day
    possible = (
        _real_date(2000 + int(nik[10:12]), int(nik[8:10]), real_day) is not None
        and nik[12:] != "0000"
        and nik[:2] in PROVINCE_CODES
        and "00" not in (nik[2:4], nik[4:6])
    )
    assert (check_nik(nik) == []) == possible


@given(
    born=st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31)),
    tmt=st.dates(dt.date(1960, 1, 1)),
    gender=genders,
    sequence=st.integers(1, 999),
    position=st.integers(0, 14),
    digit=st.text(ascii_digits, min_size=1, max_size=1),
)
def test_changing_any_of_the_first_15_nip_digits_breaks_agreement_with_the_record(
    born, tmt, gender, sequence, position, digit
):
    nip = make_nip(born, tmt, gender, sequence)
    changed = nip[:position] + digit + nip[position + 1 :]
    if changed != nip:
        assert check_nip(changed, born, gender, tmt) != []


@given(
    region=st.text(ascii_digits, min_size=6, max_size=6),
    born=st.dates(dt.date(1940, 1, 1)),
    gender=genders,
    sequence=st.integers(1, 9999),
    position=st.integers(6, 11),
    digit=st.text(ascii_digits, min_size=1, max_size=1),
)
def test_changing_any_date_digit_of_a_nik_breaks_agreement_with_the_record(
    region, born, gender, sequence, position, digit
):
    nik = make_nik(region, born, gender, sequence)
    changed = nik[:position] + digit + nik[position + 1 :]
    if changed != nik:
        assert check_nik(changed, born, gender) != []


@given(day=st.dates(), years=st.integers(-100, 100))
def test_add_years_moves_the_year_only_except_29_february(day, years):
    if not 1 <= day.year + years <= 9999:
        return
    moved = add_years(day, years)
    assert (moved.year, moved.month) == (day.year + years, day.month)
    assert moved.day == day.day or (day.month, day.day, moved.day) == (2, 29, 28)


@given(
    born=st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    tmt_cpns=st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    tmt_pns=st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
)
def test_check_dates_names_exactly_the_fields_that_break_a_rule(born, tmt_cpns, tmt_pns):
    fields = {e.field for e in check_dates(born, tmt_cpns, tmt_pns, today=TODAY)}
    assert ("tanggal_lahir" in fields) == (born > TODAY)
    cpns_wrong = tmt_cpns is not None and (tmt_cpns > TODAY + dt.timedelta(days=366) or tmt_cpns < add_years(born, 18))
    assert ("tmt_cpns" in fields) == cpns_wrong
    pns_wrong = tmt_pns is not None and (
        tmt_pns > TODAY + dt.timedelta(days=366) or (tmt_cpns is not None and tmt_pns < tmt_cpns)
    )
    assert ("tmt_pns" in fields) == pns_wrong
