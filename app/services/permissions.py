"""Writes the roles of app/roles.py and every view's permissions to FAB's tables.

Run by `flask --app run pupns create-permissions` at every deploy (workers never write
permissions at start-up), by the demo seed and by the test fixtures.
"""

from ..roles import role_permissions


def sync_roles(appbuilder) -> None:
    """Write every view's permissions, give Admin all of them, create every role and make
    its permissions exactly those declared in app/roles.py. Safe to run at every deploy."""
    sm = appbuilder.sm
    session = sm.session
    sm.add_role(sm.auth_role_admin)
    sm.add_role(sm.auth_role_public)
    appbuilder.add_permissions(update_perms=True)
    for role_name, pairs in role_permissions().items():
        role = sm.find_role(role_name) or sm.add_role(role_name)
        wanted = []
        for permission, view in dict.fromkeys(pairs):
            pv = sm.find_permission_view_menu(permission, view)
            if pv is None:
                pv = sm.add_permission_view_menu(permission, view)
            wanted.append(pv)
        role.permissions = wanted
    session.commit()
