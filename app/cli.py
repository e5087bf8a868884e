"""`flask --app run pupns …` commands for operators."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .extensions import db


@click.group("pupns", help="e-PUPNS operations.")
def pupns():
    pass


@pupns.command("create-permissions")
@with_appcontext
def create_permissions():
    """Write FAB permissions for every view and the roles declared in app/security.py."""
    from .security import sync_roles

    sync_roles(current_app.appbuilder)
    click.echo("Permissions and roles are up to date.")
