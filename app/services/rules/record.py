"""The whole record: one row checked against its PNS, every row against each other, and the
few questions only the database can answer (reference tables, a NIK used by someone else).

Every entry path asks the same two questions: `check_row` (one row as it is being typed or
imported) and `check_record` (the record as it would stand: at Kirim, on apply, on import,
in the data-quality report).
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import MANYTOONE

from ...models import (
    PEGAWAI_CHILD_MODELS,
    Anak,
    Golongan,
    JenisJabatan,
    Pasangan,
    Pegawai,
)
from ...models.family import STATUS_HIDUP
from .codes import check_codes
from .core import RuleError
from .dates import check_career_start, check_row_dates
from .family import check_family_niks, check_family_row
from .history import check_golongan_history, check_golongan_utama, check_jabatan_history
from .identity import nik_duplicate
from .pegawai import check_fields, check_pegawai
from .pensiun import bup_years, check_pensiun, pensiun_date

DATA_UTAMA = "data_utama"
# Columns of a row that are bookkeeping, not values a rule looks at.
ROW_KEYS = {"id", "pegawai_id", "dokumen_id", "created_at", "updated_at"}
_CHILD_MODELS = {model.__tablename__: model for model in PEGAWAI_CHILD_MODELS}


@dataclass
class References:
    """The reference values the rules need, loaded once per request or import batch."""

    golongan: dict = field(default_factory=dict)  # id -> (tingkat, kode)
    jenis_jabatan: dict = field(default_factory=dict)  # id -> nama


@dataclass
class Record:
    """One PNS's record as plain values: the main data and each section's rows."""

    utama: dict
    rows: dict = field(default_factory=dict)  # section -> [row dict]
    # section -> [row id], parallel to `rows`: where a row is, not what the record holds.
    ids: dict = field(default_factory=dict, compare=False)


def load_references(session) -> References:
    """The golongan ranks and jenis jabatan names (a few dozen rows)."""
    golongan = {g.id: (g.tingkat, g.kode) for g in session.scalars(select(Golongan))}
    jenis = dict(session.execute(select(JenisJabatan.id, JenisJabatan.nama)).all())
    return References(golongan=golongan, jenis_jabatan=jenis)


def row_values(item) -> dict:
    """A model row as a dict of its column values (the shape every rule reads)."""
    return {c.key: getattr(item, c.key) for c in item.__table__.columns if c.key not in ROW_KEYS}


def record_of(session, pegawai: Pegawai) -> Record:
    """The official record of `pegawai` as stored in the database (`ids` holds each row's id).

    Read with plain table selects and without autoflush: a staff form has already copied its
    values onto the ORM objects, and the record as it stands must not see them (the rules
    compare it with the record as it would stand, `record_with`). A Pegawai not yet stored
    (a staff "add") is its own values with no rows."""
    if pegawai.id is None:
        return Record(utama=row_values(pegawai), rows={section: [] for section in _CHILD_MODELS})
    rows, ids = {}, {}
    with session.no_autoflush:
        table = Pegawai.__table__
        stored = session.execute(select(table).where(table.c.id == pegawai.id)).mappings().one()
        for section, model in _CHILD_MODELS.items():
            table = model.__table__
            found = session.execute(
                select(table).where(table.c.pegawai_id == pegawai.id).order_by(table.c.id)
            ).mappings()
            found = list(found)
            rows[section] = [_plain(r) for r in found]
            ids[section] = [r["id"] for r in found]
    return Record(utama=_plain(stored), rows=rows, ids=ids)


def _plain(mapping) -> dict:
    return {key: value for key, value in mapping.items() if key not in ROW_KEYS}


def check_row(section: str, row: dict, utama: dict, refs: References | None = None, today=None) -> list:
    """One row's own rules and its rules against the PNS's main data: what a form can say
    next to a field the moment the row is saved."""
    today = today or dt.date.today()
    if section == DATA_UTAMA:
        return [e.at(DATA_UTAMA) for e in check_pegawai(row, today=today) + check_codes(DATA_UTAMA, row)]
    errors = check_codes(section, row)
    errors += check_row_dates(section, row, today=today)
    errors += check_career_start(section, row, utama)
    errors += check_family_row(section, row, utama)
    errors += check_fields({name: row[name] for name in ("gelar_depan", "gelar_belakang") if name in row})
    return [e.at(section) for e in errors]


def _golongan_tuples(rows, refs: References):
    result = []
    for r in rows:
        tingkat, kode = refs.golongan.get(r.get("golongan_id"), (None, None))
        result.append((tingkat, r.get("tmt_golongan"), kode))
    return result


def _latest_eselon(rows):
    dated = [r for r in rows if r.get("tmt_jabatan")]
    return max(dated, key=lambda r: r["tmt_jabatan"]).get("eselon") if dated else None


def check_record(record: Record, refs: References | None = None, today=None) -> list[RuleError]:
    """Every rule over the whole record: the main data, each row, and the rules across rows
    (golongan rising, jabatan periods, the main data's golongan, NIKs within the family,
    retirement). Errors and warnings, each placed in its section (and row index)."""
    refs = refs or References()
    today = today or dt.date.today()
    utama = record.utama
    findings = check_row(DATA_UTAMA, utama, utama, refs, today)
    for section, rows in record.rows.items():
        for index, row in enumerate(rows):
            findings += [e.at(section, index) for e in check_row(section, row, utama, refs, today)]
    golongan = record.rows.get("riwayat_golongan", [])
    findings += [
        e.at("riwayat_golongan")
        for e in check_golongan_history(_golongan_tuples(golongan, refs), ranks=[t for t, _ in refs.golongan.values()])
    ]
    findings += [e.at(DATA_UTAMA) for e in check_golongan_utama(utama, golongan)]
    jabatan = record.rows.get("riwayat_jabatan", [])
    findings += [
        e.at("riwayat_jabatan")
        for e in check_jabatan_history(
            [(r.get("tmt_jabatan"), r.get("tmt_selesai"), r.get("nama_jabatan")) for r in jabatan]
        )
    ]
    findings += check_family_niks(record.rows)
    jenis = refs.jenis_jabatan.get(utama.get("jenis_jabatan_id"))
    findings += [e.at(DATA_UTAMA) for e in check_pensiun(utama, jenis, _latest_eselon(jabatan), today=today)]
    return findings


def _same_person(name_a, name_b) -> bool:
    def norm(name):
        return " ".join((name or "").casefold().split())

    return norm(name_a) == norm(name_b)


def nik_owner(session, nik: str, nama: str | None = None, exclude=None) -> str | None:
    """Who else, among living people in the record (PNS, living spouses and children), holds
    `nik`: the section of the holder, or None. The same NIK under the same name is the same
    person (a child listed by both parents, a spouse who is a PNS himself) and is not a clash,
    except between two PNS records: two NIPs are two records, whatever the names say.
    `exclude` is (section, row id) of the row being written."""
    if not nik:
        return None
    exclude_section, exclude_id = exclude or (None, None)
    holders = [
        (DATA_UTAMA, Pegawai, select(Pegawai.id, Pegawai.nama).where(Pegawai.nik == nik)),
        (
            "pasangan",
            Pasangan,
            select(Pasangan.id, Pasangan.nama).where(Pasangan.nik == nik, Pasangan.status_hidup == STATUS_HIDUP),
        ),
        ("anak", Anak, select(Anak.id, Anak.nama).where(Anak.nik == nik, Anak.status_hidup == STATUS_HIDUP)),
    ]
    for section, _model, query in holders:
        for row_id, holder_name in session.execute(query.limit(5)):
            if (section, row_id) == (exclude_section, exclude_id):
                continue
            both_pns = section == DATA_UTAMA and exclude_section == DATA_UTAMA
            if nama is not None and not both_pns and _same_person(nama, holder_name):
                continue
            return section
    return None


def check_nik_unique(session, section: str, row: dict, exclude_id=None) -> list[RuleError]:
    """`nik.duplicate` when another living person already holds the row's NIK."""
    nik = row.get("nik")
    if not nik:
        return []
    if nik_owner(session, nik, row.get("nama"), exclude=(section, exclude_id)) is None:
        return []
    return [nik_duplicate("nik", section=section)]


NIK_SECTIONS = (DATA_UTAMA, "pasangan", "anak")


def item_values(item) -> dict:
    """`row_values` of an ORM object as a form left it: a form sets the relationship
    (`golongan`), and the foreign key (`golongan_id`) follows only at the flush, so each
    many-to-one relationship that was loaded or set gives its key here. Never loads."""
    values = row_values(item)
    state = sa_inspect(item)
    for relation in state.mapper.relationships:
        if relation.direction is not MANYTOONE or relation.key not in state.dict:
            continue
        target = state.dict[relation.key]
        for local, remote in relation.local_remote_pairs:
            if local.key in values:
                values[local.key] = None if target is None else getattr(target, remote.key)
    return values


def record_with(record: Record, section: str, row: dict, row_id=None, remove: bool = False) -> Record:
    """`record` as it would stand after one write: the main data replaced by `row`
    (section DATA_UTAMA), or in a history/family section the row `row_id` replaced by `row`
    (or removed, `remove`), or `row` added when `row_id` is not in the record. `record` is
    left as it was."""
    if section == DATA_UTAMA:
        return Record(utama=dict(row), rows=record.rows, ids=record.ids)
    rows = {name: list(found) for name, found in record.rows.items()}
    ids = {name: list(record.ids.get(name) or [None] * len(found)) for name, found in record.rows.items()}
    section_rows, section_ids = rows.setdefault(section, []), ids.setdefault(section, [])
    if row_id is not None and row_id in section_ids:
        index = section_ids.index(row_id)
        if remove:
            del section_rows[index], section_ids[index]
        else:
            section_rows[index] = dict(row)
    elif not remove:
        section_rows.append(dict(row))
        section_ids.append(row_id)
    return Record(utama=record.utama, rows=rows, ids=ids)


def _key(finding: RuleError):
    # Where and what, without the row index (a removed row shifts the others).
    return finding.section, finding.field, finding.code, str(finding.message)


def write_findings(
    session, pegawai, section: str, row: dict, row_id=None, remove: bool = False, refs=None, today=None
) -> list[RuleError]:
    """What one write of the official record (a staff form, an import row) brings: the row's
    own findings (`check_row`), every finding of the record as it would stand (`check_record`
    of `record_with`) that the record as it stands does not already have, and a NIK another
    living person holds. Errors refuse the write, warnings are shown after it.

    A finding the stored record already has is not laid on this write: staff repair an old
    record one row at a time, and must not be refused for the rows they have not reached.
    Reads only, without autoflush (the form's values may already sit on the ORM objects)."""
    refs = refs or load_references(session)
    before = record_of(session, pegawai)
    after = record_with(before, section, row, row_id, remove)
    known = Counter() if pegawai.id is None else Counter(_key(f) for f in check_record(before, refs, today))
    findings = [] if remove else check_row(section, row, after.utama, refs, today)
    own = {_key(f) for f in findings}
    for finding in check_record(after, refs, today):
        key = _key(finding)
        if key in own:
            continue
        if known[key]:
            known[key] -= 1
            continue
        findings.append(finding)
    if not remove and section in NIK_SECTIONS:
        with session.no_autoflush:
            findings += check_nik_unique(session, section, row, exclude_id=row_id)
    return findings


def pensiun_of(record: Record, refs: References | None = None):
    """(TMT pensiun, BUP in years) of the record's PNS, from the same values the retirement
    rule reads (birth date, jenis jabatan, jabatan, the eselon of the latest position);
    the date is None without a birth date."""
    refs = refs or References()
    utama = record.utama
    jenis = refs.jenis_jabatan.get(utama.get("jenis_jabatan_id"))
    eselon = _latest_eselon(record.rows.get("riwayat_jabatan", []))
    jabatan = utama.get("jabatan")
    return pensiun_date(utama.get("tanggal_lahir"), jenis, jabatan, eselon), bup_years(jenis, jabatan, eselon)
