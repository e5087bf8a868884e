"""The registration approval inbox ("Persetujuan Registrasi").

A Verifikator Instansi decides the registrations of his own instansi, Admin those of every
instansi. A plain BaseView rather than a ModelView: the inbox needs a search that accepts
the printed number (dashes, any case) and a bulk approval that re-checks every selected id
against the scope — FAB's actions fetch rows without base_filters. Every change goes
through services.registration.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..forms.approval import DecisionForm, RejectForm
from ..models import Pegawai
from ..models.registration import Registrasi
from ..services import paging, registration, rules, scope

PAGE_SIZE = 25

STATUS_LABELS = {
    Registrasi.STATUS_MENUNGGU: _l("Pending"),
    Registrasi.STATUS_DISETUJUI: _l("Approved"),
    Registrasi.STATUS_DITOLAK: _l("Rejected"),
    Registrasi.STATUS_DIRESET: _l("Reset"),
}
STATUS_CSS = {
    Registrasi.STATUS_MENUNGGU: "label-warning",
    Registrasi.STATUS_DISETUJUI: "label-success",
    Registrasi.STATUS_DITOLAK: "label-danger",
    Registrasi.STATUS_DIRESET: "label-default",
}
STATUS_ALL = "all"
# The inbox filter: pending first; the decided ones on request.
STATUS_FILTERS = {
    Registrasi.STATUS_MENUNGGU: _l("Pending"),
    Registrasi.STATUS_DISETUJUI: _l("Approved"),
    Registrasi.STATUS_DITOLAK: _l("Rejected"),
    STATUS_ALL: _l("All"),
}


def decidable_clause(user):
    """Registrations `user` may decide: those of the instansi he may keep (all for Admin, his
    own for a Verifikator Instansi, none for anybody else), judged on the Pegawai and on the
    registration's copy of his instansi (the index range the inbox reads)."""
    return and_(
        scope.master_data_clause(user, Registrasi.instansi_id), scope.master_data_clause(user, Pegawai.instansi_id)
    )


def search_clause(query: str):
    """A NIP or a nomor registrasi as printed (dashes, spaces, any case)."""
    text = query.strip()
    if rules.is_ascii_digits(text, 18):
        return Pegawai.nip == text
    return Registrasi.id.in_(registration.ids_by_nip_or_nomor(text, registration.normalise_nomor(text)))


def page_size() -> int:
    """`per_page` from the query string, capped at MAX_PAGE_SIZE."""
    wanted = request.args.get("per_page", PAGE_SIZE, type=int)
    return max(1, min(wanted, current_app.config["MAX_PAGE_SIZE"]))


def _ids_from_form() -> list[int]:
    """The selected rows; a malformed or oversized selection is a bad request."""
    raw = request.form.getlist("ids")
    if len(raw) > current_app.config["MAX_PAGE_SIZE"]:
        abort(400)
    if not all(v.isascii() and v.isdigit() and len(v) <= 10 and int(v) < 2**31 for v in raw):
        abort(400)
    return sorted({int(v) for v in raw})


