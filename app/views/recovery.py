"""Public self-service recovery pages under /status/ (DESIGN.md §3 "Recovery"), and Admin's
read-only Outbox screen.

Thin: forms check the fields, services.recovery decides and changes state, and every POST
counts against the public-form rate limits per client IP and per NIP.
"""

from flask import current_app, make_response, redirect, request, session, url_for
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..forms.recovery import (
    CheckStatusForm,
    ForgotAnswerForm,
    ForgotNomorAnswerForm,
    ForgotNomorForm,
    ForgotPasswordForm,
    ResetPasswordForm,
)
from ..models import SecurityQuestion
from ..models.audit import OutboxMail
from ..models.registration import Registrasi
from ..services import links, passwords, ratelimit, recovery
from .base import date_formatters
from ..services.labels import LABELS

# The registrant's proof PDF (RegistrationView.proof at /registrasi/bukti/<nomor>.pdf); it is
# served to the session that holds session[REGISTRASI_SESSION_KEY] == registrasi.id.
PROOF_ENDPOINT = "RegistrationView.proof"
PROOF_PATH = "/registrasi/bukti/{nomor}.pdf"
REGISTRASI_SESSION_KEY = "registrasi_id"

STATUS_LABELS = {
    Registrasi.STATUS_MENUNGGU: _l("Registration pending"),
    Registrasi.STATUS_DISETUJUI: _l("Registration approved"),
    Registrasi.STATUS_DITOLAK: _l("Registration rejected"),
    Registrasi.STATUS_DIRESET: _l("Registration reset"),
}
STATUS_HINTS = {
    Registrasi.STATUS_MENUNGGU: _l(
        "Waiting for approval by your personnel office (BKD / Biro Kepegawaian). Bring the "
        "printed registration proof if your office asks for it."
    ),
    Registrasi.STATUS_DISETUJUI: _l(
        "Your account is active: log in with your NIP or registration number and your password."
    ),
    Registrasi.STATUS_DITOLAK: _l(
        "Your personnel office rejected this registration. Fix what the reason says, then register again."
    ),
    Registrasi.STATUS_DIRESET: _l("The helpdesk reset this registration. You may register again."),
}
STATUS_CSS = {
    Registrasi.STATUS_MENUNGGU: "warning",
    Registrasi.STATUS_DISETUJUI: "success",
    Registrasi.STATUS_DITOLAK: "danger",
    Registrasi.STATUS_DIRESET: "default",
}


