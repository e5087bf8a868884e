"""The PNS's own data (DESIGN.md §3): his official record next to his draft, section by
section; proposing, withdrawing, "sudah diperiksa" and Kirim. Every change goes through
services.workflow; this view only reads the request and shows the result."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict

from ..extensions import db
from ..forms.mydata import UPLOAD_FIELD, ActionForm, KirimForm, form_values, section_form, show_refusal
from ..models import Dokumen, Pegawai
from ..models.submission import Usulan, UsulanItem
from ..services import documents, record_history, rules, summary, workflow

# The events that send a submission back to the PNS, with the verifier's reason.
RETURN_ACTIONS = (workflow.KEMBALIKAN, workflow.TURUN_STATUS)
OPERATION_LABELS = {
    UsulanItem.OP_ADD: _l("Added"),
    UsulanItem.OP_CHANGE: _l("Changed"),
    UsulanItem.OP_REMOVE: _l("Removed"),
}


def _own_pegawai() -> Pegawai:
    """The logged-in user's own record; 403 for an account without one (staff, Admin)."""
    pegawai_id = getattr(current_user, "pegawai_id", None)
    pegawai = db.session.get(Pegawai, pegawai_id) if pegawai_id else None
    if pegawai is None:
        abort(403)
    return pegawai


def _section_or_404(section):
    if section not in workflow.SECTIONS:
        abort(404)
    return section


def _int_arg(name):
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() else None


def _last_return(usulan):
    """The last event that sent the submission back to draft (its reason is for the PNS)."""
    if usulan.status != usulan.DRAFT:
        return None
    returns = [e for e in usulan.events if e.action in RETURN_ACTIONS]
    return returns[-1] if returns else None


