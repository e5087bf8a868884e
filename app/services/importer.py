"""Import of Pegawai master data from an agency's CSV or XLSX file (`pupns import-pegawai`).

The contract, for operators and for the code below:

- CSV is UTF-8 (a BOM is fine), comma- or semicolon-separated; XLSX is read from its first
  worksheet, date cells or YYYY-MM-DD text both accepted; NIP/NIK/no_hp cells must be text.
- Row 1 is a header naming every column of `COLUMNS` (any order, any case; other columns are
  ignored). Rows are numbered as a spreadsheet shows them: the header is row 1. Blank rows
  are skipped.
- `read_rows()` reads the whole file once before anything is written, so a file that is not
  really CSV/XLSX, is not UTF-8 or lacks a column fails with one `ImportFileError` and
  changes nothing.
- Every row is parsed strictly and checked with `rules.check_pegawai`; a bad row is reported
  (`RowError`: row, column, reason) and skipped, it never blocks the good rows.
- Upsert by NIP. An empty optional cell keeps the stored value: an import never erases data
  (clearing a field is done in the record's form). A row equal to the stored record writes
  nothing, so importing the same file twice changes nothing; a changed record gets
  `record_version` + 1 and one RecordChange per changed field (its history, source "import",
  inserted with the batch in one statement).
- Instansi by `instansi_kode`. A missing one is created only when the row gives
  `instansi_nama` and the import was given a Kanreg (`kanreg=`, the CLI's `--kanreg`);
  otherwise the row is rejected ("unknown instansi"). Unit kerja by `unit_kode` under that
  instansi; a missing one is created at the top of the instansi's tree when `unit_nama` is
  given. An import never renames an existing instansi or unit.
- Good rows are committed every `BATCH_SIZE` rows. If the database refuses a batch, it is
  rolled back and retried row by row, so only the refused row is rejected.
"""

import csv
import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..models import (
    Agama,
    Golongan,
    Instansi,
    Kanreg,
    Pegawai,
    RecordChange,
    StatusPerkawinan,
    TingkatPendidikan,
    UnitKerja,
)
from . import record_history, rules, workflow
from .reference_data import PENDIDIKAN_ALIASES

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
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ECHO_MAX = 40  # characters of a bad value quoted back in a message
# First bytes of files people rename to .csv by mistake.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", _l("a PNG image")),
    (b"\xff\xd8\xff", _l("a JPEG image")),
    (b"GIF8", _l("a GIF image")),
    (b"%PDF-", _l("a PDF document")),
    (b"PK\x03\x04", _l("a ZIP archive or XLSX workbook")),
    (b"\xd0\xcf\x11\xe0", _l("an old Excel (.xls) or other Office file")),
)


class ImportFileError(ValueError):
    """The file (or the import's options) cannot be used at all; nothing was changed."""


@dataclass(frozen=True)
class RowError:
    """One reason a row was rejected. `field` is the column name ("" for the whole row)."""

    row_number: int
    field: str
    reason: str  # a lazy translatable string; str() renders it in the active locale

    def __str__(self) -> str:
        where = f"{self.row_number}, {self.field}" if self.field else f"{self.row_number}"
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did. `rejected` counts rows; `errors` may hold several per row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    instansi_created: int = 0
    units_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def reject(self, errors: list[RowError]) -> None:
        self.rejected += 1
        self.errors.extend(errors)


# --------------------------------------------------------------------------- reading files


@dataclass
class ImportFile:
    """A checked import file: iterate for `(row_number, {column: cell})` of its non-blank rows.

    A row shorter than the header (CSV) lacks the missing columns; values beyond the header
    are listed under the key None (the `csv.DictReader` convention). Both reject the row.
    """

    path: Path
    kind: str  # "csv" or "xlsx"
    header: list[str]
    total: int  # non-blank data rows
    ignored_columns: list[str]
    delimiter: str = ","

    def __iter__(self):
        rows = _csv_rows(self.path, self.delimiter) if self.kind == "csv" else _xlsx_rows(self.path)
        for number, cells in rows:
            if number == 1 or _blank(cells):
                continue
            yield number, _record(self.header, cells, pad=self.kind == "xlsx")


