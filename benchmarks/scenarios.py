"""The benchmark scenarios (DESIGN.md §5): what is requested, as whom, with which data.

`plan(app, login)` picks the records from the database the builder made and returns the
scenarios, each a list of concrete requests that wrk cycles through. `login(username,
password)` returns a Cookie header of a logged-in session: benchmarks.run logs in over HTTP
against gunicorn, tests/test_benchmark_smoke.py through Flask's test client. The same plan
serves both, so the CI smoke test requests exactly what the benchmark measures.

Every list page has a stock FAB `ModelView` counterpart over the same table (benchmarks.baseline)
with the same rows, filter, order and page where FAB can express them; `baseline_of` links them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import session as flask_session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from app.extensions import db
from app.services import paging

from .build_db import PNS_PASSWORD, STAFF_PASSWORD

PAGE = 25
DEEP_PAGE = 10_000  # "page 10,000" of a national list
REGISTRATION_PASSWORD = "Kunci-Rahasia-2015!"


@dataclass
class Request:
    method: str
    path: str
    cookie: str | None = None
    body: str | None = None

    def line(self) -> str:
        """The request as a line of wrk's request file (benchmarks/wrk/scenario.lua)."""
        return "\t".join([self.method, self.path, self.cookie or "-", self.body or "-"])


@dataclass
class Scenario:
    name: str  # file-name safe
    group: str  # a row group of the results table
    label: str
    requests: list[Request]
    expect: tuple = (200,)  # HTTP statuses that mean "served as intended"
    target_ms: float | None = None  # DESIGN.md §5 p95 target
    baseline_of: str | None = None  # for a stock FAB list: the scenario it is compared with
    note: str = ""
    consumes: bool = False  # each request uses up its data (registration)
    # A throughput scenario (the password hash): run with twice the connections, so that
    # every core always has a request to hash while another waits on the database.
    throughput: bool = False
    extra: dict = field(default_factory=dict)


