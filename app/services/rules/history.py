"""Career history across rows: golongan rising over time, jabatan periods that do not overlap,
and the data utama agreeing with the latest golongan row."""

from flask_babel import lazy_gettext as _l

from .core import ERROR, WARNING, Day, as_date, rule

_golongan_same_tmt = rule("golongan.same_tmt", "history", ERROR, _l("two golongan rows have the same TMT."))
_golongan_order = rule(
    "golongan.not_ascending", "history", ERROR, _l("a golongan is not higher than the one before it.")
)
_golongan_jump = rule("golongan.jump", "history", WARNING, _l("the golongan rises by more than one step at once."))
_golongan_utama = rule(
    "golongan.utama_mismatch",
    "history",
    ERROR,
    _l("the golongan and TMT golongan of the main data must be those of the latest golongan history row."),
)
_jabatan_period = rule("jabatan.ends_before_start", "history", ERROR, _l("a position ends before it starts."))
_jabatan_same_day = rule("jabatan.same_start", "history", ERROR, _l("two positions start on the same day."))
_jabatan_overlap = rule("jabatan.overlap", "history", ERROR, _l("two positions overlap."))


def check_golongan_history(rows, ranks=None) -> list:
    """Rows of (golongan tingkat, TMT, kode) must ascend in rank and in TMT together.

    Rows missing a rank or TMT are skipped (those are required-field errors of the form).
    Each row is compared with the highest rank before it, not only with its neighbour, so
    every out-of-order row is reported at once. With `ranks` (every tingkat in order) a rise
    of more than one step is a warning: possible (penyesuaian ijazah), but worth a look.
    """
    errors = []
    ordered = sorted((r for r in rows if r[0] is not None and r[1] is not None), key=lambda r: (r[1], r[0]))
    step = {tingkat: i for i, tingkat in enumerate(sorted(ranks))} if ranks else None
    highest = None
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        highest = prev if highest is None or prev[0] > highest[0] else highest
        if cur[1] == prev[1]:
            message = _l(
                "%(later)s and %(earlier)s have the same TMT (%(tmt)s).",
                later=cur[2],
                earlier=prev[2],
                tmt=Day(cur[1]),
            )
            errors.append(_golongan_same_tmt("golongan", message))
        elif cur[0] <= highest[0]:
            message = _l(
                "%(later)s (TMT %(tmt)s) is not higher than %(earlier)s.",
                later=cur[2],
                tmt=Day(cur[1]),
                earlier=highest[2],
            )
            errors.append(_golongan_order("golongan", message))
        elif step and cur[0] in step and prev[0] in step and step[cur[0]] - step[prev[0]] > 1:
            message = _l(
                "%(later)s (TMT %(tmt)s) is more than one step above %(earlier)s.",
                later=cur[2],
                tmt=Day(cur[1]),
                earlier=prev[2],
            )
            errors.append(_golongan_jump("golongan", message))
    return errors


def check_golongan_utama(utama: dict, rows) -> list:
    """With a golongan history, the main data's golongan follows its latest row (the apply
    step copies it over). A main-data golongan dated on or after that row but different from
    it would be overwritten without a word, so it is refused; an older one is merely behind."""
    dated = [r for r in rows if r.get("golongan_id") is not None and as_date(r.get("tmt_golongan"))]
    tmt = as_date(utama.get("tmt_golongan"))
    if not dated or tmt is None:
        return []
    latest = max(dated, key=lambda r: as_date(r["tmt_golongan"]))
    latest_tmt = as_date(latest["tmt_golongan"])
    if tmt > latest_tmt or (tmt == latest_tmt and utama.get("golongan_id") != latest["golongan_id"]):
        return [_golongan_utama("tmt_golongan")]
    return []


def check_jabatan_history(rows) -> list:
    """Rows of (start, end or None, name) may not overlap; an open row ends at the next start.

    A row may end on the day the next one starts. Rows without a start are skipped (a
    required-field error of the form). Each row is compared with the previous row that
    reaches furthest, so a short row inside a long one does not hide later overlaps.
    """
    errors = []
    ordered = sorted((r for r in rows if r[0] is not None), key=lambda r: r[0])
    for row in ordered:
        if row[1] is not None and row[1] < row[0]:
            errors.append(_jabatan_period("tmt_jabatan", _l("%(name)s ends before it starts.", name=row[2])))
    furthest = None  # (end, row) of the previous row reaching furthest; open rows end at the next start
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        prev_end = prev[1] if prev[1] is not None else cur[0]
        if furthest is None or prev_end > furthest[0]:
            furthest = (prev_end, prev)
        if prev[0] == cur[0]:
            message = _l("%(later)s and %(earlier)s start on the same day.", later=cur[2], earlier=prev[2])
            errors.append(_jabatan_same_day("tmt_jabatan", message))
        elif furthest[0] > cur[0]:
            message = _l("%(later)s starts before %(earlier)s ends.", later=cur[2], earlier=furthest[1][2])
            errors.append(_jabatan_overlap("tmt_jabatan", message))
    return errors
