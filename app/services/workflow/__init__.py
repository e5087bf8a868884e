"""Data update and verification (DESIGN.md §3): the PNS's draft, Kirim, three levels of
verification and the final apply to the official record.

`TRANSITIONS` is the one table that says who may move an Usulan from which status to which;
`transition()` is the only code that changes `Usulan.status`. Every public function that
writes is one unit of work (services.transaction): it commits, or rolls back and re-raises;
after losing a race with a concurrent request it runs again on the new state, where a
commuting change applies and any other is refused by the checks below.

Drafts store proposed values as JSON on `UsulanItem` rows; the official record (Pegawai and its
history/family rows) changes only when the last verification applies every item, in the same
transaction as the status change, writing one `RecordChange` per changed field.
"""
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Callable

from flask import g, has_app_context, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, select

from ..extensions import db
from ..i18n import format_angka, format_tanggal
from ..models import PEGAWAI_CHILD_MODELS, Dokumen, Golongan, Instansi, Jadwal, Model, Pegawai, utcnow
from ..models.notification import Pesan
from ..models.submission import RecordChange, Usulan, UsulanEvent, UsulanItem, UsulanSection
from ..roles import (
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from . import documents, notification, rules, scope, transaction
from .schedule import current_phase

# --------------------------------------------------------------------------------------------
# Sections and fields
# --------------------------------------------------------------------------------------------
DATA_UTAMA = "data_utama"
CHILD_MODELS = {model.__tablename__: model for model in PEGAWAI_CHILD_MODELS}
SECTIONS = (DATA_UTAMA, *CHILD_MODELS)
SECTION_LABELS = {
    DATA_UTAMA: _l("Main data"),
    "riwayat_golongan": _l("Golongan history"),
    "riwayat_jabatan": _l("Position history"),
    "riwayat_pendidikan": _l("Education history"),
    "riwayat_diklat": _l("Training history"),
    "penghargaan": _l("Awards"),
    "riwayat_skp": _l("SKP/DP3 appraisals"),
    "hukuman_disiplin": _l("Disciplinary sanctions"),
    "organisasi": _l("Organisations"),
    "kompetensi": _l("Self-assessment and competencies"),
    "pasangan": _l("Spouse"),
    "anak": _l("Children"),
    "orang_tua": _l("Parents"),
    "perumahan": _l("Housing"),
}

# Data-utama fields a PNS may propose. Instansi and unit kerja are not among them: a move is
# master data of the Verifikator Instansi (or a "beda instansi" helpdesk ticket).
DATA_UTAMA_FIELDS = (
    "nip", "nip_lama", "nik", "gelar_depan", "nama", "gelar_belakang", "tempat_lahir",
    "tanggal_lahir", "jenis_kelamin", "agama_id", "status_perkawinan_id", "alamat", "kode_pos",
    "no_hp", "email", "npwp", "no_bpjs", "no_taspen", "no_karpeg", "status", "tmt_cpns",
    "sk_cpns_nomor", "sk_cpns_tanggal", "tmt_pns", "sk_pns_nomor", "sk_pns_tanggal",
    "golongan_id", "tmt_golongan", "jenis_jabatan_id", "jabatan", "tmt_jabatan",
    "pendidikan_terakhir_id",
)
# A change to any of these (or to the golongan history) needs BKN's verification too.
BKN_FIELDS = frozenset(
    {"nip", "nama", "tanggal_lahir", "golongan_id", "tmt_golongan", "tmt_cpns", "tmt_pns", "status"}
)
BKN_SECTIONS = frozenset({"riwayat_golongan"})
# Columns of a history/family row that are not proposed values (the document goes on the item).
_ROW_KEYS = {"id", "pegawai_id", "dokumen_id", "created_at", "updated_at"}
FIELD_CHOICES = {(DATA_UTAMA, "status"): Pegawai.STATUSES}
# Data-utama fields whose absence rules.check_pegawai already reports.
_RULE_CHECKED = frozenset({"nip", "nama", "tanggal_lahir", "jenis_kelamin", "tmt_cpns"})


def section_fields(section: str) -> tuple[str, ...]:
    """The fields of `section` a PNS may propose."""
    if section == DATA_UTAMA:
        return DATA_UTAMA_FIELDS
    return tuple(c.key for c in _model(section).__table__.columns if c.key not in _ROW_KEYS)


def _model(section):
    return Pegawai if section == DATA_UTAMA else CHILD_MODELS[section]


def section_column(section, name):
    """The table column behind one field of a section."""
    return _model(section).__table__.columns[name]


# --------------------------------------------------------------------------------------------
# The transition table
# --------------------------------------------------------------------------------------------
KIRIM = "kirim"
VERIFIKASI = "verifikasi"
KEMBALIKAN = "kembalikan"
TURUN_STATUS = "turun_status"
ACTIONS = (KIRIM, VERIFIKASI, KEMBALIKAN, TURUN_STATUS)
ACTION_LABELS = {
    KIRIM: _l("Send"),
    VERIFIKASI: _l("Verify"),
    KEMBALIKAN: _l("Return"),
    TURUN_STATUS: _l("Send back to draft"),
}
# The level an event is recorded at, by the role the actor acted in.
LEVELS = {
    ROLE_PNS: "pns",
    ROLE_VERIFIKATOR_SKPD: "skpd",
    ROLE_VERIFIKATOR_INSTANSI: "instansi",
    ROLE_VERIFIKATOR_BKN: "bkn",
    ROLE_HELPDESK: "helpdesk",
    ROLE_ADMIN: "admin",
}


# The schedule (DESIGN.md §3, Jadwal): a PNS edits and sends a new draft during pengisian; a
# draft that verification returned may still be fixed and sent again until verification ends;
# verifiers act during both phases. Admin extends a phase by editing its Jadwal row.
EDIT_PHASES = frozenset({Jadwal.FASE_PENGISIAN})
RESUBMIT_PHASES = frozenset({Jadwal.FASE_PENGISIAN, Jadwal.FASE_VERIFIKASI})
VERIFY_PHASES = frozenset({Jadwal.FASE_PENGISIAN, Jadwal.FASE_VERIFIKASI})


def was_returned(usulan: Usulan) -> bool:
    """True when verification sent this draft back at least once."""
    return any(e.to_status == Usulan.DRAFT for e in usulan.events)


def open_phases(usulan: Usulan, action: str) -> frozenset:
    """The phases in which `action` (KIRIM also stands for editing the draft) is allowed."""
    if action == KIRIM:
        return RESUBMIT_PHASES if was_returned(usulan) else EDIT_PHASES
    return VERIFY_PHASES


def phase_allows(session, usulan: Usulan, action: str) -> bool:
    """Whether today's phase for the Usulan's instansi allows `action`."""
    instansi = session.get(Instansi, usulan.instansi_id) if usulan.instansi_id else None
    return current_phase(session, instansi=instansi).fase in open_phases(usulan, action)


def _phase_ok(session, usulan, action, role_name) -> bool:
    # Admin may still send a submission back after the run closed (to correct it).
    return (action == TURUN_STATUS and role_name == ROLE_ADMIN) or phase_allows(session, usulan, action)


def _require_phase(session, usulan, action, role_name=None):
    if not _phase_ok(session, usulan, action, role_name):
        raise PhaseClosed()


def _after_kirim(usulan: Usulan) -> str:
    """A record without a unit kerja has no SKPD verifier: it goes straight to the Instansi."""
    return Usulan.DI_SKPD if usulan.unit_kerja_id is not None else Usulan.DI_INSTANSI


def _after_instansi(usulan: Usulan) -> str:
    """BKN sees only submissions that touch BKN-level fields (decided at Kirim)."""
    return Usulan.DI_BKN if usulan.needs_bkn else Usulan.SELESAI


@dataclass(frozen=True)
class Transition:
    """`to`: the next status, or a function of the Usulan deciding it. `roles`: who may act;
    each role only within its own scope (the PNS: his own record; staff: services.scope)."""

    to: str | Callable[[Usulan], str]
    roles: tuple[str, ...]
    reason_required: bool = False

    def target(self, usulan: Usulan) -> str:
        return self.to(usulan) if callable(self.to) else self.to


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (Usulan.DRAFT, KIRIM): Transition(_after_kirim, (ROLE_PNS,)),
    (Usulan.DI_SKPD, VERIFIKASI): Transition(Usulan.DI_INSTANSI, (ROLE_VERIFIKATOR_SKPD,)),
    (Usulan.DI_INSTANSI, VERIFIKASI): Transition(_after_instansi, (ROLE_VERIFIKATOR_INSTANSI,)),
    (Usulan.DI_BKN, VERIFIKASI): Transition(Usulan.SELESAI, (ROLE_VERIFIKATOR_BKN,)),
    (Usulan.DI_SKPD, KEMBALIKAN): Transition(Usulan.DRAFT, (ROLE_VERIFIKATOR_SKPD,), True),
    (Usulan.DI_INSTANSI, KEMBALIKAN): Transition(Usulan.DRAFT, (ROLE_VERIFIKATOR_INSTANSI,), True),
    (Usulan.DI_BKN, KEMBALIKAN): Transition(Usulan.DRAFT, (ROLE_VERIFIKATOR_BKN,), True),
    **{
        (status, TURUN_STATUS): Transition(Usulan.DRAFT, (ROLE_HELPDESK, ROLE_ADMIN), True)
        for status in Usulan.IN_VERIFICATION
    },
}