def read_rows(path) -> ImportFile:
    """Open and check an import file (.csv or .xlsx) before anything is imported.

    Reads the whole file once (counting its rows for a progress bar), so every file-level
    problem — wrong type, not UTF-8, unreadable workbook, missing header column — raises one
    `ImportFileError` here.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _check(path, "csv", _sniff_delimiter(path))
    if suffix == ".xlsx":
        _check_xlsx_container(path)
        return _check(path, "xlsx")
    raise ImportFileError(_l("%(name)s: unsupported file type; use a .csv (UTF-8) or .xlsx file.", name=path.name))


def _check(path: Path, kind: str, delimiter: str = ",") -> ImportFile:
    rows = _csv_rows(path, delimiter) if kind == "csv" else _xlsx_rows(path)
    header, total = None, 0
    for number, cells in rows:
        if number == 1:
            header = [_header_name(c) for c in cells]
        elif not _blank(cells):
            total += 1
    header = header or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            _l(
                "%(name)s: the header row (row 1) lacks the columns: %(columns)s.",
                name=path.name,
                columns=", ".join(missing),
            )
        )
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        raise ImportFileError(
            _l(
                "%(name)s: the header row names a column twice: %(columns)s.",
                name=path.name,
                columns=", ".join(doubled),
            )
        )
    ignored = [h for h in header if h and h not in COLUMNS]
    return ImportFile(path, kind, header, total, ignored, delimiter)


def _header_name(cell) -> str:
    return "" if cell is None else str(cell).strip().lower()


def _blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _record(header: list[str], cells, pad: bool) -> dict:
    if pad and len(cells) < len(header):
        cells = tuple(cells) + (None,) * (len(header) - len(cells))
    record, extra = {}, []
    for index, cell in enumerate(cells):
        name = header[index] if index < len(header) else ""
        if name in COLUMNS:
            record[name] = cell
        elif not name and not _blank([cell]):
            extra.append(cell)
    if extra:
        record[None] = extra
    return record


def _sniff_delimiter(path: Path) -> str:
    """Comma, or semicolon when the header has more of those (Excel in Indonesian locales)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError as exc:
        raise ImportFileError(
            _l("%(name)s cannot be read: %(error)s", name=path.name, error=exc.strerror or exc)
        ) from exc
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ImportFileError(_l("%(name)s is not a CSV text file: it is %(what)s.", name=path.name, what=what))
    if b"\x00" in head:
        raise ImportFileError(_l("%(name)s is not a CSV text file.", name=path.name))
    first_line = head.split(b"\n", 1)[0]
    return ";" if first_line.count(b";") > first_line.count(b",") else ","


def _csv_rows(path: Path, delimiter: str):
    """(row number, list of str) per CSV record; the header is row 1."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            for number, cells in enumerate(reader, start=1):
                yield number, cells
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _l(
                '%(name)s is not UTF-8 text (line %(line)d); save it as "CSV UTF-8".',
                name=path.name,
                line=_first_non_utf8_line(path),
            )
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(
            _l("%(name)s is not a readable CSV file: %(error)s", name=path.name, error=str(exc))
        ) from exc
    except OSError as exc:
        raise ImportFileError(
            _l("%(name)s cannot be read: %(error)s", name=path.name, error=exc.strerror or exc)
        ) from exc


def _first_non_utf8_line(path: Path) -> int:
    """The physical line holding the first invalid UTF-8 (the decoder reads ahead, so its
    own position says little). A newline byte never occurs inside a UTF-8 sequence."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _check_xlsx_container(path: Path) -> None:
    if zipfile.is_zipfile(path):
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise ImportFileError(
            _l("%(name)s cannot be read: %(error)s", name=path.name, error=exc.strerror or exc)
        ) from exc
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ImportFileError(_l("%(name)s is not an XLSX workbook: it is %(what)s.", name=path.name, what=what))
    raise ImportFileError(_l("%(name)s is not an XLSX workbook.", name=path.name))


