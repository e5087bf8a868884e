"""Staff CRUD of Pegawai records, their history and family rows, and their documents."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import action, expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import FileField
from sqlalchemy.exc import SQLAlchemyError
from wtforms.validators import ValidationError

from ..extensions import db
from ..forms.codes import model_code_fields
from ..models import PEGAWAI_CHILD_MODELS, Dokumen, Pegawai, codes
from ..services import documents, record_history, rules, workflow
from ..services.employee import EmployeeChangeRefused, delete_pegawai
from ..services.labels import LABELS
from . import privacy
from .base import OutOfScope, ScopedModelView

_SKIP = {"id", "pegawai_id", "dokumen_id", "created_at", "updated_at"}


def _form_columns(model):
    """Model columns with each `<x>_id` foreign key shown as its relationship `<x>`."""
    names = []
    for col in model.__table__.columns:
        if col.key in _SKIP:
            continue
        names.append(col.key[:-3] if col.key.endswith("_id") else col.key)
    return names


class DokumenView(ScopedModelView):
    """Read-only list of documents; files are served only to users who may see the row."""

    datamodel = SQLAInterface(Dokumen)
    base_permissions = ["can_list", "can_show", "can_download"]
    list_columns = ["pegawai", "original_name", "content_type", "size_bytes", "created_at"]
    show_columns = list_columns

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk):
        dokumen = self.datamodel.get(pk, self._base_filters)
        if dokumen is None:
            abort(404)
        return documents.send_dokumen(dokumen)


class KeepsRecordHistory:
    """Staff changes written to the record's history (services.record_history) in the
    transaction FAB commits, with the Pegawai's record_version bumped. Listed before
    ScopedModelView in the bases; the write hooks run after every scope and rule check."""

    def _edit(self, pk):
        if request.method == "POST":
            # The stored values, before FAB copies the form onto the row.
            item = self.datamodel.get(pk, self._base_filters)
            if item is not None:
                record_history.remember(item)
        return super()._edit(pk)

    def write_history(self, write, item):
        """`write(session, actor, item)` from services.record_history; a database refusal
        is shown like FAB's own and saves nothing."""
        try:
            write(db.session, g.user, item)
        except SQLAlchemyError:
            self.refuse(self.database_error_message)


def _finding_text(finding, section) -> str:
    """ "Field: message"; a finding in another section than the one written (the main data's
    golongan when a history row is deleted) also names its section."""
    if finding.section in (None, section):
        return str(finding)
    return str(workflow.Problem(finding.section, finding.field, finding.message))


class ChecksRecordRules:
    """Every staff write of a record, in every view of it (the main data, each history and
    family section, a row's deletion), is checked by the rule catalogue against the record as
    it would stand (services.rules.write_findings) before FAB commits: errors refuse the
    write with their messages, warnings are flashed once it is saved. Listed before
    ScopedModelView, so the scope is checked first."""

    def check_record_rules(self, item, remove=False):
        pegawai = self.pegawai_of(item)
        section = rules.DATA_UTAMA if item is pegawai else item.__tablename__
        if pegawai is None or (remove and section == rules.DATA_UTAMA):
            return  # a whole record deleted leaves no record to check
        findings = rules.write_findings(
            db.session, pegawai, section, rules.item_values(item), row_id=item.id, remove=remove
        )
        errors = rules.blocking(findings)
        if errors:
            self.refuse(" ".join(dict.fromkeys(_finding_text(e, section) for e in errors)))
        g.record_rule_warnings = [_finding_text(w, section) for w in rules.warnings(findings)]

    def flash_rule_warnings(self):
        for message in dict.fromkeys(g.pop("record_rule_warnings", [])):
            flash(_l("Saved, but please check: %(warning)s", warning=message), "warning")

    def pre_add(self, item):
        super().pre_add(item)
        self.check_record_rules(item)

    def pre_update(self, item):
        super().pre_update(item)
        self.check_record_rules(item)

    def pre_delete(self, item):
        super().pre_delete(item)
        self.check_record_rules(item, remove=True)

    def post_add(self, item):
        super().post_add(item)
        self.flash_rule_warnings()

    def post_update(self, item):
        super().post_update(item)
        self.flash_rule_warnings()

    def post_delete(self, item):
        super().post_delete(item)
        self.flash_rule_warnings()


