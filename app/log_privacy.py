"""No query strings in the logs: they carry personal identifiers.

NIK and NIP travel in query strings all over the portal: API filters
(`/api/v1/pegawai/?q=(filters:!((col:nik,…)))`), list searches of the screens, the ticket
form's prefill (`/laporkan/?nip=…`), the approval link of the QR code (`?q=<nomor>`). Rather
than guess which URL may hold one, every log line we produce or configure keeps the path of
a URL and drops its query string:

- `QUERY_FILTER` on the app's logger and werkzeug's (the development server's request lines),
  installed by `install()` from create_app;
- `GunicornLogger` (gunicorn's `logger_class`, set in benchmarks/gunicorn.conf.py, the
  recommended settings): the access-log atoms `%(r)s`, `%(q)s` and `%(f)s` lose the query,
  and the same filter scrubs the access and error logs ("Error handling request /x?nik=…").

The benchmark runner reads only the scenario header, the status and `%(D)s` from the access
log (benchmarks/run.py), none of which changes.
"""

import logging
import re

from gunicorn import glogging

# A request line ("GET /path?query HTTP/1.1"): its query runs to the last protocol mark of the
# line, whatever it holds (werkzeug logs it decoded: spaces, quotes, a JSON `q`).
_REQUEST_LINE = re.compile(r"\b[A-Z]{3,7} /[^\s?]*\?")
# Anything else: a word (up to a space or a double quote) with a "/" before its "?".
_WORD = re.compile(r'[^\s"]+')


def _cut_query(word: re.Match) -> str:
    head, mark, _query = word.group(0).partition("?")
    return head if mark and "/" in head else word.group(0)


def strip_query(text: str) -> str:
    """`text` with the query string of every request line, URL or path in it removed.
    Linear in the length of `text`: a log line can hold a hostile URL or User-Agent."""
    if "?" not in text:
        return text
    request_line = _REQUEST_LINE.search(text)
    protocol = text.rfind(" HTTP/")
    if request_line is not None and protocol > request_line.end():
        text = text[: request_line.end() - 1] + text[protocol:]
    return _WORD.sub(_cut_query, text)


class QueryStringFilter(logging.Filter):
    """Rewrites a record whose message holds a URL with a query string: path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not ours
            return True
        scrubbed = strip_query(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


QUERY_FILTER = QueryStringFilter()


def install(app) -> None:
    """Scrub the records of the app's logger and of werkzeug's request log (idempotent)."""
    for logger in (app.logger, logging.getLogger("werkzeug")):
        logger.addFilter(QUERY_FILTER)


class GunicornLogger(glogging.Logger):
    """gunicorn's logger without query strings: `logger_class = "app.log_privacy.GunicornLogger"`."""

    def setup(self, cfg):
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.addFilter(QUERY_FILTER)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("RAW_URI", "").partition("?")[0]
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        atoms["q"] = "-"
        atoms["f"] = strip_query(atoms.get("f") or "-")
        if "{referer}i" in atoms:
            atoms["{referer}i"] = strip_query(atoms["{referer}i"])
        return atoms