def _xlsx_rows(path: Path):
    """(row number, tuple of cell values) for the first worksheet; the header is row 1."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad workbook
        raise ImportFileError(_l("%(name)s is not a readable XLSX workbook.", name=path.name)) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_l("%(name)s has no worksheet.", name=path.name))
        rows = workbook.worksheets[0].iter_rows(min_row=1, values_only=True)
        number = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - a damaged sheet fails part-way
                raise ImportFileError(
                    _l("%(name)s cannot be read after row %(row)d.", name=path.name, row=number)
                ) from exc
            number += 1
            yield number, cells
    finally:
        workbook.close()


# --------------------------------------------------------------------------- parsing rows


class _CellError(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _echo(value) -> str:
    text = str(value)
    return text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 1] + "…"


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text(column: str, cell):
    """A trimmed string or None for an empty cell."""
    if cell is None:
        return None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if column in IDENTIFIER_COLUMNS:
            raise _CellError(
                _l("is a number in the spreadsheet, which loses leading zeros and digits; format the column as text.")
            )
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
    text = str(cell).strip()
    if "\x00" in text:
        raise _CellError(_l("contains a NUL character."))
    if not text:
        return None
    limit = MAX_LENGTH.get(column)
    if limit and len(text) > limit:
        raise _CellError(_l("is longer than %(max)d characters.", max=limit))
    return text


def _date(cell):
    """A date from a date cell or strict YYYY-MM-DD text; None for an empty cell."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, dt.datetime):
        if cell.time() != dt.time():
            raise _CellError(_l("must be a date without a time of day."))
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, str) and _ISO_DATE.fullmatch(cell.strip()):
        try:
            return dt.date.fromisoformat(cell.strip())
        except ValueError:
            raise _CellError(_l("is not a real date.")) from None
    raise _CellError(_l("must be a date in the form YYYY-MM-DD."))


@dataclass
class _Row:
    number: int
    values: dict  # Pegawai attribute -> value; None means "empty cell: keep what is stored"
    org: dict  # instansi_kode, instansi_nama, unit_kode, unit_nama


class _References:
    """Reference tables by the names agency files use, loaded once per import."""

    def __init__(self, session):
        def by_name(model):
            return {_key(row.nama): row.id for row in session.scalars(select(model))}

        self.agama = by_name(Agama)
        self.agama_names = ", ".join(session.scalars(select(Agama.nama).order_by(Agama.id)))
        self.status_perkawinan = by_name(StatusPerkawinan)
        self.status_perkawinan_names = ", ".join(
            session.scalars(select(StatusPerkawinan.nama).order_by(StatusPerkawinan.id))
        )
        self.golongan = {self.golongan_key(g.kode): g.id for g in session.scalars(select(Golongan))}
        self.pendidikan = by_name(TingkatPendidikan)
        for alias, target in PENDIDIKAN_ALIASES.items():
            if _key(target) in self.pendidikan:
                self.pendidikan.setdefault(_key(alias), self.pendidikan[_key(target)])

    @staticmethod
    def golongan_key(text: str) -> str:
        return "".join(text.split()).upper()  # "iii / a" == "III/a"