class PegawaiChildView(KeepsRecordHistory, ChecksRecordRules, ScopedModelView):
    """History/family rows; a scanned document can be attached to each row."""

    add_form_extra_fields = {"berkas": FileField(_l("Document file (PDF/JPG/PNG, max 2 MB)"))}
    edit_form_extra_fields = add_form_extra_fields

    def _attach_upload(self, item):
        upload = request.files.get("berkas")
        if upload is None or not upload.filename:
            return
        try:
            item.dokumen = documents.store_upload(db.session, item.pegawai.id, upload, uploaded_by_id=g.user.id)
        except documents.UploadRejected as exc:
            raise OutOfScope(str(exc)) from exc

    def pre_add(self, item):
        super().pre_add(item)
        self._attach_upload(item)
        self.write_history(record_history.staff_added, item)

    def pre_update(self, item):
        super().pre_update(item)
        self._attach_upload(item)
        self.write_history(record_history.staff_updated, item)

    def pre_delete(self, item):
        super().pre_delete(item)
        self.write_history(record_history.staff_deleted, item)


SECTION_TITLES = {
    "RiwayatGolongan": _l("Golongan history"),
    "RiwayatJabatan": _l("Position history"),
    "RiwayatPendidikan": _l("Education history"),
    "RiwayatDiklat": _l("Training history"),
    "Penghargaan": _l("Awards"),
    "RiwayatSkp": _l("Performance appraisals (SKP/DP3)"),
    "HukumanDisiplin": _l("Disciplinary penalties"),
    "Organisasi": _l("Organisations"),
    "Kompetensi": _l("Self-assessment and competences"),
    "Pasangan": _l("Spouse"),
    "Anak": _l("Children"),
    "OrangTua": _l("Parents"),
    "Perumahan": _l("Housing"),
}


def code_formatters(model) -> dict:
    """Show every coded column (models.codes) by its label in lists and detail pages."""
    formatters = {}
    for column in model.__table__.columns:
        enum = codes.enum_of(model.__tablename__, column.key)
        if enum is not None:
            formatters[column.key] = lambda value, enum=enum: "" if value is None else codes.label(enum, value)
    return formatters


def code_form_fields(model, widget=None) -> dict:
    """Select boxes of the coded columns of `model`, labelled as the screens label them."""
    return model_code_fields(model, lambda name: LABELS.get(name, name), widget=widget)


def _child_view(model):
    columns = _form_columns(model)
    title = SECTION_TITLES[model.__name__]
    form_fields = {**PegawaiChildView.add_form_extra_fields, **code_form_fields(model)}
    return type(
        f"{model.__name__}View",
        (PegawaiChildView,),
        {
            "datamodel": SQLAInterface(model),
            "list_columns": [c for c in columns[:5] if c != "pegawai"] + ["dokumen"],
            "show_columns": ["pegawai"] + columns + ["dokumen"],
            "add_columns": ["pegawai"] + columns + ["berkas"],
            "edit_columns": ["pegawai"] + columns + ["berkas"],
            "search_columns": [c for c in columns if c != "pegawai"][:4],
            "add_form_extra_fields": form_fields,
            "edit_form_extra_fields": form_fields,
            "formatters_columns": code_formatters(model),
            "list_title": title,
            "show_title": title,
            "add_title": _l("Add: %(section)s", section=title),
            "edit_title": _l("Edit: %(section)s", section=title),
        },
    )


CHILD_VIEWS = [_child_view(m) for m in PEGAWAI_CHILD_MODELS]

_PEGAWAI_FIELDSETS = [
    (
        _l("Identity"),
        {
            "fields": [
                "nip",
                "nip_lama",
                "nik",
                "gelar_depan",
                "nama",
                "gelar_belakang",
                "tempat_lahir",
                "tanggal_lahir",
                "jenis_kelamin",
                "agama",
                "status_perkawinan",
            ]
        },
    ),
    (
        _l("Contact"),
        {"fields": ["alamat", "kode_pos", "no_hp", "email", "npwp", "no_bpjs", "no_taspen", "no_karpeg"]},
    ),
    (
        _l("Position"),
        {
            "fields": [
                "instansi",
                "unit_kerja",
                "status",
                "tmt_cpns",
                "sk_cpns_nomor",
                "sk_cpns_tanggal",
                "tmt_pns",
                "sk_pns_nomor",
                "sk_pns_tanggal",
                "golongan",
                "tmt_golongan",
                "jenis_jabatan",
                "jabatan",
                "tmt_jabatan",
                "pendidikan_terakhir",
            ]
        },
    ),
]


