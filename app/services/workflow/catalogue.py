"""The catalogue of the workflow: sections, the fields a PNS may propose, their labels, and
the actions of the transition table by name. Plain data and lookups; no database reads, no
request, so every other room of the package (and services.notification) can import it."""

from flask_babel import lazy_gettext as _l

from ...models import PEGAWAI_CHILD_MODELS, Model, Pegawai, codes
from .. import rules
from ..labels import LABELS

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
# master data of the Verifikator Instansi (or a "beda instansi" helpdesk ticket). Nor is his
# own identity (OWN_IDENTITY_FIELDS).
DATA_UTAMA_FIELDS = (
    "nip_lama",
    "gelar_depan",
    "nama",
    "gelar_belakang",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_kelamin",
    "agama_id",
    "status_perkawinan_id",
    "alamat",
    "kode_pos",
    "no_hp",
    "email",
    "npwp",
    "no_bpjs",
    "no_taspen",
    "no_karpeg",
    "tmt_cpns",
    "sk_cpns_nomor",
    "sk_cpns_tanggal",
    "tmt_pns",
    "sk_pns_nomor",
    "sk_pns_tanggal",
    "golongan_id",
    "tmt_golongan",
    "jenis_jabatan_id",
    "jabatan",
    "tmt_jabatan",
    "pendidikan_terakhir_id",
)
# His NIP, NIK and status a PNS sees on Data Saya but never proposes: they change through a
# Helpdesk ticket with a supporting document. They stay part of the record the rules check.
OWN_IDENTITY_FIELDS = ("nip", "nik", "status")
# The main data's golongan follows the golongan history (apply syncs it from the latest row).
GOLONGAN_FIELDS = ("golongan_id", "tmt_golongan")
# A change to any of these (or to the golongan history) needs BKN's verification too.
BKN_FIELDS = frozenset({"nip", "nama", "tanggal_lahir", "golongan_id", "tmt_golongan", "tmt_cpns", "tmt_pns", "status"})
BKN_SECTIONS = frozenset({"riwayat_golongan"})
# Columns of a history/family row that are not proposed values (the document goes on the item).
_ROW_KEYS = rules.record.ROW_KEYS


def section_enum(section: str, name: str) -> str | None:
    """The enum (models.codes) of a coded field of a section, None for any other field."""
    return codes.enum_of_field(section, name)


# The coded fields of every section: (section, field) -> {code: label}, as the draft forms
# offer them and as drafts.propose accepts them (any other value is refused).
FIELD_CHOICES = {
    (section, name): codes.ENUMS[enum]
    for section in SECTIONS
    for name in (DATA_UTAMA_FIELDS if section == DATA_UTAMA else CHILD_MODELS[section].__table__.columns.keys())
    if (enum := section_enum(section, name)) is not None
}
# Data-utama fields whose absence rules.check_pegawai already reports.
_RULE_CHECKED = frozenset({"nip", "nama", "tanggal_lahir", "jenis_kelamin", "tmt_cpns"})


def section_fields(section: str) -> tuple[str, ...]:
    """The fields of `section` a PNS may propose."""
    if section == DATA_UTAMA:
        return DATA_UTAMA_FIELDS
    return tuple(c.key for c in _model(section).__table__.columns if c.key not in _ROW_KEYS)


def record_fields(section: str) -> tuple[str, ...]:
    """The fields of `section` as the record holds and compares them: the proposable ones,
    and for data utama the PNS's own identity too (shown, checked, never proposed)."""
    if section == DATA_UTAMA:
        return OWN_IDENTITY_FIELDS + DATA_UTAMA_FIELDS
    return section_fields(section)


def _model(section):
    return Pegawai if section == DATA_UTAMA else CHILD_MODELS[section]


def section_column(section, name):
    """The table column behind one field of a section."""
    return _model(section).__table__.columns[name]


def model_of_table(table_name):
    """The mapped class of a table name (the target of a foreign key)."""
    for mapper in Model.registry.mappers:
        if mapper.local_table is not None and mapper.local_table.name == table_name:
            return mapper.class_
    return None


def field_label(name):
    """The Indonesian label of a field, as the screens and the PDF print it."""
    key = name[:-3] if name.endswith("_id") else name
    return LABELS.get(key) or rules.FIELD_LABELS.get(key) or name


# The actions of TRANSITIONS (services.workflow.transitions), by name and label.
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
