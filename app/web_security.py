"""Security headers on every response, the CSP nonce, and the trusted reverse proxy.

Content-Security-Policy, and why each source is there:

- script-src 'self' plus a per-response nonce. FAB 5's templates give every inline
  <script> (list actions, search filters, delete buttons) `nonce="{{ csp_nonce() }}"` when
  a `csp_nonce` global exists; this module provides it. Our own templates keep no inline
  scripts (they live in app/static/js); a template that needs one writes
  `<script nonce="{{ csp_nonce() }}">`. No 'unsafe-inline', no 'unsafe-eval' for scripts.
- style-src 'self' 'unsafe-inline': still needed. FAB's widgets and Select2 write `style`
  attributes into the page, and our screens use them too (monitoring bars take their width
  from the data, a few layout tweaks); a nonce cannot cover style attributes. Inline styles
  cannot run code, so this is the weaker but acceptable gap.
- img-src/font-src 'self' data:: the captcha image and FAB's bundled CSS use data: URIs.
- frame-ancestors 'none' (and X-Frame-Options: DENY for older browsers): no framing, so no
  clickjacking; object-src 'none', base-uri 'self', form-action 'self'.

Every response except static files also gets `Cache-Control: no-store`: pages carry personal
data or CSRF tokens, downloads are personal documents, and a shared office PC or proxy must
keep none of them.
"""

import secrets

from flask import Flask, current_app, g, request

STATIC_ENDPOINTS = ("static", "appbuilder.static")

CSP = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def csp_nonce() -> str:
    """The nonce of this response's CSP (Jinja global `csp_nonce()`, as FAB expects)."""
    nonce = getattr(g, "_csp_nonce", None)
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(16)
    return nonce


def set_security_headers(response):
    """after_request: the headers of the module docstring on every response."""
    response.headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
    for name, value in HEADERS.items():
        response.headers[name] = value
    if "token" in (request.view_args or {}):
        # A secret in the path (the password reset link): not even our own static files
        # may receive it in a Referer, which access logs keep.
        response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint not in STATIC_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    if current_app.config.get("ENV_NAME") == "production":
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def register(app: Flask) -> None:
    """Install the headers, the `csp_nonce` template global and, when configured, ProxyFix."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(set_security_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Behind the reverse proxy: the client's address (audit log, per-IP rate limits) and
        # scheme come from the headers it sets. The Host is never taken from a header: the
        # links in reset mails are built from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
