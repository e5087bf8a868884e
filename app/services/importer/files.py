"""Reading an import file: CSV or XLSX, checked whole before anything is written.

- CSV is UTF-8 (a BOM is fine), comma- or semicolon-separated; XLSX is read from one
  worksheet (the first, unless a sheet is named).
- Row 1 is a header naming every expected column (any order, any case; other columns are
  ignored). Rows are numbered as a spreadsheet shows them: the header is row 1. Blank rows
  are skipped.
- `read_table()` reads the whole file once before anything is written, so a file that is not
  really CSV/XLSX, is not UTF-8 or lacks a column fails with one `ImportFileError` and
  changes nothing.
"""

import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from flask_babel import lazy_gettext as _l

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
    columns: tuple = ()  # the columns a row is read for
    sheet: str | None = None  # the worksheet of an XLSX file; None: the first

    def __iter__(self):
        for number, cells in _rows(self.path, self.kind, self.delimiter, self.sheet):
            if number == 1 or _blank(cells):
                continue
            yield number, _record(self.header, cells, self.columns, pad=self.kind == "xlsx")


def read_table(path, columns, *, required=None, sheet=None) -> ImportFile:
    """Open and check an import file (.csv or .xlsx) whose header names `columns`.

    The header must name every column of `required` (default: all of `columns`); a column
    it does not name reads as an empty cell.
    Reads the whole file once (counting its rows for a progress bar), so every file-level
    problem — wrong type, not UTF-8, unreadable workbook, missing header column — raises one
    `ImportFileError` here. `sheet` names the worksheet of an XLSX file (default: the first).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _check(path, "csv", tuple(columns), required, _sniff_delimiter(path))
    if suffix == ".xlsx":
        check_xlsx_container(path)
        return _check(path, "xlsx", tuple(columns), required, sheet=sheet)
    raise ImportFileError(_l("%(name)s: unsupported file type; use a .csv (UTF-8) or .xlsx file.", name=path.name))


def sheet_names(path) -> list[str]:
    """The worksheet names of an XLSX workbook, in order (checked as `read_table` does)."""
    path = Path(path)
    check_xlsx_container(path)
    workbook = _open_workbook(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _check(path: Path, kind: str, columns: tuple, required, delimiter: str = ",", sheet=None) -> ImportFile:
    name = path.name if sheet is None else f"{path.name} [{sheet}]"
    header, total = None, 0
    for number, cells in _rows(path, kind, delimiter, sheet):
        if number == 1:
            header = [_header_name(c) for c in cells]
        elif not _blank(cells):
            total += 1
    header = header or []
    missing = [c for c in (columns if required is None else required) if c not in header]
    if missing:
        raise ImportFileError(
            _l(
                "%(name)s: the header row (row 1) lacks the columns: %(columns)s.",
                name=name,
                columns=", ".join(missing),
            )
        )
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        raise ImportFileError(
            _l(
                "%(name)s: the header row names a column twice: %(columns)s.",
                name=name,
                columns=", ".join(doubled),
            )
        )
    ignored = [h for h in header if h and h not in columns]
    return ImportFile(path, kind, header, total, ignored, delimiter, columns, sheet)


def _rows(path: Path, kind: str, delimiter: str, sheet):
    return _csv_rows(path, delimiter) if kind == "csv" else _xlsx_rows(path, sheet)


def _header_name(cell) -> str:
    return "" if cell is None else str(cell).strip().lower()


def _blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _record(header: list[str], cells, columns: tuple, pad: bool) -> dict:
    if pad and len(cells) < len(header):
        cells = tuple(cells) + (None,) * (len(header) - len(cells))
    record, extra = {}, []
    for index, cell in enumerate(cells):
        name = header[index] if index < len(header) else ""
        if name in columns:
            record[name] = cell
        elif not name and not _blank([cell]):
            extra.append(cell)
    if extra:
        record[None] = extra
    return record


def _cannot_read(path: Path, exc: OSError) -> ImportFileError:
    return ImportFileError(_l("%(name)s cannot be read: %(error)s", name=path.name, error=exc.strerror or exc))


def _sniff_delimiter(path: Path) -> str:
    """Comma, or semicolon when the header has more of those (Excel in Indonesian locales)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError as exc:
        raise _cannot_read(path, exc) from exc
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
        raise _cannot_read(path, exc) from exc


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


def check_xlsx_container(path: Path) -> None:
    """Raise `ImportFileError` unless `path` is a ZIP container (naming what it is instead)."""
    if zipfile.is_zipfile(path):
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise _cannot_read(path, exc) from exc
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ImportFileError(_l("%(name)s is not an XLSX workbook: it is %(what)s.", name=path.name, what=what))
    raise ImportFileError(_l("%(name)s is not an XLSX workbook.", name=path.name))


def _open_workbook(path: Path):
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad workbook
        raise ImportFileError(_l("%(name)s is not a readable XLSX workbook.", name=path.name)) from exc


def _xlsx_rows(path: Path, sheet=None):
    """(row number, tuple of cell values) for the named (or first) worksheet; the header is row 1."""
    workbook = _open_workbook(path)
    try:
        if not workbook.worksheets:
            raise ImportFileError(_l("%(name)s has no worksheet.", name=path.name))
        worksheet = workbook.worksheets[0] if sheet is None else workbook[sheet]
        rows = worksheet.iter_rows(min_row=1, values_only=True)
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
