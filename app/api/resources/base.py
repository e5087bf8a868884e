"""ReadOnlyApi: the base of every resource — a FAB ModelRestApi limited to GET (`_info`, the
list, one item), authenticated by API key or JWT only (api.auth), with strict `q` arguments
(arguments.query_args instead of FAB's @rison), bounded paging, the scope and filter rules
of scope.ScopeRules, and errors as FAB's JSON `{"message": …}`.
"""

from flask import current_app
from flask_appbuilder.api import BaseApi, ModelRestApi, expose, merge_response_func, safe
from flask_appbuilder.const import (
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_FILTERS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_PERMISSIONS_RIS_KEY,
    API_SHOW_COLUMNS_RIS_KEY,
    API_SHOW_TITLE_RIS_KEY,
)
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.utils.limit import Limit

from ...services import paging
from ...services.labels import LABELS
from ...views.capped_interface import CappedInterface
from ..auth import forget_session_user, log_call, protect, rate_limit_key
from .arguments import (
    DEFAULT_PAGE_SIZE,
    INFO_ARGS_SCHEMA,
    ITEM_ARGS_SCHEMA,
    LIST_ARGS_SCHEMA,
    MAX_PAGE_SIZE,
    query_args,
)
from .converter import ApiSchemaConverter
from .scope import ScopeRules

API_VERSION = "v1"
TOO_MANY_REQUESTS = {
    "description": (
        "Too many requests for this API key (or, without a valid key or JWT, from this address); retry later"
    ),
    "content": {"application/json": {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}},
}


def read_route(rule: str, permission: str, schema: dict):
    """FAB's decorators of a GET route, with e-PUPNS authentication and a strict `q`, in the
    order they need: the permission name first (protect reads it when it wraps), then `q`
    checked against `schema`, FAB's JSON error for an exception (@safe), the caller's key or
    JWT (api.auth.protect) and the URL."""

    def decorator(f):
        checked = query_args(schema)(permission_name(permission)(f))
        return expose(rule, methods=["GET"])(protect(safe(checked)))

    return decorator


class ReadOnlyApi(ScopeRules, ModelRestApi):
    """A scoped, read-only ModelRestApi: `_info`, the list and one item, nothing else."""

    version = API_VERSION
    include_route_methods = {"get", "get_list", "info"}
    allow_browser_login = False
    # Never authenticated by a cookie and never changing anything: nothing for CSRF to forge.
    csrf_exempt = True
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

    def _handle_page_args(self, rison_args):
        # The schema bounds them; JSON Schema also calls 2.0 an integer, SQL LIMIT does not.
        page, page_size = super()._handle_page_args(rison_args)
        return int(page), int(page_size)

    # -- response ------------------------------------------------------------------------
    def pre_get(self, data):
        self._clean_rows([data["result"]])

    def pre_get_list(self, data):
        self._clean_rows(data["result"])
        data["count_capped"] = bool(getattr(data["count"], "capped", False))

    # -- routes (FAB's, with e-PUPNS authentication and strict argument schemas) ---------
    @read_route("/_info", "info", INFO_ARGS_SCHEMA)
    @merge_response_func(ModelRestApi.merge_current_user_permissions, API_PERMISSIONS_RIS_KEY)
    @merge_response_func(ScopeRules.merge_allowed_filters, API_FILTERS_RIS_KEY)
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

    @read_route("/<int:pk>", "get", ITEM_ARGS_SCHEMA)
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

    @read_route("/", "get", LIST_ARGS_SCHEMA)
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
