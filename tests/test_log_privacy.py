"""No NIK or NIP from a query string reaches a log (finding 14): werkzeug's request log, the
app's own lines, gunicorn's access and error logs as benchmarks/gunicorn.conf.py sets them up.
"""

import datetime as dt
import logging
import runpy
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config as GunicornConfig
from werkzeug.serving import make_server

from app.extensions import db
from app.roles import ROLE_INTEGRASI
from app.services import apikeys

from .helpers import make_user

NIK = "3273015008100001"
NIP = "198503302010011001"
GUNICORN_CONF = Path(__file__).resolve().parent.parent / "benchmarks" / "gunicorn.conf.py"
API_URL = "/api/v1/pegawai/?q=" + urllib.parse.quote(f"(filters:!((col:nik,opr:eq,value:'{NIK}')))")
FORM_URL = f"/laporkan/?nip={NIP}&kategori=lainnya"


def _serve_once(app, path, headers=None):
    """One real request through werkzeug's development server (its request log included)."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{server.server_port}{path}", headers=headers or {})
        try:
            status = urllib.request.urlopen(request, timeout=30).status  # noqa: S310 - local
        except urllib.error.HTTPError as error:
            status = error.code
    finally:
        thread.join(30)
        server.server_close()
    return status


def test_request_logs_of_the_app_hold_no_query_string(app, caplog):
    key = apikeys.create(db.session, make_user(app, "api_bpjs", ROLE_INTEGRASI), "BPJS")[1]
    caplog.set_level(logging.INFO)
    assert _serve_once(app, API_URL, {"X-API-Key": key}) == 200
    assert _serve_once(app, FORM_URL) == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert NIK not in logged and NIP not in logged, logged
    # Still useful to the operator: which path, which status, whose key.
    assert "GET /api/v1/pegawai/ HTTP/1.1" in logged and "GET /laporkan/ HTTP/1.1" in logged
    assert "api GET /api/v1/pegawai/ -> 200 by api_bpjs" in logged


def _gunicorn_logger(tmp_path, **overrides):
    """gunicorn's logger as the recommended settings make it, writing to files in tmp_path."""
    settings = runpy.run_path(str(GUNICORN_CONF))
    cfg = GunicornConfig()
    for name, value in settings.items():
        if name in cfg.settings:
            cfg.set(name, value)
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    for name, value in overrides.items():
        cfg.set(name, value)
    return cfg.logger_class(cfg)


def _access(logger, uri, referer="-"):
    path, _, query = uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": referer,
    }
    request = SimpleNamespace(headers=[("X-BENCH-SCENARIO", "api_list"), ("REFERER", referer)])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    logger.access(response, request, environ, dt.timedelta(microseconds=1234))


def test_gunicorn_logs_hold_no_query_string_in_any_format(tmp_path):
    # A production format with every atom that can carry a query string.
    logger = _gunicorn_logger(
        tmp_path, loglevel="info", access_log_format='%(h)s "%(r)s" %(s)s %(U)s q=%(q)s "%(f)s" "%({referer}i)s" %(D)s'
    )
    _access(logger, API_URL, referer=f"https://epupns.example/laporkan/?nip={NIP}")
    logger.error("Error handling request %s", FORM_URL)
    access = (tmp_path / "access.log").read_text()
    errors = (tmp_path / "error.log").read_text()
    for text in (access, errors):
        assert NIK not in text and NIP not in text and "kategori" not in text, text
    assert '"GET /api/v1/pegawai/ HTTP/1.1" 200 /api/v1/pegawai/' in access
    assert '"https://epupns.example/laporkan/"' in access
    assert "Error handling request /laporkan/" in errors


def test_the_benchmark_runner_still_reads_the_access_log(tmp_path):
    from benchmarks.run import server_times

    _access(_gunicorn_logger(tmp_path), API_URL)
    assert server_times(tmp_path / "access.log", "api_list") == [1.234]


def test_a_query_is_cut_whatever_it_holds():
    from app.log_privacy import strip_query

    # werkzeug logs the request line decoded: spaces, quotes, even a fake protocol mark.
    line = f'1.2.3.4 - - [x] "GET /api/v1/anak/?q={{"value": "{NIK}"}} HTTP/1 {NIK} HTTP/1.1" 200 -'
    assert strip_query(line) == '1.2.3.4 - - [x] "GET /api/v1/anak/ HTTP/1.1" 200 -'
    assert strip_query(f"from https://h.example/a?nip={NIP}&x=1 to /b?c") == "from https://h.example/a to /b"
    assert strip_query("what? nothing to cut") == "what? nothing to cut"
