"""The OpenAPI 3 description of the e-PUPNS API at /api/v1/_openapi (public: it holds no data).

FAB's own spec view comes only with its Swagger UI (FAB_API_SWAGGER_UI), which loads its
JavaScript from a CDN and lists every FAB API; this one lists the e-PUPNS resources only and
describes how to authenticate.
"""

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.api.manager import resolver
from flask_appbuilder.utils.limit import Limit

from .auth import rate_limit_key
from .resources import API_CLASSES, API_VERSION

SECURITY_SCHEMES = {
    # FAB's operations name these two schemes.
    "jwt": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <token>`: an e-PUPNS API key (`pupns_…`, made "
        "by an Admin for an account of the Integrasi role), or a JWT from "
        "POST /api/v1/security/login (expires after 15 minutes).",
    },
    "api_key": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same API key in its own header.",
    },
}
DESCRIPTION = (
    "Read-only access to the official (verified) personnel records of e-PUPNS and their "
    "history, limited to the scope of the API key's owner (a unit, an instansi, a Kanreg, or "
    "national). Browser sessions are not accepted. Lists take `q` as Rison or JSON "
    "(filters, order, page, page_size ≤ 100). NIK is given to national clients only."
)


class PupnsOpenApi(BaseApi):
    """GET /api/v1/_openapi, built once per app (it only changes with the code)."""

    route_base = f"/api/{API_VERSION}"
    resource_name = "openapi"
    limits = [Limit(limit_value=lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)]

    def __init__(self):
        super().__init__()
        self._specs = {}

    @expose("/_openapi", methods=["GET"])
    @safe
    def spec(self):
        # A relative server URL: the spec holds no host name taken from the request.
        root = request.script_root + "/"
        spec = self._specs.get(root)
        if spec is None:
            spec = self._build(root)
            if len(self._specs) < 4:  # one per mount point of the app, in practice one
                self._specs[root] = spec
        return self.response(200, **spec)

    def _build(self, root: str) -> dict:
        api_spec = APISpec(
            title=current_app.appbuilder.app_name,
            version=API_VERSION,
            openapi_version="3.0.2",
            info={"description": DESCRIPTION},
            servers=[{"url": root}],
            plugins=[MarshmallowPlugin(schema_name_resolver=resolver)],
        )
        for name, scheme in SECURITY_SCHEMES.items():
            api_spec.components.security_scheme(name, scheme)
        for api in self.appbuilder.baseviews:
            if isinstance(api, API_CLASSES):
                api.add_api_spec(api_spec)
        return api_spec.to_dict()