class MyDataView(BaseView):
    """ "Data Saya": only the PNS's own record (current_user.pegawai_id), never by id."""

    route_base = "/data-saya"
    default_view = "index"
    method_permission_name = {
        name: "access"
        for name in (
            "index",
            "section",
            "propose",
            "remove",
            "withdraw",
            "reviewed",
            "kirim",
            "document",
            "print_summary",
            "history",
        )
    }

    def _draft(self):
        pegawai = _own_pegawai()
        return pegawai, workflow.open_draft(db.session, pegawai)

    def _back(self, section):
        return redirect(url_for("MyDataView.section", section=section))

    def _check_csrf(self):
        if not ActionForm().validate_on_submit():
            abort(400)

    @expose("/")
    @has_access
    def index(self):
        pegawai, usulan = self._draft()
        changed = {i.section for i in usulan.items}
        reviewed = workflow.reviewed_sections(db.session, usulan)
        diffs = workflow.diff(db.session, usulan)
        rejected = [d for d in diffs if d.verdict == UsulanItem.TIDAK_SESUAI]
        problems = request.args.get("problems") == "1" and workflow.kirim_problems(db.session, usulan)
        kirim_form = KirimForm(formdata=None, data={"version": usulan.version})
        return self.render_template(
            "mydata/index.html",
            pegawai=pegawai,
            usulan=usulan,
            sections=workflow.SECTIONS,
            labels=workflow.SECTION_LABELS,
            changed=changed,
            reviewed=reviewed,
            returned=_last_return(usulan),
            rejected=rejected,
            problems=problems or [],
            kirim_form=kirim_form,
            can_kirim=workflow.KIRIM in workflow.allowed_actions(db.session, current_user, usulan),
            can_print=summary.printable(usulan),
            field_label=workflow.field_label,
            reasons=UsulanItem.REASONS,
            phase_closed=usulan.status == usulan.DRAFT
            and not workflow.phase_allows(db.session, usulan, workflow.KIRIM),
        )

    def _form(self, section, usulan, values=None, formdata=None):
        fields = workflow.proposable_fields(db.session, usulan, section)
        return section_form(db.session, section, values, formdata=formdata, fields=fields)

    def _render_section(self, section, pegawai, usulan, form=None, edit_target=None, edit_item=None, status=200):
        state = workflow.proposed_state(db.session, usulan, section)
        items = {d.item_id: d for d in workflow.diff(db.session, usulan) if d.section == section}
        if section == workflow.DATA_UTAMA:
            official = workflow.row_values(section, pegawai)
            if form is None:
                form = self._form(section, usulan, state)
            rows = []
        else:
            official = {
                row.id: workflow.row_values(section, row) for row in workflow.official_rows(db.session, usulan, section)
            }
            rows = state
            if form is None:
                current = next(
                    (
                        r
                        for r in state
                        if (edit_target and r["id"] == edit_target)
                        or (edit_item and r["id"] is None and r["item_id"] == edit_item)
                    ),
                    None,
                )
                form = self._form(section, usulan, current or {})
                if current is None:
                    edit_target = edit_item = None
        removed = [d for d in items.values() if d.operation == UsulanItem.OP_REMOVE]
        item_docs = workflow.item_documents(db.session, usulan)
        # The documents on the official rows without a proposed change (to look at).
        official_docs = (
            {}
            if section == workflow.DATA_UTAMA
            else {
                row.id: row.dokumen
                for row in workflow.official_rows(db.session, usulan, section)
                if row.dokumen is not None
            }
        )
        body = self.render_template(
            "mydata/section.html",
            section=section,
            label=workflow.SECTION_LABELS[section],
            pegawai=pegawai,
            usulan=usulan,
            form=form,
            fields=workflow.record_fields(section),
            form_fields=workflow.proposable_fields(db.session, usulan, section),
            locked=workflow.locked_fields(db.session, usulan, section),
            identity_fields=workflow.OWN_IDENTITY_FIELDS,
            proposed_utama=state if section == workflow.DATA_UTAMA else None,
            official=official,
            rows=rows,
            items=items,
            removed=removed,
            edit_target=edit_target,
            edit_item=edit_item,
            action_form=ActionForm(),
            editable=usulan.status == usulan.DRAFT and workflow.phase_allows(db.session, usulan, workflow.KIRIM),
            reviewed=section in workflow.reviewed_sections(db.session, usulan),
            operation_labels=OPERATION_LABELS,
            field_label=workflow.field_label,
            display_value=workflow.display_value,
            item_docs=item_docs,
            official_docs=official_docs,
            edit_document=self._edit_document(section, items, item_docs, edit_target, edit_item),
            # TMT pensiun of the record as the draft would make it (the official one without changes).
            pensiun=rules.pensiun_of(workflow.proposed_record(db.session, usulan), rules.load_references(db.session))
            if section == workflow.DATA_UTAMA
            else None,
        )
        return body, status

    @staticmethod
    def _edit_document(section, items, item_docs, edit_target, edit_item):
        """The document the item being edited already carries (kept unless a new file is chosen)."""
        if section == workflow.DATA_UTAMA:
            item_id = next(iter(items), None)
        elif edit_item:
            item_id = edit_item
        else:
            item_id = next((d.item_id for d in items.values() if edit_target and d.target_id == edit_target), None)
        docs = item_docs.get(item_id)
        return docs.proposed if docs else None

    @expose("/<section>")
    @has_access
    def section(self, section):
        section = _section_or_404(section)
        pegawai, usulan = self._draft()
        return self._render_section(
            section, pegawai, usulan, edit_target=_int_arg("edit"), edit_item=_int_arg("edit_item")
        )

    @expose("/<section>/usul", methods=["POST"])
    @has_access
    def propose(self, section):
        """Data utama: change; a history/family section: add a row, change an official row
        (`target_id`) or edit a row added earlier (`item_id`)."""
        section = _section_or_404(section)
        pegawai, usulan = self._draft()
        form = self._form(section, usulan, formdata=CombinedMultiDict((request.files, request.form)))
        target_id, item_id = _int_arg("target_id"), _int_arg("item_id")
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            flash(str(_l("Check the values you entered.")), "danger")
            return self._render_section(section, pegawai, usulan, form, target_id, item_id, 400)
        if section == workflow.DATA_UTAMA:
            operation = UsulanItem.OP_CHANGE
        else:
            operation = UsulanItem.OP_CHANGE if target_id else UsulanItem.OP_ADD
        notes = []
        try:
            workflow.propose_with_upload(
                db.session,
                usulan,
                section,
                operation,
                form_values(form, section, request.form),
                target_id=target_id,
                item_id=item_id,
                upload=form[UPLOAD_FIELD].data,
                uploaded_by_id=current_user.id,
                notes=notes,
            )
        except documents.UploadRejected as exc:
            form[UPLOAD_FIELD].errors = list(form[UPLOAD_FIELD].errors) + [str(exc)]
            flash(str(exc), "danger")
            return self._render_section(section, pegawai, usulan, form, target_id, item_id, 400)
        except workflow.ConcurrentChange as exc:
            # The draft kept changing in another window: show the form again as he filled it.
            flash(str(exc), "warning")
            return self._render_section(section, pegawai, usulan, form, target_id, item_id, 409)
        except workflow.InvalidValue as exc:
            # A rule's refusal names every failed field; each message goes next to its field.
            show_refusal(form, getattr(exc, "findings", None) or [exc])
            flash(str(_l("Check the values you entered.")), "danger")
            return self._render_section(section, pegawai, usulan, form, target_id, item_id, 400)
        except workflow.WorkflowError as exc:
            flash(str(exc), "danger")
            return self._back(section)
        flash(str(_l("Your proposal is saved in the draft.")), "success")
        if notes:
            flash(
                str(_l("Please note (the verifier will check it): %(notes)s", notes="; ".join(map(str, notes)))), "info"
            )
        return self._back(section)

    def _simple(self, section, call, done):
        section = _section_or_404(section)
        self._check_csrf()
        _, usulan = self._draft()
        try:
            call(usulan)
        except workflow.WorkflowError as exc:
            flash(str(exc), "danger")
        else:
            flash(str(done), "success")
        return self._back(section)

    @expose("/<section>/hapus/<int:target_id>", methods=["POST"])
    @has_access
    def remove(self, section, target_id):
        """Propose removing one official row."""
        return self._simple(
            section,
            lambda u: workflow.propose(db.session, u, section, UsulanItem.OP_REMOVE, {}, target_id=target_id),
            _l("The removal is proposed in the draft."),
        )

    @expose("/<section>/batal/<int:item_id>", methods=["POST"])
    @has_access
    def withdraw(self, section, item_id):
        """Withdraw one proposed change of the draft."""
        return self._simple(
            section, lambda u: workflow.withdraw(db.session, u, item_id), _l("The proposed change is withdrawn.")
        )

    @expose("/<section>/diperiksa", methods=["POST"])
    @has_access
    def reviewed(self, section):
        """Mark the section "sudah diperiksa" (or take the mark back with reviewed=0)."""
        mark = request.form.get("reviewed", "1") != "0"
        return self._simple(
            section,
            lambda u: workflow.mark_reviewed(db.session, u, section, mark),
            _l("Section marked as reviewed.") if mark else _l("Review mark removed."),
        )

    @expose("/kirim", methods=["POST"])
    @has_access
    def kirim(self):
        """Send the draft for verification; every problem is listed when it is refused."""
        form = KirimForm()
        if not form.validate_on_submit():
            abort(400)
        _, usulan = self._draft()
        version = form.version.data
        try:
            workflow.transition(
                db.session,
                current_user,
                usulan.id,
                workflow.KIRIM,
                expected_version=int(version) if str(version).isdigit() else None,
            )
        except workflow.KirimRefused as exc:
            flash(str(exc), "danger")
            return redirect(url_for("MyDataView.index", problems=1))
        except workflow.WorkflowError as exc:
            flash(str(exc), "danger")
        else:
            flash(str(_l("Your submission has been sent for verification.")), "success")
        return redirect(url_for("MyDataView.index"))

    @expose("/dokumen/<int:dokumen_id>")
    @has_access
    def document(self, dokumen_id):
        """One of the PNS's own documents (a proposed row's or an official row's), as a
        download; 404 for anyone else's."""
        pegawai = _own_pegawai()
        dokumen = db.session.get(Dokumen, dokumen_id)
        if dokumen is None or dokumen.pegawai_id != pegawai.id:
            abort(404)
        return documents.send_dokumen(dokumen)

    @expose("/ringkasan/<int:usulan_id>")
    @has_access
    def print_summary(self, usulan_id):
        """ "Cetak Ringkasan Usulan": the PDF summary of one of his sent submissions; 404 for
        a draft (it may still change) and for anyone else's."""
        pegawai = _own_pegawai()
        usulan = db.session.scalar(select(Usulan).where(Usulan.id == usulan_id, Usulan.pegawai_id == pegawai.id))
        if usulan is None or not summary.printable(usulan):
            abort(404)
        return summary.response(db.session, usulan)

    @expose("/riwayat-perubahan")
    @has_access
    def history(self):
        """ "Riwayat Perubahan": the changes to his own official record, newest first, by page."""
        pegawai = _own_pegawai()
        history = record_history.history(db.session, pegawai.id, page=_int_arg("page") or 1)
        return self.render_template(
            "mydata/history.html",
            pegawai=pegawai,
            history=history,
            history_page_url=lambda n: url_for("MyDataView.history", page=n),
        )
