"""Strict parsing of one cell: text, dates, reference names.

- A text cell is trimmed; an empty one is None. A NUL character or a value longer than the
  database column is an error, never silently cut.
- Identifier cells (NIP, NIK, phone numbers) must be text: a spreadsheet keeps 15
  significant digits of a number and drops its leading zeros.
- A date is a date cell or strict YYYY-MM-DD text, without a time of day.
- A bad cell raises `CellError`, whose message the row parse reports under the column.
"""

import datetime as dt
import re

from flask_babel import lazy_gettext as _l

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ECHO_MAX = 40  # characters of a bad value quoted back in a message


class CellError(ValueError):
    """A cell that cannot be used; `message` is a lazy translatable string."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def echo(value) -> str:
    """A bad value as quoted back in a message, cut to a readable length."""
    text = str(value)
    return text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 1] + "…"


def name_key(text: str) -> str:
    """How a name is matched against a reference table: spacing and case do not count."""
    return " ".join(text.split()).casefold()


def text_cell(cell, *, max_length=None, identifier=False):
    """A trimmed string or None for an empty cell; `identifier` refuses number cells."""
    if cell is None:
        return None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if identifier:
            raise CellError(
                _l("is a number in the spreadsheet, which loses leading zeros and digits; format the column as text.")
            )
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
    text = str(cell).strip()
    if "\x00" in text:
        raise CellError(_l("contains a NUL character."))
    if not text:
        return None
    if max_length and len(text) > max_length:
        raise CellError(_l("is longer than %(max)d characters.", max=max_length))
    return text


def date_cell(cell):
    """A date from a date cell or strict YYYY-MM-DD text; None for an empty cell."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, dt.datetime):
        if cell.time() != dt.time():
            raise CellError(_l("must be a date without a time of day."))
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, str) and _ISO_DATE.fullmatch(cell.strip()):
        try:
            return dt.date.fromisoformat(cell.strip())
        except ValueError:
            raise CellError(_l("is not a real date.")) from None
    raise CellError(_l("must be a date in the form YYYY-MM-DD."))
