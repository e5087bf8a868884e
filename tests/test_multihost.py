"""Several app hosts at once (DESIGN.md §4): nothing may live in one process's memory.

Two gunicorn instances on two loopback ports serve one PostgreSQL database, one Redis (the
rate-limit store) and one upload directory, configured from the environment exactly as a
deployment is (`PUPNS_ENV=production`, `SECRET_KEY`, `DATABASE_URL`, `RATELIMIT_STORAGE_URI`,
`UPLOAD_DIR`). A browser talking to both over real HTTP shows that a session, the rate
limits, a login lockout and an uploaded document made on one host hold on the other.

Needs TEST_DATABASE_URL (PostgreSQL) and Redis on 127.0.0.1:6379: skipped without them on
a developer machine, failed under CI (env CI), where .ci/run provides both.
"""

import io
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .test_access import _FormParser, tiny_png

ROOT = Path(__file__).resolve().parents[1]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URI = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
HOST = "127.0.0.1"
PASSWORD = "Rahasia-Kuat-2015"
PNS_PASSWORD = "Kopi-Tubruk-Sleman-88"
START_TIMEOUT = 30  # seconds for a gunicorn to answer (it usually takes 2)
FAILED_TEXT = "Login failed: check the NIP"  # security.AuthDBView: one answer to every failure (English)


def _unavailable(reason):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (env CI is set: the multi-host test may not be skipped)", pytrace=False)
    pytest.skip(reason)


def _redis():
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return client


# --------------------------------------------------------------------------- real HTTP client
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # hand the 30x back to the caller, as a browser's network log shows it


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class Response:
    status: int
    headers: object
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location") or ""


def _multipart(fields: dict, files: dict):
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode() + b"\r\n")
    for name, (filename, data, content_type) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Browser:
    """One browser: its cookies go to whichever host it talks to (as behind one load
    balancer, where the hosts share a name)."""

    def __init__(self):
        self.cookies = {}

    def request(self, host, path, data=None, files=None) -> Response:
        headers = {}
        body = None
        if files:
            body, headers["Content-Type"] = _multipart(data or {}, files)
        elif data is not None:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(
            host + path, data=body, headers=headers, method="POST" if body is not None else "GET"
        )
        try:
            response = _OPENER.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            result = Response(response.status, response.headers, response.read())
        for cookie in result.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return result

    def get(self, host, path) -> Response:
        return self.request(host, path)

    def post(self, host, path, data, files=None) -> Response:
        return self.request(host, path, data=data, files=files)

    def csrf_token(self, host, path) -> str:
        page = self.get(host, path).text
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'id="csrf_token"[^>]*value="([^"]+)"', page
        )
        assert match, f"no CSRF token on {host}{path}"
        return match.group(1)

    def login(self, host, username, password) -> Response:
        token = self.csrf_token(host, "/login/")
        return self.post(host, "/login/", {"username": username, "password": password, "csrf_token": token})


def logged_in(response: Response) -> bool:
    """FAB answers a login POST with a redirect: back to /login/ on failure."""
    return response.status == 302 and "/login/" not in response.location


