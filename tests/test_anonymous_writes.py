"""No anonymous GET stores a row (finding 12, as a class): every GET route of the URL map,
fetched without login — with a registration draft in the session, so that step 2 and its
captcha are reached — leaves every table as it was."""

import re

from flask_appbuilder import Model
from sqlalchemy import func, select

from app.extensions import db
from app.views.registration import DRAFT_KEY

from .helpers import anonymous_visitor


def _row_counts():
    db.session.expire_all()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Model.metadata.sorted_tables}


def _url(rule) -> str:
    # Any value will do for the converters: the route must answer without writing.
    return re.sub(r"<(?:int:)?[^>]+>", lambda m: "1" if m.group(0).startswith("<int") else "x", rule.rule)


def test_no_anonymous_get_writes_to_the_database(app_factory):
    with anonymous_visitor(app_factory, CAPTCHA_ENABLED=True) as (application, pegawai, client):
        with client.session_transaction() as sess:
            sess[DRAFT_KEY] = {"nip": pegawai.nip, "email": "pns@example.go.id"}
        before = _row_counts()
        urls = sorted(
            {
                _url(rule)
                for rule in application.url_map.iter_rules()
                if "GET" in rule.methods and not rule.rule.startswith("/static")
            }
        )
        statuses = {url: client.get(url).status_code for url in urls}
        assert statuses["/registrasi/langkah-2"] == 200  # the captcha page was drawn
        changed = {name: (before[name], count) for name, count in _row_counts().items() if count != before[name]}
        assert changed == {}
