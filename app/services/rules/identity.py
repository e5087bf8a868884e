"""Identifiers: the NIP (Perka BKN 22/2007) and the NIK (Dukcapil), checked against the
birth date, gender and TMT CPNS they encode; builders for seeding and tests."""

import datetime as dt

from flask_babel import lazy_gettext as _l

from .core import ERROR, date_or_none, is_ascii_digits, rule

NIK_FEMALE_DAY_OFFSET = 40
NIP_GENDER_DIGIT = {"L": "1", "P": "2"}
# Kemendagri's province codes, the first two digits of every NIK (the four Papua provinces of
# 2022 included: a NIK first issued there carries 93–96).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 "
    "71 72 73 74 75 76 81 82 91 92 93 94 95 96".split()
)

_nip_format = rule("nip.format", "identity", ERROR, _l("must be exactly 18 digits 0-9."))
_nip_birth = rule("nip.birth_date", "identity", ERROR, _l("digits 1-8 do not match the date of birth."))
_nip_tmt = rule("nip.tmt_cpns", "identity", ERROR, _l("digits 9-14 do not match the TMT CPNS."))
_nip_gender = rule("nip.gender", "identity", ERROR, _l("digit 15 does not match the gender."))
_nip_sequence = rule("nip.sequence", "identity", ERROR, _l("the sequence number (digits 16-18) starts at 001."))
_nik_format = rule("nik.format", "identity", ERROR, _l("must be exactly 16 digits 0-9."))
_nik_region = rule(
    "nik.region",
    "identity",
    ERROR,
    _l("digits 1-6 are not a region code (a known province, then regency and district from 01)."),
)
_nik_birth = rule("nik.birth_date", "identity", ERROR, _l("digits 7-12 do not match the date of birth."))
_nik_gender = rule("nik.gender", "identity", ERROR, _l("the birth day does not match the gender (women: day + 40)."))
_nik_sequence = rule("nik.sequence", "identity", ERROR, _l("the sequence number (digits 13-16) starts at 0001."))
nik_duplicate = rule("nik.duplicate", "identity", ERROR, _l("is already the NIK of another person."))
_nip_lama_format = rule("nip_lama.format", "identity", ERROR, _l("must be exactly 9 digits 0-9."))


def check_nip(nip, tanggal_lahir=None, jenis_kelamin=None, tmt_cpns=None) -> list:
    """NIP = birth date YYYYMMDD + TMT CPNS YYYYMM + gender (1/2) + 3-digit sequence."""
    if not is_ascii_digits(nip, 18):
        return [_nip_format("nip")]
    errors = []
    born = date_or_none(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    if born is None:
        errors.append(_nip_birth("nip", _l("digits 1-8 are not a valid birth date (YYYYMMDD).")))
    elif tanggal_lahir is not None and born != tanggal_lahir:
        errors.append(_nip_birth("nip"))
    month = int(nip[12:14])
    if not 1 <= month <= 12:
        errors.append(_nip_tmt("nip", _l("digits 9-14 are not a valid TMT CPNS (YYYYMM).")))
    elif tmt_cpns is not None and (int(nip[8:12]), month) != (tmt_cpns.year, tmt_cpns.month):
        errors.append(_nip_tmt("nip"))
    if nip[14] not in "12":
        errors.append(_nip_gender("nip", _l("digit 15 must be 1 (male) or 2 (female).")))
    elif jenis_kelamin in NIP_GENDER_DIGIT and nip[14] != NIP_GENDER_DIGIT[jenis_kelamin]:
        errors.append(_nip_gender("nip"))
    if nip[15:18] == "000":
        errors.append(_nip_sequence("nip"))
    return errors


def check_nip_lama(value) -> list:
    """The 9-digit NIP of staff appointed before 2009; empty is valid."""
    if value and not is_ascii_digits(value, 9):
        return [_nip_lama_format("nip_lama")]
    return []


def check_nik(nik, tanggal_lahir=None, jenis_kelamin=None, field="nik") -> list:
    """NIK = 6-digit region (province, regency, district) + DDMMYY (day + 40 for women) +
    4-digit sequence. `field` names the form field (a spouse's or child's NIK is `nik` of
    its own row)."""
    if not is_ascii_digits(nik, 16):
        return [_nik_format(field)]
    errors = []
    if nik[0:2] not in PROVINCE_CODES or nik[2:4] == "00" or nik[4:6] == "00":
        errors.append(_nik_region(field))
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > NIK_FEMALE_DAY_OFFSET
    real_day = day - NIK_FEMALE_DAY_OFFSET if female else day
    # YY has no century: 2000 + YY is a leap year exactly when some century makes 29-02-YY real
    # (00 included, for 2000), so this refuses 31-02 and 29-02-99 but accepts 29-02-00.
    if date_or_none(2000 + yy, month, real_day) is None:
        errors.append(_nik_birth(field, _l("digits 7-12 are not a valid birth date (DDMMYY).")))
    else:
        if tanggal_lahir is not None and (real_day, month, yy) != (
            tanggal_lahir.day,
            tanggal_lahir.month,
            tanggal_lahir.year % 100,
        ):
            errors.append(_nik_birth(field))
        if jenis_kelamin in NIP_GENDER_DIGIT and female != (jenis_kelamin == "P"):
            errors.append(_nik_gender(field))
    if nik[12:16] == "0000":
        errors.append(_nik_sequence(field))
    return errors


def make_nip(tanggal_lahir: dt.date, tmt_cpns: dt.date, jenis_kelamin: str, sequence: int) -> str:
    """Build a NIP from its parts (seeding, tests)."""
    gender = NIP_GENDER_DIGIT.get(jenis_kelamin, "2")
    born, tmt = tanggal_lahir, tmt_cpns
    return f"{born.year:04d}{born.month:02d}{born.day:02d}{tmt.year:04d}{tmt.month:02d}{gender}{sequence:03d}"


def make_nik(region: str, tanggal_lahir: dt.date, jenis_kelamin: str, sequence: int) -> str:
    """Build a NIK from its parts (seeding, tests)."""
    day = tanggal_lahir.day + (NIK_FEMALE_DAY_OFFSET if jenis_kelamin == "P" else 0)
    return f"{region}{day:02d}{tanggal_lahir:%m%y}{sequence:04d}"
