"""Read-only REST resources over the official records: Pegawai and some of its history.

"Verified" here means the official record: it only ever holds master data (BKN's records,
imports) and changes that finished verification (services.workflow.apply); drafts and
submissions still travelling are never shown. Every official record in the caller's scope
is listed; `tanggal_verifikasi` tells when the latest e-PUPNS submission of that PNS was
applied (null when he has none yet), so a client wanting only re-verified records can tell.

Each resource is a FAB ModelRestApi limited to GET (`_info`, list, one item) and scoped by
the same ScopeFilter as the screens (services.scope through views.base). History rows are
scoped through their Pegawai. NIK (of the PNS, his spouse, his children) is shown only to
national callers (BPJS, Taspen match people by NIK); an agency-scoped client gets null and
may not filter on it.
"""

import datetime as dt
import functools
import json
import math
import re

import jsonschema
import prison
from flask import current_app, g, request
from flask_appbuilder.api import BaseApi, ModelRestApi, expose, merge_response_func, safe
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.const import (
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_FILTERS_RES_KEY,
    API_FILTERS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_PERMISSIONS_RIS_KEY,
    API_SHOW_COLUMNS_RIS_KEY,
    API_SHOW_TITLE_RIS_KEY,
)
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from marshmallow import fields
from sqlalchemy import func, select

from ..extensions import db
from ..models import Anak, Pasangan, Pegawai, RiwayatGolongan, RiwayatJabatan, RiwayatPendidikan
from ..models.submission import Usulan
from ..roles import ROLE_ADMIN, ROLE_INTEGRASI
from ..services import paging
from ..views.base import ScopeFilter
from ..views.capped_interface import CappedInterface
from ..services.labels import LABELS
from .auth import forget_session_user, log_call, protect, rate_limit_key

API_VERSION = "v1"
TOO_MANY_REQUESTS = {
    "description": (
        "Too many requests for this API key (or, without a valid key or JWT, from this address); retry later"
    ),
    "content": {"application/json": {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}},
}

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Page 1,000,000 of 100 rows is far beyond the 4.5 million PNS; larger numbers are typos.
MAX_PAGE_INDEX = 1_000_000
MAX_FILTERS = 10
MAX_IN_VALUES = 100
MAX_TEXT_VALUE = 200
INT_MAX = 2**31 - 1  # every id and integer column is a 32-bit INTEGER
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?")
LIST_OPERATORS = ("in", "not_in")
# `q` of a legitimate call: 10 filters of 100 NIPs fit in ~2,500 characters, nested 4 deep
# (arguments, filters, one filter, its list of values). Longer or deeper input is refused
# before it reaches the parser: prison recurses once per bracket and dies of RecursionError.
MAX_Q_LENGTH = 8192
MAX_Q_DEPTH = 16
MAX_MESSAGE = 200  # an error message quotes the offending value; never the whole of it

_filter_value = {
    "anyOf": [
        {"type": "number"},
        {"type": "string"},
        {"type": "boolean"},
        {"type": "array", "items": {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]}},
    ]
}
LIST_ARGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "keys": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": [
                    API_LIST_COLUMNS_RIS_KEY,
                    API_ORDER_COLUMNS_RIS_KEY,
                    API_LABEL_COLUMNS_RIS_KEY,
                    API_DESCRIPTION_COLUMNS_RIS_KEY,
                    API_LIST_TITLE_RIS_KEY,
                    "none",
                ],
            },
        },
        "order_column": {"type": "string"},
        "order_direction": {"type": "string", "enum": ["asc", "desc"]},
        "page": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE_INDEX},
        "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "filters": {
            "type": "array",
            "maxItems": MAX_FILTERS,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"col": {"type": "string"}, "opr": {"type": "string"}, "value": _filter_value},
                "required": ["col", "opr", "value"],
            },
        },
    },
}
ITEM_ARGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "keys": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": [
                    API_SHOW_COLUMNS_RIS_KEY,
                    API_DESCRIPTION_COLUMNS_RIS_KEY,
                    API_LABEL_COLUMNS_RIS_KEY,
                    API_SHOW_TITLE_RIS_KEY,
                    "none",
                ],
            },
        }
    },
}
INFO_ARGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "keys": {
            "type": "array",
            "items": {"type": "string", "enum": [API_FILTERS_RIS_KEY, API_PERMISSIONS_RIS_KEY, "none"]},
        }
    },
}


