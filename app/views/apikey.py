"""Admin's API keys screen: list, make (the token is shown once), revoke.

Keys are for accounts of the Integrasi role (services.apikeys); Admin only (no
role_permissions entry), in FAB's Security menu next to users and roles.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_appbuilder.security.sqla.models import ApiKey
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..forms.apikey import ApiKeyForm, RevokeApiKeyForm
from ..models import User, utcnow
from ..roles import ROLE_INTEGRASI
from ..services import apikeys
from .approval import page_size

DEFAULT_VALIDITY_DAYS = 365


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The first moment after `day` in the portal's time zone, as naive UTC: a key "valid
    until 31 Desember" works all of that day in Jakarta."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def integration_accounts():
    """Active accounts that may hold keys, by username."""
    role_model = current_app.appbuilder.sm.role_model
    return (
        db.session.scalars(
            select(User).join(User.roles).where(role_model.name == ROLE_INTEGRASI, User.active).order_by(User.username)
        )
        .unique()
        .all()
    )


class ApiKeyView(BaseView):
    """API keys of integration clients."""

    route_base = "/apikeys"
    default_view = "list"
    base_permissions = ["can_list", "can_add", "can_revoke"]

    @expose("/")
    @has_access
    def list(self):
        """Every key, newest first, with its state and a Revoke button while it works."""
        size = page_size()
        total = db.session.scalar(select(func.count(ApiKey.id)))
        pages = max(1, -(-total // size))
        page = min(max(1, request.args.get("page", 1, type=int)), pages)
        keys = db.session.scalars(
            select(ApiKey).order_by(ApiKey.created_on.desc(), ApiKey.id.desc()).limit(size).offset((page - 1) * size)
        ).all()
        owners = {
            u.id: u
            for u in db.session.scalars(
                select(User)
                .where(User.id.in_({k.user_id for k in keys}))
                .options(joinedload(User.instansi), joinedload(User.kanreg), joinedload(User.unit_kerja))
            ).unique()
        }
        now = utcnow()
        return self.render_template(
            "apikey/list.html",
            keys=keys,
            owners=owners,
            total=total,
            page=page,
            pages=pages,
            per_page=size,
            status={k.id: apikeys.status(k, now) for k in keys},
            status_labels=apikeys.STATUS_LABELS,
            revoke_form=RevokeApiKeyForm(),
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Make a key; on success the token is shown once, on a page nobody may cache."""
        form = ApiKeyForm()
        accounts = integration_accounts()
        form.owner.choices = [(u.id, f"{u.username} – {u.first_name} {u.last_name}") for u in accounts]
        if request.method == "GET":
            form.expires.data = dt.date.today() + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)
        if form.validate_on_submit():
            owner = db.session.get(User, form.owner.data)
            expires = end_of_day_utc(form.expires.data) if form.expires.data else None
            try:
                key, token = apikeys.create(db.session, owner, form.name.data, expires_on=expires, actor=g.user)
            except apikeys.KeyRefused as refused:
                flash(str(refused.message), "danger")
            else:
                page = self.render_template("apikey/created.html", key=key, token=token, owner=owner)
                response = make_response(page)
                response.headers["Cache-Control"] = "no-store"
                return response
        return self.render_template("apikey/new.html", form=form, has_accounts=bool(accounts))

    @expose("/<int:pk>/revoke", methods=["POST"])
    @has_access
    def revoke(self, pk):
        """Revoke a key now, for good."""
        if not RevokeApiKeyForm().validate_on_submit():
            abort(400)
        key = db.session.get(ApiKey, pk)
        if key is None:
            abort(404)
        if apikeys.revoke(db.session, key, actor=g.user):
            flash(_l("API key %(name)s revoked.", name=key.name), "success")
        else:
            flash(_l("API key %(name)s was already revoked.", name=key.name), "info")
        return redirect(url_for(".list"))
