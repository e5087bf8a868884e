"""The history and family sheets (`pupns import-riwayat`): their columns and the parse of one row.

- One sheet (or CSV file) per section, named by its table: riwayat_golongan, riwayat_jabatan,
  riwayat_pendidikan, riwayat_diklat, pasangan, anak, orang_tua. Every row is keyed by `nip`,
  the NIP of the PNS it belongs to.
- Row 1 is a header. It must name `nip` and the section's required columns; an optional
  column it does not name is read as empty. Other columns are ignored (and listed).
- Cells are parsed as strictly as in the data-utama file (`cells`): text that fits its
  column, NIK/NIP as text, dates as date cells or YYYY-MM-DD. Numbers, yes/no cells as the
  record forms take them.
- References by code or name: golongan "III/a", tingkat pendidikan by name ("S-1", "SMA")
  or SIASN code ("40"), jenis jabatan and jenis diklat by name. A coded column
  (`models.codes`: jenis_kelamin, status_hidup, status_anak, hubungan, jenis_kp, eselon)
  takes its code, its label or a word people use for it ("L", "Laki-laki", "almarhum"),
  any case, and stores the code.
- An existing row is found by the section's natural key (`Section.key`); an empty cell of
  a matched row keeps the stored value.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ...models import (
    Anak,
    OrangTua,
    Pasangan,
    RiwayatDiklat,
    RiwayatGolongan,
    RiwayatJabatan,
    RiwayatPendidikan,
    codes,
)
from .. import workflow
from .cells import CellError, date_cell, echo, name_key, text_cell
from .references import ReferenceLookup
from .report import RowError

# Cell kinds: how a cell becomes a model value (a coded text column is read by its enum).
TEXT, IDENTIFIER, DATE, VALUE = "text", "identifier", "date", "value"
GOLONGAN, PENDIDIKAN, JENIS_JABATAN, JENIS_DIKLAT = "golongan", "pendidikan", "jenis_jabatan", "jenis_diklat"


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header name, the model attribute it fills, how it is read."""

    name: str
    attribute: str
    kind: str = TEXT
    required: bool = False


@dataclass(frozen=True)
class Section:
    """One history/family sheet: its model, columns (after `nip`) and natural key (attributes)."""

    name: str
    model: type
    columns: tuple
    key: tuple

    @property
    def column_names(self) -> tuple:
        return ("nip", *(c.name for c in self.columns))

    @property
    def required(self) -> tuple:
        return ("nip", *(c.name for c in self.columns if c.required))


def _col(name, kind=TEXT, *, attribute=None, required=False):
    return Column(name, attribute or name, kind, required)


SECTIONS = {
    s.name: s
    for s in (
        Section(
            "riwayat_golongan",
            RiwayatGolongan,
            (
                _col("golongan", GOLONGAN, attribute="golongan_id", required=True),
                _col("tmt_golongan", DATE, required=True),
                _col("nomor_sk"),
                _col("tanggal_sk", DATE),
                _col("nomor_pertek"),
                _col("tanggal_pertek", DATE),
                _col("jenis_kp"),
                _col("masa_kerja_tahun", VALUE),
                _col("masa_kerja_bulan", VALUE),
                _col("angka_kredit", VALUE),
            ),
            ("golongan_id", "tmt_golongan"),
        ),
        Section(
            "riwayat_jabatan",
            RiwayatJabatan,
            (
                _col("jenis_jabatan", JENIS_JABATAN, attribute="jenis_jabatan_id"),
                _col("nama_jabatan", required=True),
                _col("unit_kerja_nama"),
                _col("eselon"),
                _col("tmt_jabatan", DATE, required=True),
                _col("tmt_selesai", DATE),
                _col("nomor_sk"),
                _col("tanggal_sk", DATE),
                _col("tmt_pelantikan", DATE),
            ),
            ("nama_jabatan", "tmt_jabatan"),
        ),
        Section(
            "riwayat_pendidikan",
            RiwayatPendidikan,
            (
                _col("tingkat_pendidikan", PENDIDIKAN, attribute="tingkat_pendidikan_id", required=True),
                _col("nama_sekolah", required=True),
                _col("jurusan"),
                _col("tahun_lulus", VALUE),
                _col("tanggal_lulus", DATE),
                _col("nomor_ijazah"),
                _col("gelar_depan"),
                _col("gelar_belakang"),
                _col("pendidikan_pertama", VALUE),
            ),
            ("tingkat_pendidikan_id", "nama_sekolah"),
        ),
        Section(
            "riwayat_diklat",
            RiwayatDiklat,
            (
                _col("jenis_diklat", JENIS_DIKLAT, attribute="jenis_diklat_id", required=True),
                _col("nama", required=True),
                _col("nomor_sertifikat"),
                _col("tanggal_mulai", DATE),
                _col("tanggal_selesai", DATE),
                _col("tahun", VALUE),
                _col("jumlah_jam", VALUE),
                _col("penyelenggara"),
            ),
            ("nama", "tanggal_mulai"),
        ),
        Section(
            "pasangan",
            Pasangan,
            (
                _col("nama", required=True),
                _col("nik", IDENTIFIER),
                _col("tempat_lahir"),
                _col("tanggal_lahir", DATE),
                _col("status_hidup"),
                _col("tanggal_menikah", DATE),
                _col("akta_menikah"),
                _col("tanggal_cerai", DATE),
                _col("akta_cerai"),
                _col("no_karis_karsu"),
                _col("is_pns", VALUE),
                # `nip` is the PNS the row belongs to; the spouse's own NIP has a column of its own.
                _col("nip_pasangan", IDENTIFIER, attribute="nip"),
            ),
            ("nama", "tanggal_lahir"),
        ),
        Section(
            "anak",
            Anak,
            (
                _col("nama", required=True),
                _col("nik", IDENTIFIER),
                _col("tempat_lahir"),
                _col("tanggal_lahir", DATE),
                _col("jenis_kelamin"),
                _col("status_anak"),
                _col("status_hidup"),
                _col("tingkat_pendidikan", PENDIDIKAN, attribute="tingkat_pendidikan_id"),
                _col("nama_sekolah"),
            ),
            ("nama", "tanggal_lahir"),
        ),
        Section(
            "orang_tua",
            OrangTua,
            (
                _col("hubungan", required=True),
                _col("nama", required=True),
                _col("tempat_lahir"),
                _col("tanggal_lahir", DATE),
                _col("status_hidup"),
                _col("pekerjaan"),
            ),
            ("hubungan",),
        ),
    )
}