def may_read_nik(user) -> bool:
    """NIK goes to Admin and to national integration clients only (no scope set on the key's
    owner: BPJS, Taspen); an instansi's or Kanreg's client gets null."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(ROLE_ADMIN):
        return True
    national = not (user.kanreg_id or user.instansi_id or user.unit_kerja_id)
    return user.has_role(ROLE_INTEGRASI) and national


class BadQuery(ValueError):
    """`q` is not Rison or JSON we will parse (answered with 400)."""


def _nesting_depth(text: str) -> int:
    """The deepest bracket nesting of `text`, counted without parsing (quotes ignored: a
    bracket inside a string only makes the count larger, never smaller)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}" and depth:
            depth -= 1
    return deepest


def parse_q(value: str | None):
    """The `q` argument as Python data: Rison, else JSON (FAB_API_ALLOW_JSON_QS), {} when
    absent. Raises BadQuery for anything else — too long, too deep, or any failure of the
    parsers (prison raises RecursionError, IndexError… on some garbage, not only its own
    ParserException, and FAB's @rison turns those into a 500 with a logged traceback)."""
    if not value:
        return {}
    if len(value) > MAX_Q_LENGTH:
        raise BadQuery(f"Argument q is too long: at most {MAX_Q_LENGTH} characters")
    if _nesting_depth(value) > MAX_Q_DEPTH:
        raise BadQuery(f"Argument q is nested too deeply: at most {MAX_Q_DEPTH} levels")
    parsers = [prison.loads]
    if current_app.config.get("FAB_API_ALLOW_JSON_QS", True):
        parsers.append(json.loads)
    failure = None
    for parse in parsers:
        try:
            return parse(value)
        except Exception as error:  # noqa: BLE001 - any parser failure is malformed input
            failure = error
    raise BadQuery("Not a valid rison/json argument q: see the API description for its form") from failure


def query_args(schema):
    """Parse `q` (parse_q) into kwargs["rison"] and validate it against `schema`: 400 with a
    short message on any failure. Replaces FAB's @rison on every route of ReadOnlyApi; the
    validator is built once (FAB's @rison(schema) re-checks the schema on every call)."""
    validator = jsonschema.validators.validator_for(schema)(schema)

    def decorator(f):
        def wraps(self, *args, **kwargs):
            try:
                kwargs["rison"] = parse_q(request.args.get("q"))
            except BadQuery as error:
                return self.response_400(message=str(error))
            error = jsonschema.exceptions.best_match(validator.iter_errors(kwargs["rison"]))
            if error is not None:
                message = error.message
                if len(message) > MAX_MESSAGE:
                    message = message[:MAX_MESSAGE] + "…"
                return self.response_400(message=f"Not a valid rison schema {message}")
            return f(self, *args, **kwargs)

        return functools.update_wrapper(wraps, f)

    return decorator


class BadFilter(FABException):
    """A filter, sort or page argument the API refuses (answered with 400)."""


class ApiSchemaConverter(Model2SchemaConverter):
    """FAB's converter, made truthful for the OpenAPI spec: a nullable relation may be null,
    a NUMERIC column is a JSON number (FAB would send Decimal as a string) and a stored time,
    naive UTC, is sent as RFC 3339 with its offset ("…+00:00")."""

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        field = super()._column2field(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)
        if isinstance(field, fields.Decimal):
            field = fields.Float(allow_none=field.allow_none, required=field.required, dump_only=True)
        if type(field) is fields.DateTime:
            field = utc_datetime_field(allow_none=field.allow_none, required=field.required)
        if isinstance(field, fields.Nested) and datamodel.is_nullable(column.name):
            field.allow_none = True
        return field


