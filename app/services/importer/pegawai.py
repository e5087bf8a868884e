"""The data-utama import file (`pupns import-pegawai`): its columns and the parse of one row.

- Row 1 is a header naming every column of `COLUMNS` (any order, any case; other columns are
  ignored); XLSX is read from its first worksheet, date cells or YYYY-MM-DD text both
  accepted; NIP/NIK/no_hp cells must be text (see `files` and `cells`).
- Every row is parsed strictly and checked with `rules.check_pegawai`; a bad row is reported
  (`RowError`: row, column, reason) and skipped, it never blocks the good rows.
- Instansi by `instansi_kode`, unit kerja by `unit_kode`; `pegawai_save` resolves and, when
  allowed, creates them.
"""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ...models import Instansi, Pegawai, UnitKerja, codes
from .. import rules
from .cells import CellError, date_cell, echo, name_key, text_cell
from .files import ImportFile, read_table
from .references import ReferenceLookup
from .report import RowError

COLUMNS = (
    "nip",
    "nip_lama",
    "nik",
    "nama",
    "gelar_depan",
    "gelar_belakang",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_kelamin",
    "agama",
    "status_perkawinan",
    "email",
    "no_hp",
    "alamat",
    "instansi_kode",
    "instansi_nama",
    "unit_kode",
    "unit_nama",
    "golongan",
    "tmt_golongan",
    "tmt_cpns",
    "tmt_pns",
    "jabatan",
    "pendidikan_terakhir",
    "status",
)
BATCH_SIZE = 500
# Needed by the NIP itself or by NOT NULL columns; every other cell may be empty.
REQUIRED = ("nip", "nama", "tanggal_lahir", "jenis_kelamin", "tmt_cpns", "instansi_kode")
DATE_COLUMNS = ("tanggal_lahir", "tmt_golongan", "tmt_cpns", "tmt_pns")
TEXT_COLUMNS = (
    "nip",
    "nip_lama",
    "nik",
    "nama",
    "gelar_depan",
    "gelar_belakang",
    "tempat_lahir",
    "email",
    "no_hp",
    "alamat",
    "jabatan",
)
# A spreadsheet keeps 15 significant digits and drops leading zeros: such cells must be text.
IDENTIFIER_COLUMNS = ("nip", "nip_lama", "nik", "no_hp")
# The data-utama fields `rules.check_pegawai` looks at (as PegawaiView passes them).
RULE_FIELDS = (
    "nip",
    "nip_lama",
    "nik",
    "nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "tmt_cpns",
    "tmt_pns",
    "tmt_golongan",
    "gelar_depan",
    "gelar_belakang",
)
MAX_LENGTH = {
    **{name: Pegawai.__table__.c[name].type.length for name in TEXT_COLUMNS},
    "instansi_kode": Instansi.__table__.c.kode.type.length,
    "instansi_nama": Instansi.__table__.c.nama.type.length,
    "unit_kode": UnitKerja.__table__.c.kode.type.length,
    "unit_nama": UnitKerja.__table__.c.nama.type.length,
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def read_rows(path) -> ImportFile:
    """Open and check a data-utama file (.csv or .xlsx, first worksheet) before anything is imported.

    Reads the whole file once (counting its rows for a progress bar), so every file-level
    problem — wrong type, not UTF-8, unreadable workbook, missing header column — raises one
    `ImportFileError` here.
    """
    return read_table(path, COLUMNS)


def _text(column: str, cell):
    """A trimmed string or None for an empty cell (limits and identifier rule of `column`)."""
    return text_cell(cell, max_length=MAX_LENGTH.get(column), identifier=column in IDENTIFIER_COLUMNS)


@dataclass
class ParsedRow:
    number: int
    values: dict  # Pegawai attribute -> value; None means "empty cell: keep what is stored"
    org: dict  # instansi_kode, instansi_nama, unit_kode, unit_nama


def parse_row(number: int, raw: dict, refs: ReferenceLookup) -> tuple[ParsedRow, list[RowError]]:
    """Turn one file row into Pegawai values, or the reasons it cannot be used."""
    errors: dict[str, RowError] = {}

    def fail(column, message):
        errors.setdefault(column, RowError(number, column, message))

    # A row of the wrong width has its values under the wrong columns: judging them would
    # only produce misleading reasons.
    if None in raw:
        return ParsedRow(number, {"nip": None}, {}), [
            RowError(number, "", _l("has values beyond the last header column (an unquoted comma or semicolon?)."))
        ]
    if any(c not in raw for c in COLUMNS):
        return ParsedRow(number, {"nip": None}, {}), [
            RowError(number, "", _l("has fewer values than the header has columns."))
        ]

    cells = {}
    for column in COLUMNS:
        try:
            cells[column] = date_cell(raw.get(column)) if column in DATE_COLUMNS else _text(column, raw.get(column))
        except CellError as exc:
            fail(column, exc.message)
            cells[column] = None
    for column in REQUIRED:
        if cells[column] is None and column not in errors:
            fail(column, _l("is required."))

    values = {c: cells[c] for c in TEXT_COLUMNS + DATE_COLUMNS}
    # Coded cells take a code, a label or a common word ("Laki-laki", "pensiunan"): models.codes.
    gender = cells["jenis_kelamin"]
    values["jenis_kelamin"] = (codes.to_code(codes.JENIS_KELAMIN, gender) or gender.upper()) if gender else None
    if cells["email"] and not _EMAIL.fullmatch(cells["email"]):
        fail("email", _l("is not a valid email address."))
    values["status"] = None
    if cells["status"]:
        values["status"] = codes.to_code(codes.STATUS_PEGAWAI, cells["status"])
        if values["status"] not in Pegawai.STATUSES:
            fail("status", _l("must be one of %(choices)s.", choices=", ".join(Pegawai.STATUSES)))

    lookups = (
        (
            "agama",
            "agama_id",
            refs.agama,
            name_key,
            lambda v: _l('unknown religion "%(value)s"; use one of: %(choices)s.', value=v, choices=refs.agama_names),
        ),
        (
            "status_perkawinan",
            "status_perkawinan_id",
            refs.status_perkawinan,
            name_key,
            lambda v: _l(
                'unknown marital status "%(value)s"; use one of: %(choices)s.',
                value=v,
                choices=refs.status_perkawinan_names,
            ),
        ),
        (
            "golongan",
            "golongan_id",
            refs.golongan,
            refs.golongan_key,
            lambda v: _l('unknown golongan "%(value)s"; use a code such as III/a.', value=v),
        ),
        (
            "pendidikan_terakhir",
            "pendidikan_terakhir_id",
            refs.pendidikan,
            name_key,
            lambda v: _l('unknown education level "%(value)s"; use e.g. SMA, D-III, S-1, S-2.', value=v),
        ),
    )
    for column, attribute, table, normalise, message in lookups:
        values[attribute] = None
        if cells[column]:
            values[attribute] = table.get(normalise(cells[column]))
            if values[attribute] is None:
                fail(column, message(echo(cells[column])))

    # The domain rules on what the row says (all their reasons, several per field if need be);
    # a column that already failed to parse is not reported twice.
    reported = list(errors.values())
    for error in rules.check_pegawai({f: values[f] for f in RULE_FIELDS}):
        if error.field not in errors:
            reported.append(RowError(number, error.field, error.message))
    reported.sort(key=lambda e: COLUMNS.index(e.field) if e.field in COLUMNS else -1)

    org = {c: cells[c] for c in ("instansi_kode", "instansi_nama", "unit_kode", "unit_nama")}
    return ParsedRow(number, values, org), reported
