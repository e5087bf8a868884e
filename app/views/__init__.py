"""Registers every view and menu entry on the AppBuilder of one app."""
from flask_babel import lazy_gettext as _l

from .base import reject_bad_list_args  # noqa: F401 - registered by create_app
from .employee import CHILD_VIEWS, DokumenView, PegawaiView
from .reference import REFERENCE_VIEWS

MENU_EMPLOYEES = "Employees"
MENU_REFERENCE = "Reference data"


def register_views(appbuilder):
    appbuilder.add_view(
        PegawaiView, "Employee data", label=_l("Employee data"), icon="fa-id-card",
        category=MENU_EMPLOYEES, category_label=_l("Employees"), category_icon="fa-users",
    )
    appbuilder.add_view(
        DokumenView, "Documents", label=_l("Documents"), icon="fa-file",
        category=MENU_EMPLOYEES,
    )
    for view in CHILD_VIEWS:
        appbuilder.add_view_no_menu(view)
    for view, name, label in REFERENCE_VIEWS:
        appbuilder.add_view(
            view, name, label=label, category=MENU_REFERENCE,
            category_label=_l("Reference data"), category_icon="fa-book",
        )
