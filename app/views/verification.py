"""The verification inbox ("Kotak Masuk Verifikasi") and the verification page.

The inbox lists what waits at the user's level (services.scope.inbox_clause): a Verifikator
SKPD the submissions at SKPD level of his unit subtree, a Verifikator Instansi those at
Instansi level of his instansi, a Verifikator BKN those at BKN level of his Kanreg (or all, at
BKN Pusat); Helpdesk and Admin every submission in verification of their scope, to send one
back to draft. The list filters on the Usulan's copies of instansi / unit (one index range).
The page, its PDF summary, its documents and every action open a submission only through
services.scope.visible_usulan (at or past the user's level, never a draft, the Pegawai in
his scope). NIKs show masked to roles that do not keep master data (views.privacy).
Views never change a status: workflow does.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms.verification import ActionForm, VerdictForm
from ..models import Dokumen, Pegawai, UnitKerja
from ..models.submission import Usulan, UsulanItem
from ..services import documents, record_history, scope, summary, workflow
from ..services import paging
from . import privacy

PAGE_SIZE = 25
# sort → (key columns ending with a unique one, descending?, the key of an Usulan), read from
# the Usulan's own indexes (by name: its copy of the Pegawai's name, services.copies).
# Keyset pages continue from these keys (services.paging).
_BY_SUBMITTED = (Usulan.submitted_at, Usulan.id)
_BY_NAMA = (Usulan.pegawai_nama, Usulan.id)
SORTS = {
    "submitted": (_BY_SUBMITTED, False, lambda u: (u.submitted_at, u.id)),
    "-submitted": (_BY_SUBMITTED, True, lambda u: (u.submitted_at, u.id)),
    "nama": (_BY_NAMA, False, lambda u: (u.pegawai_nama, u.id)),
    "-nama": (_BY_NAMA, True, lambda u: (u.pegawai_nama, u.id)),
}
SORT_LABELS = {
    "submitted": _l("Oldest submission first"),
    "-submitted": _l("Newest submission first"),
    "nama": _l("Name A-Z"),
    "-nama": _l("Name Z-A"),
}
ACTION_BUTTONS = {
    workflow.VERIFIKASI: (_l("Verify"), "btn-success", "fa-check"),
    workflow.KEMBALIKAN: (_l("Return"), "btn-warning", "fa-undo"),
    workflow.TURUN_STATUS: (_l("Lower the status"), "btn-danger", "fa-level-down"),
}


def _page_size() -> int:
    wanted = request.args.get("per_page", PAGE_SIZE, type=int)
    return max(1, min(wanted, current_app.config["MAX_PAGE_SIZE"]))


def _date_arg(name):
    try:
        return dt.date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None


class VerificationInboxView(BaseView):
    """The inbox of one verifier and the page where he verifies or returns one submission."""

    route_base = "/verifikasi"
    default_view = "list"
    list_template = "verification/list.html"
    show_template = "verification/show.html"
    method_permission_name = {
        "list": "list",
        "show": "show",
        "act": "act",
        "verdict": "act",
        "document": "show",
        "print_summary": "show",
    }

    @expose("/")
    @has_access
    def list(self):
        """Submissions waiting for the user, filtered and sorted, one page: a capped count, the
        page of Usulan rows from their own indexes (keyset or bounded offset, services.paging),
        then the Pegawai and unit names of those rows only."""
        args = {k: (request.args.get(k) or "").strip()[:64] for k in ("nip", "nama", "unit", "section")}
        date_from, date_to = _date_arg("from"), _date_arg("to")
        sort = request.args.get("sort") if request.args.get("sort") in SORTS else "submitted"
        size = _page_size()
        page = max(1, request.args.get("page", 1, type=int))

        stmt = select(Usulan).where(scope.inbox_clause(g.user))
        if args["nip"]:
            stmt = stmt.join(Pegawai, Usulan.pegawai_id == Pegawai.id).where(
                paging.nip_prefix(Pegawai.nip, args["nip"])
            )
        if args["nama"]:
            # On the submission's copy of the name: a trigram index over the submissions only.
            stmt = stmt.where(paging.contains(Usulan.pegawai_nama, args["nama"]))
        if args["unit"]:
            stmt = stmt.join(UnitKerja, Usulan.unit_kerja_id == UnitKerja.id).where(
                paging.contains(UnitKerja.nama, args["unit"])
            )
        if date_from:
            stmt = stmt.where(Usulan.submitted_at >= dt.datetime.combine(date_from, dt.time()))
        if date_to:
            stmt = stmt.where(Usulan.submitted_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
        if args["section"] in workflow.SECTIONS:
            stmt = stmt.where(exists().where(UsulanItem.usulan_id == Usulan.id, UsulanItem.section == args["section"]))
        else:
            args["section"] = ""
        keys, descending, key_of = SORTS[sort]
        # The page is chosen on the Usulan alone; joining every Pegawai of the inbox before the
        # LIMIT would read thousands of them to show 25.
        paged = paging.paginate(
            db.session,
            stmt,
            keys=keys,
            descending=descending,
            key_of=key_of,
            size=size,
            number=page,
            after=request.args.get("after"),
            before=request.args.get("before"),
            execute=lambda s: db.session.scalars(s.options(selectinload(Usulan.pegawai))).all(),
        )
        unit_ids = {u.unit_kerja_id for u in paged.rows if u.unit_kerja_id is not None}
        unit_names = (
            dict(db.session.execute(select(UnitKerja.id, UnitKerja.nama).where(UnitKerja.id.in_(unit_ids))).all())
            if unit_ids
            else {}
        )
        rows = [(u, u.pegawai, unit_names.get(u.unit_kerja_id)) for u in paged.rows]
        return self.render_template(
            self.list_template,
            rows=rows,
            paged=paged,
            total=paged.total,
            page=paged.number,
            pages=paged.pages,
            per_page=size,
            args=args,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            sort_labels=SORT_LABELS,
            section_labels=workflow.SECTION_LABELS,
        )

    def _usulan_or_404(self, pk) -> Usulan:
        """The Usulan if the user may open it (services.scope.visible_usulan); otherwise 404,
        as if it did not exist."""
        usulan = scope.visible_usulan(db.session, g.user, pk)
        if usulan is None:
            abort(404)
        return usulan

    def _usulan_to_act_on(self, pk) -> Usulan:
        """Like _usulan_or_404 for an action; a submission that a colleague has just sent back
        to draft (so it left this user's sight between his page and his click) is answered
        with "already handled" and the inbox, as any other lost race."""
        usulan = scope.visible_usulan(db.session, g.user, pk)
        if usulan is None:
            if scope.left_the_users_sight(db.session, g.user, pk):
                flash(str(workflow.AlreadyHandled()), "warning")
                abort(redirect(url_for(".list")))
            abort(404)
        return usulan

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        """Field-by-field diff with documents, conflicts, the rules' warnings, per-item verdicts
        and the actions."""
        usulan = self._usulan_or_404(pk)
        actions = workflow.allowed_actions(db.session, g.user, usulan)
        can_judge = workflow.VERIFIKASI in actions or workflow.KEMBALIKAN in actions
        conflicts = workflow.conflicts(db.session, usulan)
        # What changed the record meanwhile (staff edits, imports), for the verifier to judge.
        redact = privacy.redactor(g.user)
        changes_since = (
            conflicts
            and usulan.status != Usulan.SELESAI
            and record_history.history(
                db.session,
                usulan.pegawai_id,
                since=usulan.submitted_at or usulan.created_at,
                exclude_usulan_id=usulan.id,
                page=request.args.get("changes_page", 1, type=int),
                redact=redact,
            )
        )
        return self.render_template(
            self.show_template,
            usulan=usulan,
            pegawai=usulan.pegawai,
            rows=workflow.diff(db.session, usulan),
            conflicts=conflicts,
            display_value=privacy.redacted(workflow.display_value, redact),
            changes_since=changes_since or None,
            changes_page_url=lambda n: url_for(".show", pk=pk, changes_page=n),
            actions=actions,
            can_judge=can_judge,
            action_buttons=ACTION_BUTTONS,
            form=ActionForm(formdata=None, version=usulan.version),
            verdict_form=VerdictForm(formdata=None),
            section_labels=workflow.SECTION_LABELS,
            field_label=workflow.field_label,
            reasons=UsulanItem.REASONS,
            TIDAK_SESUAI=UsulanItem.TIDAK_SESUAI,
            SESUAI=UsulanItem.SESUAI,
            item_docs=workflow.item_documents(db.session, usulan),
            can_print=summary.printable(usulan),
            # Warnings of the rules (and any error that slipped in), next to their changes.
            findings=workflow.placed_findings(db.session, usulan),
        )

    @expose("/<int:pk>/dokumen/<int:dokumen_id>")
    @has_access
    def document(self, pk, dokumen_id):
        """A document shown on the verification page: proposed with an item of this
        submission, or on the official row an item changes or removes; 404 otherwise."""
        usulan = self._usulan_or_404(pk)
        shown = {
            doc.id
            for docs in workflow.item_documents(db.session, usulan).values()
            for doc in (docs.proposed, docs.official)
            if doc is not None
        }
        dokumen = db.session.get(Dokumen, dokumen_id) if dokumen_id in shown else None
        if dokumen is None:
            abort(404)
        return documents.send_dokumen(dokumen)

    @expose("/<int:pk>/ringkasan")
    @has_access
    def print_summary(self, pk):
        """The "Ringkasan Usulan" PDF of a sent submission in the user's scope."""
        usulan = self._usulan_or_404(pk)
        if not summary.printable(usulan):
            abort(404)
        return summary.response(db.session, usulan, redact=privacy.redactor(g.user))

    @expose("/<int:pk>/act", methods=["POST"])
    @has_access
    def act(self, pk):
        """Verify / return / send back to draft, as of the version the page showed."""
        self._usulan_to_act_on(pk)
        form = ActionForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            workflow.transition(
                db.session,
                g.user,
                pk,
                form.action.data,
                form.reason.data,
                expected_version=form.version.data,
                accept_conflicts=form.accept_conflicts.data,
            )
        except workflow.AlreadyHandled:
            flash(_l("This submission was already handled by someone else."), "warning")
            return redirect(url_for(".list"))
        except workflow.Conflict as conflict:
            flash(str(conflict), "danger")
            return redirect(url_for(".show", pk=pk))
        except workflow.WorkflowError as refused:
            flash(str(refused), "warning")
            return redirect(url_for(".show", pk=pk))
        flash(_l("Done: %(action)s.", action=workflow.ACTION_LABELS[form.action.data]), "success")
        return redirect(url_for(".list"))

    @expose("/<int:pk>/verdict", methods=["POST"])
    @has_access
    def verdict(self, pk):
        """Mark one item "tidak sesuai" (with a reason) / "sesuai", or clear the mark."""
        self._usulan_to_act_on(pk)
        form = VerdictForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            workflow.set_verdict(
                db.session,
                g.user,
                pk,
                form.item_id.data,
                form.verdict.data or None,
                form.reason_code.data or None,
                form.note.data,
            )
        except workflow.WorkflowError as refused:
            flash(str(refused), "warning")
        else:
            flash(_l("Item marked."), "success")
        return redirect(url_for(".show", pk=pk) + f"#item-{form.item_id.data}")