def _private(response):
    """Pages showing a nomor or carrying a reset token: not cached, no Referer leak."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _url_if_exists(endpoint):
    """Links to pages other parts of the portal provide, shown once they exist."""
    return url_for(endpoint) if endpoint in current_app.view_functions else None


def _posted_nip():
    """The NIP of a POST as the forms read it (spaces dropped), so that writing it another way
    does not escape the per-NIP rate limit."""
    return "".join((request.form.get("nip") or "").split())


def _proof_url(nomor):
    if PROOF_ENDPOINT in current_app.view_functions:
        return url_for(PROOF_ENDPOINT, nomor=nomor)
    return request.script_root + PROOF_PATH.format(nomor=nomor)


class StatusView(BaseView):
    """Cek Status, Lupa Nomor Registrasi?, Lupa Jawaban?, Lupa Kata Kunci? (public)."""

    route_base = "/status"
    default_view = "index"

    def _page(self, template, **context):
        context.setdefault("register_url", _url_if_exists("RegistrationView.index"))
        context.setdefault("helpdesk_url", _url_if_exists("TicketView.index"))
        return _private(make_response(self.render_template(template, **context)))

    # -- Cek Status ---------------------------------------------------------------------------
    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = CheckStatusForm()
        registrasi = error = None
        if request.method == "POST":
            ratelimit.enforce_public_form("cek_status", nip=_posted_nip())
            if form.validate():
                registrasi = recovery.check_status(db.session, form.nip.data, form.nomor.data)
                if registrasi is None:
                    # Nothing of the input is echoed: a wrong NIP and a wrong nomor give the
                    # same page.
                    error = recovery.NOT_FOUND_MESSAGE
                    form = CheckStatusForm(formdata=None)
        return self._page(
            "recovery/status.html",
            form=form,
            registrasi=registrasi,
            error=error,
            status_label=STATUS_LABELS,
            status_hint=STATUS_HINTS,
            status_css=STATUS_CSS,
            active="index",
        )

    # -- Lupa Nomor Registrasi? ---------------------------------------------------------------
    @expose("/lupa-nomor", methods=["GET", "POST"])
    def forgot_nomor(self):
        form = ForgotNomorForm()
        error = None
        if request.method == "POST":
            ratelimit.enforce_public_form("lupa_nomor", nip=_posted_nip())
            if form.validate():
                question = recovery.security_question_of(db.session, form.nip.data)
                if question is not None:
                    answer_form = ForgotNomorAnswerForm(formdata=None, nip=form.nip.data)
                    return self._answer_page(answer_form, question)
                error = recovery.NO_LIVE_REGISTRATION_MESSAGE
        return self._page("recovery/forgot_nomor.html", form=form, error=error, active="forgot_nomor")

    def _answer_page(self, form, question, error=None):
        return self._page(
            "recovery/forgot_nomor_answer.html", form=form, question=question, error=error, active="forgot_nomor"
        )

    @expose("/lupa-nomor/jawaban", methods=["GET", "POST"])
    def forgot_nomor_answer(self):
        if request.method == "GET":
            return redirect(url_for(".forgot_nomor"))
        ratelimit.enforce_public_form("lupa_nomor", nip=_posted_nip())
        form = ForgotNomorAnswerForm()
        if not form.validate():
            if form.nip.errors:  # a forged or damaged hidden field: start again
                return redirect(url_for(".forgot_nomor"))
            question = recovery.security_question_of(db.session, form.nip.data)
            if question is None:
                return redirect(url_for(".forgot_nomor"))
            return self._answer_page(form, question)
        try:
            registrasi = recovery.recover_nomor(db.session, form.nip.data, form.answer.data)
        except recovery.RecoveryRefused as refused:
            question = recovery.security_question_of(db.session, form.nip.data)
            if question is None:
                return self._page(
                    "recovery/forgot_nomor.html",
                    form=ForgotNomorForm(formdata=None),
                    error=refused.message,
                    active="forgot_nomor",
                )
            return self._answer_page(
                ForgotNomorAnswerForm(formdata=None, nip=form.nip.data), question, error=refused.message
            )
        # "Cetak": the proof PDF is served to the session that recovered the number.
        session[REGISTRASI_SESSION_KEY] = registrasi.id
        return self._page(
            "recovery/forgot_nomor_done.html",
            registrasi=registrasi,
            active="forgot_nomor",
            proof_url=_proof_url(registrasi.nomor),
        )

    # -- Lupa Jawaban? ------------------------------------------------------------------------
    @expose("/lupa-jawaban", methods=["GET", "POST"])
    def forgot_answer(self):
        form = ForgotAnswerForm()
        form.set_questions(db.session.scalars(select(SecurityQuestion).order_by(SecurityQuestion.id)))
        error = done = None
        if request.method == "POST":
            ratelimit.enforce_public_form("lupa_jawaban", nip=_posted_nip())
            if form.validate():
                try:
                    recovery.change_security_answer(
                        db.session,
                        form.nip.data,
                        form.mother_name.data,
                        form.question.data,
                        form.answer.data,
                    )
                    done = True
                except recovery.RecoveryRefused as refused:
                    error = refused.message
            # Names and answers are never sent back to the browser.
            form.mother_name.data = form.answer.data = None
        return self._page("recovery/forgot_answer.html", form=form, error=error, done=done, active="forgot_answer")

    # -- Lupa Kata Kunci? ---------------------------------------------------------------------
    @expose("/lupa-kata-kunci", methods=["GET", "POST"])
    def forgot_password(self):
        form = ForgotPasswordForm()
        message = None
        if request.method == "POST":
            ratelimit.enforce_public_form("lupa_kata_kunci", nip=_posted_nip())
            if form.validate():
                recovery.request_password_reset(
                    db.session,
                    form.nip.data,
                    form.nomor.data,
                    lambda token: links.external_url(".reset_password", token=token),
                )
                # The same page whether or not the pair matched.
                message = recovery.RESET_REQUESTED_MESSAGE
                form = ForgotPasswordForm(formdata=None)
        return self._page("recovery/forgot_password.html", form=form, message=message, active="forgot_password")

    @expose("/reset/<token>", methods=["GET", "POST"])
    def reset_password(self, token):
        form = ResetPasswordForm()
        error = None
        if request.method == "POST":
            ratelimit.enforce_public_form("reset_kata_kunci", nip=recovery.nip_of_token(db.session, token))
            if form.validate():
                try:
                    recovery.reset_password(db.session, token, form.password.data)
                    return self._page("recovery/reset_password.html", form=None, done=True, active="forgot_password")
                except recovery.RecoveryRefused as refused:
                    error = refused.message
                except passwords.PasswordRefused as refused:
                    form.password.errors = refused.problems
        try:
            recovery.find_reset_token(db.session, token)
        except recovery.RecoveryRefused as refused:
            # The link itself is unusable: say why, and offer no form.
            return self._page(
                "recovery/reset_password.html", form=None, error=refused.message, active="forgot_password"
            )
        return self._page("recovery/reset_password.html", form=form, error=error, active="forgot_password")


class OutboxMailView(ModelView):
    """Admin: every mail the app sent or queued, newest first (read-only)."""

    datamodel = SQLAInterface(OutboxMail)
    # Only these routes exist (and so only these permissions): nobody writes to the outbox here.
    include_route_methods = {"list", "show"}
    base_order = ("created_at", "desc")
    list_columns = ["created_at", "recipient", "subject", "sent_at", "error"]
    show_columns = ["created_at", "recipient", "subject", "body", "sent_at", "error"]
    search_columns = ["recipient", "subject", "sent_at"]
    order_columns = ["created_at", "recipient", "subject", "sent_at"]
    label_columns = {
        **LABELS,
        "recipient": _l("Recipient"),
        "subject": _l("Subject"),
        "body": _l("Message"),
        "sent_at": _l("Sent at"),
        "error": _l("Delivery error"),
    }
    formatters_columns = {
        **date_formatters(OutboxMail),
        # Keep the line breaks of the message (escaped: a body is plain text).
        "body": lambda body: Markup('<pre class="pupns-mail">%s</pre>') % (body or ""),
    }
    list_title = _l("Outbox")
    show_title = _l("Mail")
    page_size = 25
