"""The catalogue of plausibility rules for personnel data: one home for every rule, applied by
every way data enters (the PNS's draft and Kirim, the staff forms, the import, the apply step)
and by the data-quality report over the official record.

Rooms: `core` (findings, severities, the catalogue), `codes` (a coded field holds a code of
its enum), `identity` (NIP, NIK), `dates` (what cannot lie in the future or before the
career), `pegawai` (the main data), `history` (across golongan and jabatan rows), `family`
(ages and NIKs of spouses, children, parents), `pensiun` (BUP and TMT pensiun), `record` (one
row or the whole record; database look-ups).
A rule is a plain function: tests call it directly, and through each path.
"""

from .core import (
    CATALOGUE,
    ERROR,
    FIELD_LABELS,
    SEVERITIES,
    WARNING,
    Rule,
    RuleError,
    add_years,
    age_on,
    blocking,
    is_ascii_digits,
    warnings,
)
from .codes import CODE_UNKNOWN, check_codes
from .dates import DATE_FIELDS, MIN_CPNS_AGE_YEARS, TMT_AHEAD_DAYS, check_dates, check_row_dates, check_utama_dates
from .family import check_family_row
from .history import check_golongan_history, check_golongan_utama, check_jabatan_history
from .identity import (
    NIK_FEMALE_DAY_OFFSET,
    NIP_GENDER_DIGIT,
    PROVINCE_CODES,
    check_nik,
    check_nip,
    make_nik,
    make_nip,
)
from .pegawai import FIELD_RULES, GELAR_MAX_LENGTH, check_fields, check_gelar, check_pegawai
from .pensiun import bup_years, check_pensiun, pensiun_date
from .record import (
    DATA_UTAMA,
    NIK_SECTIONS,
    Record,
    References,
    check_nik_unique,
    check_record,
    check_row,
    item_values,
    load_references,
    nik_owner,
    pensiun_of,
    record_of,
    record_with,
    row_values,
    write_findings,
)

__all__ = [
    "CATALOGUE",
    "CODE_UNKNOWN",
    "DATA_UTAMA",
    "DATE_FIELDS",
    "ERROR",
    "FIELD_LABELS",
    "FIELD_RULES",
    "GELAR_MAX_LENGTH",
    "MIN_CPNS_AGE_YEARS",
    "NIK_SECTIONS",
    "NIK_FEMALE_DAY_OFFSET",
    "NIP_GENDER_DIGIT",
    "PROVINCE_CODES",
    "SEVERITIES",
    "TMT_AHEAD_DAYS",
    "WARNING",
    "Record",
    "References",
    "Rule",
    "RuleError",
    "add_years",
    "age_on",
    "blocking",
    "bup_years",
    "check_codes",
    "check_dates",
    "check_family_row",
    "check_fields",
    "check_gelar",
    "check_golongan_history",
    "check_golongan_utama",
    "check_jabatan_history",
    "check_nik",
    "check_nik_unique",
    "check_nip",
    "check_pegawai",
    "check_pensiun",
    "check_record",
    "check_row",
    "check_row_dates",
    "check_utama_dates",
    "is_ascii_digits",
    "item_values",
    "load_references",
    "make_nik",
    "make_nip",
    "nik_owner",
    "pensiun_date",
    "pensiun_of",
    "record_of",
    "record_with",
    "row_values",
    "warnings",
    "write_findings",
]
