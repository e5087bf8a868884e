"""The `q` argument of every API route: parsed once (Rison, else JSON) and checked against a
strict JSON Schema, replacing FAB's @rison. Anything else is a 400 with a short message.

The schemas also go into the OpenAPI spec (ReadOnlyApi.apispec_parameter_schemas), so what
the spec promises and what a route accepts are the same object.
"""

import functools
import json

import jsonschema
import prison
from flask import current_app, request
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

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Page 1,000,000 of 100 rows is far beyond the 4.5 million PNS; larger numbers are typos.
MAX_PAGE_INDEX = 1_000_000
MAX_FILTERS = 10
# `q` of a legitimate call: 10 filters of 100 NIPs fit in ~2,500 characters, nested 4 deep
# (arguments, filters, one filter, its list of values). Longer or deeper input is refused
# before it reaches the parser: prison recurses once per bracket and dies of RecursionError.
MAX_Q_LENGTH = 8192
MAX_Q_DEPTH = 16
MAX_MESSAGE = 200  # an error message quotes the offending value; never the whole of it

_SCALARS = [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]
_filter_value = {"anyOf": [*_SCALARS, {"type": "array", "items": {"anyOf": _SCALARS}}]}


def _args_schema(keys: tuple[str, ...], **properties) -> dict:
    """The schema of a route's `q`: an object of `keys` (which parts of FAB's response to
    send: some of `keys`, or "none") and `properties`, nothing else."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "keys": {"type": "array", "items": {"type": "string", "enum": [*keys, "none"]}},
            **properties,
        },
    }


LIST_ARGS_SCHEMA = _args_schema(
    (
        API_LIST_COLUMNS_RIS_KEY,
        API_ORDER_COLUMNS_RIS_KEY,
        API_LABEL_COLUMNS_RIS_KEY,
        API_DESCRIPTION_COLUMNS_RIS_KEY,
        API_LIST_TITLE_RIS_KEY,
    ),
    order_column={"type": "string"},
    order_direction={"type": "string", "enum": ["asc", "desc"]},
    page={"type": "integer", "minimum": 0, "maximum": MAX_PAGE_INDEX},
    page_size={"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    filters={
        "type": "array",
        "maxItems": MAX_FILTERS,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"col": {"type": "string"}, "opr": {"type": "string"}, "value": _filter_value},
            "required": ["col", "opr", "value"],
        },
    },
)
ITEM_ARGS_SCHEMA = _args_schema(
    (API_SHOW_COLUMNS_RIS_KEY, API_DESCRIPTION_COLUMNS_RIS_KEY, API_LABEL_COLUMNS_RIS_KEY, API_SHOW_TITLE_RIS_KEY)
)
INFO_ARGS_SCHEMA = _args_schema((API_FILTERS_RIS_KEY, API_PERMISSIONS_RIS_KEY))


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
