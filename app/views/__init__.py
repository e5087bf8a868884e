"""Registers every view and menu entry on the AppBuilder of one app."""

from flask_babel import lazy_gettext as _l

from .apikey import ApiKeyView
from .approval import RegistrationApprovalView
from .base import make_sortable
from .data_quality import DataQualityView
from .base import reject_bad_list_args  # noqa: F401 - registered by create_app
from .employee import CHILD_VIEWS, DokumenView, PegawaiView
from .helpdesk import AuditLogView, HelpdeskAccountView
from .messages import MessageView
from .monitoring import MonitoringView
from .mydata import MyDataView
from .recovery import OutboxMailView, StatusView
from .reference import REFERENCE_VIEWS
from .registration import RegistrationView
from .ticket import TicketInboxView, TicketView
from .verification import VerificationInboxView

MENU_EMPLOYEES = "Employees"
MENU_REFERENCE = "Reference data"


def register_views(appbuilder):
    appbuilder.add_view(
        PegawaiView,
        "Employee data",
        label=_l("Employee data"),
        icon="fa-id-card",
        category=MENU_EMPLOYEES,
        category_label=_l("Employees"),
        category_icon="fa-users",
    )
    appbuilder.add_view(
        DokumenView,
        "Documents",
        label=_l("Documents"),
        icon="fa-file",
        category=MENU_EMPLOYEES,
    )
    for view in CHILD_VIEWS:
        appbuilder.add_view_no_menu(view)
    appbuilder.add_view(
        MyDataView,
        "My data",
        label=_l("My data"),
        icon="fa-user",
        href="/data-saya/",
    )
    appbuilder.add_view(
        MessageView,
        "Messages",
        label=_l("Messages"),
        icon="fa-envelope",
        href="/pesan/",
    )
    appbuilder.add_view_no_menu(RegistrationView)
    appbuilder.add_view_no_menu(TicketView)
    appbuilder.add_view(
        TicketInboxView,
        "Helpdesk tickets",
        label=_l("Helpdesk tickets"),
        icon="fa-life-ring",
        category="Helpdesk",
        category_label=_l("Helpdesk"),
        category_icon="fa-life-ring",
    )
    appbuilder.add_view_no_menu(StatusView)
    # Admin only (no role_permissions entry): FAB's admin menu, next to users and roles.
    appbuilder.add_view(
        OutboxMailView,
        "Outbox",
        label=_l("Outbox"),
        icon="fa-envelope",
        category="Security",
    )
    appbuilder.add_view(
        RegistrationApprovalView,
        "Registration approval",
        label=_l("Registration approval"),
        icon="fa-check-square-o",
        category="Verification",
        category_label=_l("Verification"),
        category_icon="fa-check-circle",
    )
    appbuilder.add_view(
        VerificationInboxView,
        "Verification inbox",
        label=_l("Verification inbox"),
        icon="fa-inbox",
        category="Verification",
        category_label=_l("Verification"),
        category_icon="fa-check-circle",
    )
    appbuilder.add_view(
        HelpdeskAccountView,
        "Registration lookup",
        label=_l("Registration lookup"),
        icon="fa-search",
        category="Helpdesk",
        category_label=_l("Helpdesk"),
        category_icon="fa-life-ring",
    )
    appbuilder.add_view(
        MonitoringView,
        "Dashboard",
        label=_l("Dashboard"),
        icon="fa-bar-chart",
        category="Monitoring",
        category_label=_l("Monitoring"),
        category_icon="fa-line-chart",
    )
    appbuilder.add_link(
        "Verifier workload",
        href="/monitoring/antrian/",
        label=_l("Verifier workload"),
        icon="fa-hourglass-half",
        category="Monitoring",
        category_label=_l("Monitoring"),
        category_icon="fa-line-chart",
    )
    appbuilder.add_view(
        DataQualityView,
        "Data quality",
        label=_l("Data quality"),
        icon="fa-check-square",
        category="Monitoring",
        category_label=_l("Monitoring"),
        category_icon="fa-line-chart",
    )
    # Admin only (no role_permissions entry).
    appbuilder.add_view(
        AuditLogView,
        "Audit log",
        label=_l("Audit log"),
        icon="fa-history",
        category="Security",
    )
    # Admin only (no role_permissions entry): keys of the integration API (app/api).
    appbuilder.add_view(
        ApiKeyView,
        "API keys",
        label=_l("API keys"),
        icon="fa-key",
        category="Security",
    )
    for view, name, label in REFERENCE_VIEWS:
        appbuilder.add_view(
            view,
            name,
            label=label,
            category=MENU_REFERENCE,
            category_label=_l("Reference data"),
            category_icon="fa-book",
        )
    # Last, over every CRUD view registered (FAB's security screens too): sortable columns.
    for view in appbuilder.baseviews:
        make_sortable(view)
