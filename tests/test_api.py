"""The integration REST API (app/api): keys, scope, NIK, arguments, the spec, Admin's keys screen.

Every request runs in its own app context (FreshContextClient), as in production: the `app`
fixture's single app context would otherwise share `g` (the caller) between requests.
"""

import datetime as dt
import json
import re

import pytest
from flask_appbuilder.security.sqla.models import ApiKey
from sqlalchemy import select

from app.extensions import db
from app.models import Pegawai, utcnow
from app.models.submission import Usulan
from app.roles import ROLE_ADMIN, ROLE_INTEGRASI, ROLE_VERIFIKATOR_INSTANSI
from app.api.resources import API_CLASSES
from app.services import apikeys

from .helpers import PASSWORD, AuthActions, csrf_token, make_user, FreshContextClient
from .factories import AnakFactory, RiwayatGolonganFactory


@pytest.fixture
def api(app, world):
    """Integration accounts and keys (instansi A; national), history and children of A and B."""
    app.test_client_class = FreshContextClient
    users = {
        "a": make_user(app, "api_a", ROLE_INTEGRASI, instansi=world["inst_a"]),
        "kanreg_b": make_user(app, "api_kanreg_b", ROLE_INTEGRASI, kanreg=world["kanreg_b"]),
        "national": make_user(app, "api_bpjs", ROLE_INTEGRASI),
    }
    keys = {name: apikeys.create(db.session, user, f"key {name}")[1] for name, user in users.items()}
    rows = {}
    for who in ("peg_a", "peg_b"):
        rows[f"golongan_{who}"] = RiwayatGolonganFactory(pegawai=world[who]).id
        rows[f"anak_{who}"] = AnakFactory(pegawai=world[who], nik="3273015008100001").id
    db.session.commit()
    return {"users": users, "keys": keys, "rows": rows, "client": app.test_client()}


def call(client, url, key=None, *, q=None, header="X-API-Key", **kwargs):
    headers = kwargs.pop("headers", {})
    if key is not None:
        headers[header] = key if header == "X-API-Key" else f"Bearer {key}"
    if q is not None:
        url += "?q=" + (q if isinstance(q, str) else json.dumps(q))
    return client.get(url, headers=headers, **kwargs)


