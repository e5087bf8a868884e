"""Public registration (DESIGN.md §3 "Registration"): NIP lookup ("Cari"), email ("Lanjut"),
account details ("Registrasi"), the success page and the "Bukti Registrasi" PDF ("Cetak").

Thin: the forms check fields, services.registration decides whether a NIP may register and
makes every change, services.schedule says whether registration is open. The NIP travels
between the steps only in the signed session and is looked up again on every step (another
person may have registered it meanwhile); no form field is trusted for it after "Cari".
Every POST counts against the public-form rate limits, per client IP and per NIP.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import abort, current_app, make_response, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..extensions import db
from ..forms.registration import AccountForm, EmailForm, NipForm
from ..i18n import format_tanggal, phase_label
from ..models import SecurityQuestion
from ..models.registration import Registrasi
from ..models.schedule import Jadwal
from ..models.ticket import Tiket
from ..services import captcha, links, pdf, ratelimit, registration, rules
from ..services.schedule import current_phase
from ..services.scope import can_see_pegawai

FORM_NAME = "registrasi"  # rate-limit scope of every POST of this flow
DRAFT_KEY = "registrasi_draft"  # {"nip": ..., "email": ...} between the steps
CAPTCHA_KEY = "registrasi_captcha"  # id of the captcha challenge shown on step 2
# The registration this browser may print without logging in. The same key is set by
# "Lupa Nomor Registrasi?" (views.recovery.REGISTRASI_SESSION_KEY) after a correct answer.
DONE_KEY = "registrasi_id"

# Helpdesk ticket category offered with each refusal of step 1 (the ticket form prefills it).
REPORT_CATEGORY = {
    registration.LOOKUP_INVALID: Tiket.KATEGORI_TIDAK_ADA,
    registration.LOOKUP_UNKNOWN: Tiket.KATEGORI_TIDAK_ADA,
    registration.LOOKUP_RETIRED: Tiket.KATEGORI_PENSIUN,
    registration.LOOKUP_REGISTERED: Tiket.KATEGORI_LAINNYA,
}
# What the person can do about each refusal.
REFUSAL_HINTS = {
    registration.LOOKUP_INVALID: _l(
        "Type the 18 digits of your new NIP as printed on your decree (SK), without letters or other characters."
    ),
    registration.LOOKUP_UNKNOWN: _l(
        "Check the digits. If the NIP is right, your record is missing from the master data: "
        "report it to the helpdesk with a copy of your decree (SK)."
    ),
    registration.LOOKUP_RETIRED: _l(
        "If you are still in service, report it to the helpdesk with a copy of your latest decree (SK)."
    ),
    registration.LOOKUP_REGISTERED: _l(
        "If you registered earlier, check the status of your registration. If you did not, "
        "someone else used your NIP: report it so that the helpdesk can reset the registration."
    ),
}


@dataclass
class Refusal:
    """Why the flow stops at step 1, and where to report it."""

    message: str
    hint: str | None
    report_url: str | None
    status_url: str | None = None


def report_url(kategori: str, nip: str | None = None) -> str:
    """The helpdesk ticket form ("Laporkan"), prefilled with the NIP and the category."""
    params = {}
    if nip and rules.is_ascii_digits(nip, 18):
        params["nip"] = nip
    params["kategori"] = kategori
    if "TicketView.index" in current_app.view_functions:
        return url_for("TicketView.index", **params)
    return request.script_root + "/laporkan/?" + urlencode(params)


def approval_url(nomor: str) -> str:
    """Absolute URL of this registration in the approver's inbox (printed as the QR code)."""
    if "RegistrationApprovalView.list" in current_app.view_functions:
        return links.external_url("RegistrationApprovalView.list", q=nomor)
    return links.external_root() + "persetujuan/?" + urlencode({"q": nomor})


def _status_url() -> str | None:
    if "StatusView.index" in current_app.view_functions:
        return url_for("StatusView.index")
    return None


