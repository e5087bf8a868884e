"""Personal identifiers on the staff screens: shown in full only where they are needed.

A NIK (of a Pegawai, his spouse or his children) appears masked, 3174********0001, in every
list and on the detail pages of roles that only read the record (Verifikator SKPD/BKN,
Helpdesk, Monitor). Those who keep the master data (Admin, the Verifikator Instansi — and the scope
filter shows the latter only his own instansi's records) see it in full on the detail and
edit pages. The same holds for the NIKs in a submission's diff, its PDF summary and a
record's change history (`redactor`). NIKs are never searched through the list filters, which
are GET forms: the NIK would end up in URLs, browser histories and access logs.
"""

from flask import g
from flask_appbuilder.widgets import ListWidget

from ..roles import ROLE_ADMIN, ROLE_VERIFIKATOR_INSTANSI

MASKED_COLUMNS = ("nik",)


def mask_nik(value) -> str:
    """3174********0001: region and sequence stay recognisable, the birth date is hidden."""
    text = "" if value is None else str(value)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def keeps_master_data(user) -> bool:
    """Admin or a Verifikator Instansi: the roles that keep master data (services.scope)."""
    names = {role.name for role in getattr(user, "roles", None) or []}
    return bool(names & {ROLE_ADMIN, ROLE_VERIFIKATOR_INSTANSI})


def nik_for_viewer(value) -> str:
    """Detail pages: the full NIK for those who keep the master data, masked for others."""
    if value is None:
        return ""
    return str(value) if keeps_master_data(getattr(g, "user", None)) else mask_nik(value)


def _as_is(_field, text):
    return text


def _masked(field, text):
    return mask_nik(text) if field in MASKED_COLUMNS and text else text


def redactor(user):
    """`redact(field, text)`: one field value, as display text, the way `user` may read it —
    a NIK (the PNS's, his spouse's, his children's) masked unless he keeps master data. The
    services that print values (record_history.history, the summary PDF) take it."""
    return _as_is if keeps_master_data(user) else _masked


def redacted(display, redact):
    """`display(section, field, value)` (workflow.display_value) with `redact` applied: what a
    template shows of each value in a diff."""
    return lambda section, field, value: redact(field, display(section, field, value))


def formatters() -> dict:
    """`formatters_columns` entries for the detail pages of a scoped view."""
    return {column: nik_for_viewer for column in MASKED_COLUMNS}


class MaskedListWidget(ListWidget):
    """FAB's list (also the related lists under a record) with every NIK masked, whoever
    looks: no list needs a full NIK."""

    def __init__(self, **kwargs):
        shown = kwargs.get("include_columns") or []
        masked = {column: mask_nik for column in MASKED_COLUMNS if column in shown}
        if masked:
            kwargs["formatters_columns"] = {**(kwargs.get("formatters_columns") or {}), **masked}
        super().__init__(**kwargs)
