"""The baseline of the benchmarks: stock Flask-AppBuilder `ModelView` lists over the same
tables as our list pages, with FAB's own query (count(*) of every match, OFFSET paging,
lazy-loaded relations). Registered only by `benchmarks.wsgi` when BENCH_BASELINE is on; they
never exist in the application itself.

Only the page size (25, like ours) and the columns differ from FAB's defaults. Filters and
order come from the URL the way FAB's own list page writes them (`_flt_…`, `_oc_…`, `page_…`).
"""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Pegawai
from app.models.registration import Registrasi
from app.models.submission import Usulan


class BaselinePegawaiView(ModelView):
    route_base = "/baseline/pegawai"
    datamodel = SQLAInterface(Pegawai)
    list_columns = ["nip", "nama", "golongan", "instansi", "unit_kerja", "status"]
    # PegawaiView's search columns (its NIK search is masked away): the same page, FAB's way.
    search_columns = ["nip", "nama", "instansi", "unit_kerja", "status", "golongan"]
    order_columns = ["nip", "nama", "status"]
    page_size = 25


class BaselineUsulanView(ModelView):
    """The verification inbox's table (Usulan, its Pegawai) as FAB lists it."""

    route_base = "/baseline/usulan"
    datamodel = SQLAInterface(Usulan)
    list_columns = ["pegawai.nip", "pegawai.nama", "status", "submitted_at"]
    search_columns = ["status", "instansi_id", "unit_kerja_id", "submitted_at"]
    order_columns = ["submitted_at", "pegawai.nama"]
    page_size = 25


class BaselineRegistrasiView(ModelView):
    """The approval inbox's table (Registrasi, its Pegawai) as FAB lists it."""

    route_base = "/baseline/registrasi"
    datamodel = SQLAInterface(Registrasi)
    list_columns = ["nomor", "pegawai.nip", "pegawai.nama", "status", "created_at"]
    search_columns = ["status", "instansi_id", "nomor"]
    order_columns = ["created_at"]
    page_size = 25


BASELINE_VIEWS = (BaselinePegawaiView, BaselineUsulanView, BaselineRegistrasiView)


def register_baseline_views(appbuilder) -> None:
    """Add the baseline lists (no menu entry); Admin gets their permissions from
    `create-permissions` run on an app built the same way (benchmarks.build_db)."""
    for view in BASELINE_VIEWS:
        appbuilder.add_view_no_menu(view)
