"""Exports of the lists and of the verified records: CSV streamed in chunks, XLSX through a
write-only workbook in a temporary file, both safe against spreadsheet formulas, and the
audit row of each export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import func, select

from ...models import Golongan, Instansi, Kanreg, Pegawai, TingkatPendidikan, UnitKerja
from ...models.submission import Usulan
from .. import audit, scope
from .areas import INSTANSI, KANREG, NASIONAL, UNIT, Node
from .lists import KIND_LABELS, TERVERIFIKASI, kind_clause, pegawai_node_clause

LIST_HEADER = ("NIP", _l("Name"), _l("Instansi"), _l("Work unit"), _l("Status"))
VERIFIED_HEADER = (
    "NIP",
    _l("Name"),
    _l("Front title"),
    _l("Back title"),
    _l("Place of birth"),
    _l("Date of birth"),
    _l("Gender"),
    _l("Employee status"),
    _l("Golongan"),
    _l("Position"),
    _l("Last education"),
    _l("TMT CPNS"),
    _l("TMT PNS"),
    _l("Instansi"),
    _l("Work unit"),
    _l("Verified on"),
)
# Rows fetched per round trip; on PostgreSQL through a server-side cursor.
EXPORT_BATCH = 2000
XLSX_MAX_ROWS = 1_048_576  # per sheet, header included (Excel's limit)


def export_statement(user, node: Node, kind: str):
    """The rows of export `kind` for `node` within `user`'s scope, ordered by instansi, unit,
    name. Lists: NIP, nama, instansi, unit. Verified data: the official record without NIK
    or contact data, with the date of the last finished submission."""
    where = (pegawai_node_clause(node), scope.pegawai_clause(user), kind_clause(kind))
    order = (Instansi.nama, UnitKerja.nama, Pegawai.nama, Pegawai.id)
    if kind != TERVERIFIKASI:
        return (
            select(Pegawai.nip, Pegawai.nama, Instansi.nama, UnitKerja.nama)
            .join(Instansi, Instansi.id == Pegawai.instansi_id)
            .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_kerja_id)
            .where(*where)
            .order_by(*order)
        )
    finished = (
        select(func.max(Usulan.finished_at))
        .where(Usulan.pegawai_id == Pegawai.id, Usulan.status == Usulan.SELESAI)
        .scalar_subquery()
    )
    return (
        select(
            Pegawai.nip,
            Pegawai.nama,
            Pegawai.gelar_depan,
            Pegawai.gelar_belakang,
            Pegawai.tempat_lahir,
            Pegawai.tanggal_lahir,
            Pegawai.jenis_kelamin,
            Pegawai.status,
            Golongan.kode,
            Pegawai.jabatan,
            TingkatPendidikan.nama,
            Pegawai.tmt_cpns,
            Pegawai.tmt_pns,
            Instansi.nama,
            UnitKerja.nama,
            finished,
        )
        .join(Instansi, Instansi.id == Pegawai.instansi_id)
        .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_kerja_id)
        .outerjoin(Golongan, Golongan.id == Pegawai.golongan_id)
        .outerjoin(TingkatPendidikan, TingkatPendidikan.id == Pegawai.pendidikan_terakhir_id)
        .where(*where)
        .order_by(*order)
    )


def export_rows(session, user, node: Node, kind: str):
    """(header, rows): `rows` runs the query only when first iterated and fetches
    EXPORT_BATCH rows at a time (stream_results: a server-side cursor on PostgreSQL), never the
    whole scope at once. Lazily, because a streamed response is read after the view returned,
    when the view's database session has been closed: the query must run in the session of
    the context the response streams in."""
    stmt = export_statement(user, node, kind).execution_options(yield_per=EXPORT_BATCH)
    if kind == TERVERIFIKASI:
        return [str(h) for h in VERIFIED_HEADER], _fetch(session, stmt, ())
    return [str(h) for h in LIST_HEADER], _fetch(session, stmt, (str(KIND_LABELS[kind]),))


def _fetch(session, stmt, suffix: tuple):
    result = session.execute(stmt)
    try:
        for row in result:
            yield (*row, *suffix)
    finally:
        result.close()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A cell value for CSV: dates ISO (as import files), None empty, and text that a
    spreadsheet would run as a formula (= + - @, tab, CR first) prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_stream(header, rows, chunk_bytes: int = 64 * 1024):
    """The CSV file (UTF-8 with BOM, for Excel) as text chunks, built while the rows stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
        if buffer.tell() >= chunk_bytes:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_xlsx(header, rows, title: str, target) -> int:
    """Write the rows to `target` (a binary file) as XLSX with openpyxl's write-only workbook
    (rows go to disk as they come); a new sheet every XLSX_MAX_ROWS. Text is always a text
    cell, never a formula. Returns the number of data rows."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def new_sheet(number):
        sheet = workbook.create_sheet(title=(title if number == 1 else f"{title} {number}")[:31])
        cells = []
        for h in header:
            cell = WriteOnlyCell(sheet, value=str(h))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        return sheet

    def cell_value(sheet, value):
        if isinstance(value, str):
            value = _ILLEGAL_XML.sub("", value)
            if value.startswith("="):  # openpyxl would store it as a formula
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                return cell
        return value

    sheets, sheet, in_sheet, count = 1, new_sheet(1), 1, 0
    for row in rows:
        if in_sheet >= XLSX_MAX_ROWS:
            sheets += 1
            sheet, in_sheet = new_sheet(sheets), 1
        sheet.append([cell_value(sheet, v) for v in row])
        in_sheet += 1
        count += 1
    workbook.save(target)
    return count


def xlsx_tempfile(header, rows, title: str):
    """The XLSX in an anonymous temporary file (deleted when closed), positioned at 0."""
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_xlsx(header, rows, title, target)
        target.seek(0)
    except Exception:
        target.close()
        raise
    return target


def export_filename(kind: str, node: Node, fmt: str, today: dt.date) -> str:
    """e.g. pupns-belum_daftar-instansi-12-20150901.xlsx"""
    return f"pupns-{kind}-{node.slug}-{today:%Y%m%d}.{fmt}"


def record_export(session, user, node: Node, kind: str, fmt: str, filename: str) -> None:
    """Audit row of an export (what, which area, which format, file name), committed before
    the file is sent."""
    target = None
    if node.level != NASIONAL:
        target = session.get({KANREG: Kanreg, INSTANSI: Instansi, UNIT: UnitKerja}[node.level], node.id)
    try:
        audit.record(
            session,
            "export",
            actor=user,
            target=target,
            detail=f"{kind} {fmt} {node.level}:{node.id or '-'} {node.nama} -> {filename}",
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