# --------------------------------------------------------------------------- the deployment
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _own_database(base_url: str) -> str:
    """A fresh database next to TEST_DATABASE_URL's (one per xdist worker)."""
    url = make_url(base_url)
    name = f"{url.database}_multihost_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(base_url: str, url: str) -> None:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _deploy_app(url: str, upload_dir: Path):
    """What a release does before the hosts start: `flask db upgrade`, then
    `flask pupns create-permissions` (run in this process: the same commands, no second
    interpreter start-up). Returns the app, for `_seed`."""
    from app import create_app

    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(upload_dir)})
    runner = application.test_cli_runner()
    for args in (["db", "upgrade"], ["pupns", "create-permissions"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, f"flask {' '.join(args)} failed:\n{result.output}"
    return application


def _seed(application) -> dict:
    """A little data, written through the app's own services: instansi A with a unit and two
    employees, a Verifikator Instansi, and a PNS whose registration is approved."""
    from app.extensions import db
    from app.roles import ROLE_ADMIN, ROLE_VERIFIKATOR_INSTANSI
    from app.services import registration
    from app.services.reference_data import load_reference_data

    from .helpers import make_user, register_pns
    from .factories import InstansiFactory, PegawaiFactory, UnitKerjaFactory

    with application.app_context():
        load_reference_data(db.session)
        db.session.commit()
        instansi = InstansiFactory(nama="Pemerintah Kota Yogyakarta")
        unit = UnitKerjaFactory(instansi=instansi, nama="Dinas Pendidikan")
        pns = PegawaiFactory(unit_kerja=unit, nama="BUDI SANTOSO")
        colleague = PegawaiFactory(unit_kerja=unit, nama="SITI AMINAH")
        db.session.commit()
        admin = make_user(application, "admin", ROLE_ADMIN)
        make_user(application, "vinstansi", ROLE_VERIFIKATOR_INSTANSI, instansi=instansi)
        registrasi = register_pns(application, pns, "budi@example.go.id", PNS_PASSWORD)
        registration.approve(db.session, admin, [registrasi])
        facts = {"nip": pns.nip, "colleague_id": colleague.id, "nomor": registrasi.nomor}
        db.session.remove()
        db.engine.dispose()
    return facts


@dataclass
class Deployment:
    hosts: tuple  # ("http://127.0.0.1:port_a", "http://127.0.0.1:port_b")
    database_url: str
    upload_dir: Path
    facts: dict
    redis: object
    key_prefix: str

    def reset_rate_limits(self):
        """Each test starts with fresh counters: only this run's keys are removed."""
        for key in self.redis.scan_iter(match=f"*{self.key_prefix}*"):
            self.redis.delete(key)

    def query(self, sql, **params):
        engine = create_engine(self.database_url)
        with engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
        engine.dispose()
        return rows


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        _unavailable("TEST_DATABASE_URL (PostgreSQL) is not set")
    redis_client = _redis()
    if redis_client is None:
        _unavailable(f"Redis does not answer on {REDIS_HOST}:{REDIS_PORT}")

    workdir = tmp_path_factory.mktemp("multihost")
    upload_dir = workdir / "uploads"  # the shared volume
    url = _own_database(base_url)
    key_prefix = f"pupns-multihost-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "PUPNS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "TRUSTED_HOSTS": HOST,
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": REDIS_URI,
        "RATELIMIT_KEY_PREFIX": key_prefix,
        "RATELIMIT_ENABLED": "1",
        "UPLOAD_DIR": str(upload_dir),
        "FAB_UPDATE_PERMS": "0",
        "PYTHONPATH": str(ROOT),
    }
    processes, logs = [], []
    try:
        application = _deploy_app(url, upload_dir)
        hosts = []
        for name in ("a", "b"):
            port = _free_port()
            log = open(workdir / f"gunicorn-{name}.log", "w+")  # closed in the finally below
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--bind",
                        f"{HOST}:{port}",
                        "--workers",
                        "1",
                        "--threads",
                        "4",
                        "--timeout",
                        "60",
                        "run:app",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            hosts.append(f"http://{HOST}:{port}")
        facts = _seed(application)  # while the hosts boot
        for process, host, log in zip(processes, hosts, logs, strict=True):
            _wait_until_up(process, host, log)
        yield Deployment(tuple(hosts), url, upload_dir, facts, redis_client, key_prefix)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for log in logs:
            log.close()
        for key in redis_client.scan_iter(match=f"*{key_prefix}*"):
            redis_client.delete(key)
        _drop_database(base_url, url)


def _wait_until_up(process, host, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"gunicorn on {host} exited with {process.returncode}:\n{log.read()[-4000:]}")
        try:
            with urllib.request.urlopen(host + "/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    log.seek(0)
    pytest.fail(f"gunicorn on {host} did not answer within {START_TIMEOUT} s:\n{log.read()[-4000:]}")


@pytest.fixture
def hosts(deployment):
    deployment.reset_rate_limits()
    return deployment.hosts


# --------------------------------------------------------------------------- the tests
def test_a_session_made_on_one_host_works_on_the_other(deployment, hosts):
    host_a, host_b = hosts
    browser = Browser()
    assert logged_in(browser.login(host_a, "vinstansi", PASSWORD))
    # Host B never saw this login: it reads the signed session cookie host A set.
    inbox = browser.get(host_b, "/persetujuan/?status=all")
    assert inbox.status == 200, inbox.status
    assert "BUDI SANTOSO" in inbox.text  # the approved registration of his instansi
    # A stranger without the cookie is sent to the login page by the same host.
    assert Browser().get(host_b, "/persetujuan/?status=all").status == 302
    # A form shown by host B accepts a POST on host A: the CSRF token is bound to the session.
    current = PASSWORD
    for shown_by, posted_to, password in ((host_b, host_a, "Teh-Manis-Bantul-77"), (host_a, host_b, PASSWORD)):
        token = browser.csrf_token(shown_by, "/resetmypassword/form")
        changed = browser.post(
            posted_to,
            "/resetmypassword/form",
            {"current_password": current, "password": password, "conf_password": password, "csrf_token": token},
        )
        current = password
        assert changed.status == 302, changed.text[:2000]
        # The new password is in the shared database: the other host accepts it.
        assert logged_in(Browser().login(shown_by, "vinstansi", password))


def test_logging_out_on_one_host_ends_the_session_on_the_other(deployment, hosts):
    host_a, host_b = hosts
    browser = Browser()
    assert logged_in(browser.login(host_a, "vinstansi", PASSWORD))
    stolen = dict(browser.cookies)  # a copy of the cookie, as a thief would keep it
    # The menu's logout: a POST with the session's CSRF token.
    token = browser.csrf_token(host_b, "/logout/")
    assert browser.post(host_b, "/logout/", {"csrf_token": token}).status == 302
    thief = Browser()
    thief.cookies = stolen
    # The session version in the shared database has moved on: host A refuses the old cookie.
    assert thief.get(host_a, "/persetujuan/?status=all").status == 302


def test_rate_limits_are_counted_across_hosts(deployment, hosts):
    """Cek Status allows 10 tries per NIP in 10 minutes (services.ratelimit.PER_NIP) whichever
    host gets them: the 11th, on either host, is refused with 429."""
    from app.services.ratelimit import PER_NIP

    allowed = int(PER_NIP.split()[0])
    browser = Browser()
    tokens = {host: browser.csrf_token(host, "/status/") for host in hosts}
    statuses = []
    for attempt in range(allowed + 2):
        host = hosts[attempt % 2]
        response = browser.post(
            host, "/status/", {"nip": deployment.facts["nip"], "nomor": f"R{attempt:09d}", "csrf_token": tokens[host]}
        )
        statuses.append(response.status)
    # Each host alone saw only 6 of the 12 POSTs: a per-process counter would allow them all.
    assert statuses == [200] * allowed + [429, 429], statuses
    # Another NIP is not limited by those tries.
    other = browser.post(
        hosts[1], "/status/", {"nip": "198001012005011002", "nomor": "X", "csrf_token": tokens[hosts[1]]}
    )
    assert other.status == 200


def test_a_lockout_after_failures_on_both_hosts_holds_on_both(deployment, hosts):
    nip = deployment.facts["nip"]
    browser = Browser()
    browser.get(hosts[0], "/lang/en")  # the messages below are read in English
    for attempt in range(5):  # services.accounts.MAX_FAILED_LOGINS, split between the hosts
        assert not logged_in(browser.login(hosts[attempt % 2], nip, "salah-kata-kunci"))
    for host in hosts:
        refused = browser.login(host, nip, PNS_PASSWORD)  # the right password, too late
        assert not logged_in(refused), host
        page = browser.get(host, refused.location.replace(host, "") or "/login/").text
        assert FAILED_TEXT in page, host
    (locked_until,) = deployment.query(
        "SELECT locked_until FROM ab_user u JOIN pegawai p ON p.id = u.pegawai_id WHERE p.nip = :nip", nip=nip
    )[0]
    assert locked_until is not None


def test_a_document_uploaded_on_one_host_is_served_by_the_other(deployment, hosts):
    host_a, host_b = hosts
    browser = Browser()
    assert logged_in(browser.login(host_a, "vinstansi", PASSWORD))
    parser = _FormParser()
    parser.feed(browser.get(host_a, "/riwayatgolonganview/add").text)
    form = {
        **parser.fields,
        "pegawai": str(deployment.facts["colleague_id"]),
        "tmt_golongan": "2020-04-01",
        "nomor_sk": "SK-MULTIHOST-1",
    }
    data = tiny_png("blue")
    saved = browser.post(
        host_a, "/riwayatgolonganview/add", form, files={"berkas": ("sk-pangkat.png", data, "image/png")}
    )
    assert saved.status == 302, saved.text[:2000]
    ((dokumen_id,),) = deployment.query(
        "SELECT d.id FROM dokumen d JOIN riwayat_golongan r ON r.dokumen_id = d.id WHERE r.nomor_sk = 'SK-MULTIHOST-1'"
    )
    download = browser.get(host_b, f"/dokumenview/download/{dokumen_id}")
    assert download.status == 200 and download.body == data
    assert download.headers.get("Content-Type") == "image/png"