# --------------------------------------------------------------------------------------------
# Errors (messages are for the user)
# --------------------------------------------------------------------------------------------
class WorkflowError(Exception):
    """Base of every refusal of this module; `message` is shown to the user."""

    default_message = _l("This action is not possible.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __str__(self):
        return str(self.message)


class NotFound(WorkflowError):
    default_message = _l("This submission does not exist.")


class NotAllowed(WorkflowError):
    default_message = _l("You may not do this with this submission.")


class AlreadyHandled(NotAllowed):
    default_message = _l("This submission has already been handled by someone else. Reload the page.")


class AlreadySent(AlreadyHandled):
    """Kirim of a submission that is no longer a draft (a second click, another tab)."""

    def __init__(self, usulan: Usulan):
        super().__init__(_l("This submission has already been sent for verification (perhaps from "
                            "another window); it is now %(status)s.", status=usulan.status_label))


class ConcurrentChange(transaction.ConcurrentChange, WorkflowError):
    """The draft or submission kept changing under this request (services.transaction)."""


class ReasonRequired(WorkflowError):
    default_message = _l("A reason is required.")


class PhaseClosed(WorkflowError):
    default_message = _l("The schedule does not allow this now: the phase for it has not started "
                         "or has ended.")


class DraftLocked(WorkflowError):
    default_message = _l("This submission has been sent and can no longer be changed.")


class InvalidValue(WorkflowError):
    """A proposed value that cannot be stored; `field` names it."""

    def __init__(self, field_name, message):
        self.field = field_name
        super().__init__(message)

    def __str__(self):
        return f"{field_label(self.field)}: {self.message}"


@dataclass(frozen=True)
class Problem:
    """Why Kirim is refused: a section not reviewed, a missing value or a failed domain rule.

    `code`: "not_reviewed", "stale" (official values changed since proposed: review again),
    "row_gone" (a changed row no longer exists), "required" or "rule"."""

    section: str
    field: str | None
    message: object
    code: str = "rule"

    def __str__(self):
        where = str(SECTION_LABELS.get(self.section, self.section))
        if self.field:
            where = f"{where}, {field_label(self.field)}"
        return f"{where}: {self.message}"


class KirimRefused(WorkflowError):
    """Kirim refused; `problems` lists every reason at once."""

    default_message = _l("The submission cannot be sent yet.")

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__()


@dataclass(frozen=True)
class ConflictEntry:
    """An official value that changed after the PNS proposed his change.

    `field` is None when the row itself is gone (`blocking`: nothing can be applied to it).
    `touched` is False for a data-utama field the proposal does not change (shown for
    information; applying leaves it as it is now). An entry with no field that is not
    blocking says only that the record changed elsewhere (a row the proposal does not touch,
    by a staff edit or an import): `snapshot` and `official` are then the record versions."""

    section: str
    target_id: int | None
    field: str | None
    snapshot: object
    official: object
    touched: bool = True
    blocking: bool = False


class Conflict(WorkflowError):
    """The official record changed since the draft was based on it; `conflicts` says how."""

    default_message = _l(
        "The official record has changed since this submission was made. Check the differences, "
        "then return the submission or verify it again accepting the differences."
    )

    def __init__(self, conflicts, message=None):
        self.conflicts = list(conflicts)
        super().__init__(message)


def field_label(name):
    """The Indonesian label of a field, as the screens and the PDF print it."""
    # Imported here: the views package imports this module (the screens), not the other way.
    from ..views.labels import LABELS

    key = name[:-3] if name.endswith("_id") else name
    return LABELS.get(key) or rules.FIELD_LABELS.get(key) or name


# --------------------------------------------------------------------------------------------
# Values: Python <-> JSON
# --------------------------------------------------------------------------------------------
def encode(value):
    """A column value as JSON-safe data (dates ISO, decimals as strings)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _normal(value):
    # An empty string and no value are the same thing to a user.
    return None if isinstance(value, str) and value.strip() == "" else value


def coerce(column, value, *, clean: bool = True):
    """`value` (from a form, or JSON) as the Python type of `column`; InvalidValue if it is not
    one. `clean` (user input): text is stripped and must fit the column; stored JSON is
    decoded with clean=False so a snapshot compares equal to the value it was taken from."""
    value = _normal(value)
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, DateTime):
            return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        if isinstance(kind, Date):
            if isinstance(value, dt.datetime):
                return value.date()
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        if isinstance(kind, Boolean):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "y", "ya", "on"):
                return True
            if text in ("0", "false", "n", "tidak", "off"):
                return False
            raise ValueError(value)
        if isinstance(kind, Numeric):
            if isinstance(value, bool):
                raise ValueError(value)
            number = Decimal(str(value).strip())
            if not number.is_finite():
                raise ValueError(value)
            return number
        if isinstance(kind, Integer):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if isinstance(kind, String):
            if not clean:
                return str(value)
            text = str(value).strip()
            if kind.length and len(text) > kind.length:
                raise InvalidValue(column.key, _l("is longer than %(n)d characters.", n=kind.length))
            return text
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise InvalidValue(column.key, _l("is not a valid value.")) from exc
    return value


def _decode_values(section, data: dict, *, clean: bool = False) -> dict:
    return {name: coerce(section_column(section, name), value, clean=clean) for name, value in data.items()}


def _dump(data: dict) -> str:
    return json.dumps({k: encode(v) for k, v in data.items()}, sort_keys=True)


def proposed_values(item: UsulanItem) -> dict:
    """The item's proposed values as Python values."""
    return _decode_values(item.section, json.loads(item.values_json or "{}"))


def snapshot_values(item: UsulanItem) -> dict:
    """The official values the item was proposed against, as Python values."""
    return _decode_values(item.section, json.loads(item.official_json or "{}"))


def row_values(section, row) -> dict:
    """The comparable values of one official row (or the Pegawai for data utama)."""
    return {name: _normal(getattr(row, name)) for name in section_fields(section)}


# --------------------------------------------------------------------------------------------
# Values as people read them (diffs, conflicts, record history, printouts)
# --------------------------------------------------------------------------------------------
# Codes shown by their label, for a field of that name in any section.
CHOICE_LABELS = {
    "jenis_kelamin": {Pegawai.GENDER_MALE: _l("Male"), Pegawai.GENDER_FEMALE: _l("Female")},
}
# Reference tables hold tens of rows: the first lookup loads the whole table, so a page costs
# at most one query per table however many values it shows. Other referenced tables
# (instansi, unit kerja, dokumen) are read by id; prime_display reads a list in one query.
_WHOLE_TABLES = frozenset(
    {"golongan", "tingkat_pendidikan", "agama", "status_perkawinan", "jenis_jabatan", "jenis_diklat"}
)


class ReferenceNames:
    """Display names (str(row)) of referenced rows by table and id, read at most once."""

    def __init__(self, session):
        self.session = session
        self.names: dict[str, dict] = {}
        self.whole: set[str] = set()

    def load(self, table: str, ids) -> None:
        """Read the names of `ids` of `table` that are not known yet (one query at most)."""
        model = model_of_table(table)
        known = self.names.setdefault(table, {})
        if model is None:
            return
        if table in _WHOLE_TABLES and table not in self.whole:
            self.whole.add(table)
            known.update({row.id: str(row) for row in self.session.scalars(select(model))})
        missing = {i for i in ids if i not in known}
        if missing:
            found = {row.id: str(row) for row in
                     self.session.scalars(select(model).where(model.id.in_(missing)))}
            # A row gone since (or a bad id) is shown as the id itself, and not looked up again.
            known.update({i: found.get(i) for i in missing})

    def name(self, table: str, key) -> str | None:
        self.load(table, [key])
        return self.names[table].get(key)


def reference_names() -> ReferenceNames:
    """The ReferenceNames of the current request (of the app context outside a request)."""
    holder = request if has_request_context() else g if has_app_context() else None
    names = getattr(holder, "_pupns_reference_names", None) if holder is not None else None
    if names is None:
        names = ReferenceNames(db.session)
        if holder is not None:
            holder._pupns_reference_names = names
    return names


def _reference_table(section, name) -> str | None:
    """The table a field of a section refers to, None for a plain value (or unknown field)."""
    model = Pegawai if section == DATA_UTAMA else CHILD_MODELS.get(section)
    column = model.__table__.columns.get(name) if model is not None else None
    fk = next(iter(column.foreign_keys), None) if column is not None else None
    return fk.column.table.name if fk is not None else None


def _reference_key(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def prime_display(triples) -> None:
    """Read the names of every referenced row among `(section, field, value)` triples, one
    query per table, before a list is printed with display_value (no query per row)."""
    wanted: dict[str, set] = {}
    for section, name, value in triples:
        table = _reference_table(section, name)
        key = _reference_key(value) if table is not None else None
        if key is not None:
            wanted.setdefault(table, set()).add(key)
    names = reference_names()
    for table, ids in wanted.items():
        names.load(table, ids)


def display_value(section, name, value) -> str:
    """One field value as a user reads it: the name of a referenced row (golongan "III/c –
    Penata", jabatan, pendidikan, unit), a date in Indonesian, a choice by its label, Ya/Tidak;
    "" for no value. Reference names are read once per request (see ReferenceNames)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, (dt.date, dt.datetime)):
        return format_tanggal(value)
    labels = CHOICE_LABELS.get(name)
    if labels is not None and value in labels:
        return str(labels[value])
    table = _reference_table(section, name)
    if table is not None:
        key = _reference_key(value)
        found = reference_names().name(table, key) if key is not None else None
        return found if found is not None else str(value)
    if isinstance(value, Decimal):
        return format_angka(value)
    return str(value)


# --------------------------------------------------------------------------------------------
# Reading a draft
# --------------------------------------------------------------------------------------------
def open_usulan(session, pegawai_id: int) -> Usulan | None:
    """The Pegawai's open (not selesai) Usulan, if any."""
    return session.scalar(
        select(Usulan).where(Usulan.pegawai_id == pegawai_id, Usulan.status != Usulan.SELESAI)
    )


def _official_row(session, usulan, section, target_id):
    """The official row `target_id` of `section` if it belongs to the Usulan's Pegawai."""
    if section == DATA_UTAMA:
        return session.get(Pegawai, usulan.pegawai_id)
    row = session.get(CHILD_MODELS[section], target_id) if target_id is not None else None
    return row if row is not None and row.pegawai_id == usulan.pegawai_id else None


def official_rows(session, usulan, section):
    """The PNS's official rows of one history/family section."""
    model = CHILD_MODELS[section]
    return session.scalars(
        select(model).where(model.pegawai_id == usulan.pegawai_id).order_by(model.id)
    ).all()


def proposed_state(session, usulan: Usulan, section: str):
    """What the record would look like with the draft applied.

    Data utama: one dict of field values. A history/family section: a list of dicts, one
    per row (official rows with changes, without removed ones, plus added ones), each with
    `id` (None for an added row) and `item_id` (the UsulanItem touching it, or None)."""
    items = [i for i in usulan.items if i.section == section]
    if section == DATA_UTAMA:
        pegawai = session.get(Pegawai, usulan.pegawai_id)
        values = row_values(section, pegawai)
        for item in items:
            values.update(proposed_values(item))
        return values
    by_target = {i.target_id: i for i in items if i.target_id is not None}
    rows = []
    for row in official_rows(session, usulan, section):
        item = by_target.get(row.id)
        if item is not None and item.operation == UsulanItem.OP_REMOVE:
            continue
        values = row_values(section, row)
        if item is not None:
            values.update(proposed_values(item))
        rows.append({**values, "id": row.id, "item_id": item.id if item else None})
    for item in items:
        if item.operation == UsulanItem.OP_ADD:
            values = dict.fromkeys(section_fields(section))
            values.update(proposed_values(item))
            rows.append({**values, "id": None, "item_id": item.id})
    return rows


@dataclass(frozen=True)
class FieldDiff:
    field: str
    official: object
    proposed: object
    conflict: bool = False


@dataclass
class RowDiff:
    """One proposed change, field by field, official value next to proposed value."""

    item_id: int
    section: str
    operation: str
    target_id: int | None
    fields: list[FieldDiff] = field(default_factory=list)
    dokumen_id: int | None = None
    verdict: str | None = None
    verdict_reason: str | None = None
    verdict_note: str | None = None
    verdict_level: str | None = None
    missing: bool = False  # the official row is gone (see conflicts())


def diff(session, usulan: Usulan) -> list[RowDiff]:
    """Every proposed change of `usulan`, section by section (in SECTIONS order), each with
    the current official and the proposed value of each field; added rows have no official
    values, removed rows no proposed ones."""
    conflicted = {(c.section, c.target_id, c.field) for c in conflicts(session, usulan) if c.touched}
    result = []
    order = {name: n for n, name in enumerate(SECTIONS)}
    for item in sorted(usulan.items, key=lambda i: (order.get(i.section, 99), i.id or 0)):
        row_diff = RowDiff(
            item.id, item.section, item.operation, item.target_id, dokumen_id=item.dokumen_id,
            verdict=item.verdict, verdict_reason=item.verdict_reason,
            verdict_note=item.verdict_note, verdict_level=item.verdict_level,
        )
        proposed = proposed_values(item)
        if item.operation == UsulanItem.OP_ADD:
            row_diff.fields = [FieldDiff(n, None, v) for n, v in proposed.items() if v is not None]
        else:
            row = _official_row(session, usulan, item.section, item.target_id)
            row_diff.missing = row is None
            official = row_values(item.section, row) if row is not None else snapshot_values(item)
            if item.operation == UsulanItem.OP_REMOVE:
                names = [n for n in section_fields(item.section) if official.get(n) is not None]
                row_diff.fields = [FieldDiff(n, official[n], None) for n in names]
            else:
                row_diff.fields = [
                    FieldDiff(n, official.get(n), v,
                              (item.section, item.target_id, n) in conflicted)
                    for n, v in proposed.items()
                ]
        result.append(row_diff)
    return result


def conflicts(session, usulan: Usulan) -> list[ConflictEntry]:
    """Official values that changed since the draft was made.

    For each changed or removed row (and the proposed data-utama fields): the fields whose
    official value now differs from the value the PNS saw when proposing (or the row is gone).
    Plus every other data-utama field that changed since the draft was based (touched=False).
    """
    found = []
    touched_utama = set()
    for item in usulan.items:
        if item.operation == UsulanItem.OP_ADD:
            continue
        snapshot = snapshot_values(item)
        row = _official_row(session, usulan, item.section, item.target_id)
        if row is None:
            found.append(ConflictEntry(item.section, item.target_id, None, snapshot, None, blocking=True))
            continue
        current = row_values(item.section, row)
        if item.operation == UsulanItem.OP_REMOVE:
            names = section_fields(item.section)  # removing: the whole row must be as seen
        else:
            names = list(proposed_values(item))
        if item.section == DATA_UTAMA:
            touched_utama.update(names)
        for name in names:
            if name in snapshot and current.get(name) != snapshot[name]:
                found.append(ConflictEntry(item.section, item.target_id, name, snapshot[name],
                                           current.get(name)))
    base = _decode_values(DATA_UTAMA, json.loads(usulan.base_json or "{}"))
    pegawai = session.get(Pegawai, usulan.pegawai_id)
    current = row_values(DATA_UTAMA, pegawai)
    for name, value in base.items():
        if name not in touched_utama and current.get(name) != value:
            found.append(ConflictEntry(DATA_UTAMA, pegawai.id, name, value, current.get(name), touched=False))
    if not found and pegawai.record_version != usulan.base_record_version:
        # Nothing above explains the new version: say so, or apply() refuses with no reason shown.
        found.append(ConflictEntry(DATA_UTAMA, pegawai.id, None, usulan.base_record_version,
                                   pegawai.record_version, touched=False))
    return found


def reviewed_sections(session, usulan: Usulan) -> set[str]:
    """Sections marked "sudah diperiksa" whose items still match the official record (a
    section whose official values changed after the PNS proposed must be reviewed again)."""
    stale = {c.section for c in conflicts(session, usulan) if c.touched}
    return {s.section for s in usulan.sections if s.reviewed_at is not None} - stale


def touches_bkn(usulan: Usulan) -> bool:
    """True when the draft changes a BKN-level field (DESIGN.md §3) or the golongan history."""
    for item in usulan.items:
        if item.section in BKN_SECTIONS:
            return True
        if item.section == DATA_UTAMA and BKN_FIELDS & set(json.loads(item.values_json or "{}")):
            return True
    return False


def kirim_problems(session, usulan: Usulan) -> list[Problem]:
    """Everything that stops Kirim: sections not (or no longer) reviewed, required values
    missing, official rows gone, and every failed domain rule on the proposed data."""
    problems = []
    reviewed = reviewed_sections(session, usulan)
    stale = {c.section for c in conflicts(session, usulan) if c.touched}
    for section in SECTIONS:
        if section in stale:
            problems.append(Problem(section, None, _l(
                "the official record changed after you proposed your change; review this section again."),
                "stale"))
        elif section not in reviewed:
            problems.append(Problem(section, None, _l("not reviewed yet."), "not_reviewed"))
    for item in usulan.items:
        if item.operation == UsulanItem.OP_REMOVE:
            continue
        if item.operation != UsulanItem.OP_ADD and _official_row(
                session, usulan, item.section, item.target_id) is None:
            problems.append(Problem(item.section, None, _l(
                "a row you changed no longer exists in the official record; withdraw that change."),
                "row_gone"))
            continue
        values = proposed_values(item)
        for column in _model(item.section).__table__.columns:
            if column.key in _ROW_KEYS or column.nullable or (
                    item.section == DATA_UTAMA and column.key in _RULE_CHECKED):
                continue
            # An added row gets the column default; a change may not empty a required value.
            missing = (column.key in values and values[column.key] is None) or (
                item.operation == UsulanItem.OP_ADD and column.default is None
                and values.get(column.key) is None)
            if missing:
                problems.append(Problem(item.section, column.key, _l("is required."), "required"))
    utama = proposed_state(session, usulan, DATA_UTAMA)
    problems += [Problem(DATA_UTAMA, e.field, e.message) for e in rules.check_pegawai(utama)]
    problems += [Problem("riwayat_golongan", None, e.message)
                 for e in rules.check_golongan_history(_golongan_rows(session, usulan))]
    jabatan = proposed_state(session, usulan, "riwayat_jabatan")
    problems += [Problem("riwayat_jabatan", None, e.message) for e in rules.check_jabatan_history(
        [(r["tmt_jabatan"], r["tmt_selesai"], r["nama_jabatan"]) for r in jabatan])]
    return problems


def _golongan_rows(session, usulan):
    rows = proposed_state(session, usulan, "riwayat_golongan")
    ids = {r["golongan_id"] for r in rows if r["golongan_id"] is not None}
    found = session.scalars(select(Golongan).where(Golongan.id.in_(ids))) if ids else []
    golongan = {g.id: g for g in found}
    result = []
    for r in rows:
        g = golongan.get(r["golongan_id"])
        result.append((g.tingkat if g else None, r["tmt_golongan"], g.kode if g else None))
    return result


# --------------------------------------------------------------------------------------------
# Writing a draft (the PNS's side). Each function is one transaction.
# --------------------------------------------------------------------------------------------
def _snapshot_utama(pegawai) -> str:
    return _dump(row_values(DATA_UTAMA, pegawai))


def _copy_org(usulan, pegawai):
    usulan.instansi_id = pegawai.instansi_id
    usulan.unit_kerja_id = pegawai.unit_kerja_id


def open_draft(session, pegawai: Pegawai) -> Usulan:
    """The Pegawai's open Usulan; a new draft when he has none. The draft remembers the
    record version and data utama it is based on."""
    existing = open_usulan(session, pegawai.id)
    if existing is not None:
        return existing
    pegawai_id = pegawai.id

    def create():
        # Lock the Pegawai so two first visits at once make one draft (on a database without
        # row locks the partial unique index refuses the second, whose re-run finds the first).
        locked = session.scalars(
            select(Pegawai).where(Pegawai.id == pegawai_id).with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        found = open_usulan(session, pegawai_id)
        if found is not None:
            return found
        usulan = Usulan(
            pegawai_id=pegawai_id, status=Usulan.DRAFT, base_record_version=locked.record_version,
            base_json=_snapshot_utama(locked),
        )
        _copy_org(usulan, locked)
        session.add(usulan)
        return usulan

    return _run(session, create)


def _run(session, fn):
    """`fn` as one unit of work, run again after losing a race (services.transaction)."""
    return transaction.run_in_transaction(session, fn, on_conflict=ConcurrentChange)


def _lock_draft(session, usulan_id: int) -> Usulan:
    """Lock the draft row and check it is still a draft (Kirim may have happened in another
    tab), and bump its version so a Kirim that read the draft before this change fails."""
    usulan = _lock(session, usulan_id)
    if usulan.status != Usulan.DRAFT:
        raise DraftLocked()
    _require_phase(session, usulan, KIRIM)
    usulan.updated_at = utcnow()
    return usulan


def _section_mark(usulan, section) -> UsulanSection | None:
    return next((s for s in usulan.sections if s.section == section), None)


def _unreview(usulan, section):
    mark = _section_mark(usulan, section)
    if mark is not None:
        mark.reviewed_at = None


def _check_values(session, section, values: dict) -> dict:
    """Known fields only, each coerced to its column type; references must exist."""
    allowed = set(section_fields(section))
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise InvalidValue(unknown[0], _l("cannot be changed here."))
    checked = _decode_values(section, values, clean=True)
    # The field rules (a title is a title, services.rules): refused before it is in a draft.
    errors = rules.check_fields(checked)
    if errors:
        raise InvalidValue(errors[0].field, errors[0].message)
    for name, value in checked.items():
        choices = FIELD_CHOICES.get((section, name))
        if value is not None and choices is not None and value not in choices:
            raise InvalidValue(name, _l("is not a valid value."))
        for fk in section_column(section, name).foreign_keys:
            target = model_of_table(fk.column.table.name)
            if value is not None and target is not None and session.get(target, value) is None:
                raise InvalidValue(name, _l("is not a valid value."))
    return checked


def model_of_table(table_name):
    """The mapped class of a table name (the target of a foreign key)."""
    for mapper in Model.registry.mappers:
        if mapper.local_table is not None and mapper.local_table.name == table_name:
            return mapper.class_
    return None


def _check_dokumen(session, usulan, dokumen_id):
    if dokumen_id is None:
        return None
    dokumen = session.get(Dokumen, dokumen_id)
    if dokumen is None or dokumen.pegawai_id != usulan.pegawai_id:
        raise InvalidValue("dokumen_id", _l("is not one of your documents."))
    return dokumen.id


def _clear_verdict(item):
    # The PNS changed the item: a verdict about the old content no longer applies.
    item.verdict = item.verdict_reason = item.verdict_note = item.verdict_level = None
    item.verdict_by_id = item.verdict_at = None


def propose(session, usulan: Usulan, section: str, operation: str, values: dict | None,
            target_id: int | None = None, *, item_id: int | None = None,
            dokumen_id: int | None = None) -> UsulanItem | None:
    """Record one proposed change in the draft and return its item (None when the change
    turned out to equal the official record and was dropped).

    - data_utama, "change": the given fields (merged with earlier proposals of the draft).
    - a history/family section, "add": a new row; pass `item_id` to edit an added row.
    - "change" / "remove" of the official row `target_id` of that section.
    The official values are snapshotted so later official changes show as conflicts. The
    section loses its "sudah diperiksa" mark."""
    _check_operation(section, operation)
    usulan_id = usulan.id
    return _run(session, lambda: _propose_in_draft(
        session, usulan_id, section, operation, values, target_id, item_id, dokumen_id))


def _check_operation(section, operation):
    if section not in SECTIONS:
        raise InvalidValue("section", _l("is not a valid value."))
    if operation not in UsulanItem.OPERATIONS or (
            section == DATA_UTAMA and operation != UsulanItem.OP_CHANGE):
        raise InvalidValue("operation", _l("is not a valid value."))


def _propose_in_draft(session, usulan_id, section, operation, values, target_id, item_id, dokumen_id):
    """The body of propose(), inside its unit of work."""
    usulan = _lock_draft(session, usulan_id)
    checked = _check_values(session, section, values or {})
    dokumen_id = _check_dokumen(session, usulan, dokumen_id)
    item = _propose(session, usulan, section, operation, checked, target_id, item_id, dokumen_id)
    _unreview(usulan, section)
    return item


def _propose(session, usulan, section, operation, checked, target_id, item_id, dokumen_id):
    items = [i for i in usulan.items if i.section == section]
    if operation == UsulanItem.OP_ADD:
        if item_id is not None:
            item = next((i for i in items if i.id == item_id and i.operation == UsulanItem.OP_ADD), None)
            if item is None:
                raise NotFound()
        else:
            item = UsulanItem(section=section, operation=operation)
            usulan.items.append(item)
        item.values_json = _dump(checked)
        item.dokumen_id = dokumen_id if dokumen_id is not None else item.dokumen_id
        _clear_verdict(item)
        return item
    if section == DATA_UTAMA:
        target_id = usulan.pegawai_id
    row = _official_row(session, usulan, section, target_id)
    if row is None:
        raise NotFound(_l("This row is not in your official record."))
    official = row_values(section, row)
    item = next((i for i in items if i.target_id == target_id), None)
    if item is None:
        item = UsulanItem(section=section, operation=operation, target_id=target_id)
        usulan.items.append(item)
    _clear_verdict(item)
    if dokumen_id is not None:
        item.dokumen_id = dokumen_id
    if operation == UsulanItem.OP_REMOVE:
        item.operation = operation
        item.values_json = "{}"
        item.official_json = _dump(official)
        return item
    earlier = item.operation == UsulanItem.OP_CHANGE and item.official_json is not None
    merged = proposed_values(item) if earlier else {}
    merged.update(checked)
    # The PNS saw today's official values of the fields he just proposed; for the fields he
    # proposed earlier, what he saw then stays the base (a change since is a conflict).
    snapshot = snapshot_values(item) if earlier else dict(official)
    snapshot.update({name: official[name] for name in checked})
    changed = {name: value for name, value in merged.items() if value != official[name]}
    item.operation = operation
    if not changed and item.dokumen_id is None:
        usulan.items.remove(item)
        return None
    item.values_json = _dump(changed)
    item.official_json = _dump(snapshot)
    return item


def withdraw(session, usulan: Usulan, item_id: int) -> None:
    """Drop one proposed change from the draft; the section loses its "sudah diperiksa" mark."""
    usulan_id = usulan.id

    def drop():
        draft = _lock_draft(session, usulan_id)
        item = next((i for i in draft.items if i.id == item_id), None)
        if item is None:
            raise NotFound(_l("This proposed change no longer exists: it was withdrawn, perhaps "
                              "in another window."))
        draft.items.remove(item)
        _unreview(draft, item.section)

    _run(session, drop)


def mark_reviewed(session, usulan: Usulan, section: str, reviewed: bool = True) -> None:
    """The PNS marks `section` "sudah diperiksa" (or takes the mark back). Marking also takes
    the official values he now sees as the base of that section's proposed changes."""
    if section not in SECTIONS:
        raise InvalidValue("section", _l("is not a valid value."))
    usulan_id = usulan.id

    def mark_section():
        # Commutes: marks of two tabs (or of every section at once) all apply, in any order.
        draft = _lock_draft(session, usulan_id)
        mark = _section_mark(draft, section)
        if mark is None:
            mark = UsulanSection(section=section)
            draft.sections.append(mark)
        mark.reviewed_at = utcnow() if reviewed else None
        if reviewed:
            for item in draft.items:
                if item.section != section or item.operation == UsulanItem.OP_ADD:
                    continue
                row = _official_row(session, draft, section, item.target_id)
                if row is None:
                    continue  # stays a problem until the change is withdrawn
                item.official_json = _dump(row_values(section, row))

    _run(session, mark_section)


# --------------------------------------------------------------------------------------------
# Verification side
# --------------------------------------------------------------------------------------------
def _single_role_user(actor, role_name):
    """`actor` seen in one of his roles only, so services.scope judges that role's scope
    (scope.pegawai_clause ORs over all roles of a user)."""
    return SimpleNamespace(
        is_authenticated=True, roles=[SimpleNamespace(name=role_name)],
        instansi_id=actor.instansi_id, unit_kerja=actor.unit_kerja, kanreg_id=actor.kanreg_id,
        pegawai_id=actor.pegawai_id, is_pns_account=getattr(actor, "is_pns_account", False),
    )


def acting_role(session, actor, usulan: Usulan, roles) -> str | None:
    """The first of `roles` that `actor` holds and whose scope covers the Usulan's Pegawai."""
    if actor is None or not getattr(actor, "is_active", False):
        return None
    held = {r.name for r in actor.roles}
    for role_name in roles:
        if role_name in held and scope.can_see_pegawai(
                session, _single_role_user(actor, role_name), usulan.pegawai_id):
            return role_name
    return None


def allowed_actions(session, actor, usulan: Usulan) -> list[str]:
    """The actions `actor` may take on `usulan` now, the schedule included (the buttons a page shows)."""
    allowed = []
    for (status, action), rule in TRANSITIONS.items():
        if status != usulan.status:
            continue
        role_name = acting_role(session, actor, usulan, rule.roles)
        if role_name and _phase_ok(session, usulan, action, role_name):
            allowed.append(action)
    return allowed


def _could_act_elsewhere(session, actor, usulan, action) -> bool:
    """True when `actor` may take `action` on this Usulan at some other status."""
    roles = {r for (_, a), rule in TRANSITIONS.items() if a == action for r in rule.roles}
    return acting_role(session, actor, usulan, sorted(roles)) is not None


def _lock(session, usulan_id) -> Usulan:
    usulan = session.scalars(
        select(Usulan).where(Usulan.id == usulan_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if usulan is None:
        raise NotFound()
    return usulan


def transition(session, actor, usulan_id: int, action: str, reason: str | None = None,
               expected_version: int | None = None, *, accept_conflicts: bool = False) -> UsulanEvent:
    """Move the Usulan by `action` if TRANSITIONS allows it to `actor`; one transaction.

    The row is locked and, when `expected_version` (the version the actor's page showed) is
    given, compared: of two verifiers acting at once exactly one succeeds, the other gets
    AlreadyHandled. Kirim runs every check (KirimRefused lists the problems). Reaching selesai
    applies every item to the official record in the same transaction; an official record
    changed since the draft raises Conflict unless the verifier, having seen `conflicts()`,
    passes `accept_conflicts`. Any error leaves everything as it was. Losing a race re-runs
    it on the new state, where the second of two clicks finds the status moved on and gets
    AlreadyHandled (AlreadySent for a second Kirim); the message is mailed after the commit."""
    reason = (reason or "").strip() or None
    return _run(session, lambda: _transition(session, actor, usulan_id, action, reason,
                                             expected_version, accept_conflicts))


def _refuse_stale_or_foreign(session, actor, usulan, action, rule, stale):
    """Why `actor` may not take `action` now: raise the refusal that tells him."""
    if action == KIRIM and usulan.status != Usulan.DRAFT and acting_role(
            session, actor, usulan, (ROLE_PNS,)):
        raise AlreadySent(usulan)
    # A stale page, or an action he may take at another status: a second click, or a
    # colleague was quicker.
    if stale or _could_act_elsewhere(session, actor, usulan, action):
        raise AlreadyHandled()
    if rule is None:
        raise NotAllowed(_l("This submission is %(status)s; that action is not possible now.",
                            status=usulan.status_label))
    raise NotAllowed()


def _transition(session, actor, usulan_id, action, reason, expected_version, accept_conflicts):
    """The body of transition(), inside its unit of work."""
    usulan = _lock(session, usulan_id)
    stale = expected_version is not None and usulan.version != expected_version
    rule = TRANSITIONS.get((usulan.status, action))
    role_name = acting_role(session, actor, usulan, rule.roles) if rule else None
    if stale or role_name is None:
        _refuse_stale_or_foreign(session, actor, usulan, action, rule, stale)
    _require_phase(session, usulan, action, role_name)
    if rule.reason_required and not reason:
        raise ReasonRequired()
    from_status = usulan.status
    pegawai = session.get(Pegawai, usulan.pegawai_id)
    if action == KIRIM:
        _kirim(session, usulan, pegawai)
    elif action == VERIFIKASI and any(i.verdict == UsulanItem.TIDAK_SESUAI for i in usulan.items):
        raise NotAllowed(_l("Items are marked as not matching: return the submission instead."))
    _copy_org(usulan, pegawai)
    to_status = rule.target(usulan)
    usulan.status = to_status
    if to_status == Usulan.SELESAI:
        apply(session, usulan, actor, accept_conflicts=accept_conflicts)
        usulan.finished_at = utcnow()
    elif to_status == Usulan.DRAFT:
        # The PNS must look again at every section holding an item found not matching.
        for item in usulan.items:
            if item.verdict == UsulanItem.TIDAK_SESUAI:
                _unreview(usulan, item.section)
    event = UsulanEvent(
        usulan=usulan, actor_id=actor.id, actor_name=actor.username, level=LEVELS[role_name],
        from_status=from_status, to_status=to_status, action=action, reason=reason,
        created_at=utcnow(),
    )
    session.add(event)
    outgoing = None
    if to_status == Usulan.SELESAI:
        outgoing = notification.notify_submission(session, usulan, Pesan.KIND_FINISHED)
    elif to_status == Usulan.DRAFT:
        outgoing = notification.notify_submission(session, usulan, Pesan.KIND_RETURNED, reason)
    session.flush()
    if outgoing is not None:
        transaction.after_commit(session, lambda: notification.deliver(session, outgoing))
    return event


def _kirim(session, usulan, pegawai):
    problems = kirim_problems(session, usulan)
    if problems:
        raise KirimRefused(problems)
    # Every section was reviewed against today's official values: base the proposal on them.
    usulan.base_record_version = pegawai.record_version
    usulan.base_json = _snapshot_utama(pegawai)
    usulan.needs_bkn = touches_bkn(usulan)
    usulan.submitted_at = utcnow()


def set_verdict(session, actor, usulan_id: int, item_id: int, verdict: str | None,
                reason_code: str | None = None, note: str | None = None) -> UsulanItem:
    """The verifier of the current level marks one item "sesuai" / "tidak sesuai" (with a
    reason code from UsulanItem.REASONS and free text) or clears the mark; one unit of work.
    Setting the mark it already has is harmless, so racing clicks are simply run again."""
    note = (note or "").strip() or None
    if verdict not in (None, *UsulanItem.VERDICTS):
        raise InvalidValue("verdict", _l("is not a valid value."))
    if verdict == UsulanItem.TIDAK_SESUAI:
        if reason_code not in UsulanItem.REASONS:
            raise ReasonRequired(_l("Choose a reason from the list."))
        if reason_code == "LAIN" and not note:
            raise ReasonRequired(_l("Describe the reason."))
    else:
        reason_code = None

    def judge():
        usulan = _lock(session, usulan_id)
        rule = TRANSITIONS.get((usulan.status, VERIFIKASI))
        role_name = acting_role(session, actor, usulan, rule.roles) if rule else None
        if role_name is None:
            # Verified or returned meanwhile (another window, a colleague) or never his.
            if _could_act_elsewhere(session, actor, usulan, VERIFIKASI):
                raise AlreadyHandled()
            raise NotAllowed()
        _require_phase(session, usulan, VERIFIKASI)
        item = next((i for i in usulan.items if i.id == item_id), None)
        if item is None:
            raise NotFound()
        item.verdict = verdict
        item.verdict_reason = reason_code
        item.verdict_note = note if verdict is not None else None
        item.verdict_level = LEVELS[role_name] if verdict is not None else None
        item.verdict_by_id = actor.id if verdict is not None else None
        item.verdict_at = utcnow() if verdict is not None else None
        return item

    return _run(session, judge)


# --------------------------------------------------------------------------------------------
# Applying to the official record (inside transition's transaction; never commits)
# --------------------------------------------------------------------------------------------
def change_rows(pegawai_id, section, row_id, old: dict, new: dict, *, actor=None, usulan=None,
                source=None) -> list[dict]:
    """The RecordChange values (dicts, for a bulk insert) of every field whose value differs
    between `old` and `new`. `source` defaults to "usulan" with an usulan, else "staff"."""
    if source is None:
        source = RecordChange.SOURCE_USULAN if usulan is not None else RecordChange.SOURCE_STAFF
    now = utcnow()
    rows = []
    for name in dict.fromkeys([*old, *new]):
        before, after = _normal(old.get(name)), _normal(new.get(name))
        if before == after:
            continue
        rows.append(dict(
            pegawai_id=pegawai_id, section=section, row_id=row_id, field=name,
            old_value=None if before is None else json.dumps(encode(before)),
            new_value=None if after is None else json.dumps(encode(after)),
            usulan_id=getattr(usulan, "id", None), actor_id=getattr(actor, "id", None),
            changed_at=now, source=source,
        ))
    return rows


def record_changes(session, pegawai_id, section, row_id, old: dict, new: dict, *, actor=None,
                   usulan=None, source=None) -> int:
    """Add one RecordChange per field whose value differs between `old` and `new` (see
    change_rows); returns how many."""
    rows = change_rows(pegawai_id, section, row_id, old, new, actor=actor, usulan=usulan, source=source)
    session.add_all([RecordChange(**values) for values in rows])
    return len(rows)


def apply(session, usulan: Usulan, actor, *, accept_conflicts: bool = False) -> int:
    """Write every item to the official record and bump its record_version; returns the
    number of changed fields. Raises Conflict (before writing anything) when the record
    changed since the draft was based on it, unless accepted; a row that is gone always is."""
    pegawai = session.scalars(
        select(Pegawai).where(Pegawai.id == usulan.pegawai_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    found = conflicts(session, usulan)
    if found or pegawai.record_version != usulan.base_record_version:
        if not accept_conflicts or any(c.blocking for c in found):
            raise Conflict(found)
    changed = 0
    for item in list(usulan.items):
        changed += apply_item(session, usulan, item, pegawai, actor)
    if any(item.section == "riwayat_golongan" for item in usulan.items):
        changed += sync_current_golongan(session, pegawai, actor=actor, usulan=usulan)
    if changed:
        pegawai.record_version = (pegawai.record_version or 0) + 1
    session.flush()
    return changed


def sync_current_golongan(session, pegawai: Pegawai, *, actor=None, usulan=None) -> int:
    """Make the data utama's golongan and TMT those of the latest golongan history row (the
    rank a PNS holds is the last one granted), with history; returns the changed fields."""
    model = CHILD_MODELS["riwayat_golongan"]
    session.flush()
    latest = session.scalars(
        select(model).where(model.pegawai_id == pegawai.id)
        .order_by(model.tmt_golongan.desc(), model.id.desc()).limit(1)
    ).first()
    if latest is None:
        return 0
    old = {"golongan_id": pegawai.golongan_id, "tmt_golongan": pegawai.tmt_golongan}
    new = {"golongan_id": latest.golongan_id, "tmt_golongan": latest.tmt_golongan}
    pegawai.golongan_id, pegawai.tmt_golongan = new["golongan_id"], new["tmt_golongan"]
    return record_changes(session, pegawai.id, DATA_UTAMA, pegawai.id, old, new,
                          actor=actor, usulan=usulan)


def apply_item(session, usulan: Usulan, item: UsulanItem, pegawai: Pegawai, actor) -> int:
    """Apply one item to the official record with its RecordChange rows; returns the count."""
    section, values = item.section, proposed_values(item)
    if section == DATA_UTAMA:
        old = {name: getattr(pegawai, name) for name in values}
        for name, value in values.items():
            setattr(pegawai, name, value)
        return record_changes(session, pegawai.id, section, pegawai.id, old, values,
                              actor=actor, usulan=usulan)
    model = CHILD_MODELS[section]
    if item.operation == UsulanItem.OP_ADD:
        row = model(pegawai_id=pegawai.id, dokumen_id=item.dokumen_id, **values)
        session.add(row)
        session.flush()
        new = row_values(section, row)
        if item.dokumen_id is not None:
            new["dokumen_id"] = item.dokumen_id
        return record_changes(session, pegawai.id, section, row.id, {}, new, actor=actor, usulan=usulan)
    row = _official_row(session, usulan, section, item.target_id)
    if row is None:
        raise Conflict([ConflictEntry(section, item.target_id, None, None, None, blocking=True)])
    old = {**row_values(section, row), "dokumen_id": row.dokumen_id}
    row_id = row.id
    if item.operation == UsulanItem.OP_REMOVE:
        session.delete(row)
        session.flush()
        return record_changes(session, pegawai.id, section, row_id, old, {}, actor=actor, usulan=usulan)
    for name, value in values.items():
        setattr(row, name, value)
    if item.dokumen_id is not None:
        row.dokumen_id = item.dokumen_id
    new = {**row_values(section, row), "dokumen_id": row.dokumen_id}
    return record_changes(session, pegawai.id, section, row_id, old, new, actor=actor, usulan=usulan)


# --------------------------------------------------------------------------------------------
# Supporting documents of the items
# --------------------------------------------------------------------------------------------
def propose_with_upload(session, usulan: Usulan, section: str, operation: str, values: dict | None,
                        target_id: int | None = None, *, item_id: int | None = None, upload=None,
                        uploaded_by_id: int | None = None) -> UsulanItem | None:
    """`propose` with the supporting document the PNS uploaded (`upload`, a file of the form;
    none or an empty one keeps the item's current document). The file is checked and stored
    first (documents.UploadRejected, nothing written) and its Dokumen row commits with the
    proposal (each run of the unit of work adds it again); a refused proposal removes the
    stored file again."""
    if upload is None or not upload.filename:
        return propose(session, usulan, section, operation, values, target_id, item_id=item_id)
    _check_operation(section, operation)
    usulan_id, pegawai_id = usulan.id, usulan.pegawai_id
    stored = documents.save_file(upload)

    def propose_with_document():
        dokumen = documents.record_stored(session, pegawai_id, stored, uploaded_by_id=uploaded_by_id)
        session.flush()  # its id, for the item
        return _propose_in_draft(session, usulan_id, section, operation, values, target_id,
                                 item_id, dokumen.id)

    try:
        return _run(session, propose_with_document)
    except Exception:
        documents.discard(stored.stored_name)
        raise


@dataclass(frozen=True)
class ItemDocuments:
    """The documents of one item: `proposed`, sent with the proposal, and `official`, on the
    official row the item changes or removes (what the verifier compares it with)."""

    proposed: Dokumen | None
    official: Dokumen | None


def item_documents(session, usulan: Usulan) -> dict[int, ItemDocuments]:
    """The documents of every item of `usulan`, by item id."""
    result = {}
    for item in usulan.items:
        official = None
        if item.section != DATA_UTAMA and item.operation != UsulanItem.OP_ADD:
            row = _official_row(session, usulan, item.section, item.target_id)
            official = row.dokumen if row is not None else None
        result[item.id] = ItemDocuments(item.dokumen, official)
    return result
