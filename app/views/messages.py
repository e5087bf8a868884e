""" "Pesan": the messages the app sent a user (returned / finished submissions), and the
unread notice shown on every page."""

from flask import abort, flash, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..extensions import db
from ..services import notification


class MessageView(BaseView):
    """Only the logged-in user's own messages."""

    route_base = "/pesan"
    default_view = "index"
    method_permission_name = {"index": "list", "mark_read": "list"}

    @expose("/")
    @has_access
    def index(self):
        return self.render_template(
            "messages/index.html",
            messages=notification.messages_of(db.session, current_user.id),
            form=FlaskForm(),
        )

    @expose("/baca", methods=["POST"])
    @has_access
    def mark_read(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        notification.mark_read(db.session, current_user.id)
        flash(str(_l("Every message is marked as read.")), "success")
        return redirect(url_for("MessageView.index"))


def inject_unread_messages():
    """The number of unread messages of a logged-in PNS, for the notice in the page header."""
    if not getattr(current_user, "is_authenticated", False) or not getattr(current_user, "pegawai_id", None):
        return {}
    return {"unread_messages": notification.unread_count(db.session, current_user.id)}
