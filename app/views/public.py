"""The public landing page."""

from dataclasses import dataclass

from flask import current_app, redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..models import Instansi, Pegawai
from ..roles import ROLE_ADMIN, ROLE_HELPDESK
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
            links.append({"url": url_for(link.endpoint), "label": link.label, "icon": link.icon, "css": link.css})
    return links


# Where a logged-in user works, in this order: the first one he may open is his home;
# a role's own first choice comes before the list (Helpdesk may also open the inbox).
HOME_VIEWS = ("MyDataView", "VerificationInboxView", "RegistrationApprovalView", "TicketInboxView", "MonitoringView")
ROLE_HOME = {ROLE_ADMIN: "MonitoringView", ROLE_HELPDESK: "TicketInboxView"}


def home_url(appbuilder, user) -> str | None:
    """The page `user` works from (a PNS his data, a verifier his inbox, Helpdesk the
    tickets, Monitor and Admin the dashboard); None when he has none (Integrasi)."""
    names = [ROLE_HOME[r.name] for r in getattr(user, "roles", ()) if r.name in ROLE_HOME]
    names += [n for n in HOME_VIEWS if n != "MyDataView" or getattr(user, "pegawai_id", None)]
    views = {type(v).__name__: v for v in appbuilder.baseviews}
    for name in names:
        view = views.get(name)
        if view is None:
            continue
        method = view.default_view
        permission = "can_" + view.method_permission_name.get(method, method)
        if appbuilder.sm.has_access(permission, view.class_permission_name):
            return url_for(f"{view.endpoint}.{method}")
    return None


class PortalIndexView(IndexView):
    index_template = "pupns/index.html"

    @expose("/")
    def index(self):
        """The public landing page; a logged-in user goes on to his own work (FAB sends
        everyone here after login)."""
        if current_user.is_authenticated:
            home = home_url(self.appbuilder, current_user)
            if home is not None:
                return redirect(home)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, portal_links=portal_links())


def _own_instansi():
    """The instansi whose schedule applies to the logged-in user (his record's, or the one he
    works for); None for anonymous and national staff, who see the national schedule."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    if getattr(current_user, "pegawai_id", None):
        pegawai = db.session.get(Pegawai, current_user.pegawai_id)
        instansi_id = pegawai.instansi_id if pegawai else None
    else:
        instansi_id = getattr(current_user, "instansi_id", None)
    return db.session.get(Instansi, instansi_id) if instansi_id else None


def inject_portal_phase():
    """Every page shows the phase of the run and the days left (the user's instansi's, which
    may differ from the national one when BKN staggers the run)."""
    return {"portal_phase": current_phase(db.session, instansi=_own_instansi())}
