"""e-PUPNS application factory."""

import logging
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import Config, ProductionConfig, TestConfig

from . import log_privacy
from .extensions import csrf, db, migrate
from .services import passwords

CONFIGS = {"development": Config, "production": ProductionConfig, "testing": TestConfig}


# How long a SQLite writer waits for another one to commit before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 15000


class InsecureConfiguration(RuntimeError):
    """The configuration would make the app unsafe to run (production checks, secret file)."""


MIN_SECRET_KEY_LENGTH = 32
# Keys that were public at some point (an earlier development default of this repository,
# FAB's and Flask's documentation examples): never accepted in production.
PUBLIC_SECRET_KEYS = frozenset(
    {
        "dev-only-insecure-secret-key-change-me",
        "\2\1thisismyscretkey\1\2\\e\\y\\y\\h",
        "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",
    }
)


@event.listens_for(Engine, "connect")
def _sqlite_connection_setup(dbapi_connection, _record):
    """Per SQLite connection: honour ON DELETE CASCADE (off unless asked), and let a writer
    wait up to SQLITE_BUSY_TIMEOUT_MS for the write lock (the threaded dev server writes
    from several threads; services.transaction takes the lock at the start of each write)
    instead of failing with "database is locked" at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.close()


def create_app(config=None) -> Flask:
    """Build an app. `config` is a config class, a mapping of overrides, or None (from env)."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    ensure_secret_key(app)
    check_production_safety(app)
    log_privacy.install(app)  # no query string (NIK, NIP) in any log line
    passwords.configure(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_KIB"])
    register_extensions(app)
    register_event_handlers()
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


def ensure_secret_key(app: Flask) -> None:
    """Outside production, an unset SECRET_KEY is read from SECRET_KEY_FILE (default
    instance/secret_key), which is created with a random key the first time: every process
    of this checkout (`make run`, the CLI, gunicorn workers) shares it, and no key is
    published. Production never gets a generated key (check_production_safety refuses)."""
    if app.config.get("SECRET_KEY") or app.config.get("ENV_NAME") == "production":
        return
    path = Path(app.config.get("SECRET_KEY_FILE") or Path(app.instance_path) / "secret_key")
    app.config["SECRET_KEY"] = read_or_create_secret(path)


def read_or_create_secret(path: Path) -> str:
    """The key kept in `path`, created (random, mode 0600) if the file does not exist yet.
    Two processes starting at once agree: the file appears in one atomic step (a hard link
    of a complete temporary file) and the one that loses the race reads the winner's key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process was first: its key counts
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="utf-8").strip()
    if secret_key_problem(key) is not None:
        raise InsecureConfiguration(f"{path} does not hold a usable key; delete it to get a new one.")
    return key


def secret_key_problem(key) -> str | None:
    """Why `key` cannot sign production sessions, or None."""
    if not key:
        return "SECRET_KEY is not set"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if key in PUBLIC_SECRET_KEYS or len(set(key)) < 10:
        return "SECRET_KEY is a published or non-random value"
    return None


def check_production_safety(app: Flask) -> None:
    """Production refuses to start with a missing, short or known SECRET_KEY, and without
    TRUSTED_HOSTS or EXTERNAL_BASE_URL (else a forged Host header would end up in the links
    of reset mails and QR codes). A malformed EXTERNAL_BASE_URL is refused everywhere."""
    config = app.config
    base = config.get("EXTERNAL_BASE_URL")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise InsecureConfiguration(f"EXTERNAL_BASE_URL must look like https://epupns.example.go.id, not {base!r}.")
    if config.get("ENV_NAME") != "production":
        return
    problem = secret_key_problem(config.get("SECRET_KEY"))
    if problem is not None:
        raise InsecureConfiguration(
            f"{problem}: production needs one long random SECRET_KEY, the same on every host, "
            "e.g. from python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if not config.get("TRUSTED_HOSTS") and not base:
        raise InsecureConfiguration(
            "Set TRUSTED_HOSTS (the portal's host names) or EXTERNAL_BASE_URL (its https:// "
            "address) for production: links in mails and QR codes must not follow the Host header."
        )
    if base and urlsplit(base).scheme != "https":
        raise InsecureConfiguration("EXTERNAL_BASE_URL must be an https:// address in production.")


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)


def register_event_handlers() -> None:
    """Who listens to the workflow's events (services/workflow/events.py): the PNS's messages."""
    from .services import notification

    notification.register_handlers()


def register_appbuilder(app: Flask) -> None:
    from . import models  # noqa: F401 - registers tables on FAB's metadata
    from .api import register_api
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
    appbuilder = AppBuilder(indexview=PortalIndexView, update_perms=app.config["FAB_UPDATE_PERMS"])
    appbuilder.init_app(app, db.session)
    register_views(appbuilder)
    register_api(appbuilder)  # the API sits above the views: wired here, not by views


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