def nips(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return {row["nip"] for row in response.get_json()["result"]}


def nip_of(world, *names):
    return {world[n].nip for n in names}


A_PEGAWAI = ("peg_a", "peg_sub", "peg_other")


# -- authentication ---------------------------------------------------------------------------
def test_a_key_in_either_header_lists_the_records_of_its_scope(api, world):
    for header in ("X-API-Key", "Authorization"):
        response = call(api["client"], "/api/v1/pegawai/", api["keys"]["a"], header=header)
        assert nips(response) == nip_of(world, *A_PEGAWAI)
        assert response.get_json()["count"] == 3
        assert response.headers["Content-Type"].startswith("application/json")


def test_without_a_valid_key_the_api_answers_401(app, api):
    client = api["client"]
    expired, revoked, disabled = (apikeys.create(db.session, api["users"]["a"], name)[1] for name in ("e", "r", "d"))
    key_of = {k.name: k for k in db.session.scalars(select(ApiKey))}
    key_of["e"].expires_on = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    apikeys.revoke(db.session, key_of["r"])
    owner = make_user(app, "api_gone", ROLE_INTEGRASI)
    gone = apikeys.create(db.session, owner, "gone")[1]
    owner.active = False
    db.session.commit()
    valid = api["keys"]["a"]
    for key, header in [
        (None, "X-API-Key"),
        ("", "X-API-Key"),
        (valid[:-1] + "x", "X-API-Key"),
        (valid[:-1] + "x", "Authorization"),
        ("not-a-key-nor-a-jwt", "Authorization"),
        (expired, "X-API-Key"),
        (revoked, "X-API-Key"),
        (gone, "Authorization"),
    ]:
        response = call(client, "/api/v1/pegawai/", key, header=header)
        assert response.status_code == 401, (key, header)
        assert "message" in response.get_json()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert disabled  # an untouched key of the same owner still works:
    assert call(client, "/api/v1/pegawai/", disabled).status_code == 200


def test_a_browser_session_never_authenticates_the_api(app, api, world):
    client = app.test_client()
    assert AuthActions(client).login("admin").status_code == 302
    assert client.get("/pegawaiview/list/").status_code == 200  # the session works on screens
    for url in ("/api/v1/pegawai/", f"/api/v1/pegawai/{world['peg_a'].id}", "/api/v1/pegawai/_info"):
        assert client.get(url).status_code == 401, url
    # With a key, the key's (narrower) scope applies, not the logged-in Admin's.
    assert nips(call(client, "/api/v1/pegawai/", api["keys"]["a"])) == nip_of(world, *A_PEGAWAI)


def test_an_account_without_the_api_permission_gets_403(app, api):
    user = api["users"]["a"]
    key = api["keys"]["a"]
    user.roles = [app.appbuilder.sm.find_role(ROLE_VERIFIKATOR_INSTANSI)]
    db.session.commit()
    assert call(api["client"], "/api/v1/pegawai/", key).status_code == 403


def test_jwt_from_the_json_login_is_for_staff_never_for_machine_accounts(app, api, world):
    client = api["client"]
    # Integrasi accounts use their API key; a password login gets 401 (issue 13, finding 16).
    login = client.post("/api/v1/security/login", json={"username": "api_a", "password": PASSWORD, "provider": "db"})
    assert login.status_code == 401 and "access_token" not in (login.get_json() or {})
    # A verifier's JWT authenticates him, but he has no API permission.
    login = client.post(
        "/api/v1/security/login", json={"username": "vinstansi", "password": PASSWORD, "provider": "db"}
    )
    token = login.get_json()["access_token"]
    assert call(client, "/api/v1/pegawai/", token, header="Authorization").status_code == 403


def test_key_use_is_noted_at_most_once_a_minute(api):
    def last_used():
        db.session.expire_all()
        return db.session.scalar(select(ApiKey.last_used_on).where(ApiKey.name == "key a"))

    assert last_used() is None
    call(api["client"], "/api/v1/pegawai/", api["keys"]["a"])
    first = last_used()
    assert first is not None
    call(api["client"], "/api/v1/pegawai/", api["keys"]["a"])
    assert last_used() == first


def test_each_key_has_its_own_rate_limit(app_factory):
    application = app_factory(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    application.test_client_class = FreshContextClient
    with application.app_context():
        keys = [
            apikeys.create(db.session, make_user(application, f"api_{n}", ROLE_INTEGRASI), n)[1] for n in ("x", "y")
        ]
    client = application.test_client()
    statuses = [call(client, "/api/v1/pegawai/", keys[0]).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "message" in call(client, "/api/v1/pegawai/", keys[0]).get_json()
    assert call(client, "/api/v1/pegawai/", keys[1]).status_code == 200


def test_made_up_keys_share_the_budget_of_their_address(app_factory):
    """Finding 13: a new random key per call is no way around the limit; from another
    address, or with a valid key, the calls still go through."""
    application = app_factory(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute", TRUSTED_PROXIES=1)
    application.test_client_class = FreshContextClient
    with application.app_context():
        key = apikeys.create(db.session, make_user(application, "api_x", ROLE_INTEGRASI), "x")[1]
    client = application.test_client()
    here = {"X-Forwarded-For": "203.0.113.7"}
    statuses = [call(client, "/api/v1/pegawai/", f"pupns_fake{n}", headers=dict(here)).status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    bearer = call(client, "/api/v1/pegawai/", "not.a.jwt", header="Authorization", headers=dict(here))
    assert bearer.status_code == 429  # a forged JWT counts against the address as well
    elsewhere = call(client, "/api/v1/pegawai/", "pupns_fake9", headers={"X-Forwarded-For": "198.51.100.2"})
    assert elsewhere.status_code == 401
    assert call(client, "/api/v1/pegawai/", key, headers=dict(here)).status_code == 200


# -- scope ------------------------------------------------------------------------------------
def test_a_key_of_instansi_a_cannot_reach_records_of_instansi_b(api, world):
    client, key, rows = api["client"], api["keys"]["a"], api["rows"]
    peg_b = world["peg_b"]
    assert call(client, f"/api/v1/pegawai/{peg_b.id}", key).status_code == 404
    assert call(client, f"/api/v1/pegawai/{world['peg_a'].id}", key).status_code == 200
    for q in (
        {"filters": [{"col": "nip", "opr": "eq", "value": peg_b.nip}]},
        {"filters": [{"col": "nip", "opr": "in", "value": [peg_b.nip]}]},
        {"filters": [{"col": "nama", "opr": "ct", "value": "DEWI"}]},
        {"filters": [{"col": "instansi", "opr": "rel_o_m", "value": world["inst_b"].id}]},
        {"filters": [{"col": "unit_kerja", "opr": "rel_o_m", "value": world["unit_b"].id}]},
    ):
        response = call(client, "/api/v1/pegawai/", key, q=q)
        assert nips(response) == set() and response.get_json()["count"] == 0, q
    # History and family rows hang off the Pegawai: the same scope applies.
    for resource in ("riwayat_golongan", "anak"):
        own, other = rows[f"{resource.split('_')[-1]}_peg_a"], rows[f"{resource.split('_')[-1]}_peg_b"]
        listed = call(client, f"/api/v1/{resource}/", key).get_json()
        assert listed["ids"] == [own] and listed["result"][0]["pegawai"]["nip"] == world["peg_a"].nip
        assert call(client, f"/api/v1/{resource}/{other}", key).status_code == 404
        assert call(client, f"/api/v1/{resource}/{own}", key).status_code == 200
        q = {"filters": [{"col": "pegawai", "opr": "rel_o_m", "value": peg_b.id}]}
        assert call(client, f"/api/v1/{resource}/", key, q=q).get_json()["count"] == 0


def test_kanreg_and_national_keys_see_their_own_scope(api, world):
    client = api["client"]
    assert nips(call(client, "/api/v1/pegawai/", api["keys"]["kanreg_b"])) == nip_of(world, "peg_b")
    everyone = nip_of(world, *A_PEGAWAI, "peg_b")
    assert nips(call(client, "/api/v1/pegawai/", api["keys"]["national"])) == everyone


def test_a_record_is_the_official_one_with_its_verification_date(api, world):
    finished = dt.datetime(2015, 12, 1, 3, 4, 5)
    peg_a = world["peg_a"]
    db.session.add(
        Usulan(
            pegawai_id=peg_a.id,
            instansi_id=peg_a.instansi_id,
            status=Usulan.SELESAI,
            base_record_version=1,
            finished_at=finished,
        )
    )
    db.session.add(
        Usulan(
            pegawai_id=world["peg_sub"].id,
            instansi_id=peg_a.instansi_id,
            status=Usulan.DI_INSTANSI,
            base_record_version=1,
        )
    )
    db.session.commit()
    rows = {r["nip"]: r for r in call(api["client"], "/api/v1/pegawai/", api["keys"]["a"]).get_json()["result"]}
    assert rows[peg_a.nip]["tanggal_verifikasi"].startswith("2015-12-01T03:04:05")
    assert rows[world["peg_sub"].nip]["tanggal_verifikasi"] is None
    assert rows[peg_a.nip]["instansi"]["nama"] == "Pemerintah Kota Yogyakarta"
    one = call(api["client"], f"/api/v1/pegawai/{peg_a.id}", api["keys"]["a"]).get_json()
    assert one["id"] == peg_a.id and one["result"]["tanggal_verifikasi"].startswith("2015-12-01")


# -- NIK --------------------------------------------------------------------------------------
def test_nik_only_for_national_clients(api, world):
    client, rows = api["client"], api["rows"]
    peg_a = world["peg_a"]
    scoped, national = api["keys"]["a"], api["keys"]["national"]
    assert call(client, f"/api/v1/pegawai/{peg_a.id}", scoped).get_json()["result"]["nik"] is None
    assert call(client, f"/api/v1/pegawai/{peg_a.id}", national).get_json()["result"]["nik"] == peg_a.nik
    assert all(r["nik"] is None for r in call(client, "/api/v1/pegawai/", scoped).get_json()["result"])
    assert call(client, f"/api/v1/anak/{rows['anak_peg_a']}", scoped).get_json()["result"]["nik"] is None
    assert call(client, f"/api/v1/anak/{rows['anak_peg_a']}", national).get_json()["result"]["nik"]
    by_nik = {"filters": [{"col": "nik", "opr": "eq", "value": peg_a.nik}]}
    assert call(client, "/api/v1/pegawai/", scoped, q=by_nik).status_code == 400
    assert nips(call(client, "/api/v1/pegawai/", national, q=by_nik)) == {peg_a.nip}
    assert "nik" not in call(client, "/api/v1/pegawai/_info", scoped).get_json()["filters"]
    assert "nik" in call(client, "/api/v1/pegawai/_info", national).get_json()["filters"]


# -- arguments --------------------------------------------------------------------------------
def test_page_size_is_capped_at_100(api, world):
    client, key = api["client"], api["keys"]["national"]
    assert call(client, "/api/v1/pegawai/", key, q="(page_size:101)").status_code == 400
    assert call(client, "/api/v1/pegawai/", key, q="(page_size:0)").status_code == 400
    assert call(client, "/api/v1/pegawai/", key, q="(page:-1)").status_code == 400
    page = call(client, "/api/v1/pegawai/", key, q="(page_size:100)").get_json()
    assert page["count"] == 4 and len(page["result"]) == 4
    first = call(client, "/api/v1/pegawai/", key, q="(page:0,page_size:2)").get_json()
    second = call(client, "/api/v1/pegawai/", key, q="(page:1,page_size:2)").get_json()
    assert len(first["ids"]) == 2 and first["count"] == 4
    assert set(first["ids"]).isdisjoint(second["ids"])


def test_counts_stop_at_the_cap_and_id_keyset_reads_past_it(api, monkeypatch):
    """At national scale a list neither counts millions of rows nor pages by OFFSET millions:
    `count` stops at paging.COUNT_CAP (4 PNS here against a cap of 2), pages beyond the cap
    are refused with the way to read further, and `id gt` reads everything."""
    from app.services import paging

    client, key = api["client"], api["keys"]["national"]
    whole = call(client, "/api/v1/pegawai/", key).get_json()
    assert whole["count"] == 4 and whole["count_capped"] is False
    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    capped = call(client, "/api/v1/pegawai/", key, q="(page_size:1)").get_json()
    assert capped["count"] == 2 and capped["count_capped"] is True
    assert len(call(client, "/api/v1/pegawai/", key, q="(page:1,page_size:1)").get_json()["ids"]) == 1
    refused = call(client, "/api/v1/pegawai/", key, q="(page:1,page_size:2)")
    assert refused.status_code == 400 and "col:id,opr:gt" in refused.get_json()["message"]
    seen, last = [], 0
    while True:
        q = f"(filters:!((col:id,opr:gt,value:{last})),order_column:id,order_direction:asc,page_size:1)"
        ids = call(client, "/api/v1/pegawai/", key, q=q).get_json()["ids"]
        if not ids:
            break
        seen += ids
        last = ids[-1]
    assert seen == sorted(whole["ids"]) and len(seen) == 4


def test_sorting_and_filters_work(api, world):
    client, key = api["client"], api["keys"]["a"]
    listed = call(client, "/api/v1/pegawai/", key, q="(order_column:nama,order_direction:asc)").get_json()
    assert [r["nama"] for r in listed["result"]] == ["AGUS SALIM", "BUDI SANTOSO", "SITI AMINAH"]
    q = "(filters:!((col:nama,opr:sw,value:SITI)))"
    assert nips(call(client, "/api/v1/pegawai/", key, q=q)) == nip_of(world, "peg_sub")
    since = (utcnow() - dt.timedelta(days=1)).isoformat(timespec="seconds")
    q = {"filters": [{"col": "updated_at", "opr": "gt", "value": since}]}
    assert call(client, "/api/v1/pegawai/", key, q=q).get_json()["count"] == 3


BAD_LIST_ARGUMENTS = [
    "(",
    "(page_size:'x')",
    "(order_column:nik)",
    "(order_column:password)",
    "(order_direction:up)",
    "(columns:!(nip))",
    "(unknown:1)",
    "(page:10000001)",
    "(filters:!((col:password,opr:eq,value:x)))",
    "(filters:!((col:nip,opr:ct,value:'19')))",
    "(filters:!((col:nip,opr:eq,value:1)))",
    "(filters:!((col:nip,opr:in,value:'x')))",
    "(filters:!((col:nip,opr:in,value:!())))",
    "(filters:!((col:instansi,opr:rel_o_m,value:abc)))",
    "(filters:!((col:instansi,opr:rel_o_m,value:99999999999)))",
    "(filters:!((col:tanggal_lahir,opr:eq,value:'2015-02-30')))",
    "(filters:!((col:tanggal_lahir,opr:gt,value:'kemarin')))",
    "(filters:!((col:updated_at,opr:gt,value:'2015-13-01')))",
    "(filters:!((col:nama,opr:eq,value:!t)))",
    "(filters:!((col:nama,opr:eq,value:'')))",
    "(filters:!((col:nama,opr:eq)))",
    '{"filters": [{"col": "nama", "opr": "eq", "value": "A\\u0000B"}]}',
]


def test_bad_list_arguments_are_400_not_500(api):
    for q in BAD_LIST_ARGUMENTS:
        response = call(api["client"], "/api/v1/pegawai/", api["keys"]["national"], q=q)
        assert response.status_code == 400, (q, response.get_data(as_text=True))
        assert "message" in response.get_json()


# Malformed `q` of every kind (finding 11): parser crashes (prison's RecursionError and
# IndexError), floods, wrong columns, operators, value types and page arguments.
MALFORMED_Q = [
    "((",
    "(" * 5000,
    "!(",
    "!",
    "'",
    "(a:1",
    "!(" * 3000,
    "[" * 5000,
    "{" * 5000,
    '{"a":' * 3000,
    "(a:" * 2000,
    "x" * 20000,
    "(keys:!(" + "x," * 4000 + "))",
    "(filters:!((col:nope,opr:eq,value:1)))",
    "(filters:!((col:id,opr:nope,value:1)))",
    "(filters:!((col:id,opr:gt,value:'x')))",
    "(filters:!((col:id,opr:gt,value:!(!(!(1))))))",
    "(filters:!((col:id,opr:gt,value:-1)))",
    "(filters:!((col:id,opr:gt,value:1e400)))",
    "(filters:(col:id))",
    "(filters:!(" + "(col:id,opr:gt,value:1)," * 11 + "))",
    "(page_size:-1)",
    "(page_size:0)",
    "(page_size:100000000000000000000)",
    "(page_size:1.5)",
    "(page:abc)",
    "(page:-1)",
    "(page:1e400)",
    "(order_column:nope)",
    "1",
    "!n",
    '{"page": "0"}',
]


def _no_traceback(response):
    assert 400 <= response.status_code < 500, response.status_code
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.get_data(as_text=True)
    assert "message" in response.get_json()
    assert "Traceback" not in body and 'File "' not in body
    assert len(body) < 1000, len(body)  # a short message, not the input or a stack


@pytest.mark.parametrize("resource", [cls.resource_name for cls in API_CLASSES])
def test_malformed_q_is_a_short_400_on_every_endpoint(api, resource, caplog):
    client, key = api["client"], api["keys"]["national"]
    for url in (f"/api/v1/{resource}/", f"/api/v1/{resource}/_info", f"/api/v1/{resource}/1"):
        for q in MALFORMED_Q:
            _no_traceback(call(client, url, key, query_string={"q": q}))
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def test_bad_ids_and_methods_answer_json(api, world):
    client, key = api["client"], api["keys"]["national"]
    for url in ("/api/v1/pegawai/99999999999", "/api/v1/pegawai/0", "/api/v1/pegawai/abc", "/api/v1/anak/-1"):
        response = call(client, url, key)
        assert response.status_code == 404 and "message" in response.get_json(), url
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)(
            f"/api/v1/pegawai/{world['peg_a'].id}", headers={"X-API-Key": key}, json={"nama": "X"}
        )
        assert response.status_code == 405, method
        response = getattr(client, method)("/api/v1/pegawai/", headers={"X-API-Key": key}, json={"nama": "X"})
        assert response.status_code == 405, method
    db.session.expire_all()
    assert db.session.get(Pegawai, world["peg_a"].id).nama == "BUDI SANTOSO"
    assert call(client, f"/api/v1/pegawai/{world['peg_a'].id}", key, q="(keys:!(nope))").status_code == 400


def test_info_lists_filters_and_permissions(api):
    info = call(api["client"], "/api/v1/riwayat_golongan/_info", api["keys"]["a"]).get_json()
    assert set(info["filters"]) == {"id", "pegawai", "updated_at"}
    assert sorted(info["permissions"]) == ["can_get", "can_info"]


# -- the spec ---------------------------------------------------------------------------------
def test_openapi_spec_is_served_without_a_key(api):
    response = api["client"].get("/api/v1/_openapi")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {
        "/api/v1/pegawai/",
        "/api/v1/pegawai/{pk}",
        "/api/v1/riwayat_golongan/",
        "/api/v1/riwayat_jabatan/",
        "/api/v1/riwayat_pendidikan/",
        "/api/v1/pasangan/",
        "/api/v1/anak/",
    } <= set(spec["paths"])
    assert set(spec["components"]["securitySchemes"]) == {"jwt", "api_key"}
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert {m for path in spec["paths"].values() for m in path} == {"get"}
    assert all(op["security"] == [{"jwt": []}, {"api_key": []}] for op in operations)
    assert not any(name.endswith((".post", ".put")) for name in spec["components"]["schemas"])


# -- keys: Admin screen and CLI ---------------------------------------------------------------
def test_admin_makes_a_key_sees_it_once_and_revokes_it(app, api, world):
    app.test_client_class = FreshContextClient
    admin = app.test_client()
    AuthActions(admin).login("admin")
    form = admin.get("/apikeys/new").get_data(as_text=True)
    assert "api_a" in form and "vinstansi" not in form  # only Integrasi accounts
    data = {
        "name": "SIMPEG Kota Yogyakarta",
        "owner": str(api["users"]["a"].id),
        "expires": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "csrf_token": csrf_token(admin, "/apikeys/new"),
    }
    page = admin.post("/apikeys/new", data=data)
    assert page.status_code == 200 and page.headers["Cache-Control"].startswith("no-store")
    token = re.search(r'<pre id="api-key-token">([^<]+)</pre>', page.get_data(as_text=True)).group(1)
    assert nips(call(api["client"], "/api/v1/pegawai/", token)) == nip_of(world, *A_PEGAWAI)
    listing = admin.get("/apikeys/").get_data(as_text=True)
    assert "SIMPEG Kota Yogyakarta" in listing and token[:12] in listing and token not in listing
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == "SIMPEG Kota Yogyakarta"))
    assert key.lookup_hash == apikeys.hash_token(token) and token not in (key.key_hash, key.lookup_hash)
    assert admin.post(f"/apikeys/{key.id}/revoke").status_code == 400  # no CSRF token
    assert call(api["client"], "/api/v1/pegawai/", token).status_code == 200
    response = admin.post(f"/apikeys/{key.id}/revoke", data={"csrf_token": csrf_token(admin, "/apikeys/")})
    assert response.status_code == 302
    assert call(api["client"], "/api/v1/pegawai/", token).status_code == 401
    from app.models.audit import AuditLog

    events = db.session.scalars(select(AuditLog.event).where(AuditLog.target_type == "ApiKey")).all()
    assert sorted(events)[-2:] == ["apikey.create", "apikey.revoke"]


def test_a_key_is_refused_for_an_account_that_is_not_integrasi(app, api, world):
    admin = app.test_client()
    AuthActions(admin).login("admin")
    data = {"name": "x", "owner": str(world["users"][ROLE_ADMIN].id), "csrf_token": csrf_token(admin, "/apikeys/new")}
    page = admin.post("/apikeys/new", data=data).get_data(as_text=True)
    assert 'id="api-key-token"' not in page
    assert db.session.scalar(select(ApiKey).where(ApiKey.name == "x")) is None


def test_only_admin_opens_the_keys_screen(app, api):
    for username in ("vinstansi", "monitor", "api_a"):
        client = app.test_client()
        AuthActions(client).login(username)
        for url in ("/apikeys/", "/apikeys/new"):
            assert client.get(url).status_code in (302, 403), (username, url)


def test_cli_prints_a_working_key_once(app, api, world, runner):
    result = runner.invoke(args=["pupns", "create-api-key", "--user", "api_a", "--name", "SIMPEG", "--days", "10"])
    assert result.exit_code == 0, result.output
    token = next(line for line in result.output.splitlines() if line.startswith(apikeys.TOKEN_PREFIX))
    assert nips(call(api["client"], "/api/v1/pegawai/", token)) == nip_of(world, *A_PEGAWAI)
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == "SIMPEG"))
    assert dt.timedelta(days=9) < key.expires_on - utcnow() <= dt.timedelta(days=10)
    for user in ("vinstansi", "nobody"):
        result = runner.invoke(args=["pupns", "create-api-key", "--user", user])
        assert result.exit_code == 1 and apikeys.TOKEN_PREFIX not in result.output, user
