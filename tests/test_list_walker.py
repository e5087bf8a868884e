"""Every list and detail page of the portal, walked as every role, with the input a user's click
or a tampered URL can send: each sort a list offers (both ways), a page beyond the last, a
filter value of the wrong type, an unknown or non-numeric id. None of it may answer a 5xx.

The views are found in `app.appbuilder.baseviews`, not listed here: a view added tomorrow is
walked tomorrow. ModelViews are walked through FAB's own arguments (`_oc_`, `_od_`, `page_`,
`_flt_`); our own list views through what their pages offer: every option of their GET forms
(sort, status, level …) and every link to another page of the same view.
"""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask_appbuilder.baseviews import BaseCRUDView, BaseView

from app.extensions import db


UNKNOWN_IDS = ("2147483647", "99999999999", "abc")
WRONG_TYPE = "zz'x-1.5e999"
BEYOND = "999999"
# A page number no database OFFSET can hold (found by the outside probe: SQLite OverflowError).
HUGE = "9223372036854775807"
# Routes that are no list or detail page: signing out would end the walk, the language switch
# and FAB's auth screens are covered by their own tests; the API has its own fuzzing test.
SKIP_ENDPOINT_PREFIXES = ("AuthDBView.", "LocaleView.", "UtilView.")


class _PageParser(HTMLParser):
    """The links of a page and the fields of its GET forms (with every option of a select)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.fields = [], {}
        self._get_form = False
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._get_form = (a.get("method") or "get").lower() == "get"
        elif self._get_form and tag in ("input", "select") and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind not in ("submit", "button", "hidden"):
                self.fields.setdefault(a["name"], [])
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._select:
            self.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._get_form = False
        elif tag == "select":
            self._select = None


def parse(response):
    parser = _PageParser()
    parser.feed(response.get_data(as_text=True))
    return parser


class Walk:
    """Requests of one user; every 5xx is kept with its URL."""

    def __init__(self, client, who):
        self.client, self.who = client, who
        self.failures, self.requests = [], 0

    def get(self, url):
        self.requests += 1
        try:
            response = self.client.get(url)
        except Exception as exc:  # noqa: BLE001 - an exception is a 500 for the user
            db.session.rollback()
            self.failures.append(f"{self.who} GET {url}: {type(exc).__name__}: {exc}"[:300])
            return None
        if response.status_code >= 500:
            self.failures.append(f"{self.who} GET {url}: {response.status_code}")
        return response


def model_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, BaseCRUDView)]


def page_views(app):
    """Our own (non-CRUD) views with GET pages, and FAB's other screens."""
    return [
        v
        for v in app.appbuilder.baseviews
        if isinstance(v, BaseView) and not isinstance(v, BaseCRUDView) and not v.route_base.startswith("/api/")
    ]


def get_rules(app, view):
    prefix = f"{view.endpoint}."
    return [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith(prefix) and "GET" in r.methods and not r.endpoint.startswith(SKIP_ENDPOINT_PREFIXES)
    ]


def walk_model_view(walk, view, directions=("asc", "desc"), full=True, ids=True):
    """FAB's list (every sort in `directions`, beyond the last page, wrong-type filters) and
    (with `ids`) its show/edit pages with ids that do not exist. True if the user may open
    the list."""
    name, base = type(view).__name__, view.route_base
    listing = walk.get(f"{base}/list/")
    if listing is None or listing.status_code != 200:
        return False
    walk.get(f"{base}/list/?page_{name}={BEYOND}&psize_{name}=100")
    walk.get(f"{base}/list/?page_{name}={HUGE}")
    if not full:
        return True
    for i, column in enumerate(view.order_columns or []):
        # One direction only: both, alternating over the columns.
        for direction in directions if len(directions) > 1 else [("asc", "desc")[i % 2]]:
            walk.get(f"{base}/list/?" + urlencode({f"_oc_{name}": column, f"_od_{name}": direction}))
    walk.get(f"{base}/list/?page_{name}={BEYOND}")
    for column in view.search_columns or []:
        walk.get(f"{base}/list/?" + urlencode({f"_flt_0_{column}": WRONG_TYPE}))
    for op in ("show", "edit") if ids else ():
        for pk in UNKNOWN_IDS:
            walk.get(f"{base}/{op}/{pk}")
    return True


def _fill(rule, value):
    """The rule's URL with every argument set to `value`."""
    return re.sub(r"<[^>]+>", value, rule.rule)


def _same_view_pages(app, view, links):
    """Links on a page to another GET page of the same view (the monitoring dashboard to its
    lists, a list to its next page), with their arguments."""
    adapter = app.url_map.bind("localhost")
    found = {}
    for href in links:
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith(view.route_base or "/"):
            continue
        try:
            endpoint, _ = adapter.match(parts.path, method="GET")
        except Exception:  # noqa: BLE001 - not one of ours (static file, other view)
            continue
        if endpoint.startswith(f"{view.endpoint}.") and not endpoint.startswith(SKIP_ENDPOINT_PREFIXES):
            found.setdefault(parts.path, dict(parse_qsl(parts.query)))
    return found


