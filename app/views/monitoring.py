"""Monitoring: the dashboard (Indonesia → Kanreg → instansi → unit), the lists behind its
figures, the verifiers' workload and the CSV / XLSX exports (services.monitoring).

The area is named in the query string (`?kanreg=…`, `?instansi=…`, `?unit=…`; none: the
user's own broadest area). An area that does not exist or lies outside the user's scope is a
404, as if it did not exist. Everything here only reads; an export writes its audit row.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, g, request, stream_with_context
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import format_percent, to_user_timezone
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import utcnow
from ..models.submission import Usulan
from ..services import monitoring
from ..services.monitoring import INSTANSI, KANREG, NASIONAL, UNIT

PAGE_SIZE = 50
WORKLOAD_PAGE_SIZE = 50
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LEVEL_LABELS = {
    Usulan.DI_SKPD: _l("SKPD level"),
    Usulan.DI_INSTANSI: _l("Instansi level"),
    Usulan.DI_BKN: _l("BKN level"),
}
# The stacked bar: segments in the order a PNS moves through them, with their CSS class.
SEGMENTS = (
    ("selesai", "pm-selesai", _l("Completed")),
    ("dalam_verifikasi", "pm-verifikasi", _l("In verification")),
    ("dikembalikan", "pm-kembali", _l("Returned")),
    ("belum_kirim", "pm-belumkirim", _l("Approved, not sent")),
    ("menunggu", "pm-menunggu", _l("Awaiting approval")),
    ("belum_daftar", "pm-belumdaftar", _l("Not registered")),
)


def persen(fraction: float) -> str:
    """45,3 % in Indonesian."""
    return format_percent(fraction, "#,##0.0%")


def bar_width(fraction: float) -> str:
    """A CSS width (always with a dot, whatever the locale)."""
    return f"{max(0.0, min(fraction, 1.0)) * 100:.2f}%"


def _page_size(default: int) -> int:
    wanted = request.args.get("per_page", default, type=int)
    return max(1, min(wanted, current_app.config["MAX_PAGE_SIZE"]))


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int))


def _node_or_404():
    """The area of the query string, checked against the user's scope (404 outside it)."""
    for level in (UNIT, INSTANSI, KANREG):
        raw = request.args.get(level)
        if raw is None:
            continue
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) < 2**31):
            abort(404)
        node = monitoring.find_node(db.session, level, int(raw))
        break
    else:
        node = monitoring.root_node(db.session, g.user)
    if node is None or not monitoring.can_watch(g.user, node):
        abort(404)
    return node


def _data_time():
    """The time of the figures, rebuilding them first if configured and stale."""
    config = current_app.config
    return monitoring.ensure_fresh(
        db.session, on_read=config["MONITORING_REFRESH_ON_READ"], max_age=config["MONITORING_MAX_AGE"]
    )


class MonitoringView(BaseView):
    """Dashboard, lists, workload and exports for Monitor, Admin and the verifiers (in scope)."""

    route_base = "/monitoring"
    default_view = "index"
    method_permission_name = {"index": "access", "daftar": "access", "antrian": "access", "ekspor": "export"}

    def _crumbs(self, node):
        return [(crumb, monitoring.can_watch(g.user, crumb)) for crumb in monitoring.breadcrumb(db.session, node)]

    def _render(self, template, node, **context):
        return self.render_template(
            template,
            node=node,
            crumbs=self._crumbs(node),
            persen=persen,
            bar_width=bar_width,
            segments=SEGMENTS,
            kind_labels=monitoring.KIND_LABELS,
            tahap_labels=monitoring.TAHAP_LABELS,
            level_labels=LEVEL_LABELS,
            NASIONAL=NASIONAL,
            **context,
        )

    @expose("/")
    @has_access
    def index(self):
        """The figures of one area and of each area below it, with links to drill down."""
        node = _node_or_404()
        data_time = _data_time()
        total, rows = monitoring.figures(db.session, node)
        return self._render(
            "monitoring/dashboard.html",
            node,
            total=total,
            rows=rows,
            data_time=data_time,
            list_kinds=monitoring.LIST_KINDS,
            export_kinds=monitoring.EXPORT_KINDS,
            can_export=self.appbuilder.sm.has_access("can_export", self.class_permission_name),
        )

    @expose("/daftar/<kind>")
    @has_access
    def daftar(self, kind):
        """Belum daftar / belum kirim / dikembalikan of one area: NIP, nama, unit, status —
        one page, sorted; the number of pages follows the figures of the dashboard."""
        if kind not in monitoring.LIST_KINDS:
            abort(404)
        node = _node_or_404()
        data_time = _data_time()
        sort = request.args.get("sort") if request.args.get("sort") in monitoring.LIST_SORTS else "nama"
        size, page = _page_size(PAGE_SIZE), _page()
        counted = monitoring.node_total(db.session, node)
        pages = max(1, -(-getattr(counted, kind) // size))
        page = min(page, pages)
        rows = monitoring.list_page(db.session, g.user, node, kind, sort=sort, page=page, size=size, counted=counted)
        return self._render(
            "monitoring/list.html",
            node,
            kind=kind,
            rows=rows,
            counted=getattr(counted, kind),
            page=page,
            pages=pages,
            per_page=size,
            sort=sort,
            sort_labels=monitoring.LIST_SORT_LABELS,
            data_time=data_time,
            can_export=self.appbuilder.sm.has_access("can_export", self.class_permission_name),
        )

    @expose("/antrian/")
    @has_access
    def antrian(self):
        """The verifiers' workload: each queue in view, how many wait and since when."""
        node = _node_or_404()
        data_time = _data_time()
        level = request.args.get("level") if request.args.get("level") in monitoring.LEVELS else ""
        size, page = _page_size(WORKLOAD_PAGE_SIZE), _page()
        total, queues = monitoring.workload_page(db.session, g.user, node, level or None, page=page, size=size)
        pages = max(1, -(-total // size))
        return self._render(
            "monitoring/workload.html",
            node,
            queues=queues,
            total=total,
            page=page,
            pages=pages,
            per_page=size,
            level=level,
            summary=monitoring.workload_summary(db.session, g.user, node),
            data_time=data_time,
            now=utcnow(),
        )

    @expose("/ekspor/<kind>.<fmt>")
    @has_access
    def ekspor(self, kind, fmt):
        """A list or the verified data of one area as CSV (streamed while it is read) or XLSX
        (built row by row in a temporary file, then streamed). Audited."""
        if kind not in monitoring.EXPORT_KINDS or fmt not in FORMATS:
            abort(404)
        node = _node_or_404()
        today = to_user_timezone(dt.datetime.now(dt.timezone.utc)).date()
        filename = monitoring.export_filename(kind, node, fmt, today)
        monitoring.record_export(db.session, g.user, node, kind, fmt, filename)
        header, rows = monitoring.export_rows(db.session, g.user, node, kind)
        headers = {
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        if fmt == "csv":
            body = (chunk.encode("utf-8") for chunk in monitoring.csv_stream(header, rows))
            return Response(stream_with_context(body), mimetype=FORMATS[fmt], headers=headers)
        handle = monitoring.xlsx_tempfile(header, rows, str(monitoring.KIND_LABELS[kind]))
        size = handle.seek(0, 2)
        handle.seek(0)

        def chunks():
            try:
                while block := handle.read(64 * 1024):
                    yield block
            finally:
                handle.close()

        headers["Content-Length"] = str(size)
        return Response(chunks(), mimetype=FORMATS[fmt], headers=headers)
