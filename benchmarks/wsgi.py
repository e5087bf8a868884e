"""The app as the benchmarks serve it: `gunicorn -c benchmarks/gunicorn.conf.py "benchmarks.wsgi:make_app()"`.

Production settings, except what a load test from one address needs: rate limits off (every
request comes from 127.0.0.1; tests/test_multihost.py and the rate-limit tests cover them),
the image captcha off (a load generator cannot read it; its check is one indexed row), and the
monitoring aggregates refreshed by the builder instead of on read (production runs
`pupns refresh-monitoring` from cron). BENCH_BASELINE adds the stock FAB lists.
"""

import os

from app import create_app


def bench_config(database_url: str | None = None, **overrides) -> dict:
    # No SECRET_KEY of its own: the runner (which signs the registration draft cookies,
    # benchmarks.scenarios) and the gunicorn workers all read instance/secret_key, generated
    # once (app.ensure_secret_key), unless SECRET_KEY or BENCH_SECRET_KEY is set.
    config = {
        "ENV_NAME": "development",
        "SQLALCHEMY_DATABASE_URI": database_url or os.environ["DATABASE_URL"],
        "RATELIMIT_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        "CAPTCHA_ENABLED": False,
        "MONITORING_REFRESH_ON_READ": False,
        "FAB_UPDATE_PERMS": False,
        "BENCH_BASELINE": os.environ.get("BENCH_BASELINE", "1") not in ("0", "false", "False"),
        # No parallel query for the web requests (README "Settings"): a worker process per
        # 25-row page costs more than it saves and competes for the two cores.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "connect_args": {"options": "-c max_parallel_workers_per_gather=0"},
        },
    }
    if os.environ.get("BENCH_SECRET_KEY"):
        config["SECRET_KEY"] = os.environ["BENCH_SECRET_KEY"]
    config.update(overrides)
    return config


def make_app(database_url: str | None = None, **overrides):
    """The app with the benchmark settings; the baseline views when BENCH_BASELINE is on."""
    app = create_app(bench_config(database_url, **overrides))
    if app.config.get("BENCH_BASELINE"):
        from .baseline import register_baseline_views

        with app.app_context():
            register_baseline_views(app.appbuilder)
    return app
