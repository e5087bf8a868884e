"""One request per benchmark scenario through Flask's test client: wall time and SQL statements.

    .venv/bin/python -m benchmarks.probe --database-url postgresql://postgres@127.0.0.1/bench_national [--only inbox]

A quick look between two changes (no gunicorn, no wrk, no concurrency): each scenario's first
request three times, the fastest kept, with the number of SQL statements it issued. The
statement count is what shows an N+1; the time shows a plan gone wrong. benchmarks.run gives
the real figures.
"""

from __future__ import annotations

import argparse
import logging
import time

from sqlalchemy import event

from app.extensions import db

from .scenarios import Plan
from .wsgi import make_app


def client_login(app):
    """`login(username, password)` for Plan: the Cookie header of a test-client session."""

    def login(username, password):
        client = app.test_client()
        page = client.get("/login/").get_data(as_text=True)
        token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        response = client.post("/login/", data={"csrf_token": token, "username": username, "password": password})
        if response.status_code != 302:
            raise RuntimeError(f"login of {username} failed: HTTP {response.status_code}")
        return f"session={client.get_cookie('session').value}"

    return login


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--only", default="", help="scenarios whose name contains this text")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
    app = make_app(args.database_url)
    scenarios = Plan(app, client_login(app), requests_per_list=5, registrations=5).scenarios()
    client = app.test_client(use_cookies=False)
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *_: statements.append(1))
    for scenario in scenarios:
        if args.only not in scenario.name:
            continue
        request = scenario.requests[0]
        times = []
        for _ in range(1 if scenario.consumes else args.repeat):
            statements.clear()
            started = time.perf_counter()
            response = client.open(
                request.path,
                method=request.method,
                headers={"Cookie": request.cookie} if request.cookie else {},
                data=request.body,
                content_type="application/x-www-form-urlencoded" if request.body else None,
            )
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{scenario.name:32s} {response.status_code} {min(times):8.1f} ms {len(statements):4d} queries  "
            f"{request.path[:80]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
