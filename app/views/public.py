"""The public landing page."""
from dataclasses import dataclass

from flask import current_app, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..services.schedule import current_phase


@dataclass
class PortalLink:
    endpoint: str
    label: str
    icon: str
    css: str


# Buttons of the landing page, shown only once the page behind them exists.
PORTAL_LINKS = [
    PortalLink("RegistrationView.index", _l("Register"), "fa-user-plus", "btn-primary"),
    PortalLink("StatusView.index", _l("Check status"), "fa-search", "btn-default"),
    PortalLink("AuthDBView.login", _l("Login"), "fa-sign-in", "btn-success"),
    PortalLink("TicketView.index", _l("Report a problem"), "fa-life-ring", "btn-warning"),
]


def portal_links():
    links = []
    for link in PORTAL_LINKS:
        if link.endpoint in current_app.view_functions:
            links.append({"url": url_for(link.endpoint), "label": link.label,
                          "icon": link.icon, "css": link.css})
    return links


class PortalIndexView(IndexView):
    index_template = "pupns/index.html"

    @expose("/")
    def index(self):
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, portal_links=portal_links()
        )


def inject_portal_phase():
    """Every page shows the phase of the run and the days left."""
    return {"portal_phase": current_phase(db.session)}
