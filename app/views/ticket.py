"""Helpdesk tickets: the public "Laporkan" form with its proof, and the staff inbox."""

from flask import abort, flash, g, make_response, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms.ticket import ClaimForm, ResolveForm, TicketForm
from ..models.ticket import Tiket
from ..models import User
from ..services import documents, links, pdf, ratelimit
from ..services import ticket as ticket_service

# The tickets this browser session filed (their numbers); only they may print the proof
# without logging in. The newest few are enough to print the proof of a recent report.
SESSION_KEY = "tiket_filed"
SESSION_KEEP = 20
PAGE_SIZE = 25


def _user():
    return current_user if current_user.is_authenticated else None


def _filed_here(nomor: str) -> bool:
    return nomor in session.get(SESSION_KEY, [])


def _remember(nomor: str) -> None:
    session[SESSION_KEY] = (session.get(SESSION_KEY, []) + [nomor])[-SESSION_KEEP:]


def _printable_ticket_or_404(nomor: str) -> Tiket:
    """The ticket if this session filed it, or its reporter or staff in scope asks; else 404."""
    nomor = ticket_service.normalise_nomor(nomor)
    tiket = db.session.scalar(select(Tiket).where(Tiket.nomor == nomor)) if nomor else None
    if tiket is None:
        abort(404)
    user = _user()
    allowed = (
        _filed_here(tiket.nomor)
        or (user is not None and tiket.reporter_id == user.id)
        or ticket_service.can_see(db.session, user, tiket)
    )
    if not allowed:
        abort(404)
    return tiket


class TicketView(BaseView):
    """ "Laporkan data tidak sesuai": public, also for a logged-in PNS."""

    route_base = "/laporkan"
    default_view = "index"

    def _prefill(self, form: TicketForm) -> None:
        kategori = request.args.get("kategori", "")
        if kategori in Tiket.CATEGORIES:
            form.kategori.data = kategori
        nip = request.args.get("nip", "").strip()
        if nip.isascii() and nip.isdigit() and len(nip) == 18:
            form.nip.data = nip
        user = _user()
        pegawai = getattr(user, "pegawai", None)
        if pegawai is not None:
            form.nip.data = form.nip.data or pegawai.nip
            form.nama.data = pegawai.nama
            form.email.data = pegawai.email

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = TicketForm()
        if request.method == "POST":
            ratelimit.enforce_public_form("laporkan", nip=request.form.get("nip"))
        else:
            self._prefill(form)
        if form.validate_on_submit():
            try:
                tiket = ticket_service.create(
                    db.session,
                    kategori=form.kategori.data,
                    nip=form.nip.data,
                    nama=form.nama.data,
                    detail=form.detail.data,
                    email=form.email.data,
                    nomor_sk=form.nomor_sk.data,
                    tanggal_sk=form.tanggal_sk.data,
                    upload=form.berkas.data,
                    reporter=_user(),
                )
            except documents.UploadRejected as exc:
                form.berkas.errors = list(form.berkas.errors) + [str(exc)]
            except ticket_service.TicketRefused as exc:
                flash(str(exc.message), "danger")
            else:
                _remember(tiket.nomor)
                return redirect(url_for("TicketView.done", nomor=tiket.nomor))
        return self.render_template("ticket/form.html", form=form)

    @expose("/selesai/<nomor>")
    def done(self, nomor):
        tiket = _printable_ticket_or_404(nomor)
        return self.render_template(
            "ticket/done.html",
            tiket=tiket,
            kategori_label=ticket_service.category_label(tiket.kategori),
        )

    @expose("/cetak/<nomor>")
    def proof(self, nomor):
        """ "Tanda Bukti Permohonan Bantuan" (PDF)."""
        tiket = _printable_ticket_or_404(nomor)
        body = pdf.render_pdf(
            "pdf/tanda_bukti_tiket.html",
            tiket=tiket,
            kategori_label=ticket_service.category_label(tiket.kategori),
            qr=pdf.qr_data_uri(links.external_url("TicketInboxView.show", pk=tiket.id)),
        )
        response = make_response(body)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = f'inline; filename="tanda-bukti-{tiket.nomor}.pdf"'
        response.headers["Cache-Control"] = "no-store"
        return response


class TicketInboxView(BaseView):
    """Staff inbox: the tickets in the user's scope (services.ticket.visible_clause)."""

    route_base = "/tiket"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_download", "can_claim", "can_resolve"]

    def _ticket_or_404(self, pk) -> Tiket:
        tiket = ticket_service.get_visible(db.session, g.user, pk)
        if tiket is None:
            abort(404)
        return tiket

    @expose("/")
    @has_access
    def list(self):
        status = request.args.get("status", "")
        kategori = request.args.get("kategori", "")
        page = request.args.get("page", "1")
        page = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100000 else 1
        rows, total = ticket_service.list_visible(
            db.session, g.user, status=status, kategori=kategori, page=page, per_page=PAGE_SIZE
        )
        return self.render_template(
            "ticket/list.html",
            rows=rows,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            status=status,
            kategori=kategori,
            statuses=ticket_service.STATUS_LABELS,
            categories=ticket_service.CATEGORY_LABELS,
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        tiket = self._ticket_or_404(pk)
        can_reset = ticket_service.may_reset_registration(g.user)
        return self.render_template(
            "ticket/show.html",
            tiket=tiket,
            kategori_label=ticket_service.category_label(tiket.kategori),
            status_label=ticket_service.status_label(tiket.status),
            handled_by=db.session.get(User, tiket.handled_by_id) if tiket.handled_by_id else None,
            claim_form=ClaimForm(),
            resolve_form=ResolveForm(),
            offer_reset=can_reset and ticket_service.live_registration_of(db.session, tiket) is not None,
        )

    @expose("/<int:pk>/lampiran")
    @has_access
    def download(self, pk):
        tiket = self._ticket_or_404(pk)
        if not tiket.lampiran_stored_name:
            abort(404)
        return documents.send_stored(
            tiket.lampiran_stored_name, tiket.lampiran_original_name, tiket.lampiran_content_type
        )

    @expose("/<int:pk>/ambil", methods=["POST"])
    @has_access
    def claim(self, pk):
        tiket = self._ticket_or_404(pk)
        if ClaimForm().validate_on_submit():
            try:
                ticket_service.claim(db.session, g.user, tiket)
                flash(_l("You are now handling this ticket."), "success")
            except ticket_service.TicketRefused as exc:
                flash(str(exc.message), "danger")
        return redirect(url_for("TicketInboxView.show", pk=pk))

    @expose("/<int:pk>/selesai", methods=["POST"])
    @has_access
    def resolve(self, pk):
        tiket = self._ticket_or_404(pk)
        form = ResolveForm()
        if not form.validate_on_submit():
            flash(_l("A resolution note is required."), "danger")
            return redirect(url_for("TicketInboxView.show", pk=pk))
        try:
            ticket_service.resolve(
                db.session, g.user, tiket, form.resolution.data, reset_registration=form.reset_registration.data
            )
            flash(_l("The ticket is resolved."), "success")
        except ticket_service.TicketRefused as exc:
            flash(str(exc.message), "danger")
        return redirect(url_for("TicketInboxView.show", pk=pk))
