"""The one FAB ModelView subclass every e-PUPNS CRUD view builds on.

FAB applies `base_filters` to list/show/edit/delete but not to actions, FK dropdowns or
`pre_add`/`pre_update`; this class closes those gaps with the rules in `services.scope`.
"""

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from flask import abort, current_app, g, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.baseviews import BaseCRUDView
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from sqlalchemy import Date, DateTime, false
from wtforms.validators import ValidationError

from ..i18n import format_tanggal
from ..models import Pegawai
from ..services import rules, scope
from . import privacy
from .capped_interface import CappedInterface, SortingInterface
from ..services.labels import LABELS

SCOPED_RELATIONS = ("pegawai", "instansi", "unit_kerja")


def date_formatters(model) -> dict:
    """Show every date column as "17 Agustus 2015" in lists and detail pages."""
    return {c.key: format_tanggal for c in model.__table__.columns if isinstance(c.type, (Date, DateTime))}


class ScopeFilter(BaseFilter):
    """Limits any query on a scoped model to the current user's records."""

    name = "scope"

    def apply(self, query, value):
        return query.filter(scope.clause_for(self.model, g.user))


class OwnUnitsFilter(BaseFilter):
    """The units offered by a list's search form: those of the user's own instansi. A user
    without one (national roles) filters by instansi instead: 40,000 units in one dropdown
    made every list page a 2 MB, multi-second render."""

    name = "own units"

    def apply(self, query, value):
        instansi_id = getattr(g.user, "instansi_id", None)
        return query.filter(self.model.instansi_id == instansi_id if instansi_id else false())


class FieldRule:
    """Form validator: the rule catalogue's check of this field (services.rules.FIELD_RULES),
    shown under the field. Every staff form gets it for every field that has such a rule."""

    def __call__(self, form, field):
        messages = [str(e.message) for e in rules.check_fields({field.name: field.data})]
        if messages:
            raise ValidationError(" ".join(messages))


class OutOfScope(Exception):
    """Raised from pre_* hooks; FAB shows the message and saves nothing."""


class ScopedModelView(ModelView):
    base_filters = [["id", ScopeFilter, lambda: None]]
    label_columns = LABELS
    page_size = 25
    # NIKs masked in every list, in full on detail pages only for master-data keepers.
    list_widget = privacy.MaskedListWidget

    def __init__(self, **kwargs):
        self.formatters_columns = {
            **date_formatters(self.datamodel.obj),
            **privacy.formatters(),
            **(self.formatters_columns or {}),
        }
        # A NIK in a GET search form would land in URLs and access logs (views.privacy).
        searchable = self.search_columns or self.datamodel.get_search_columns_list()
        self.search_columns = [c for c in searchable if c not in privacy.MASKED_COLUMNS]
        # FAB builds the add/edit forms inside ModelView.__init__, so the dropdown scope must
        # be set before it; set afterwards, every FK dropdown listed (and accepted) all rows.
        rel = {name: [["id", ScopeFilter, lambda: None]] for name in SCOPED_RELATIONS}
        used = set(self.add_columns or []) | set(self.edit_columns or [])
        rel = {k: v for k, v in rel.items() if k in used}
        self.add_form_query_rel_fields = {**rel, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**rel, **(self.edit_form_query_rel_fields or {})}
        validators = dict(self.validators_columns or {})
        for name in used & set(rules.FIELD_RULES):
            validators[name] = [*validators.get(name, []), FieldRule()]
        self.validators_columns = validators
        if "unit_kerja" in self.search_columns:
            self.search_form_query_rel_fields = {
                "unit_kerja": [["id", OwnUnitsFilter, lambda: None]],
                **(self.search_form_query_rel_fields or {}),
            }
        # National lists: a capped count, bounded pages, relations loaded with the rows.
        self.datamodel = CappedInterface.wrap(self.datamodel)
        super().__init__(**kwargs)
        self.datamodel.eager_load(self.list_columns)

    # -- scope checks FAB does not do itself ---------------------------------
    def pegawai_of(self, item):
        return item if isinstance(item, Pegawai) else getattr(item, "pegawai", None)

    def is_writable(self, item) -> bool:
        """True when the current user may change `item` as it stands (form values included)."""
        pegawai = self.pegawai_of(item)
        return pegawai is not None and scope.can_write_pegawai(g.user, pegawai)

    def refuse(self, message):
        """Stop a pre_* hook: FAB shows `message` and saves nothing."""
        # On edit FAB has already copied the form onto the stored record: drop those changes.
        self.datamodel.session.rollback()
        raise OutOfScope(message)

    def check_writable(self, item):
        if not self.is_writable(item):
            self.refuse(_l("You may not change records outside your scope."))

    def pre_add(self, item):
        self.check_writable(item)

    def pre_update(self, item):
        self.check_writable(item)

    def pre_delete(self, item):
        self.check_writable(item)

    def _stored_item_writable_or_abort(self, pk):
        # FAB checks only the read scope (base_filters) before it copies the form onto the
        # record; pre_update then sees the new values. The stored record must be writable too.
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if not self.is_writable(item):
            abort(403)

    def _edit(self, pk):
        self._stored_item_writable_or_abort(pk)
        return super()._edit(pk)

    def _delete(self, pk):
        self._stored_item_writable_or_abort(pk)
        return super()._delete(pk)

    # Actions are re-exposed: an override without @expose silently drops FAB's route.
    @expose("/action_post", methods=["POST"])
    def action_post(self):
        # FAB fetches the selected rows without base_filters: re-check every one.
        for pk in request.form.getlist("rowid"):
            if self.datamodel.get(pk, self._base_filters) is None:
                abort(404)
        return super().action_post()

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if self.datamodel.get(pk, self._base_filters) is None:
            abort(404)
        return super().action(name, pk)


