"""Absolute links to the portal, for mails, PDFs and QR codes: built here and nowhere else.

With EXTERNAL_BASE_URL set (production), every absolute link starts with it and never with
the request's Host header, which a client chooses: a reset mail requested with
`Host: evil.example` still points at the portal. Without it (development), links follow the
request, whose Host TRUSTED_HOSTS checks; production refuses to start with neither
(app.check_production_safety).
"""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint` (e.g. "RecoveryView.reset_password", token=...). Outside
    a request and without EXTERNAL_BASE_URL there is no host to name: the path alone."""
    if endpoint.startswith(".") and has_request_context():
        endpoint = f"{request.blueprint}{endpoint}"
    base = current_app.config.get("EXTERNAL_BASE_URL")
    if not base:
        if has_request_context():
            return url_for(endpoint, _external=True, **values)
        return current_app.url_map.bind("localhost").build(endpoint, values)
    parts = urlsplit(base)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def external_root() -> str:
    """The portal's root URL, ending in "/" (for a link to a path no endpoint builds)."""
    base = current_app.config.get("EXTERNAL_BASE_URL")
    if base:
        return base.rstrip("/") + "/"
    return request.url_root
