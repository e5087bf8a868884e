"""The data-quality report (services.data_quality): per instansi × rule the records breaking
it, the findings behind each figure and their CSV / XLSX export. Only reads; an export
writes its audit row. An instansi outside the user's scope is a 404, as if it did not exist."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, g, request, stream_with_context
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import to_user_timezone

from ..extensions import db
from ..services import data_quality, rules
from .monitoring import FORMATS


def _code_or_404():
    code = request.args.get("code") or None
    if code is not None and code not in rules.CATALOGUE:
        abort(404)
    return code


def _instansi_or_404(instansi_id: int):
    if instansi_id >= 2**31:  # no such id; SQLite could not even bind it
        abort(404)
    instansi = data_quality.visible_instansi(db.session, g.user, instansi_id)
    if instansi is None:
        abort(404)
    return instansi


class DataQualityView(BaseView):
    """Kualitas Data for Monitor and Admin (their scope) and the Verifikator Instansi (his own)."""

    route_base = "/kualitas-data"
    default_view = "index"
    method_permission_name = {"index": "access", "daftar": "access", "ekspor": "export"}

    def _can_export(self):
        return self.appbuilder.sm.has_access("can_export", self.class_permission_name)

    @expose("/")
    @has_access
    def index(self):
        """Instansi rows × rules: the records breaking each rule, linked to the findings."""
        report = data_quality.summary(db.session, g.user)
        return self.render_template(
            "data_quality/index.html",
            report=report,
            catalogue=rules.CATALOGUE,
            severity_labels=data_quality.SEVERITY_LABELS,
        )

    @expose("/daftar/<int:instansi_id>")
    @has_access
    def daftar(self, instansi_id):
        """The findings of one instansi (one rule or all): NIP, nama, rule, section, field."""
        instansi = _instansi_or_404(instansi_id)
        code = _code_or_404()
        size = max(
            1, min(request.args.get("per_page", data_quality.PAGE_SIZE, type=int), current_app.config["MAX_PAGE_SIZE"])
        )
        paged = data_quality.findings(
            db.session,
            g.user,
            instansi.id,
            code,
            page=max(1, request.args.get("page", 1, type=int)),
            after=request.args.get("after"),
            before=request.args.get("before"),
            size=size,
        )
        return self.render_template(
            "data_quality/list.html",
            instansi=instansi,
            code=code,
            paged=paged,
            args={"instansi_id": instansi.id, **({"code": code} if code else {}), "per_page": size},
            checked_at=data_quality.refreshed_at(db.session, instansi.id),
            describe=data_quality.describe,
            field_label=data_quality.field_label,
            section_labels=data_quality.SECTION_LABELS,
            severity_labels=data_quality.SEVERITY_LABELS,
            catalogue=rules.CATALOGUE,
            can_export=self._can_export(),
        )

    @expose("/ekspor/<int:instansi_id>.<fmt>")
    @has_access
    def ekspor(self, instansi_id, fmt):
        """The findings of one instansi (one rule or all) as CSV (streamed) or XLSX. Audited."""
        if fmt not in FORMATS:
            abort(404)
        instansi = _instansi_or_404(instansi_id)
        code = _code_or_404()
        today = to_user_timezone(dt.datetime.now(dt.timezone.utc)).date()
        filename = data_quality.export_filename(instansi.id, code, fmt, today)
        data_quality.record_export(db.session, g.user, instansi, code, fmt, filename)
        headers = {
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        if fmt == "csv":
            body = (chunk.encode("utf-8") for chunk in data_quality.export_csv(db.session, instansi.id, code))
            return Response(stream_with_context(body), mimetype=FORMATS[fmt], headers=headers)
        handle = data_quality.export_xlsx(db.session, instansi.id, code)
        headers["Content-Length"] = str(handle.seek(0, 2))
        handle.seek(0)

        def chunks():
            try:
                while block := handle.read(64 * 1024):
                    yield block
            finally:
                handle.close()

        return Response(chunks(), mimetype=FORMATS[fmt], headers=headers)