def _parse(number: int, raw: dict, refs: _References) -> tuple[_Row, list[RowError]]:
    """Turn one file row into Pegawai values, or the reasons it cannot be used."""
    errors: dict[str, RowError] = {}

    def fail(column, message):
        errors.setdefault(column, RowError(number, column, message))

    # A row of the wrong width has its values under the wrong columns: judging them would
    # only produce misleading reasons.
    if None in raw:
        return _Row(number, {"nip": None}, {}), [
            RowError(number, "", _l("has values beyond the last header column (an unquoted comma or semicolon?)."))
        ]
    if any(c not in raw for c in COLUMNS):
        return _Row(number, {"nip": None}, {}), [
            RowError(number, "", _l("has fewer values than the header has columns."))
        ]

    cells = {}
    for column in COLUMNS:
        try:
            cells[column] = _date(raw.get(column)) if column in DATE_COLUMNS else _text(column, raw.get(column))
        except _CellError as exc:
            fail(column, exc.message)
            cells[column] = None
    for column in REQUIRED:
        if cells[column] is None and column not in errors:
            fail(column, _l("is required."))

    values = {c: cells[c] for c in TEXT_COLUMNS + DATE_COLUMNS}
    values["jenis_kelamin"] = cells["jenis_kelamin"].upper() if cells["jenis_kelamin"] else None
    if cells["email"] and not _EMAIL.fullmatch(cells["email"]):
        fail("email", _l("is not a valid email address."))
    values["status"] = None
    if cells["status"]:
        values["status"] = cells["status"].upper()
        if values["status"] not in Pegawai.STATUSES:
            fail("status", _l("must be one of %(choices)s.", choices=", ".join(Pegawai.STATUSES)))

    lookups = (
        (
            "agama",
            "agama_id",
            refs.agama,
            _key,
            lambda v: _l('unknown religion "%(value)s"; use one of: %(choices)s.', value=v, choices=refs.agama_names),
        ),
        (
            "status_perkawinan",
            "status_perkawinan_id",
            refs.status_perkawinan,
            _key,
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
            _key,
            lambda v: _l('unknown education level "%(value)s"; use e.g. SMA, D-III, S-1, S-2.', value=v),
        ),
    )
    for column, attribute, table, normalise, message in lookups:
        values[attribute] = None
        if cells[column]:
            values[attribute] = table.get(normalise(cells[column]))
            if values[attribute] is None:
                fail(column, message(_echo(cells[column])))

    # The domain rules on what the row says (all their reasons, several per field if need be);
    # a column that already failed to parse is not reported twice.
    reported = list(errors.values())
    for error in rules.check_pegawai({f: values[f] for f in RULE_FIELDS}):
        if error.field not in errors:
            reported.append(RowError(number, error.field, error.message))
    reported.sort(key=lambda e: COLUMNS.index(e.field) if e.field in COLUMNS else -1)

    org = {c: cells[c] for c in ("instansi_kode", "instansi_nama", "unit_kode", "unit_nama")}
    return _Row(number, values, org), reported


# --------------------------------------------------------------------------- saving rows

_MISSING = object()