class UtcDateTime(fields.DateTime):
    """A stored time (naive UTC) as RFC 3339 with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


def utc_datetime_field(**kwargs):
    return UtcDateTime(dump_only=True, **kwargs)


class ReadOnlyApi(ModelRestApi):
    """A scoped, read-only ModelRestApi: `_info`, the list and one item, nothing else."""

    version = API_VERSION
    include_route_methods = {"get", "get_list", "info"}
    allow_browser_login = False
    # Never authenticated by a cookie and never changing anything: nothing for CSRF to forge.
    csrf_exempt = True
    base_filters = [["id", ScopeFilter, lambda: None]]
    base_order = ("id", "asc")
    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    model2schemaconverter = ApiSchemaConverter
    apispec_parameter_schemas = {
        "pupns_list_args": LIST_ARGS_SCHEMA,
        "pupns_item_args": ITEM_ARGS_SCHEMA,
        "pupns_info_args": INFO_ARGS_SCHEMA,
    }
    openapi_spec_component_schemas = ()
    responses = {**ModelRestApi.responses, "429": TOO_MANY_REQUESTS}
    # Each valid API key (and each user of a valid JWT) has its own budget; calls without a
    # valid credential share their client address's (auth.rate_limit_key).
    limits = [Limit(limit_value=lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)]
    #: column -> filter operators a client may use (`q=(filters:!((col:…,opr:…,value:…)))`)
    filter_ops: dict[str, tuple[str, ...]] = {}
    #: columns holding a NIK: null and unfilterable for callers who may not read NIK
    nik_columns: tuple[str, ...] = ()

    def __init__(self):
        self.search_columns = list(self.filter_ops)
        self.label_columns = dict(LABELS)
        # count(*) of 4.5 million Pegawai on every page: counted up to paging.COUNT_CAP only.
        self.datamodel = CappedInterface.wrap(self.datamodel, clamp_pages=False)
        super().__init__()

    # The spec names only what a client can use: no write schemas, no FAB argument schemas.
    _apispec_parameter_schemas = {}

    def add_apispec_components(self, api_spec):
        BaseApi.add_apispec_components(self, api_spec)
        api_spec.components.schema(self.list_model_schema_name, schema=self.list_model_schema)
        api_spec.components.schema(self.show_model_schema_name, schema=self.show_model_schema)

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(forget_session_user)
        blueprint.after_request(log_call)
        return blueprint

    # -- arguments FAB would turn into a 500 or an unbounded query --------------------------
    def _check_value(self, col, value):
        dm = self.datamodel
        if isinstance(value, bool):
            ok = dm.is_boolean(col)
        elif dm.is_relation(col) or dm.is_integer(col):
            ok = isinstance(value, int) and 0 <= value <= INT_MAX
        elif dm.is_date(col):
            ok = isinstance(value, str) and _DATE.fullmatch(value) is not None
            if ok:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    ok = False
        elif dm.is_datetime(col):
            ok = isinstance(value, str) and _DATETIME.fullmatch(value) is not None
            if ok:
                try:
                    dt.datetime.fromisoformat(value)
                except ValueError:
                    ok = False
        elif dm.is_numeric(col) or dm.is_float(col):
            ok = isinstance(value, (int, float)) and math.isfinite(value)
        elif dm.is_string(col) or dm.is_text(col):
            ok = isinstance(value, str) and 0 < len(value) <= MAX_TEXT_VALUE and "\x00" not in value
        else:
            ok = False
        if not ok:
            raise BadFilter(f"Filter value not valid for column: {col}")

    def _handle_filters_args(self, rison_args):
        for flt in rison_args.get(API_FILTERS_RIS_KEY, []):
            col, opr, value = flt["col"], flt["opr"], flt["value"]
            if opr not in self.filter_ops.get(col, ()):
                raise BadFilter(f"Filter operation: {opr} not allowed on column: {col}")
            if col in self.nik_columns and not may_read_nik(g.user):
                raise BadFilter(f"Filter column: {col} not allowed to filter")
            if opr in LIST_OPERATORS:
                if not isinstance(value, list) or not 1 <= len(value) <= MAX_IN_VALUES:
                    raise BadFilter(f"Filter {opr} needs a list of 1 to {MAX_IN_VALUES} values")
                for item in value:
                    self._check_value(col, item)
            else:
                self._check_value(col, value)
        return super()._handle_filters_args(rison_args)

    def _handle_page_args(self, rison_args):
        # The schema bounds them; JSON Schema also calls 2.0 an integer, SQL LIMIT does not.
        page, page_size = super()._handle_page_args(rison_args)
        return int(page), int(page_size)

    # -- response ------------------------------------------------------------------------
    def _clean_rows(self, rows):
        if self.nik_columns and not may_read_nik(g.user):
            for row in rows:
                for col in self.nik_columns:
                    if col in row:
                        row[col] = None

    def pre_get(self, data):
        self._clean_rows([data["result"]])

    def pre_get_list(self, data):
        self._clean_rows(data["result"])
        data["count_capped"] = bool(getattr(data["count"], "capped", False))

    def merge_allowed_filters(self, response, **kwargs):
        """The filters a client may use: column -> operators (FAB's `filters` key)."""
        nik_ok = may_read_nik(g.user)
        response[API_FILTERS_RES_KEY] = {
            col: [{"name": op, "operator": op} for op in ops]
            for col, ops in self.filter_ops.items()
            if nik_ok or col not in self.nik_columns
        }

    # -- routes (FAB's, with e-PUPNS authentication and strict argument schemas) ---------
    @expose("/_info", methods=["GET"])
    @protect
    @safe
    @query_args(INFO_ARGS_SCHEMA)
    @permission_name("info")
    @merge_response_func(ModelRestApi.merge_current_user_permissions, API_PERMISSIONS_RIS_KEY)
    @merge_response_func(merge_allowed_filters, API_FILTERS_RIS_KEY)
    def info(self, **kwargs):
        """Metadata of this resource: the filters you may use and your permissions.
        ---
        get:
          description: >-
            The filters a client may use on this resource (column and operators) and the
            caller's permissions on it.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/pupns_info_args'
          responses:
            200:
              description: Metadata
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      filters:
                        type: object
                        additionalProperties:
                          type: array
                          items:
                            type: object
                            properties:
                              name:
                                type: string
                              operator:
                                type: string
                      permissions:
                        type: array
                        items:
                          type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            429:
              $ref: '#/components/responses/429'
        """
        return self.info_headless(**kwargs)

    @expose("/<int:pk>", methods=["GET"])
    @protect
    @safe
    @permission_name("get")
    @query_args(ITEM_ARGS_SCHEMA)
    @merge_response_func(ModelRestApi.merge_show_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_columns, API_SHOW_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_title, API_SHOW_TITLE_RIS_KEY)
    def get(self, pk, **kwargs):
        """One record, by id; 404 when it does not exist or is outside your scope.
        ---
        get:
          description: >-
            One record by its id. A record outside the caller's scope answers 404,
            exactly like one that does not exist.
          parameters:
          - in: path
            schema:
              type: integer
              minimum: 0
              maximum: 2147483647
            name: pk
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/pupns_item_args'
          responses:
            200:
              description: The record
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
                      label_columns:
                        type: object
                        additionalProperties:
                          type: string
                      show_columns:
                        type: array
                        items:
                          type: string
                      description_columns:
                        type: object
                      show_title:
                        type: string
                    required: [id, result]
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            429:
              $ref: '#/components/responses/429'
        """
        return self.get_headless(pk, **kwargs)

    @expose("/", methods=["GET"])
    @protect
    @safe
    @permission_name("get")
    @query_args(LIST_ARGS_SCHEMA)
    @merge_response_func(ModelRestApi.merge_order_columns, API_ORDER_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_columns, API_LIST_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_title, API_LIST_TITLE_RIS_KEY)
    def get_list(self, **kwargs):
        """A page of records in your scope, filtered and sorted.
        ---
        get:
          description: >-
            A page of the records in the caller's scope, ordered by id unless
            `order_column` says otherwise. `q` is Rison or JSON, e.g.
            `q=(filters:!((col:nip,opr:eq,value:'198503302010011001')),page:0,page_size:100)`.
            `page_size` is at most 100. `count` is the number of matching records,
            counted up to 10,000 (`count_capped` is true when there are more); pages
            reach the first 10,000 records. To read further (or to read a whole
            national table), order by id and filter on the last id you received:
            `q=(filters:!((col:id,opr:gt,value:123456)),order_column:id,order_direction:asc,page_size:100)`.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/pupns_list_args'
          responses:
            200:
              description: One page of records
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count:
                        description: Number of matching records in scope (all pages), at most 10,000
                        type: integer
                      count_capped:
                        description: True when more records than `count` match
                        type: boolean
                      ids:
                        type: array
                        items:
                          type: integer
                      result:
                        type: array
                        items:
                          $ref: '#/components/schemas/{{self.__class__.__name__}}.get_list'
                      label_columns:
                        type: object
                        additionalProperties:
                          type: string
                      list_columns:
                        type: array
                        items:
                          type: string
                      order_columns:
                        type: array
                        items:
                          type: string
                      description_columns:
                        type: object
                      list_title:
                        type: string
                    required: [count, count_capped, ids, result]
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            429:
              $ref: '#/components/responses/429'
        """
        args = kwargs.get("rison", {})
        if args.get("page", 0) * args.get("page_size", self.page_size) >= paging.COUNT_CAP:
            # OFFSET millions would read and drop millions of rows per page.
            return self.response_400(
                message=(
                    f"Pages reach the first {paging.COUNT_CAP} records; read further by id: "
                    "order_column:id and a filter (col:id,opr:gt,value:<last id received>)"
                )
            )
        return self.get_list_headless(**kwargs)


class PegawaiApi(ReadOnlyApi):
    """The official record ("data utama") of every PNS in scope."""

    resource_name = "pegawai"
    datamodel = SQLAInterface(Pegawai)
    list_title = show_title = _l("Employee data")
    openapi_spec_tag = "Pegawai"
    list_columns = show_columns = [
        "id",
        "nip",
        "nip_lama",
        "nik",
        "nama",
        "gelar_depan",
        "gelar_belakang",
        "tempat_lahir",
        "tanggal_lahir",
        "jenis_kelamin",
        "agama.nama",
        "status_perkawinan.nama",
        "alamat",
        "kode_pos",
        "no_hp",
        "email",
        "npwp",
        "no_bpjs",
        "no_taspen",
        "no_karpeg",
        "instansi.id",
        "instansi.kode",
        "instansi.nama",
        "unit_kerja.id",
        "unit_kerja.kode",
        "unit_kerja.nama",
        "status",
        "tmt_cpns",
        "sk_cpns_nomor",
        "sk_cpns_tanggal",
        "tmt_pns",
        "sk_pns_nomor",
        "sk_pns_tanggal",
        "golongan.kode",
        "golongan.pangkat",
        "tmt_golongan",
        "jenis_jabatan.nama",
        "jabatan",
        "tmt_jabatan",
        "pendidikan_terakhir.nama",
        "record_version",
        "updated_at",
    ]
    order_columns = ["id", "nip", "nama", "tanggal_lahir", "updated_at"]
    filter_ops = {
        "id": ("gt", "lt"),
        "nip": ("eq", "in"),
        "nik": ("eq", "in"),
        "nama": ("sw", "ct", "eq"),
        "status": ("eq", "in"),
        "jenis_kelamin": ("eq",),
        "tanggal_lahir": ("eq", "gt", "lt"),
        "instansi": ("rel_o_m",),
        "unit_kerja": ("rel_o_m",),
        "golongan": ("rel_o_m",),
        "updated_at": ("gt", "lt"),
    }
    nik_columns = ("nik",)

    def _init_model_schemas(self):
        super()._init_model_schemas()
        # tanggal_verifikasi is no column: pre_get*/_add_verification fill it for a page at once.
        for attr in ("list_model_schema", "show_model_schema"):
            base = type(getattr(self, attr))
            meta = type("Meta", (base.Meta,), {"fields": (*base.Meta.fields, "tanggal_verifikasi")})
            # Same class name: FAB names the OpenAPI components after "MetaSchema" + Meta.
            extended = type(
                base.__name__,
                (base,),
                {
                    "Meta": meta,
                    "tanggal_verifikasi": utc_datetime_field(allow_none=True),
                },
            )
            setattr(self, attr, extended())

    def _add_verification(self, rows):
        ids = [row["id"] for row in rows if "id" in row]
        finished = (
            dict(
                db.session.execute(
                    select(Usulan.pegawai_id, func.max(Usulan.finished_at))
                    .where(Usulan.pegawai_id.in_(ids), Usulan.status == Usulan.SELESAI)
                    .group_by(Usulan.pegawai_id)
                ).all()
            )
            if ids
            else {}
        )
        for row in rows:
            when = finished.get(row.get("id"))
            row["tanggal_verifikasi"] = when.replace(tzinfo=dt.timezone.utc).isoformat() if when else None

    def pre_get(self, data):
        super().pre_get(data)
        self._add_verification([data["result"]])

    def pre_get_list(self, data):
        super().pre_get_list(data)
        self._add_verification(data["result"])


def _child_api(model, resource, title, columns, *, nik=False):
    """A read-only resource over one history/family table, scoped through its Pegawai and
    filterable by it: `q=(filters:!((col:pegawai,opr:rel_o_m,value:<pegawai id>)))`."""
    return type(
        f"{model.__name__}Api",
        (ReadOnlyApi,),
        {
            "__doc__": f"{model.__name__} rows of the Pegawai in scope.",
            "resource_name": resource,
            "datamodel": SQLAInterface(model),
            "list_title": title,
            "show_title": title,
            "openapi_spec_tag": model.__name__,
            "list_columns": ["id", "pegawai.id", "pegawai.nip", *columns, "updated_at"],
            "show_columns": ["id", "pegawai.id", "pegawai.nip", *columns, "updated_at"],
            "order_columns": ["id", "updated_at"],
            "filter_ops": {"id": ("gt", "lt"), "pegawai": ("rel_o_m",), "updated_at": ("gt", "lt")},
            "nik_columns": ("nik",) if nik else (),
        },
    )


RiwayatGolonganApi = _child_api(
    RiwayatGolongan,
    "riwayat_golongan",
    _l("Rank history"),
    [
        "golongan.kode",
        "golongan.pangkat",
        "nomor_sk",
        "tanggal_sk",
        "tmt_golongan",
        "nomor_pertek",
        "tanggal_pertek",
        "jenis_kp",
        "masa_kerja_tahun",
        "masa_kerja_bulan",
        "angka_kredit",
    ],
)
RiwayatJabatanApi = _child_api(
    RiwayatJabatan,
    "riwayat_jabatan",
    _l("Position history"),
    [
        "jenis_jabatan.nama",
        "unit_kerja_nama",
        "eselon",
        "nama_jabatan",
        "tmt_jabatan",
        "tmt_selesai",
        "nomor_sk",
        "tanggal_sk",
        "tmt_pelantikan",
    ],
)
RiwayatPendidikanApi = _child_api(
    RiwayatPendidikan,
    "riwayat_pendidikan",
    _l("Education history"),
    [
        "tingkat_pendidikan.nama",
        "jurusan",
        "nama_sekolah",
        "tahun_lulus",
        "tanggal_lulus",
        "nomor_ijazah",
        "gelar_depan",
        "gelar_belakang",
        "pendidikan_pertama",
    ],
)
PasanganApi = _child_api(
    Pasangan,
    "pasangan",
    _l("Spouses"),
    [
        "nama",
        "nik",
        "tempat_lahir",
        "tanggal_lahir",
        "status_hidup",
        "tanggal_menikah",
        "akta_menikah",
        "tanggal_cerai",
        "akta_cerai",
        "no_karis_karsu",
        "is_pns",
        "nip",
    ],
    nik=True,
)
AnakApi = _child_api(
    Anak,
    "anak",
    _l("Children"),
    [
        "nama",
        "nik",
        "tempat_lahir",
        "tanggal_lahir",
        "jenis_kelamin",
        "status_anak",
        "status_hidup",
        "tingkat_pendidikan.nama",
        "nama_sekolah",
    ],
    nik=True,
)

API_CLASSES = (PegawaiApi, RiwayatGolonganApi, RiwayatJabatanApi, RiwayatPendidikanApi, PasanganApi, AnakApi)