class RegistrationApprovalView(BaseView):
    """Pending registrations of the verifier's instansi: search, approve, reject, bulk approve."""

    route_base = "/persetujuan"
    default_view = "list"
    list_template = "approval/list.html"
    reject_template = "approval/reject.html"
    # The bulk approval is the same permission as approving one registration.
    method_permission_name = {
        "list": "list",
        "approve": "approve",
        "bulk_approve": "approve",
        "reject": "reject",
    }

    # -- queries -------------------------------------------------------------------------
    def _in_scope(self):
        return select(Registrasi).join(Pegawai, Registrasi.pegawai_id == Pegawai.id).where(decidable_clause(g.user))

    def _for_decision(self, ids: list[int]) -> list[Registrasi]:
        """The registrations with these ids, locked; 404 unless every one is in scope (an id
        of another instansi answers exactly as an id that does not exist)."""
        stmt = (
            self._in_scope()
            .where(Registrasi.id.in_(ids))
            .order_by(Registrasi.id)
            .with_for_update(of=Registrasi)
            # Decide on the row as it is now, not as an earlier read of this session saw it.
            .execution_options(populate_existing=True)
        )
        found = list(db.session.scalars(stmt))
        if not ids or len(found) != len(ids):
            db.session.rollback()
            abort(404)
        return found

    def _back(self):
        """Back to the list as the verifier left it (search, filter, page)."""
        args = {k: request.form.get(k) for k in ("q", "status", "page") if request.form.get(k)}
        return redirect(url_for(".list", **args))

    # -- screens -------------------------------------------------------------------------
    @expose("/")
    @has_access
    def list(self):
        """The inbox: pending by default, newest first; `q` finds one by NIP or nomor in
        every status (the QR code on the proof opens it this way)."""
        query = (request.args.get("q") or "").strip()[:64]
        status = request.args.get("status") or (STATUS_ALL if query else Registrasi.STATUS_MENUNGGU)
        if status not in STATUS_FILTERS:
            status = Registrasi.STATUS_MENUNGGU
        size = page_size()
        page = max(1, request.args.get("page", 1, type=int))

        # The list is one index range of the registrations themselves (their copy of the
        # instansi, services.copies); the Pegawai of the rows shown are loaded afterwards.
        # Approving and rejecting judge the Pegawai itself (_for_decision).
        stmt = select(Registrasi).where(scope.master_data_clause(g.user, Registrasi.instansi_id))
        if status != STATUS_ALL:
            stmt = stmt.where(Registrasi.status == status)
        if query:
            stmt = stmt.join(Pegawai, Registrasi.pegawai_id == Pegawai.id).where(search_clause(query))
        paged = paging.paginate(
            db.session,
            stmt,
            keys=(Registrasi.created_at, Registrasi.id),
            descending=True,
            key_of=lambda r: (r.created_at, r.id),
            size=size,
            number=page,
            after=request.args.get("after"),
            before=request.args.get("before"),
            execute=lambda s: db.session.scalars(
                s.options(
                    selectinload(Registrasi.pegawai).joinedload(Pegawai.unit_kerja),
                    selectinload(Registrasi.decided_by),
                )
            ).all(),
        )
        return self.render_template(
            self.list_template,
            rows=paged.rows,
            paged=paged,
            total=paged.total,
            page=paged.number,
            pages=paged.pages,
            per_page=size,
            q=query,
            status=status,
            status_filters=STATUS_FILTERS,
            status_labels=STATUS_LABELS,
            status_css=STATUS_CSS,
            pending=Registrasi.STATUS_MENUNGGU,
            form=DecisionForm(),
        )

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk):
        """Approve one registration; the PNS can log in from now on."""
        form = DecisionForm()
        if not form.validate_on_submit():
            abort(400)
        self._decide_approve(self._for_decision([pk]))
        return self._back()

    @expose("/approve", methods=["POST"])
    @has_access
    def bulk_approve(self):
        """Approve every selected registration, or none: each id is checked against the scope."""
        form = DecisionForm()
        if not form.validate_on_submit():
            abort(400)
        ids = _ids_from_form()
        if not ids:
            flash(_l("Select at least one registration."), "warning")
            return self._back()
        self._decide_approve(self._for_decision(ids))
        return self._back()

    def _decide_approve(self, registrations):
        try:
            count = registration.approve(db.session, g.user, registrations)
        except registration.RegistrationRefused as refused:
            flash(str(refused.message), "warning")
            return
        flash(
            ngettext(
                "%(num)d registration approved; the account is active.",
                "%(num)d registrations approved; the accounts are active.",
                count,
            ),
            "success",
        )

    @expose("/reject/<int:pk>", methods=["GET", "POST"])
    @has_access
    def reject(self, pk):
        """Reject one registration with a mandatory reason; the NIP may register again."""
        registrasi = db.session.scalars(
            self._in_scope()
            .where(Registrasi.id == pk)
            .options(joinedload(Registrasi.pegawai).joinedload(Pegawai.unit_kerja))
        ).first()
        if registrasi is None:
            abort(404)
        form = RejectForm()
        if registrasi.status != Registrasi.STATUS_MENUNGGU:
            flash(_l("This registration has already been decided."), "warning")
            return redirect(url_for(".list", q=registrasi.nomor))
        if form.validate_on_submit():
            registrasi = self._for_decision([pk])[0]
            try:
                registration.reject(db.session, g.user, registrasi, form.reason.data)
            except registration.RegistrationRefused as refused:
                flash(str(refused.message), "warning")
            else:
                flash(_l("Registration %(nomor)s rejected.", nomor=registrasi.nomor_tampil), "success")
            return self._back()
        return self.render_template(
            self.reject_template,
            registrasi=registrasi,
            form=form,
            back={k: request.values.get(k) for k in ("q", "status", "page") if request.values.get(k)},
        )
