"""The one FAB ModelView subclass every e-PUPNS CRUD view builds on.

FAB applies `base_filters` to list/show/edit/delete but not to actions, FK dropdowns or
`pre_add`/`pre_update`; this class closes those gaps with the rules in `services.scope`.
"""
import re

from flask import abort, current_app, g, request
from flask_appbuilder import ModelView
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from sqlalchemy import Date, DateTime

from ..i18n import format_tanggal
from ..models import Pegawai
from ..services import scope
from .labels import LABELS

SCOPED_RELATIONS = ("pegawai", "instansi", "unit_kerja")


def date_formatters(model) -> dict:
    """Show every date column as "17 Agustus 2015" in lists and detail pages."""
    return {
        c.key: format_tanggal
        for c in model.__table__.columns
        if isinstance(c.type, (Date, DateTime))
    }


class ScopeFilter(BaseFilter):
    """Limits any query on a scoped model to the current user's records."""

    name = "scope"

    def apply(self, query, value):
        return query.filter(scope.clause_for(self.model, g.user))


class OutOfScope(Exception):
    """Raised from pre_* hooks; FAB shows the message and saves nothing."""


class ScopedModelView(ModelView):
    base_filters = [["id", ScopeFilter, lambda: None]]
    label_columns = LABELS
    page_size = 25

    def __init__(self, **kwargs):
        self.formatters_columns = {
            **date_formatters(self.datamodel.obj), **(self.formatters_columns or {})
        }
        super().__init__(**kwargs)
        rel = {name: [["id", ScopeFilter, lambda: None]] for name in SCOPED_RELATIONS}
        used = set(self.add_columns or []) | set(self.edit_columns or [])
        rel = {k: v for k, v in rel.items() if k in used}
        self.add_form_query_rel_fields = {**rel, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**rel, **(self.edit_form_query_rel_fields or {})}

    # -- scope checks FAB does not do itself ---------------------------------
    def pegawai_of(self, item):
        return item if isinstance(item, Pegawai) else getattr(item, "pegawai", None)

    def check_writable(self, item):
        pegawai = self.pegawai_of(item)
        if pegawai is None or not scope.can_write_pegawai(g.user, pegawai):
            raise OutOfScope(_l("You may not change records outside your scope."))

    def pre_add(self, item):
        self.check_writable(item)

    def pre_update(self, item):
        self.check_writable(item)

    def pre_delete(self, item):
        self.check_writable(item)

    def action_post(self):
        # FAB fetches the selected rows without base_filters: re-check every one.
        for pk in request.form.getlist("rowid"):
            if self.datamodel.get(pk, self._base_filters) is None:
                abort(404)
        return super().action_post()


def reference_view(model, columns, search=None, form_fields=None):
    """Admin CRUD view for a small reference table; `form_fields` replaces generated fields."""
    return type(
        f"{model.__name__}View",
        (ModelView,),
        {
            "datamodel": SQLAInterface(model),
            "list_columns": columns,
            "add_columns": columns,
            "edit_columns": columns,
            "show_columns": columns,
            "search_columns": search or columns,
            "label_columns": LABELS,
            "order_columns": columns,
            "formatters_columns": date_formatters(model),
            "add_form_extra_fields": form_fields or {},
            "edit_form_extra_fields": form_fields or {},
        },
    )


_PAGE_ARG = re.compile(r"^(page|psize)_(.+)$")
_ORDER_ARG = re.compile(r"^_oc_(.+)$")
_FILTER_ARG = re.compile(r"^_flt_(\d+)_(.+)$")


def _views_by_name():
    return {type(v).__name__: v for v in current_app.appbuilder.baseviews if not isinstance(v, type)}


def reject_bad_list_args():
    """400 for list parameters FAB would turn into a 500 or an unbounded query."""
    if not request.args:
        return
    max_size = current_app.config["MAX_PAGE_SIZE"]
    views = None
    for key, value in request.args.items():
        if m := _PAGE_ARG.match(key):
            if not value.isdigit() or not value.isascii():
                abort(400)
            if m.group(1) == "psize" and not 1 <= int(value) <= max_size:
                abort(400)
        elif m := _ORDER_ARG.match(key):
            views = views or _views_by_name()
            view = views.get(m.group(1))
            if view is None or value not in (getattr(view, "order_columns", None) or []):
                abort(400)
            if request.args.get(f"_od_{m.group(1)}", "asc") not in ("asc", "desc"):
                abort(400)
        elif m := _FILTER_ARG.match(key):
            views = views or _views_by_name()
            view = views.get(request.blueprint or "")
            filters = getattr(view, "_filters", None)
            if filters is None:
                abort(400)
            options = filters.get_search_filters().get(m.group(2))
            if options is None or int(m.group(1)) >= len(options):
                abort(400)

