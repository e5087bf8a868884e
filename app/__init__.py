"""e-PUPNS application factory."""
import logging
import os
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import DEV_SECRET_KEY, Config, ProductionConfig, TestConfig

from .extensions import csrf, db, migrate
from .services import passwords

CONFIGS = {"development": Config, "production": ProductionConfig, "testing": TestConfig}


class InsecureConfiguration(RuntimeError):
    """Production must never run with the development secret key."""


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record):
    # SQLite ignores ON DELETE CASCADE unless told otherwise, per connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_app(config=None) -> Flask:
    """Build an app. `config` is a config class, a mapping of overrides, or None (from env)."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    check_production_safety(app)
    passwords.configure(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_KIB"])
    register_extensions(app)
    with app.app_context():
        register_appbuilder(app)
    register_error_pages(app)
    register_cli(app)
    return app


def load_config(app: Flask, config) -> None:
    if config is None:
        config = CONFIGS.get(os.environ.get("PUPNS_ENV", "development"), Config)
    if isinstance(config, dict):
        base = CONFIGS.get(config.get("ENV_NAME", "testing"), TestConfig)
        app.config.from_object(base)
        app.config.update(config)
    else:
        app.config.from_object(config)


def check_production_safety(app: Flask) -> None:
    if app.config.get("ENV_NAME") == "production" and app.config["SECRET_KEY"] in (
        DEV_SECRET_KEY,
        "",
        None,
    ):
        raise InsecureConfiguration(
            "SECRET_KEY is the development default; set a long random SECRET_KEY for production."
        )


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)


def register_appbuilder(app: Flask) -> None:
    from . import models  # noqa: F401 - registers tables on FAB's metadata
    from .services import copies  # noqa: F401 - keeps the inboxes' copies of Pegawai fields in step
    from .views import register_views
    from .views.base import keep_redirects_on_site, reject_bad_list_args

    from .i18n import register_template_helpers
    from .views.messages import inject_unread_messages
    from .views.public import PortalIndexView, inject_portal_phase

    app.before_request(reject_bad_list_args)
    app.after_request(keep_redirects_on_site)
    app.context_processor(inject_portal_phase)
    app.context_processor(inject_unread_messages)
    register_template_helpers(app)
    appbuilder = AppBuilder(
        indexview=PortalIndexView, update_perms=app.config["FAB_UPDATE_PERMS"]
    )
    appbuilder.init_app(app, db.session)
    register_views(appbuilder)


def register_error_pages(app: Flask) -> None:
    """Friendly pages for 413, 429, 500 (every unhandled error, logged with the request id)
    and a database that is away (503) (views.errors), and the security headers of every
    response (web_security)."""
    from . import web_security
    from .views import errors

    errors.register(app)
    web_security.register(app)


def register_cli(app: Flask) -> None:
    from .cli import pupns

    app.cli.add_command(pupns)


logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)
