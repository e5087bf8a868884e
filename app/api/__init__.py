"""The integration REST API (DESIGN.md §3 "Integration"): read-only, scoped, keyed.

- resources: FAB ModelRestApi resources over Pegawai and its history (GET only).
- auth: API key / JWT authentication; a browser session never counts.
- openapi: the spec at /api/v1/_openapi.
Keys are made by Admin (views.apikey) or `flask --app run pupns create-api-key`
(services.apikeys).
"""

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from .openapi import PupnsOpenApi
from .resources import API_CLASSES

API_CLASS_NAMES = tuple(cls.__name__ for cls in API_CLASSES)


def json_errors_under_api(error: HTTPException):
    """HTTP errors of /api/ URLs (an id out of range, a wrong method) answer JSON like the
    API itself; every other URL keeps its page."""
    if not request.path.startswith("/api/"):
        return error
    response = jsonify(message=error.description or error.name)
    response.status_code = error.code or 500
    for header in ("Allow", "Retry-After"):
        if header in error.get_response().headers:
            response.headers[header] = error.get_response().headers[header]
    return response


def register_api(appbuilder) -> None:
    """Add the API resources and the spec to `appbuilder`'s app."""
    for cls in API_CLASSES:
        appbuilder.add_api(cls)
    appbuilder.add_api(PupnsOpenApi)
    current_app.register_error_handler(HTTPException, json_errors_under_api)