@dataclass
class _BatchResult:
    """Counts of one transaction, added to the report only once it has committed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    instansi_created: int = 0
    units_created: int = 0
    rejected: list = field(default_factory=list)  # list of lists of RowError

    def add_to(self, report: ImportReport) -> None:
        report.created += self.created
        report.updated += self.updated
        report.unchanged += self.unchanged
        report.instansi_created += self.instansi_created
        report.units_created += self.units_created
        for errors in self.rejected:
            report.reject(errors)


class _Importer:
    def __init__(self, session, kanreg_id):
        self.session = session
        self.kanreg_id = kanreg_id
        self.instansi = {}  # kode -> id, or _MISSING
        self.units = {}  # kode -> (id, instansi_id), or _MISSING

    def save(self, rows: list[_Row], report: ImportReport) -> None:
        """Write `rows` in one transaction; if the database refuses it, retry row by row."""
        try:
            result = self._apply(rows)
            self.session.commit()
        except Exception as exc:
            self.session.rollback()
            # Ids cached during the failed transaction may no longer exist.
            self.instansi.clear()
            self.units.clear()
            if not isinstance(exc, SQLAlchemyError):
                raise
            if len(rows) > 1:
                for row in rows:
                    self.save([row], report)
                return
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            report.reject([RowError(rows[0].number, "", _l("could not be saved: %(error)s", error=reason))])
            return
        result.add_to(report)

    def _apply(self, rows: list[_Row]) -> _BatchResult:
        result = _BatchResult()
        new_records, changes = [], []
        nips = [row.values["nip"] for row in rows]
        query = select(Pegawai).where(Pegawai.nip.in_(nips))
        stored = {p.nip: p for p in self.session.scalars(query)}
        for row in rows:
            current = stored.get(row.values["nip"])
            errors = self._check_merged(row, current)
            if not errors:
                errors, instansi_id, unit_id = self._organisation(row, current, result)
            if errors:
                result.rejected.append(errors)
                continue
            values = dict(row.values, instansi_id=instansi_id, unit_kerja_id=unit_id)
            if current is None:
                values["status"] = values["status"] or Pegawai.STATUS_PNS
                new_records.append(dict(values, record_version=1))
                result.created += 1
            elif old := _update(current, values):
                current.record_version = (current.record_version or 0) + 1
                changes += workflow.change_rows(
                    current.id,
                    workflow.DATA_UTAMA,
                    current.id,
                    old,
                    {k: values[k] for k in old},
                    source=RecordChange.SOURCE_IMPORT,
                )
                result.updated += 1
            else:
                result.unchanged += 1
        if new_records:
            # One multi-row INSERT: building ORM objects would cost more than the database does.
            self.session.execute(insert(Pegawai.__table__), new_records)
        record_history.insert_change_rows(self.session, changes)
        return result

    @staticmethod
    def _check_merged(row: _Row, current) -> list[RowError]:
        """Re-check the rules when empty cells were filled from the stored record."""
        if current is None:
            return []
        own = {f: row.values[f] for f in RULE_FIELDS}
        merged = {f: getattr(current, f) if own[f] is None else own[f] for f in RULE_FIELDS}
        if merged == own:
            return []
        return [RowError(row.number, e.field, e.message) for e in rules.check_pegawai(merged)]

    def _organisation(self, row: _Row, current, result: _BatchResult):
        """(errors, instansi id, unit id); creates a missing instansi/unit only for a good row."""
        org, number = row.org, row.number
        errors = []
        instansi_id = self._instansi_id(org["instansi_kode"])
        if instansi_id is None:
            if not org["instansi_nama"]:
                errors.append(
                    RowError(
                        number,
                        "instansi_kode",
                        _l(
                            "unknown instansi %(kode)s; give instansi_nama (and a Kanreg) to create it.",
                            kode=org["instansi_kode"],
                        ),
                    )
                )
            elif self.kanreg_id is None:
                errors.append(
                    RowError(
                        number,
                        "instansi_kode",
                        _l(
                            "unknown instansi %(kode)s; creating it needs a Kanreg (option --kanreg).",
                            kode=org["instansi_kode"],
                        ),
                    )
                )
        unit = None
        if errors:
            pass  # the unit cannot be judged without its instansi
        elif org["unit_kode"]:
            unit = self._unit(org["unit_kode"])
            if unit is not None and unit[1] != instansi_id:
                errors.append(
                    RowError(
                        number,
                        "unit_kode",
                        _l("unit kerja %(kode)s belongs to another instansi.", kode=org["unit_kode"]),
                    )
                )
            elif unit is None and not org["unit_nama"]:
                errors.append(
                    RowError(
                        number,
                        "unit_kode",
                        _l("unknown unit kerja %(kode)s; give unit_nama to create it.", kode=org["unit_kode"]),
                    )
                )
        elif current is not None and current.unit_kerja_id is not None and current.instansi_id != instansi_id:
            # Keeping the stored unit would leave the record in a unit of its old instansi.
            errors.append(RowError(number, "unit_kode", _l("is required when the instansi changes.")))
        if errors:
            return errors, None, None
        if instansi_id is None:
            instansi_id = self._create_instansi(org["instansi_kode"], org["instansi_nama"])
            result.instansi_created += 1
        unit_id = unit[0] if unit else None
        if org["unit_kode"] and unit is None:
            unit_id = self._create_unit(org["unit_kode"], org["unit_nama"], instansi_id)
            result.units_created += 1
        return [], instansi_id, unit_id

    def _instansi_id(self, kode):
        if kode not in self.instansi:
            found = self.session.scalar(select(Instansi.id).where(Instansi.kode == kode))
            self.instansi[kode] = _MISSING if found is None else found
        found = self.instansi[kode]
        return None if found is _MISSING else found

    def _unit(self, kode):
        if kode not in self.units:
            found = self.session.execute(
                select(UnitKerja.id, UnitKerja.instansi_id).where(UnitKerja.kode == kode)
            ).first()
            self.units[kode] = _MISSING if found is None else tuple(found)
        found = self.units[kode]
        return None if found is _MISSING else found

    def _create_instansi(self, kode, nama) -> int:
        instansi = Instansi(kode=kode, nama=nama, kanreg_id=self.kanreg_id)
        self.session.add(instansi)
        self.session.flush()
        self.instansi[kode] = instansi.id
        return instansi.id

    def _create_unit(self, kode, nama, instansi_id) -> int:
        unit = UnitKerja(kode=kode, nama=nama, instansi_id=instansi_id, parent_id=None)
        self.session.add(unit)
        self.session.flush()  # the id (the model derives the path from it)
        self.units[kode] = (unit.id, instansi_id)
        return unit.id


def _update(current: Pegawai, values: dict) -> dict:
    """Set the values that differ (an empty cell keeps the stored value); returns the old
    values of those that did (empty: nothing changed)."""
    old = {}
    for attribute, value in values.items():
        before = getattr(current, attribute)
        if value is not None and before != value:
            old[attribute] = before
            setattr(current, attribute, value)
    return old


def kanreg_id_for(session, kode) -> int | None:
    """The id of the Kanreg with code `kode` (e.g. "V"), None for no code; unknown → error."""
    if not kode:
        return None
    found = session.scalar(select(Kanreg.id).where(Kanreg.kode == kode.strip().upper()))
    if found is None:
        raise ImportFileError(_l("Unknown Kanreg %(kode)s; use a code from I to XIV.", kode=kode))
    return found


def import_pegawai(session, rows_iter, *, kanreg=None, progress=None, batch_size=BATCH_SIZE) -> ImportReport:
    """Upsert Pegawai records from `(row_number, {column: cell})` rows (see `read_rows`).

    `kanreg` is the Kanreg code given to instansi the file creates; `progress(n)` is called
    as rows are consumed. Rejected rows are reported, never raised; commits every
    `batch_size` good rows. Raises `ImportFileError` (before any change) for an unknown Kanreg.
    """
    importer = _Importer(session, kanreg_id_for(session, kanreg))
    refs = _References(session)
    report = ImportReport()
    first_row_of = {}  # NIP -> row number where it first appeared
    pending, consumed = [], 0
    for number, raw in rows_iter:
        row, errors = _parse(number, raw, refs)
        nip = row.values["nip"]
        if nip is not None:
            if nip in first_row_of:
                errors.insert(
                    0,
                    RowError(
                        number,
                        "nip",
                        _l("is already on row %(row)d of this file; each NIP may appear once.", row=first_row_of[nip]),
                    ),
                )
            else:
                first_row_of[nip] = number
        if errors:
            report.reject(errors)
        else:
            pending.append(row)
        if len(pending) >= batch_size:
            importer.save(pending, report)
            pending = []
        consumed += 1
        if progress and consumed >= batch_size:
            progress(consumed)
            consumed = 0
    if pending:
        importer.save(pending, report)
    if progress and consumed:
        progress(consumed)
    session.commit()  # end the read-only transaction of an import with nothing to save
    report.errors.sort(key=lambda e: e.row_number)
    return report
