"""A stand-in for the record rules of the coming `services.rules` package (check_row,
check_record, …), with the same signatures, built on the rules that exist today.

The importer calls only the names below; when the rules package is on main this module goes
and the importer imports them from `services.rules`.
"""

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...models import Golongan, JenisJabatan, TingkatPendidikan
from .. import rules, workflow

ERROR, WARNING = "error", "warning"
# How young a parent may plausibly be at a child's birth before a verifier should look twice.
YOUNG_PARENT_YEARS = 16
_DATE_FIELDS = {
    "riwayat_golongan": ("tmt_golongan", "tanggal_sk", "tanggal_pertek"),
    "riwayat_jabatan": ("tmt_jabatan", "tmt_selesai", "tanggal_sk", "tmt_pelantikan"),
    "riwayat_pendidikan": ("tanggal_lulus",),
    "riwayat_diklat": ("tanggal_mulai", "tanggal_selesai"),
    "pasangan": ("tanggal_lahir", "tanggal_menikah", "tanggal_cerai"),
    "anak": ("tanggal_lahir",),
    "orang_tua": ("tanggal_lahir",),
}


@dataclass(frozen=True)
class RuleError:
    field: str
    message: str
    severity: str = ERROR
    code: str = ""
    section: str | None = None
    row: int | None = None


@dataclass
class References:
    golongan: dict = field(default_factory=dict)  # id -> (tingkat, kode)
    jenis_jabatan: dict = field(default_factory=dict)  # id -> nama
    tingkat_pendidikan: dict = field(default_factory=dict)  # id -> kode


@dataclass
class Record:
    utama: dict
    rows: dict  # section -> list of row dicts


def load_references(session) -> References:
    return References(
        golongan={g.id: (g.tingkat, g.kode) for g in session.scalars(select(Golongan))},
        jenis_jabatan={j.id: j.nama for j in session.scalars(select(JenisJabatan))},
        tingkat_pendidikan={t.id: t.kode for t in session.scalars(select(TingkatPendidikan))},
    )


def record_of(session, pegawai) -> Record:
    rows = {}
    for section, model in workflow.CHILD_MODELS.items():
        stored = session.scalars(select(model).where(model.pegawai_id == pegawai.id).order_by(model.id))
        rows[section] = [workflow.row_values(section, r) for r in stored]
    return Record(workflow.row_values(workflow.DATA_UTAMA, pegawai), rows)


def blocking(errors) -> list:
    return [e for e in errors if getattr(e, "severity", ERROR) == ERROR]


def _error(section, name, message, code, severity=ERROR, row=None):
    return RuleError(name, message, severity, code, section, row)


def check_row(section, row, utama, refs, today=None) -> list:
    """One history/family row on its own and against the PNS's data utama."""
    today = today or dt.date.today()
    born, tmt_cpns = utama.get("tanggal_lahir"), utama.get("tmt_cpns")
    errors = []
    for name in _DATE_FIELDS.get(section, ()):
        value = row.get(name)
        if value is None:
            continue
        if value > today:
            errors.append(_error(section, name, _l("may not be in the future."), "date_future"))
        elif section not in ("orang_tua", "pasangan") and born is not None and value < born:
            errors.append(_error(section, name, _l("is before the date of birth."), "date_before_birth"))
    if section == "riwayat_golongan" and tmt_cpns and row.get("tmt_golongan") and row["tmt_golongan"] < tmt_cpns:
        errors.append(_error(section, "tmt_golongan", _l("is before the TMT CPNS."), "golongan_before_cpns"))
    if section == "riwayat_jabatan":
        errors += [
            _error(section, e.field, e.message, "jabatan_order")
            for e in rules.check_jabatan_history(
                [(row.get("tmt_jabatan"), row.get("tmt_selesai"), row.get("nama_jabatan"))]
            )
        ]
    if section == "riwayat_diklat" and row.get("tanggal_mulai") and row.get("tanggal_selesai"):
        if row["tanggal_selesai"] < row["tanggal_mulai"]:
            errors.append(_error(section, "tanggal_selesai", _l("is before the start date."), "diklat_order"))
    if section == "riwayat_pendidikan":
        errors += [_error(section, e.field, e.message, "gelar") for e in rules.check_fields(row)]
    if section in ("pasangan", "anak") and row.get("nik"):
        errors += [
            _error(section, e.field, e.message, "nik")
            for e in rules.check_nik(row["nik"], row.get("tanggal_lahir"), row.get("jenis_kelamin"))
        ]
    if section == "anak" and born and row.get("tanggal_lahir") and row["tanggal_lahir"] >= born:
        if row["tanggal_lahir"] < rules.add_years(born, YOUNG_PARENT_YEARS):
            errors.append(
                _error(
                    section,
                    "tanggal_lahir",
                    _l("the PNS was under %(years)d at this child's birth.", years=YOUNG_PARENT_YEARS),
                    "parent_age",
                    WARNING,
                )
            )
    if section == "orang_tua" and born and row.get("tanggal_lahir") and row["tanggal_lahir"] >= born:
        errors.append(_error(section, "tanggal_lahir", _l("is not before the PNS's date of birth."), "parent_born"))
    return errors


def check_record(record, refs, today=None) -> list:
    """Data utama, every row, and the rules across rows of one record."""
    errors = [_error("data_utama", e.field, e.message, "data_utama") for e in rules.check_pegawai(record.utama, today)]
    for section, rows in record.rows.items():
        for index, row in enumerate(rows):
            for e in check_row(section, row, record.utama, refs, today):
                errors.append(RuleError(e.field, e.message, e.severity, e.code, section, index))
    golongan = []
    for row in record.rows.get("riwayat_golongan", []):
        tingkat, kode = refs.golongan.get(row["golongan_id"], (None, ""))
        golongan.append((tingkat, row["tmt_golongan"], kode))
    errors += [
        _error("riwayat_golongan", e.field, e.message, "golongan_order") for e in rules.check_golongan_history(golongan)
    ]
    jabatan = [(r["tmt_jabatan"], r["tmt_selesai"], r["nama_jabatan"]) for r in record.rows.get("riwayat_jabatan", [])]
    errors += [
        _error("riwayat_jabatan", e.field, e.message, "jabatan_overlap") for e in rules.check_jabatan_history(jabatan)
    ]
    own_nik = record.utama.get("nik")
    for section in ("pasangan", "anak"):
        for index, row in enumerate(record.rows.get(section, [])):
            if own_nik and row.get("nik") == own_nik:
                errors.append(_error(section, "nik", _l("is the PNS's own NIK."), "nik_own", row=index))
    return errors
