"""app/roles.py names views, API classes and menus by plain strings: they must match what the
app registers, and roles.py must stay plain data (it imports nothing from `app`)."""

import ast
from pathlib import Path

import pytest

from app import create_app
from app.api import API_CLASS_NAMES
from app.models import PEGAWAI_CHILD_MODELS
from app.roles import API_VIEWS, EMPLOYEE_CHILD_VIEWS, role_permissions


@pytest.fixture(scope="module")
def appbuilder():
    """An app with every view registered; no table is read."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).appbuilder


def _menu_names(items):
    for item in items:
        yield item.name
        yield from _menu_names(item.childs or ())


def test_the_child_views_are_those_of_pegawai_child_models():
    assert EMPLOYEE_CHILD_VIEWS == tuple(f"{model.__name__}View" for model in PEGAWAI_CHILD_MODELS)


def test_the_api_views_are_the_registered_api_classes():
    assert API_VIEWS == API_CLASS_NAMES


def test_every_permission_of_a_role_is_one_a_registered_view_offers(appbuilder):
    offered = {
        (permission, view.class_permission_name)
        for view in appbuilder.baseviews
        for permission in view.base_permissions or ()
    }
    menus = set(_menu_names(appbuilder.menu.get_list()))
    for role, pairs in role_permissions().items():
        for permission, name in pairs:
            if permission == "menu_access":
                assert name in menus, (role, name)
            else:
                assert (permission, name) in offered, (role, permission, name)


def test_roles_module_imports_nothing_from_the_app():
    tree = ast.parse(Path(__file__).parents[1].joinpath("app", "roles.py").read_text())
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert imports == []
