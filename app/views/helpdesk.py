"""Helpdesk account tools and Admin's audit log.

Helpdesk (national, or his Kanreg: services.scope) and Admin look a registration up by NIP
or nomor registrasi and see its status only — never an answer or password hash, never the
mother's name, the email masked. They reset a registration (the NIP may register again)
and lift a lockout; both through the services, both audited.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..forms.helpdesk import ResetRegistrationForm, UnlockForm
from ..models import Pegawai, utcnow
from ..models.audit import AuditLog
from ..models.registration import Registrasi
from ..roles import ROLE_ADMIN
from ..models import User
from ..services import accounts, registration, rules, scope
from .approval import STATUS_CSS, STATUS_LABELS, page_size

# Event groups offered in the audit log filter (any other prefix or exact event works too).
AUDIT_EVENT_GROUPS = ("login", "logout", "password", "account", "user", "registration", "export")


def mask_email(email: str | None) -> str:
    """b***@gmail.com: enough for the caller to recognise his address, not to learn one."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return "***" if email else ""
    return f"{local[:1]}***@{domain}"


def _is_admin(user) -> bool:
    return any(role.name == ROLE_ADMIN for role in user.roles)


class HelpdeskAccountView(BaseView):
    """Registration lookup ("Cek Registrasi"), "Reset registrasi" and "Buka kunci akun"."""

    route_base = "/helpdesk"
    default_view = "lookup"
    lookup_template = "helpdesk/lookup.html"
    reset_template = "helpdesk/reset.html"

    # -- queries -------------------------------------------------------------------------
    def _pegawai_for(self, query: str) -> Pegawai | None:
        """The Pegawai behind a NIP or a nomor registrasi, if he is in the user's scope."""
        if rules.is_ascii_digits(query, 18):
            where = Pegawai.nip == query
        else:
            nomor = registration.normalise_nomor(query)
            if not nomor:
                return None
            where = Pegawai.id.in_(select(Registrasi.pegawai_id).where(Registrasi.nomor == nomor))
        return db.session.scalar(
            select(Pegawai)
            .where(where, scope.pegawai_clause(g.user))
            .options(joinedload(Pegawai.instansi), joinedload(Pegawai.unit_kerja))
        )

    def _registrasi_in_scope(self, pk: int) -> Registrasi:
        registrasi = db.session.scalar(
            select(Registrasi)
            .join(Pegawai, Registrasi.pegawai_id == Pegawai.id)
            .where(Registrasi.id == pk, scope.pegawai_clause(g.user))
        )
        if registrasi is None:
            abort(404)
        return registrasi

    def _account_in_scope(self, pk: int) -> User:
        """A PNS account of a Pegawai in scope; a staff account (even one linked to a Pegawai)
        only for Admin."""
        user = db.session.get(User, pk)
        if user is None:
            abort(404)
        if user.is_pns_account:
            allowed = scope.can_see_pegawai(db.session, g.user, user.pegawai_id)
        else:
            allowed = _is_admin(g.user)
        if not allowed:
            abort(404)
        return user

    # -- screens -------------------------------------------------------------------------
    @expose("/registrasi/")
    @has_access
    def lookup(self):
        """Status of every registration of one NIP, and the state of the account."""
        query = (request.args.get("q") or "").strip()[:64]
        pegawai = registrations = account = None
        if query:
            pegawai = self._pegawai_for(query)
            if pegawai is not None:
                registrations = db.session.scalars(
                    select(Registrasi)
                    .where(Registrasi.pegawai_id == pegawai.id)
                    .options(joinedload(Registrasi.decided_by))
                    .order_by(Registrasi.created_at.desc(), Registrasi.id.desc())
                ).all()
                account = registration.pns_account_of(db.session, pegawai.id)
            elif _is_admin(g.user):
                # Admin also unlocks staff accounts, found by their username.
                account = db.session.scalar(
                    select(User).where(func.lower(User.username) == query.lower(), User.is_pns_account.is_(False))
                )
        return self.render_template(
            self.lookup_template,
            q=query,
            pegawai=pegawai,
            registrations=registrations,
            account=account,
            locked=account is not None and account.locked_until is not None and account.locked_until > utcnow(),
            live_statuses=Registrasi.LIVE_STATUSES,
            mask_email=mask_email,
            status_labels=STATUS_LABELS,
            status_css=STATUS_CSS,
            unlock_form=UnlockForm(),
        )

    @expose("/registrasi/<int:pk>/reset", methods=["GET", "POST"])
    @has_access
    def reset(self, pk):
        """ "Reset registrasi" with a mandatory reason: the NIP may register again and the old
        account is disabled until then."""
        registrasi = self._registrasi_in_scope(pk)
        nip = registrasi.pegawai.nip
        if registrasi.status not in Registrasi.LIVE_STATUSES:
            flash(_l("Only a pending or approved registration can be reset."), "warning")
            return redirect(url_for(".lookup", q=nip))
        form = ResetRegistrationForm()
        if form.validate_on_submit():
            try:
                registration.reset(db.session, g.user, registrasi, form.reason.data)
            except registration.RegistrationRefused as refused:
                flash(str(refused.message), "warning")
            else:
                flash(
                    _l(
                        "Registration %(nomor)s reset; NIP %(nip)s can register again.",
                        nomor=registrasi.nomor_tampil,
                        nip=nip,
                    ),
                    "success",
                )
            return redirect(url_for(".lookup", q=nip))
        return self.render_template(
            self.reset_template,
            registrasi=registrasi,
            form=form,
            status_labels=STATUS_LABELS,
            status_css=STATUS_CSS,
        )

    @expose("/akun/<int:pk>/unlock", methods=["POST"])
    @has_access
    def unlock(self, pk):
        """ "Buka kunci akun": lift a lockout now."""
        if not UnlockForm().validate_on_submit():
            abort(400)
        user = self._account_in_scope(pk)
        accounts.unlock(db.session, g.user, user)
        flash(_l("Account %(username)s unlocked.", username=user.username), "success")
        return redirect(url_for(".lookup", q=user.username))


class AuditLogView(BaseView):
    """Admin only: the audit trail, newest first, filtered by event."""

    route_base = "/auditlog"
    default_view = "list"
    list_template = "helpdesk/audit_log.html"

    @expose("/")
    @has_access
    def list(self):
        """`event` is an exact event ("login.failure") or a group ("login")."""
        event = (request.args.get("event") or "").strip()[:40]
        size = page_size()
        page = max(1, request.args.get("page", 1, type=int))
        stmt = select(AuditLog)
        if event:
            stmt = stmt.where(or_(AuditLog.event == event, AuditLog.event.startswith(event + ".", autoescape=True)))
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        pages = max(1, -(-total // size))
        page = min(page, pages)
        rows = db.session.scalars(
            stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(size).offset((page - 1) * size)
        ).all()
        return self.render_template(
            self.list_template,
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            per_page=size,
            event=event,
            groups=AUDIT_EVENT_GROUPS,
        )