def make_sortable(view) -> None:
    """Every list column a CRUD view offers for sorting sorts: related columns by the related
    row's name or code (SortingInterface), and a column that cannot be sorted is no longer
    offered (nor accepted: reject_bad_list_args checks `order_columns`). Run once over every
    registered view, FAB's own screens included, so a new view needs nothing for it."""
    if not isinstance(view, BaseCRUDView):
        return
    if type(view.datamodel) is SQLAInterface:
        view.datamodel = SortingInterface(view.datamodel.obj, view.datamodel.session)
    if isinstance(view.datamodel, SortingInterface):
        view.order_columns = view.datamodel.sortable(view.order_columns)
    else:
        view.order_columns = [c for c in view.order_columns or () if not view.datamodel.is_relation(c)]


def reference_view(model, columns, search=None, form_fields=None, mixins=()):
    """Admin CRUD view for a small reference table; `form_fields` replaces generated fields,
    `mixins` add hooks (pre_add / pre_update) before FAB's ModelView."""
    return type(
        f"{model.__name__}View",
        (*mixins, ModelView),
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
# No list of the portal has more pages than this (4.5 million rows at 50 a page is 90,000);
# a larger page number, FAB's `page_<View>` or our screens' `page`, is refused before it
# reaches an OFFSET that the database cannot hold (SQLite: OverflowError, a 500).
MAX_PAGE_NUMBER = 1_000_000
_ORDER_ARG = re.compile(r"^_oc_(.+)$")
_DIRECTION_ARG = re.compile(r"^_od_(.+)$")
_FILTER_ARG = re.compile(r"^_flt_(\d+)_(.+)$")
_ID = re.compile(r"[0-9]{1,10}")
_MAX_ID = 2**31 - 1  # every primary key is an INTEGER; PostgreSQL fails on a larger literal


def _views_by_name():
    return {type(v).__name__: v for v in current_app.appbuilder.baseviews if not isinstance(v, type)}


def _is_id(value) -> bool:
    # Route converters may already have made it an int (`<int:pk>`).
    text = str(value) if isinstance(value, (int, str)) else ""
    return _ID.fullmatch(text) is not None and int(text) <= _MAX_ID


def _has_nul(multidict) -> bool:
    # PostgreSQL refuses NUL in text: a query with one fails with a 500.
    return any("\x00" in k or "\x00" in v for k, v in multidict.items(multi=True))


def _reject_bad_route_args():
    view_args = request.view_args or {}
    endpoint = request.endpoint or ""
    if "pk" in view_args and not _is_id(view_args["pk"]):
        abort(404)
    # Any other id in the path (`<int:dokumen_id>`): beyond INTEGER, PostgreSQL fails the query.
    if any(isinstance(v, int) and not 0 <= v <= _MAX_ID for v in view_args.values()):
        abort(404)
    if endpoint.endswith(".download") and "filename" in view_args:
        # FAB's file-column download serves UPLOAD_FOLDER on every ModelView; e-PUPNS keeps
        # no files there: documents are served, scoped, by DokumenView only.
        abort(404)
    if _has_nul(request.args) or (request.method == "POST" and _has_nul(request.form)):
        abort(400)
    if endpoint.endswith((".action", ".action_post")):
        # FAB answers an unknown action with a 500, and looks the rows up by raw pk.
        view = _views_by_name().get(request.blueprint or "")
        name = view_args.get("name") if endpoint.endswith(".action") else request.form.get("action")
        if name not in (getattr(view, "actions", None) or {}):
            abort(400)
        if not all(_is_id(pk) for pk in request.form.getlist("rowid")):
            abort(400)


_INTEGER = re.compile(r"-?[0-9]{1,10}")
# What PostgreSQL reads as a boolean (FAB's checkbox filter sends "y").
_BOOLEAN_WORDS = {"", "y", "n", "yes", "no", "t", "f", "true", "false", "1", "0", "on", "off"}
_MAX_NUMBER = Decimal(10) ** 15


def _filter_value_fits(datamodel, column, value) -> bool:
    """FAB hands a filter value to the database converted by its own rules, which pass on
    what PostgreSQL refuses with an error (a 500): any text for a boolean or NUMERIC column,
    an integer beyond INTEGER, an infinite number. An empty value is FAB's "no value"."""
    value = value.strip()
    if not value:
        return True
    if datamodel.is_boolean(column):
        return value.lower() in _BOOLEAN_WORDS
    if datamodel.is_integer(column):
        return _INTEGER.fullmatch(value) is not None and abs(int(value)) <= _MAX_ID
    if datamodel.is_numeric(column) or datamodel.is_float(column):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return False
        return number.is_finite() and abs(number) < _MAX_NUMBER
    return True


def reject_bad_list_args():
    """Refuse request arguments FAB would turn into a 500, an unbounded query or a file read:
    400 for bad page/sort/filter arguments, NUL characters and unknown actions; 404 for a
    malformed record id and for FAB's UPLOAD_FOLDER download route."""
    _reject_bad_route_args()
    if not request.args:
        return
    max_size = current_app.config["MAX_PAGE_SIZE"]
    views = None
    for key, value in request.args.items(multi=True):
        if key == "page":
            if value.isascii() and value.isdigit() and int(value) > MAX_PAGE_NUMBER:
                abort(400)
        elif m := _PAGE_ARG.match(key):
            if not value.isdigit() or not value.isascii():
                abort(400)
            if m.group(1) == "psize" and not 1 <= int(value) <= max_size:
                abort(400)
            if m.group(1) == "page" and int(value) > MAX_PAGE_NUMBER:
                abort(400)
        elif m := _ORDER_ARG.match(key):
            views = views or _views_by_name()
            view = views.get(m.group(1))
            if view is None or value not in (getattr(view, "order_columns", None) or []):
                abort(400)
        elif _DIRECTION_ARG.match(key):
            if value not in ("asc", "desc"):
                abort(400)
        elif m := _FILTER_ARG.match(key):
            views = views or _views_by_name()
            view = views.get(request.blueprint or "")
            filters = getattr(view, "_filters", None)
            if filters is None:
                abort(400)
            column = m.group(2)
            relation = view.datamodel.is_relation(column)
            options = filters.get_search_filters().get(column)
            if options is None and relation:
                # FAB's links under a related list ("add" below a Pegawai) preset the parent
                # this way, also for relations that are not search columns.
                options = view.datamodel.get_filters([column]).get_search_filters().get(column)
            if options is None or int(m.group(1)) >= len(options):
                abort(400)
            if relation and not _is_id(value):
                abort(400)
            if not relation and not _filter_value_fits(view.datamodel, column, value):
                abort(400)


# What a browser ignores or rewrites in a Location before resolving it (WHATWG URL parser):
# leading control characters and spaces, tabs and newlines anywhere, "\\" read as "/".
_LOCATION_LEADING_JUNK = "".join(chr(c) for c in range(0x21))
_LOCATION_DROPPED = re.compile(r"[\t\n\r]")


def _location_stays_here(location: str) -> bool:
    cleaned = _LOCATION_DROPPED.sub("", location.lstrip(_LOCATION_LEADING_JUNK)).replace("\\", "/")
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return False
    if parts.scheme or parts.netloc:
        # An absolute URL ("http:evil" without slashes too) must name this very host.
        return parts.scheme.lower() in ("http", "https", "") and parts.netloc.lower() == request.host.lower()
    return True


def keep_redirects_on_site(response):
    """after_request: every redirect stays on this host. FAB checks `next=` with
    is_safe_redirect_url, which lets "/\\evil.example" and "\\\\evil.example" through; browsers
    read both as "//evil.example". Such a Location is replaced by the index page."""
    location = response.headers.get("Location")
    if location and 300 <= response.status_code < 400 and not _location_stays_here(location):
        response.headers["Location"] = current_app.appbuilder.get_url_for_index
    return response