def refusal(code: str, nip: str | None, message=None) -> Refusal:
    """The step-1 message for a LOOKUP_* refusal code (from lookup_nip or register)."""
    return Refusal(
        message=str(message or registration.NipLookup(code).message),
        hint=str(REFUSAL_HINTS[code]) if code in REFUSAL_HINTS else None,
        report_url=report_url(REPORT_CATEGORY.get(code, Tiket.KATEGORI_LAINNYA), nip),
        status_url=_status_url() if code == registration.LOOKUP_REGISTERED else None,
    )


def _applicable(instansi):
    """Jadwal rows that can apply to `instansi`: national, its Kanreg's, its own."""
    return or_(
        Jadwal.kanreg_id.is_(None) & Jadwal.instansi_id.is_(None),
        Jadwal.kanreg_id == instansi.kanreg_id,
        Jadwal.instansi_id == instansi.id,
    )


def next_registration_window(session_, instansi, today: dt.date):
    """(first day, last day) of the next registration phase for `instansi` from `today` on,
    or None. Which row wins on a given day stays services.schedule.current_phase's decision;
    the phase in force can only change where an applicable row starts or ends, so only those
    days are asked."""
    rows = session_.scalars(select(Jadwal).where(Jadwal.selesai >= today, _applicable(instansi))).all()
    days = {today} | {max(r.mulai, today) for r in rows}
    days |= {r.selesai + dt.timedelta(days=1) for r in rows}
    for day in sorted(days):
        phase = current_phase(session_, instansi=instansi, today=day)
        if phase.fase == Jadwal.FASE_PENGISIAN:
            return day, phase.selesai
    return None


def closed_notice(pegawai) -> dict | None:
    """None while registration is open for the Pegawai's instansi; else what to tell him."""
    today = dt.date.today()
    instansi = pegawai.instansi
    phase = current_phase(db.session, instansi=instansi, today=today)
    if phase.fase == Jadwal.FASE_PENGISIAN:
        return None
    window = next_registration_window(db.session, instansi, today)
    if window is not None:
        message = _(
            "Registration for %(instansi)s is open from %(mulai)s to %(selesai)s, not today.",
            instansi=instansi.nama,
            mulai=format_tanggal(window[0]),
            selesai=format_tanggal(window[1]),
        )
    else:
        ended = db.session.scalar(
            select(func.max(Jadwal.selesai)).where(
                Jadwal.fase == Jadwal.FASE_PENGISIAN, Jadwal.selesai < today, _applicable(instansi)
            )
        )
        if ended is not None:
            message = _(
                "Registration for %(instansi)s closed on %(selesai)s.",
                instansi=instansi.nama,
                selesai=format_tanggal(ended),
            )
        else:
            message = _("No registration period has been set for %(instansi)s yet.", instansi=instansi.nama)
    current = None
    if phase.is_open:
        current = _(
            "Current phase for your instansi: %(fase)s (%(mulai)s – %(selesai)s).",
            fase=phase_label(phase.fase),
            mulai=format_tanggal(phase.mulai),
            selesai=format_tanggal(phase.selesai),
        )
    return {"message": message, "current": current}


def may_print(registrasi: Registrasi) -> bool:
    """The registrant's browser session, the PNS owning it, or staff whose scope covers it."""
    if session.get(DONE_KEY) == registrasi.id:
        return True
    if not current_user.is_authenticated:
        return False
    if registrasi.user_id == current_user.id:
        return True
    return can_see_pegawai(db.session, current_user, registrasi.pegawai_id)


