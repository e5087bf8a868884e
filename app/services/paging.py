"""Long lists at national scale: capped counts and keyset ("seek") pages.

With 4.5 million Pegawai a list must neither count every match on each request nor walk
250,000 rows to show page 10,000. So:

- `capped_count` counts at most COUNT_CAP + 1 matches; above the cap the page says "more than
  10,000" and numbers only the pages up to the cap (their OFFSET is bounded by the cap);
- "next" and "previous" continue from the sort key of the last (first) row shown, carried
  in the link as an opaque cursor: `WHERE (key…) > (last…) ORDER BY key… LIMIT n` reads one
  index range, as cheap on page 10,000 as on page 2.

The sort key must end with a unique column (the id) and sort every column the same way.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Callable, Sequence

from sqlalchemy import func, literal, literal_column, select, tuple_

COUNT_CAP = 10_000
_MAX_CURSOR = 400  # characters; a cursor holds a few short values


@dataclass
class Page:
    """One page of a list: its rows and how to reach its neighbours."""

    rows: list
    number: int  # 1-based, as shown to the user
    size: int
    total: int  # matches counted, at most the cap
    capped: bool  # there are more than `total`
    next_cursor: str | None
    prev_cursor: str | None

    @property
    def pages(self) -> int:
        """Pages that can be opened by number (all of them unless the count was capped)."""
        return max(1, -(-self.total // self.size))


def capped_count(session, stmt, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(matches of `stmt`, True if there are more than `cap`): counts at most cap + 1 rows."""
    # Only a constant per row: the count can be answered from an index alone.
    limited = (
        stmt.with_only_columns(literal_column("1"), maintain_column_froms=True).order_by(None).limit(cap + 1).subquery()
    )
    found = session.scalar(select(func.count()).select_from(limited))
    return min(found, cap), found > cap


def encode_cursor(values: Sequence) -> str:
    """The sort-key values of one row as an opaque, URL-safe token."""
    parts = []
    for value in values:
        if isinstance(value, dt.datetime):
            parts.append(["t", value.isoformat()])
        elif isinstance(value, dt.date):
            parts.append(["d", value.isoformat()])
        elif isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"cannot page on {type(value).__name__}")
        else:
            parts.append(["i" if isinstance(value, int) else "s", value])
    raw = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None, size: int):
    """The values of a cursor made by encode_cursor, or None for anything else (a
    hand-made or truncated token simply shows the first page)."""
    if not token or len(token) > _MAX_CURSOR:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(parts, list) or len(parts) != size:
            return None
        values = []
        for kind, value in parts:
            if kind == "t":
                values.append(dt.datetime.fromisoformat(value))
            elif kind == "d":
                values.append(dt.date.fromisoformat(value))
            elif kind == "i" and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
                values.append(value)
            elif kind == "s" and isinstance(value, str):
                values.append(value)
            else:
                return None
        return tuple(values)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def paginate(
    session,
    stmt,
    *,
    keys: Sequence,
    descending: bool,
    key_of: Callable,
    size: int,
    number: int = 1,
    after: str | None = None,
    before: str | None = None,
    count_stmt=None,
    cap: int = COUNT_CAP,
    execute: Callable | None = None,
) -> Page:
    """One page of `stmt` (a SELECT without ORDER BY), sorted by `keys` (columns ending with
    a unique one, all ascending or all `descending`).

    `after` / `before`: a cursor from a previous page's next/previous link; otherwise page
    `number` by OFFSET, clamped to the pages the capped count allows. `key_of(row)` gives a
    row's key values. `count_stmt` counts the same rows more cheaply (fewer joins) when given.
    `execute(stmt)` runs the row query (default: session.execute(stmt).all())."""
    run = execute or (lambda s: session.execute(s).all())
    forward = [k.desc() if descending else k.asc() for k in keys]
    backward = [k.asc() if descending else k.desc() for k in keys]
    after_values = decode_cursor(after, len(keys))
    before_values = decode_cursor(before, len(keys)) if after_values is None else None

    def beyond(values, later: bool):
        # later == True: rows after `values` in the list's own order.
        bounds = tuple_(*[literal(v, type_=k.type) for k, v in zip(keys, values, strict=True)])
        row = tuple_(*keys)
        return (row < bounds) if later == descending else (row > bounds)

    def count():
        return capped_count(session, count_stmt if count_stmt is not None else stmt, cap)

    first = after_values is None and before_values is None and number <= 1
    rows = run(stmt.order_by(*forward).limit(size + 1)) if first else None
    if first and len(rows) <= size:
        # The whole list fits on the first page (a name or NIP search, a small inbox): its
        # length is the count, and the count query (a second index scan) is not needed.
        total, capped = len(rows), False
    else:
        total, capped = count()
    if first:
        number, has_next, has_prev = 1, len(rows) > size, False
        rows = rows[:size]
    elif after_values is not None:
        rows = run(stmt.where(beyond(after_values, True)).order_by(*forward).limit(size + 1))
        has_next, has_prev = len(rows) > size, True
        rows = rows[:size]
    elif before_values is not None:
        rows = run(stmt.where(beyond(before_values, False)).order_by(*backward).limit(size + 1))
        has_prev, has_next = len(rows) > size, True
        rows = list(reversed(rows[:size]))
        number = max(number, 2) if has_prev else 1
    else:
        pages = max(1, -(-total // size))
        number = min(max(1, number), pages)
        rows = run(stmt.order_by(*forward).limit(size + 1).offset((number - 1) * size))
        has_next, has_prev = len(rows) > size, number > 1
        rows = rows[:size]
    return Page(
        rows=rows,
        number=number,
        size=size,
        total=total,
        capped=capped,
        next_cursor=encode_cursor(key_of(rows[-1])) if has_next and rows else None,
        prev_cursor=encode_cursor(key_of(rows[0])) if has_prev and rows else None,
    )


# -- filters that an index can serve ---------------------------------------------------------
def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str):
    """`column` contains `text`, any case: ILIKE '%text%' on PostgreSQL, which a pg_trgm GIN
    index serves (lower(column) LIKE … elsewhere)."""
    return column.ilike(f"%{_escape_like(text)}%", escape="\\")


def nip_prefix(column, text: str):
    """NIPs starting with `text`. Digits become a range of the btree index on NIP (a LIKE
    prefix cannot use it under a non-C collation); anything else is a plain prefix match."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return column.between(text.ljust(18, "0"), text.ljust(18, "9"))
    return column.startswith(text, autoescape=True)
