"""The "Impor Data" screen: upload a file, watch its import, read and download its report.

Thin: services.import_jobs checks, stores and runs the file and decides who sees which batch
(a Verifikator Instansi his own instansi's, Admin all); another instansi's batch is 404.
"""

from flask import Response, abort, current_app, flash, g, jsonify, redirect, stream_with_context, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..forms.imports import ImportUploadForm
from ..models import ImportBatch, Instansi
from ..services import import_jobs

ERRORS_SHOWN = 200
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
STATE_LABELS = {
    ImportBatch.STATUS_QUEUED: _l("Waiting"),
    ImportBatch.STATUS_RUNNING: _l("Importing"),
    ImportBatch.STATUS_DONE: _l("Finished"),
    ImportBatch.STATUS_FAILED: _l("Failed"),
    "interrupted": _l("Interrupted"),
}


def _upload_form() -> ImportUploadForm:
    form = ImportUploadForm()
    if import_jobs.chooses_instansi(g.user):
        rows = db.session.execute(select(Instansi.id, Instansi.kode, Instansi.nama).order_by(Instansi.nama))
        form.instansi.choices = [(0, _l("Choose an instansi"))] + [(i, f"{k} – {n}") for i, k, n in rows]
    else:
        del form.instansi
    return form


class ImportView(BaseView):
    """Impor Data (Verifikator Instansi, Admin)."""

    route_base = "/impor"
    default_view = "list"
    base_permissions = ["can_list", "can_upload", "can_show", "can_download"]
    # The JSON the progress bar polls is part of the batch page.
    method_permission_name = {"status": "show"}

    def _batch_or_404(self, pk) -> ImportBatch:
        batch = import_jobs.get_visible(db.session, g.user, pk)
        if batch is None:
            abort(404)
        return batch

    def _list_page(self, form):
        batches = import_jobs.list_visible(db.session, g.user)
        return self.render_template(
            "imports/list.html",
            form=form,
            batches=batches,
            states={b.id: import_jobs.state_of(b) for b in batches},
            state_labels=STATE_LABELS,
            max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024),
        )

    @expose("/")
    @has_access
    def list(self):
        """The upload form and the instansi's latest batches."""
        return self._list_page(_upload_form())

    @expose("/unggah", methods=["POST"])
    @has_access
    def upload(self):
        """Check and store the file, start its import, go to its page."""
        form = _upload_form()
        if form.validate_on_submit():
            instansi_id = form.instansi.data if "instansi" in form else None
            try:
                batch = import_jobs.submit(db.session, g.user, form.berkas.data, instansi_id=instansi_id)
            except import_jobs.ImportRefused as refused:
                form.berkas.errors = [*form.berkas.errors, str(refused.message)]
            else:
                flash(_l("The file was received; its import has started."), "success")
                return redirect(url_for("ImportView.show", pk=batch.id))
        return self._list_page(form), 400

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        """The batch: progress bar while it runs, then its summary and its errors."""
        batch = self._batch_or_404(pk)
        state = import_jobs.state_of(batch)
        return self.render_template(
            "imports/show.html",
            batch=batch,
            state=state,
            state_label=STATE_LABELS[state],
            errors=import_jobs.report_rows(batch, ERRORS_SHOWN) if batch.status == ImportBatch.STATUS_DONE else [],
            errors_shown=ERRORS_SHOWN,
            generic_failure=import_jobs.GENERIC_FAILURE,
        )

    @expose("/<int:pk>/status")
    @has_access
    def status(self, pk):
        """What the progress bar polls every second."""
        batch = self._batch_or_404(pk)
        state = import_jobs.state_of(batch)
        return jsonify(
            state=state,
            label=str(STATE_LABELS[state]),
            total=batch.total_rows,
            processed=batch.total_rows if batch.status == ImportBatch.STATUS_DONE else batch.processed_rows,
            percent=batch.percent,
            finished=batch.finished or state == "interrupted",
        )

    @expose("/<int:pk>/laporan.<fmt>")
    @has_access
    def download(self, pk, fmt):
        """ "Unduh laporan kesalahan": sheet, baris, kolom, alasan of every rejection."""
        batch = self._batch_or_404(pk)
        if fmt not in FORMATS or batch.status != ImportBatch.STATUS_DONE:
            abort(404)
        headers = {
            "Content-Disposition": f'attachment; filename="{import_jobs.report_filename(batch, fmt)}"',
            "X-Content-Type-Options": "nosniff",
        }
        if fmt == "csv":
            body = (chunk.encode("utf-8") for chunk in import_jobs.report_csv(batch))
            return Response(stream_with_context(body), mimetype=FORMATS[fmt], headers=headers)
        handle = import_jobs.report_xlsx(batch)
        try:
            body = handle.read()
        finally:
            handle.close()
        return Response(body, mimetype=FORMATS[fmt], headers=headers)