@dataclass
class SectionRow:
    """One parsed row of a history/family sheet."""

    section: Section
    number: int
    nip: str | None
    values: dict  # model attribute -> value; None means "empty cell: keep what is stored"

    @property
    def key(self) -> tuple:
        return tuple(self.values[a] for a in self.section.key)

    def error(self, column, reason) -> RowError:
        return RowError(self.number, column, reason, sheet=self.section.name)


def parse_section_row(section: Section, number: int, raw: dict, header, refs: ReferenceLookup):
    """Turn one sheet row into model values: (SectionRow, list of RowError)."""
    row = SectionRow(section, number, None, {c.attribute: None for c in section.columns})
    if None in raw:
        return row, [row.error("", _l("has values beyond the last header column (an unquoted comma or semicolon?)."))]
    if any(c in header and c not in raw for c in section.column_names):
        return row, [row.error("", _l("has fewer values than the header has columns."))]
    errors = {}
    try:
        row.nip = text_cell(raw.get("nip"), max_length=18, identifier=True)
    except CellError as exc:
        errors["nip"] = row.error("nip", exc.message)
    if row.nip is None and "nip" not in errors:
        errors["nip"] = row.error("nip", _l("is required."))
    for column in section.columns:
        try:
            value = _cell(section, column, raw.get(column.name), refs)
        except CellError as exc:
            errors[column.name] = row.error(column.name, exc.message)
            continue
        if value is None and column.required:
            errors[column.name] = row.error(column.name, _l("is required."))
        row.values[column.attribute] = value
    order = section.column_names
    return row, sorted(errors.values(), key=lambda e: order.index(e.field))


def _cell(section: Section, column: Column, cell, refs: ReferenceLookup):
    model_column = section.model.__table__.columns[column.attribute]
    if column.kind == DATE:
        return date_cell(cell)
    if column.kind == VALUE:
        try:
            return workflow.coerce(model_column, cell)
        except workflow.InvalidValue as exc:
            raise CellError(exc.message) from None
    enum = codes.enum_of(section.name, column.attribute)
    # A coded cell may hold a label longer than the code its column stores.
    length = getattr(model_column.type, "length", None) if column.kind in (TEXT, IDENTIFIER) and not enum else None
    text = text_cell(cell, max_length=length, identifier=column.kind == IDENTIFIER)
    if text is None or column.kind == IDENTIFIER:
        return text
    if enum is not None:
        code = codes.to_code(enum, text)
        if code is None:
            raise CellError(_l("must be one of %(choices)s.", choices=", ".join(codes.ENUMS[enum])))
        return code
    if column.kind == TEXT:
        return text
    return _reference(column.kind, text, refs)


def _reference(kind, text, refs: ReferenceLookup):
    if kind == GOLONGAN:
        found = refs.golongan.get(refs.golongan_key(text))
        message = _l('unknown golongan "%(value)s"; use a code such as III/a.', value=echo(text))
    elif kind == PENDIDIKAN:
        found = refs.pendidikan_or_code.get(name_key(text))
        message = _l('unknown education level "%(value)s"; use e.g. SMA, D-III, S-1, S-2.', value=echo(text))
    elif kind == JENIS_JABATAN:
        found = refs.jenis_jabatan.get(name_key(text))
        message = _l(
            'unknown kind of position "%(value)s"; use one of: %(choices)s.',
            value=echo(text),
            choices=refs.jenis_jabatan_names,
        )
    else:
        found = refs.jenis_diklat.get(name_key(text))
        message = _l(
            'unknown kind of training "%(value)s"; use one of: %(choices)s.',
            value=echo(text),
            choices=refs.jenis_diklat_names,
        )
    if found is None:
        raise CellError(message)
    return found