def _no_store(response):
    """Pages with a nomor registrasi or personal data: not cached, no Referer leak."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


class RegistrationView(BaseView):
    """ "Registrasi" for PNS: public, no login."""

    route_base = "/registrasi"
    default_view = "index"

    def _page(self, template, **context):
        return _no_store(make_response(self.render_template(template, **context)))

    def _step1(self, *, nip_form=None, email_form=None, pegawai=None, refused=None, closed=None):
        wrong_data = None
        if pegawai is not None:
            wrong_data = {
                "nama": report_url(Tiket.KATEGORI_BEDA_NAMA, pegawai.nip),
                "instansi": report_url(Tiket.KATEGORI_BEDA_INSTANSI, pegawai.nip),
            }
        return self._page(
            "registration/step1.html",
            nip_form=nip_form or NipForm(formdata=None),
            email_form=email_form,
            pegawai=pegawai,
            refused=refused,
            closed=closed,
            wrong_data=wrong_data,
            change_url=url_for(".index", ulang=1),
        )

    def _checked_draft(self, draft):
        """(pegawai, None) when the draft's NIP may still register today; else (None, the
        step-1 page saying why) and the draft is dropped."""
        nip = draft.get("nip")
        found = registration.lookup_nip(db.session, nip)
        if found.status != registration.LOOKUP_OK:
            session.pop(DRAFT_KEY, None)
            return None, self._step1(refused=refusal(found.status, nip))
        closed = closed_notice(found.pegawai)
        if closed is not None:
            session.pop(DRAFT_KEY, None)
            return None, self._step1(closed=closed)
        return found.pegawai, None

    # -- step 1: "NIP Baru" + "Cari", then "Email" + "Lanjut" ---------------------------------
    @expose("/", methods=["GET", "POST"])
    def index(self):
        """Step 1: the NIP form; after a successful "Cari", Nama / Instansi and the email form."""
        if request.method == "POST":
            return self._search()
        if request.args.get("ulang"):  # "Ganti NIP": start again
            session.pop(DRAFT_KEY, None)
            return redirect(url_for(".index"))
        draft = session.get(DRAFT_KEY) or {}
        if not draft.get("nip"):
            return self._step1()
        pegawai, stop = self._checked_draft(draft)
        if stop is not None:
            return stop
        email_form = EmailForm(formdata=None, email=draft.get("email"))
        return self._step1(nip_form=NipForm(formdata=None, nip=pegawai.nip), pegawai=pegawai, email_form=email_form)

    def _search(self):
        ratelimit.enforce_public_form(FORM_NAME, nip=request.form.get("nip"))
        session.pop(DRAFT_KEY, None)
        form = NipForm()
        if not form.validate_on_submit():
            return self._step1(nip_form=form)
        nip = form.nip.data
        found = registration.lookup_nip(db.session, nip)
        if found.status != registration.LOOKUP_OK:
            return self._step1(nip_form=form, refused=refusal(found.status, nip))
        closed = closed_notice(found.pegawai)
        if closed is not None:
            return self._step1(nip_form=form, closed=closed)
        session[DRAFT_KEY] = {"nip": found.pegawai.nip}
        return redirect(url_for(".index"))

    @expose("/lanjut", methods=["POST"])
    def email(self):
        """ "Lanjut": keep the email in the draft and go to step 2."""
        draft = session.get(DRAFT_KEY) or {}
        ratelimit.enforce_public_form(FORM_NAME, nip=draft.get("nip"))
        if not draft.get("nip"):
            return redirect(url_for(".index"))
        pegawai, stop = self._checked_draft(draft)
        if stop is not None:
            return stop
        form = EmailForm()
        if not form.validate_on_submit():
            return self._step1(nip_form=NipForm(formdata=None, nip=pegawai.nip), pegawai=pegawai, email_form=form)
        session[DRAFT_KEY] = {"nip": pegawai.nip, "email": form.email.data}
        return redirect(url_for(".account"))

    # -- step 2: password, mother's name, security question, captcha -------------------------
    @expose("/langkah-2", methods=["GET", "POST"])
    def account(self):
        """Step 2; its POST ("Registrasi") registers through services.registration.register."""
        draft = session.get(DRAFT_KEY) or {}
        if request.method == "POST":
            ratelimit.enforce_public_form(FORM_NAME, nip=draft.get("nip"))
        if not (draft.get("nip") and draft.get("email")):
            return redirect(url_for(".index"))
        pegawai, stop = self._checked_draft(draft)
        if stop is not None:
            return stop
        form = AccountForm()
        form.nip = pegawai.nip
        form.question.choices = self._question_choices()
        if request.method == "POST":
            valid = form.validate()
            # Every attempt uses the shown challenge up, right or wrong.
            if not captcha.consume(db.session, session.pop(CAPTCHA_KEY, None), form.captcha.data):
                form.captcha.errors = list(form.captcha.errors) + [
                    _("The captcha code is wrong or has expired. Type the code of the new image.")
                ]
                valid = False
            if valid:
                try:
                    registrasi = registration.register(
                        db.session,
                        self.appbuilder.sm,
                        nip=pegawai.nip,
                        email=draft["email"],
                        password=form.password.data,
                        mother_name=form.mother_name.data,
                        question_id=form.question.data,
                        answer=form.answer.data,
                    )
                except registration.RegistrationRefused as refused:
                    if refused.code == "password":
                        form.password.errors = list(form.password.errors) + [str(refused.message)]
                    elif refused.code == "question":
                        form.question.errors = list(form.question.errors) + [str(refused.message)]
                    else:  # the NIP was registered (or changed) meanwhile
                        session.pop(DRAFT_KEY, None)
                        return self._step1(refused=refusal(refused.code, pegawai.nip, refused.message))
                else:
                    session.pop(DRAFT_KEY, None)
                    session[DONE_KEY] = registrasi.id
                    return redirect(url_for(".done"))
        return self._account_page(form, pegawai, draft["email"])

    def _question_choices(self):
        questions = db.session.scalars(select(SecurityQuestion).order_by(SecurityQuestion.id)).all()
        return [(0, _("– choose a question –"))] + [(q.id, q.pertanyaan) for q in questions]

    def _account_page(self, form, pegawai, email):
        form.captcha.data = ""
        captcha_image = None
        if current_app.config.get("CAPTCHA_ENABLED", True):
            challenge_id, answer = captcha.new_challenge()
            session[CAPTCHA_KEY] = challenge_id
            captcha_image = captcha.image_data_uri(answer)
        return self._page(
            "registration/step2.html",
            form=form,
            pegawai=pegawai,
            email=email,
            captcha_image=captcha_image,
            change_url=url_for(".index"),
        )

    # -- success and "Cetak" -----------------------------------------------------------------
    @expose("/selesai")
    def done(self):
        """The "Nomor Registrasi" of this browser's registration, what happens next, "Cetak"."""
        registrasi_id = session.get(DONE_KEY)
        registrasi = db.session.get(Registrasi, registrasi_id) if registrasi_id else None
        if registrasi is None:
            return redirect(url_for(".index"))
        return self._page(
            "registration/done.html",
            registrasi=registrasi,
            pegawai=registrasi.pegawai,
            proof_url=url_for(".proof", nomor=registrasi.nomor),
            status_url=_status_url(),
        )

    @expose("/bukti/<nomor>.pdf")
    def proof(self, nomor):
        """The two-part "Bukti Registrasi"; 404 for anyone but the registrant and staff in scope."""
        nomor = registration.normalise_nomor(nomor)
        registrasi = db.session.scalar(select(Registrasi).where(Registrasi.nomor == nomor)) if nomor else None
        if registrasi is None or not may_print(registrasi):
            abort(404)
        document = pdf.render_pdf(
            "pdf/bukti_registrasi.html",
            registrasi=registrasi,
            pegawai=registrasi.pegawai,
            qr=pdf.qr_data_uri(approval_url(registrasi.nomor)),
        )
        response = make_response(document)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = f'inline; filename="bukti-registrasi-{registrasi.nomor_tampil}.pdf"'
        return _no_store(response)
