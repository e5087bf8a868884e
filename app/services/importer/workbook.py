"""Import of a workbook of history and family sheets (`pupns import-riwayat`, the Verifikator
Instansi's upload): `read_workbook` checks it whole, `import_workbook` imports it.

- XLSX: one sheet per section, named by its table (see `sections.SECTIONS`; names compared
  without case). A sheet named "pegawai" (or "data_utama") — or, without one, a first sheet
  not named after a section of the record — is data utama, imported first as
  `pupns import-pegawai` does (but with no Kanreg: an unknown instansi is not created).
  Other sheets are ignored and listed.
- CSV: one section per file, named by the caller (the CLI's `--section`).
- Every file-level problem raises one `ImportFileError` before anything is written.
- The report names the sheet of every rejected row and warning (a CSV's is its section).
"""

from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l

from .. import workflow
from .files import ImportFileError, read_table, sheet_names
from .pegawai import COLUMNS
from .pegawai_save import import_pegawai
from .references import ReferenceLookup
from .report import ImportReport
from .sections import SECTIONS, parse_section_row
from .sections_save import import_section_rows

DATA_UTAMA_SHEET = "pegawai"
_PROGRESS_EVERY = 500
_RECORD_SECTIONS = frozenset(workflow.SECTIONS) - {workflow.DATA_UTAMA}


@dataclass
class Workbook:
    """A checked workbook: its data-utama sheet (or None) and section sheets, in file order."""

    path: Path
    data_utama: tuple | None = None  # (sheet name, ImportFile)
    sections: list = field(default_factory=list)  # (Section, sheet name, ImportFile)
    ignored_sheets: list = field(default_factory=list)

    @property
    def total(self) -> int:
        files = ([self.data_utama[1]] if self.data_utama else []) + [f for _, _, f in self.sections]
        return sum(f.total for f in files)

    @property
    def ignored_columns(self) -> list:
        """(sheet, column) of every header column that is not an import column."""
        sheets = ([self.data_utama] if self.data_utama else []) + [(name, f) for _, name, f in self.sections]
        return [(name, column) for name, f in sheets for column in f.ignored_columns]


def read_workbook(path, *, section=None) -> Workbook:
    """Open and check a history/family workbook (.xlsx) or one section's file (.csv).

    `section` (a table name) is required for a CSV file; for a workbook it limits the import
    to that sheet. Raises `ImportFileError` for anything that makes the file unusable.
    """
    path = Path(path)
    if section is not None and section not in SECTIONS:
        raise ImportFileError(
            _l("Unknown section %(name)s; use one of: %(choices)s.", name=section, choices=", ".join(SECTIONS))
        )
    if path.suffix.lower() != ".xlsx":
        if section is None:
            raise ImportFileError(
                _l("%(name)s: a CSV file holds one section; name it (option --section).", name=path.name)
            )
        spec = SECTIONS[section]
        return Workbook(path, sections=[(spec, section, read_table(path, spec.column_names, required=spec.required))])
    names = sheet_names(path)
    book = Workbook(path)
    by_key = {name.strip().lower(): name for name in names}
    utama = by_key.get(DATA_UTAMA_SHEET) or by_key.get(workflow.DATA_UTAMA)
    # A first sheet named after any section of the record (even one not imported) is not data utama.
    if utama is None and names and names[0].strip().lower() not in _RECORD_SECTIONS:
        utama = names[0]
    for name in names:
        key = name.strip().lower()
        if section is not None and key != section:
            continue  # not asked for: neither imported nor listed as ignored
        if name == utama and section is None:
            book.data_utama = (name, read_table(path, COLUMNS, sheet=name))
        elif key in SECTIONS:
            spec = SECTIONS[key]
            book.sections.append((spec, name, read_table(path, spec.column_names, required=spec.required, sheet=name)))
        else:
            book.ignored_sheets.append(name)
    if section is not None and not book.sections:
        raise ImportFileError(_l("%(name)s has no sheet %(sheet)s.", name=path.name, sheet=section))
    if not book.sections and book.data_utama is None:
        raise ImportFileError(
            _l(
                "%(name)s has no sheet named after a section (%(choices)s).",
                name=path.name,
                choices=", ".join(SECTIONS),
            )
        )
    return book


def import_workbook(session, path, *, instansi_id=None, progress=None, section=None) -> ImportReport:
    """Import a history/family workbook (a path, or a `Workbook` from `read_workbook`).

    `instansi_id` restricts every NIP to that instansi (rows of other PNS are rejected "not in
    your instansi"); `progress(n)` is called as rows are read. Rejected rows and warnings are
    in the report, never raised; commits as it goes. Raises `ImportFileError` (before any
    change) for an unusable file.
    """
    book = path if isinstance(path, Workbook) else read_workbook(path, section=section)
    report = ImportReport()
    if book.data_utama is not None:
        name, rows = book.data_utama
        report.add(import_pegawai(session, rows, progress=progress, instansi_id=instansi_id), sheet=name)
    refs = ReferenceLookup(session)
    groups = {}  # NIP -> [(SectionRow, parse errors)], in file order
    counted = 0
    for spec, _name, rows in book.sections:
        for number, raw in rows:
            row, errors = parse_section_row(spec, number, raw, rows.header, refs)
            if row.nip is None:
                report.reject(errors)
            else:
                groups.setdefault(row.nip, []).append((row, errors))
            counted += 1
            if progress and counted >= _PROGRESS_EVERY:
                progress(counted)
                counted = 0
    session.commit()  # end the read-only transaction of the look-ups
    import_section_rows(session, groups, report, instansi_id=instansi_id)
    if progress and counted:
        progress(counted)
    order = {name: index for index, name in enumerate(_sheet_order(book))}
    report.errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row_number))
    report.warnings.sort(key=lambda e: (order.get(e.sheet, 0), e.row_number))
    return report


def _sheet_order(book: Workbook) -> list:
    return ([book.data_utama[0]] if book.data_utama else []) + [spec.name for spec, _, _ in book.sections]
