"""Configuration from environment variables, with safe development defaults.

There is no fixed SECRET_KEY outside the tests: development generates a random one once into
`instance/secret_key`, and `create_app()` refuses to start in production without a long
random SECRET_KEY, or without TRUSTED_HOSTS or EXTERNAL_BASE_URL (app.check_production_safety).
"""

import datetime as dt
import os
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = os.environ.get("PUPNS_ENV", "development")
    # Signs sessions, CSRF tokens, JWTs and captchas. Unset in development: a random key is
    # generated once into SECRET_KEY_FILE (default instance/secret_key) and kept there, so
    # `make run`, the CLI and every worker on this machine share it. Production: required.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FILE = os.environ.get("SECRET_KEY_FILE") or None
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'pupns.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Survive a PostgreSQL restart without a burst of 500s. A failed statement's parameters
    # (names, NIKs, hashes) stay out of exception texts, hence out of the 500 log's traceback.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

    APP_NAME = "e-PUPNS"
    # CSS/JS/fonts (ours and FAB's) may be cached a day: without it every page re-checks ~20
    # files with the server. Personal pages are no-store (app/web_security.py).
    SEND_FILE_MAX_AGE_DEFAULT = int(os.environ.get("STATIC_MAX_AGE", 86400))
    FAB_BASE_TEMPLATE = "pupns/base.html"
    APP_THEME = ""
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    # Schema is owned by Alembic migrations; FAB must not create tables itself.
    FAB_CREATE_DB = False
    # Permissions are written by `flask --app run pupns create-permissions` (make run, deploy),
    # never as a side effect of starting a worker.
    FAB_UPDATE_PERMS = _env_bool("FAB_UPDATE_PERMS", False)
    FAB_SECURITY_MANAGER_CLASS = "app.security.PupnsSecurityManager"
    FAB_API_MAX_PAGE_SIZE = 100
    # An unexpected error of the API answers "Fatal error" and logs its traceback; the body of
    # a response never carries a stack (FAB's @safe would send it with this True).
    FAB_API_SHOW_STACKTRACE = False
    FAB_ADD_SECURITY_API = False

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    BABEL_DEFAULT_FOLDER = str(BASE_DIR / "translations")
    # FAB prepends its own folder; ours is absolute so it is found from any working directory.
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "id": {"flag": "id", "name": "Bahasa Indonesia"},
        "en": {"flag": "gb", "name": "English"},
    }

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    # The "Impor Data" screen (services.import_jobs): the largest file accepted (below
    # MAX_CONTENT_LENGTH, else the request itself is refused), when a running import whose
    # heartbeat stopped counts as interrupted, and how often its progress is written.
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(6 * 1024 * 1024)))
    IMPORT_STALE_SECONDS = int(os.environ.get("IMPORT_STALE_SECONDS", "120"))
    IMPORT_PROGRESS_SECONDS = 1.0
    # True: the upload request runs the import itself before it answers (the tests);
    # False: a background thread of the web process does, and the request returns at once.
    IMPORT_RUN_INLINE = False
    MAX_PAGE_SIZE = 100

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Separates the counters of deployments (or test runs) sharing one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = "10 per 5 minute"
    # REST API (app/api): calls per API key (or JWT, or address without either).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")

    # The host names the portal answers to (comma-separated, e.g. "epupns.bkn.go.id"): any
    # other Host header gets 400. Without EXTERNAL_BASE_URL, links in mails and QR codes are
    # built from the Host header, so this is what keeps them ours. Unset: any host (development).
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    # The portal's public address (e.g. https://epupns.bkn.go.id). When set, every absolute
    # link (reset mails, notification mails, QR codes in PDFs) is built from it and never
    # from the request's Host header (app/services/links.py). Production needs this or
    # TRUSTED_HOSTS.
    EXTERNAL_BASE_URL = os.environ.get("EXTERNAL_BASE_URL", "").strip().rstrip("/") or None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # Login sessions (services.sessions): logged out after this long without a request, and
    # this long after login whatever happens.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    # JWTs of FAB's JSON login (/api/v1/security/login): short-lived, and a refresh token
    # lasts no longer than a browser session may. Both die with the session version
    # (services.sessions): logout, password change or reset, account disabled.
    JWT_ACCESS_TOKEN_EXPIRES = dt.timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "15")))
    JWT_REFRESH_TOKEN_EXPIRES = dt.timedelta(hours=SESSION_MAX_HOURS)
    # FAB never sets Flask-Login's remember-me cookie; were it ever set, it gets the same
    # protection as the session cookie and cannot outlive a session (no session version).
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (ProxyFix):
    # the client IP in the audit log and the per-IP rate limits depend on it.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@pupns.local")
    CAPTCHA_ENABLED = _env_bool("CAPTCHA_ENABLED", True)
    # argon2id cost (services.passwords): measured in benchmarks/RESULTS.md; do not lower.
    PASSWORD_HASH_TIME_COST = 4
    PASSWORD_HASH_MEMORY_KIB = 19 * 1024

    # Monitoring figures (services.monitoring): a dashboard read rebuilds them when they are
    # older than MONITORING_MAX_AGE seconds. Production refreshes them from cron instead
    # (`flask --app run pupns refresh-monitoring` every few minutes).
    MONITORING_REFRESH_ON_READ = _env_bool("MONITORING_REFRESH_ON_READ", True)
    MONITORING_MAX_AGE = int(os.environ.get("MONITORING_MAX_AGE", "300"))


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # Production runs behind one reverse proxy (DESIGN.md §4); TRUSTED_PROXIES=0 without it.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "1"))
    FAB_UPDATE_PERMS = False
    MONITORING_REFRESH_ON_READ = _env_bool("MONITORING_REFRESH_ON_READ", False)


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_ENABLED = False
    CAPTCHA_ENABLED = False
    # The cheapest argon2id: tests check what is hashed, not how slowly; the tests of hashing
    # itself ask for the production cost (tests/test_platform_services.py).
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 64
    # The import runs in the upload request: a test sees its result without waiting for a
    # thread (tests/test_import_screen.py keeps one test with the real thread).
    IMPORT_RUN_INLINE = True