_RULE_FIELDS = (
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


def pegawai_rule_errors(values: dict) -> list:
    """Data-utama rules (`rules.check_pegawai`) plus: the work unit is one of the instansi."""
    errors = rules.check_pegawai({f: values.get(f) for f in _RULE_FIELDS})
    instansi, unit = values.get("instansi"), values.get("unit_kerja")
    if instansi is not None and unit is not None and unit.instansi_id != instansi.id:
        errors.append(rules.RuleError("unit_kerja", _l("does not belong to the chosen instansi.")))
    return errors


class PegawaiRule:
    """Form validator: the rule errors of one field, shown under that field, so a mistake
    does not throw away the rest of the form. An empty field is left to its own
    required/optional validator."""

    def __init__(self, field_name):
        self.field_name = field_name

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        values = {name: form[name].data for name in (*_RULE_FIELDS, "instansi", "unit_kerja") if name in form}
        messages = [str(e.message) for e in pegawai_rule_errors(values) if e.field == self.field_name]
        if messages:
            raise ValidationError(" ".join(messages))


_PEGAWAI_CHOICE_FIELDS = code_form_fields(Pegawai, widget=Select2Widget())


class PegawaiView(KeepsRecordHistory, ChecksRecordRules, ScopedModelView):
    datamodel = SQLAInterface(Pegawai)
    list_title = _l("Employee records")
    show_title = _l("Employee record")
    add_title = _l("Add employee record")
    edit_title = _l("Edit employee record")
    list_columns = ["nip", "nama", "golongan", "instansi", "unit_kerja", "status"]
    order_columns = ["nip", "nama", "status"]
    search_columns = ["nip", "nama", "nik", "instansi", "unit_kerja", "status", "golongan"]
    base_order = ("nama", "asc")
    show_fieldsets = _PEGAWAI_FIELDSETS + [
        (_l("Record"), {"fields": ["record_version", "created_at", "updated_at"], "expanded": False})
    ]
    add_fieldsets = _PEGAWAI_FIELDSETS
    edit_fieldsets = _PEGAWAI_FIELDSETS
    add_columns = [f for _, fs in _PEGAWAI_FIELDSETS for f in fs["fields"]]
    edit_columns = add_columns
    add_form_extra_fields = _PEGAWAI_CHOICE_FIELDS
    edit_form_extra_fields = _PEGAWAI_CHOICE_FIELDS
    formatters_columns = code_formatters(Pegawai)
    validators_columns = {
        f: [PegawaiRule(f)]
        for f in ("nip", "nip_lama", "nik", "nama", "tanggal_lahir", "tmt_cpns", "tmt_pns", "unit_kerja")
    }
    related_views = CHILD_VIEWS
    show_template = "employee/show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The record with its history/family rows and its change history ("Riwayat
        Perubahan", newest first, paged by `riwayat_page`); 404 outside the user's scope."""
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)  # aborts 404 unless the record is in scope
        history = record_history.history(
            db.session, int(pk), page=request.args.get("riwayat_page", 1, type=int), redact=privacy.redactor(g.user)
        )
        can_open_usulan = self.appbuilder.sm.has_access("can_show", "VerificationInboxView")
        pegawai = self.datamodel.get(pk, self._base_filters)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            history=history,
            pensiun=rules.pensiun_of(rules.record_of(db.session, pegawai), rules.load_references(db.session)),
            history_page_url=lambda n: url_for(".show", pk=pk, riwayat_page=n) + "#riwayat_perubahan",
            usulan_url=(lambda usulan_id: url_for("VerificationInboxView.show", pk=usulan_id))
            if can_open_usulan
            else None,
        )

    def _check_rules(self, item):
        # The form validators report these per field; this is the last line for any other path.
        values = {f: getattr(item, f) for f in (*_RULE_FIELDS, "instansi", "unit_kerja")}
        errors = pegawai_rule_errors(values)
        if errors:
            self.refuse(" ".join(str(e) for e in errors))

    def pre_add(self, item):
        super().pre_add(item)
        self._check_rules(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._check_rules(item)
        self.write_history(record_history.staff_updated, item)

    @action("muldelete", _l("Delete"), _l("Delete all selected records?"), "fa-trash", single=False)
    def muldelete(self, items):
        if not isinstance(items, list):
            items = [items]
        try:
            deleted = delete_pegawai(db.session, g.user, items)
        except EmployeeChangeRefused as exc:
            flash(str(exc), "danger")
        else:
            flash(_l("%(count)d records deleted.", count=deleted), "info")
        return redirect(self.get_redirect())