class Plan:
    """Data picked from the benchmark database, and the scenarios built from it."""

    def __init__(self, app, login, requests_per_list: int = 200, registrations: int = 2000):
        self.app = app
        self.login = login
        self.n_list = requests_per_list
        self.n_registrations = registrations

    # -- data ----------------------------------------------------------------------------
    # Each query in an app context of its own: `login` may run requests through the same app
    # (the smoke test's client), and those must not share a surrounding context's `g`.
    def _rows(self, sql: str, **params):
        with self.app.app_context():
            try:
                return db.session.execute(text(sql), params).all()
            finally:
                db.session.remove()

    def _scalar(self, sql: str, **params):
        return self._rows(sql, **params)[0][0]

    def _deep_page(self, sql: str, total: int, **params):
        """(page number, keyset cursor) of DEEP_PAGE, or of the last page of a shorter list:
        the cursor is the key of the last row of the page before, as the "next" link of
        that page carries it."""
        pages = max(1, -(-total // PAGE))
        number = min(DEEP_PAGE, pages)
        if number == 1:
            return 1, None
        key = self._rows(sql + " OFFSET :offset LIMIT 1", offset=(number - 1) * PAGE - 1, **params)[0]
        return number, paging.encode_cursor(tuple(key))

    def _filter_index(self, view_name: str, column: str, filter_class: str) -> int:
        view = next(v for v in self.app.appbuilder.baseviews if type(v).__name__ == view_name)
        options = view._filters.get_search_filters()[column]
        return next(i for i, f in enumerate(options) if type(f).__name__ == filter_class)

    def _anonymous(self, path: str, **values) -> tuple[str, str]:
        """(Cookie header, CSRF token) of an anonymous session holding `values`, signed with
        the app's key: what a browser holds after the earlier steps of a public flow."""
        with self.app.test_request_context(path):
            flask_session.update(values)
            token = generate_csrf()
            data = dict(flask_session)
        cookie = self.app.session_interface.get_signing_serializer(self.app).dumps(data)
        return f"{self.app.config.get('SESSION_COOKIE_NAME', 'session')}={cookie}", token

    # -- scenarios -----------------------------------------------------------------------
    def scenarios(self) -> list[Scenario]:
        staff = {
            u: self.login(u, STAFF_PASSWORD)
            for u in ("bench_admin", "bench_skpd", "bench_instansi", "bench_bkn", "bench_monitor")
        }
        inst = self._scalar("SELECT instansi_id FROM ab_user WHERE username = 'bench_instansi'")
        skpd_unit = self._scalar("SELECT unit_kerja_id FROM ab_user WHERE username = 'bench_skpd'")
        skpd_path = self._scalar("SELECT path FROM unit_kerja WHERE id = :u", u=skpd_unit)
        out: list[Scenario] = []
        out += self._public()
        out += self._pns()
        out += self._inboxes(staff, inst, skpd_unit, skpd_path)
        out += self._approval(staff, inst)
        out += self._employees(staff, inst)
        out += self._pages(staff, inst)
        return out

    def _public(self) -> list[Scenario]:
        free = [
            r[0]
            for r in self._rows(
                "SELECT p.nip FROM pegawai p WHERE p.status IN ('CPNS', 'PNS') AND NOT EXISTS "
                "(SELECT 1 FROM registrasi r WHERE r.pegawai_id = p.id) ORDER BY p.id LIMIT :n",
                n=self.n_registrations + self.n_list,
            )
        ]
        lookup_nips, register_nips = free[: self.n_list], free[self.n_list :]
        cookie, token = self._anonymous("/registrasi/")
        lookups = [
            Request("POST", "/registrasi/", cookie, urlencode({"csrf_token": token, "nip": nip})) for nip in lookup_nips
        ]
        question = self._scalar("SELECT min(id) FROM security_question")
        registrations = []
        for nip in register_nips:
            cookie, token = self._anonymous(
                "/registrasi/langkah-2", registrasi_draft={"nip": nip, "email": f"{nip}@example.id"}
            )
            registrations.append(
                Request(
                    "POST",
                    "/registrasi/langkah-2",
                    cookie,
                    urlencode(
                        {
                            "csrf_token": token,
                            "password": REGISTRATION_PASSWORD,
                            "confirm": REGISTRATION_PASSWORD,
                            "mother_name": "Siti Aminah",
                            "question": question,
                            "answer": "SD Negeri 1",
                            "captcha": "",
                        }
                    ),
                )
            )
        login_users = [
            r[0]
            for r in self._rows(
                "SELECT u.username FROM registrasi r JOIN ab_user u ON u.id = r.user_id "
                "WHERE r.status = 'disetujui' ORDER BY r.id LIMIT :n",
                n=self.n_list,
            )
        ]
        cookie, token = self._anonymous("/login/")
        logins = [
            Request(
                "POST", "/login/", cookie, urlencode({"csrf_token": token, "username": u, "password": PNS_PASSWORD})
            )
            for u in login_users
        ]
        return [
            Scenario("nip_lookup", "Registration", 'NIP lookup ("Cari", POST)', lookups, (302,), 50),
            Scenario(
                "registration",
                "Registration",
                "registration (step 2 POST, 3 argon2id hashes)",
                registrations[len(registrations) // 4 :],
                (302,),
                None,
                consumes=True,
                throughput=True,
                extra={"warmup": registrations[: len(registrations) // 4]},
                note="each request registers a new NIP; the session cookie is the one the browser "
                'holds after "Cari" and "Lanjut"',
            ),
            Scenario(
                "login", "Registration", "PNS login (POST, 1 argon2id verify)", logins, (302,), None, throughput=True
            ),
        ]

    def _pns(self) -> list[Scenario]:
        rows = self._rows(
            "SELECT u.username, r.nomor FROM usulan s JOIN ab_user u ON u.pegawai_id = s.pegawai_id "
            "JOIN registrasi r ON r.user_id = u.id AND r.status = 'disetujui' "
            "WHERE s.status = 'draft' ORDER BY s.id LIMIT 20"
        )
        sessions = [(self.login(username, PNS_PASSWORD), nomor) for username, nomor in rows]
        home = [Request("GET", "/data-saya/", cookie) for cookie, _ in sessions]
        proofs = [Request("GET", f"/registrasi/bukti/{nomor}.pdf", cookie) for cookie, nomor in sessions]
        return [
            Scenario("pns_home", "PNS", 'PNS home ("Data Saya", own draft)', home, (200,), 50),
            Scenario("proof_pdf", "PNS", 'proof PDF ("Bukti Registrasi")', proofs, (200,), 100),
        ]

    def _inboxes(self, staff, inst, skpd_unit, skpd_path) -> list[Scenario]:
        out = []
        status_eq = self._filter_index("BaselineUsulanView", "status", "FilterEqual")
        inst_eq = self._filter_index("BaselineUsulanView", "instansi_id", "FilterEqual")
        after = self._filter_index("BaselineUsulanView", "submitted_at", "FilterGreater")
        before = self._filter_index("BaselineUsulanView", "submitted_at", "FilterSmaller")
        name_contains = self._filter_index("BaselinePegawaiView", "nama", "FilterContains")
        verifiers = (
            (
                "skpd",
                "Verifikator SKPD (unit subtree)",
                "bench_skpd",
                "di_skpd",
                "unit_kerja_id IN (SELECT id FROM unit_kerja WHERE path LIKE :path)",
                {"path": skpd_path + "%"},
                {"status": "di_skpd", "instansi_id": inst},
            ),
            (
                "instansi",
                "Verifikator Instansi (largest instansi)",
                "bench_instansi",
                "di_instansi",
                "instansi_id = :inst",
                {"inst": inst},
                {"status": "di_instansi", "instansi_id": inst},
            ),
            ("bkn", "Verifikator BKN Pusat (national)", "bench_bkn", "di_bkn", "true", {}, {"status": "di_bkn"}),
        )
        for key, who, user, status, where, params, fab in verifiers:
            cookie = staff[user]
            base = f"SELECT submitted_at, id FROM usulan WHERE status = :status AND {where}"
            total = self._scalar(f"SELECT count(*) FROM ({base}) t", status=status, **params)
            number, cursor = self._deep_page(base + " ORDER BY submitted_at, id", total, status=status, **params)
            names = [
                r[0]
                for r in self._rows(
                    f"SELECT p.nama FROM usulan u JOIN pegawai p ON p.id = u.pegawai_id WHERE u.status = :status "
                    f"AND {where.replace('instansi_id', 'u.instansi_id').replace('unit_kerja_id', 'u.unit_kerja_id')} "
                    f"ORDER BY u.id LIMIT 20",
                    status=status,
                    **params,
                )
            ]
            day = self._scalar(f"SELECT max(submitted_at)::date FROM ({base}) t", status=status, **params)
            deep = {"page": number, **({"after": cursor} if cursor else {})}
            page_label = (
                f"page {number:,}" if number == DEEP_PAGE else f"page {number:,} (the last; {total:,} submissions)"
            )
            group = f"Verification inbox — {who}"
            ours = [
                ("first", "first page", {}),
                ("deep", page_label + ", keyset", deep),
                ("date", "filtered: submitted on one day", {"from": day.isoformat(), "to": day.isoformat()}),
                ("sorted", "sorted by name", {"sort": "nama"}),
            ]
            for suffix, label, args in ours:
                out.append(
                    Scenario(
                        f"inbox_{key}_{suffix}",
                        group,
                        label,
                        [Request("GET", "/verifikasi/?" + urlencode(args) if args else "/verifikasi/", cookie)],
                        (200,),
                        50,
                    )
                )
            out.append(
                Scenario(
                    f"inbox_{key}_name",
                    group,
                    "name search (contains, any case)",
                    [Request("GET", "/verifikasi/?" + urlencode({"nama": n.lower()}), cookie) for n in names],
                    (200,),
                    50,
                )
            )
            # The stock FAB list of the same table; the subtree of an SKPD cannot be expressed
            # there, so its baseline lists the whole instansi at that level (more rows).
            flt = {f"_flt_{status_eq}_status": fab["status"]}
            if "instansi_id" in fab:
                flt[f"_flt_{inst_eq}_instansi_id"] = fab["instansi_id"]
            order = {"_oc_BaselineUsulanView": "submitted_at", "_od_BaselineUsulanView": "asc"}
            fab_deep = {"page_BaselineUsulanView": number - 1}
            fab_date = {
                f"_flt_{after}_submitted_at": f"{day.isoformat()} 00:00:00",
                f"_flt_{before}_submitted_at": f"{day.isoformat()} 23:59:59",
            }
            theirs = [
                ("first", {**flt, **order}),
                ("deep", {**flt, **order, **fab_deep}),
                ("date", {**flt, **order, **fab_date}),
                ("sorted", {**flt, "_oc_BaselineUsulanView": "pegawai.nama", "_od_BaselineUsulanView": "asc"}),
            ]
            for suffix, args in theirs:
                out.append(
                    Scenario(
                        f"fab_inbox_{key}_{suffix}",
                        group,
                        "stock FAB ModelView",
                        [Request("GET", "/baseline/usulan/list/?" + urlencode(args), staff["bench_admin"])],
                        (200,),
                        None,
                        baseline_of=f"inbox_{key}_{suffix}",
                    )
                )
            out.append(
                Scenario(
                    f"fab_inbox_{key}_name",
                    group,
                    "stock FAB ModelView (Pegawai, name contains)",
                    [
                        Request(
                            "GET",
                            "/baseline/pegawai/list/?" + urlencode({f"_flt_{name_contains}_nama": n.lower()}),
                            staff["bench_admin"],
                        )
                        for n in names
                    ],
                    (200,),
                    None,
                    baseline_of=f"inbox_{key}_name",
                )
            )
        return out

    def _approval(self, staff, inst) -> list[Scenario]:
        out = []
        status_eq = self._filter_index("BaselineRegistrasiView", "status", "FilterEqual")
        inst_eq = self._filter_index("BaselineRegistrasiView", "instansi_id", "FilterEqual")
        nomor_eq = self._filter_index("BaselineRegistrasiView", "nomor", "FilterEqual")
        for key, who, user, where, params, fab in (
            (
                "instansi",
                "Verifikator Instansi (largest instansi)",
                "bench_instansi",
                "instansi_id = :inst",
                {"inst": inst},
                {f"_flt_{inst_eq}_instansi_id": inst},
            ),
            ("admin", "Admin (national)", "bench_admin", "true", {}, {}),
        ):
            cookie = staff[user]
            base = f"SELECT created_at, id FROM registrasi WHERE status = 'menunggu' AND {where}"
            total = self._scalar(f"SELECT count(*) FROM ({base}) t", **params)
            number, cursor = self._deep_page(base + " ORDER BY created_at DESC, id DESC", total, **params)
            found = self._rows(
                f"SELECT nomor FROM registrasi WHERE status = 'menunggu' AND {where} ORDER BY id LIMIT 20", **params
            )
            group = f"Registration approval — {who}"
            deep = {"page": number, **({"after": cursor} if cursor else {})}
            page_label = f"page {number:,}" if number == DEEP_PAGE else f"page {number:,} (the last; {total:,} pending)"
            ours = [
                ("first", "first page (pending)", [{}]),
                ("deep", page_label + ", keyset", [deep]),
                ("search", "search by nomor registrasi", [{"q": nomor} for (nomor,) in found]),
                ("all", "every status", [{"status": "all"}]),
            ]
            for suffix, label, variants in ours:
                out.append(
                    Scenario(
                        f"approval_{key}_{suffix}",
                        group,
                        label,
                        [
                            Request("GET", "/persetujuan/?" + urlencode(a) if a else "/persetujuan/", cookie)
                            for a in variants
                        ],
                        (200,),
                        50,
                    )
                )
            order = {"_oc_BaselineRegistrasiView": "created_at", "_od_BaselineRegistrasiView": "desc"}
            pending = {f"_flt_{status_eq}_status": "menunggu"}
            theirs = [
                ("first", [{**fab, **pending, **order}]),
                ("deep", [{**fab, **pending, **order, "page_BaselineRegistrasiView": number - 1}]),
                ("search", [{**fab, f"_flt_{nomor_eq}_nomor": nomor, **order} for (nomor,) in found]),
                ("all", [{**fab, **order}]),
            ]
            for suffix, variants in theirs:
                out.append(
                    Scenario(
                        f"fab_approval_{key}_{suffix}",
                        group,
                        "stock FAB ModelView",
                        [
                            Request("GET", "/baseline/registrasi/list/?" + urlencode(a), staff["bench_admin"])
                            for a in variants
                        ],
                        (200,),
                        None,
                        baseline_of=f"approval_{key}_{suffix}",
                    )
                )
        return out

    def _employees(self, staff, inst) -> list[Scenario]:
        """Our one ModelView subclass (capped count, eager relations) against FAB's own."""
        inst_eq = self._filter_index("BaselinePegawaiView", "instansi", "FilterRelationOneToManyEqual")
        group = "Employee records (ScopedModelView)"
        order = {"_oc_PegawaiView": "nama", "_od_PegawaiView": "asc"}
        fab_order = {"_oc_BaselinePegawaiView": "nama", "_od_BaselinePegawaiView": "asc"}
        return [
            Scenario(
                "pegawai_instansi_first",
                group,
                "Verifikator Instansi, first page by name",
                [Request("GET", "/pegawaiview/list/?" + urlencode(order), staff["bench_instansi"])],
                (200,),
            ),
            Scenario(
                "fab_pegawai_instansi_first",
                group,
                "stock FAB ModelView",
                [
                    Request(
                        "GET",
                        "/baseline/pegawai/list/?" + urlencode({f"_flt_{inst_eq}_instansi": inst, **fab_order}),
                        staff["bench_admin"],
                    )
                ],
                (200,),
                None,
                baseline_of="pegawai_instansi_first",
            ),
            Scenario(
                "pegawai_national_first",
                group,
                "Admin (national), first page by name",
                [Request("GET", "/pegawaiview/list/?" + urlencode(order), staff["bench_admin"])],
                (200,),
            ),
            Scenario(
                "fab_pegawai_national_first",
                group,
                "stock FAB ModelView",
                [Request("GET", "/baseline/pegawai/list/?" + urlencode(fab_order), staff["bench_admin"])],
                (200,),
                None,
                baseline_of="pegawai_national_first",
            ),
        ]

    def _pages(self, staff, inst) -> list[Scenario]:
        ids = [
            r[0]
            for r in self._rows(
                "SELECT id FROM usulan WHERE status = 'di_instansi' AND instansi_id = :inst ORDER BY id LIMIT 20",
                inst=inst,
            )
        ]
        return [
            Scenario(
                "verification_page",
                "Verification",
                "verification page (field-by-field diff)",
                [Request("GET", f"/verifikasi/{pk}", staff["bench_instansi"]) for pk in ids],
                (200,),
                50,
            ),
            Scenario(
                "dashboard",
                "Monitoring",
                "dashboard, all of Indonesia",
                [Request("GET", "/monitoring/", staff["bench_monitor"])],
                (200,),
                150,
            ),
        ]