def walk_page(walk, path, args, full=True):
    """One of our list pages: every option of its GET forms, then (`full`) every field at
    once with a value of the wrong type and a page beyond the last."""
    response = walk.get(f"{path}?{urlencode(args)}" if args else path)
    if response is None or response.status_code != 200 or response.mimetype != "text/html":
        return None
    page = parse(response)
    for field, options in page.fields.items():
        for option in options:
            walk.get(f"{path}?" + urlencode({**args, field: option}))
    if not full:
        return page
    hostile = {**args, **{f: WRONG_TYPE for f in page.fields}, "page": BEYOND, "per_page": WRONG_TYPE}
    walk.get(f"{path}?{urlencode(hostile)}")
    walk.get(f"{path}?" + urlencode({**args, "page": BEYOND}))
    walk.get(f"{path}?" + urlencode({**args, "page": HUGE}))
    walk.get(f"{path}?" + urlencode({**args, "page": WRONG_TYPE}))
    return page


def walk_page_view(app, walk, view, full=True):
    """Every GET route of the view: argument-free ones as lists (and the pages they link to),
    then, if the user may open the view at all, the others with unknown or wrong-type values
    for their arguments. True if the user could open one of its pages."""
    linked, opened = {}, False
    rules = get_rules(app, view)
    for rule in rules:
        if not rule.arguments:
            page = walk_page(walk, rule.rule, {}, full)
            if page is not None:
                opened = True
                linked.update(_same_view_pages(app, view, page.links))
    if full and (opened or all(rule.arguments for rule in rules)):
        for rule in rules:
            for value in (UNKNOWN_IDS + ("zzz",)) if rule.arguments else ():
                walk.get(_fill(rule, value))
    for path, args in linked.items():
        walk_page(walk, path, args, full)
    return opened


# Who sorts every column both ways and tries unknown ids and wrong-type values on every page;
# the other roles open every list and sort each column once: the SQL of a sort is the same
# either way, their scope filters are what differs, and bad input is refused before any
# scope applies.
FULL_WALK = {"admin", "vinstansi"}
# Second accounts of a level: their lists open, a page beyond the last answers.
SECOND_ACCOUNTS = {"vinstansi_b"}


def test_every_list_and_detail_page_survives_every_sort_and_bad_input(app, world, login):  # noqa: F811
    """As each role (and a second Verifikator Instansi) and anonymous: no 5xx anywhere."""
    # Public pages (registration, status, tickets) are the same for everyone: walked once.
    anonymous = Walk(login(None), "anonymous")
    public = {view.endpoint for view in page_views(app) if walk_page_view(app, anonymous, view)}
    failures, requests, reached = list(anonymous.failures), anonymous.requests, set()
    for username in sorted(u.username for u in world["users"].values()):
        walk = Walk(login(username), username)
        second, full = username in SECOND_ACCOUNTS, username in FULL_WALK
        for view in model_views(app):
            if walk_model_view(walk, view, ("asc", "desc") if full else ("asc",), full=not second, ids=full):
                reached.add(view.endpoint)
        for view in page_views(app) if not second else ():
            if view.endpoint not in public:
                walk_page_view(app, walk, view, full)
        failures += walk.failures
        requests += walk.requests
    # The walk is real: the lists of every kind were reached and walked.
    assert {
        "PegawaiView",
        "JadwalView",
        "InstansiView",
        "UnitKerjaView",
        "RiwayatGolonganView",
        "PupnsUserDBModelView",
        "OutboxMailView",
    } <= reached
    assert {"RegistrationView", "StatusView", "TicketView"} <= public
    assert requests > 1000, requests
    assert not failures, f"{len(failures)} of {requests} requests failed:\n" + "\n".join(failures[:60])


def test_the_walk_covers_every_registered_view(app):
    """Nothing registered escapes the walk but the API (fuzzed by its own test)."""
    walked = {v.endpoint for v in model_views(app)} | {v.endpoint for v in page_views(app)}
    registered = {v.endpoint for v in app.appbuilder.baseviews if not v.route_base.startswith("/api/")}
    assert walked == registered
    assert {"VerificationInboxView", "MonitoringView", "TicketInboxView", "AuditLogView"} <= walked


def _order_on_page(response, names):
    page = response.get_data(as_text=True)
    # The last mention: the search form's dropdowns list the same names before the rows.
    return sorted(names, key=page.rindex)


def test_related_columns_sort_by_the_related_name(world, login):  # noqa: F811
    """Work units sorted by their instansi: Surabaya's before Yogyakarta's, and back."""
    admin = login("admin")
    url = "/unitkerjaview/list/?_oc_UnitKerjaView={}&_od_UnitKerjaView={}"
    units = ["Dinas Pendidikan Surabaya", "SD Negeri 1"]
    asc = admin.get(url.format("instansi", "asc"))
    desc = admin.get(url.format("instansi", "desc"))
    assert asc.status_code == desc.status_code == 200
    assert _order_on_page(asc, units) == units
    assert _order_on_page(desc, units) == units[::-1]


def test_a_column_that_cannot_be_sorted_is_not_offered(app):
    """A many-to-many column in a view's order_columns is dropped at registration (and so
    refused with a 400 like any unknown sort), the others stay in their order."""
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.models import User
    from app.views.base import make_sortable

    class SortProbeView(ModelView):
        datamodel = SQLAInterface(User)
        list_columns = ["username", "roles", "first_name"]
        order_columns = ["username", "roles", "first_name"]

    view = SortProbeView()
    make_sortable(view)
    assert view.order_columns == ["username", "first_name"]
    assert view.datamodel.sort_key("roles") is None
    assert view.datamodel.sort_key("changed_by") == "changed_by.username"
