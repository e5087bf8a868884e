"""Family rows: ages that make a family possible, and NIKs that name one person each."""

from flask_babel import lazy_gettext as _l

from ...models import codes
from .core import ERROR, WARNING, age_on, as_date, rule
from .identity import check_nik

# A parent younger than this at a child's birth is impossible; younger than the second,
# implausible (the verifier looks twice). The same ages hold for the PNS's own parents.
MIN_PARENT_AGE_YEARS = 15
PLAUSIBLE_PARENT_AGE_YEARS = 18
# Marriage: under 16 impossible for the record; under 19 (UU 16/2019) needs a court's
# dispensation, so it is shown as a warning.
MIN_MARRIAGE_AGE_YEARS = 16
LEGAL_MARRIAGE_AGE_YEARS = 19
# Only a child by birth says anything about the parent's age; a step or adopted child may be
# of any age.
BIRTH_CHILD = codes.ANAK_KANDUNG

_parent_too_young = rule(
    "family.parent_too_young", "family", ERROR, _l("the parent would have been younger than 15 at this birth.")
)
_parent_young = rule("family.parent_young", "family", WARNING, _l("the parent was younger than 18 at this birth."))
_marriage_too_young = rule(
    "family.marriage_too_young", "family", ERROR, _l("a spouse would have been younger than 16 at the marriage.")
)
_marriage_young = rule("family.marriage_young", "family", WARNING, _l("a spouse was younger than 19 at the marriage."))
_nik_of_pns = rule("family.nik_of_pns", "family", ERROR, _l("is the NIK of the PNS himself."))
nik_twice = rule("family.nik_twice", "family", ERROR, _l("is the NIK of another family member."))


def _parent_age(parent_born, child_born) -> list:
    if parent_born is None or child_born is None:
        return []
    age = age_on(parent_born, child_born)
    if age < MIN_PARENT_AGE_YEARS:
        return [_parent_too_young("tanggal_lahir")]
    if age < PLAUSIBLE_PARENT_AGE_YEARS:
        return [_parent_young("tanggal_lahir")]
    return []


def _nik(row: dict, utama: dict, gender=None) -> list:
    nik = row.get("nik")
    if not nik:
        return []
    errors = check_nik(nik, as_date(row.get("tanggal_lahir")), gender)
    if nik == utama.get("nik"):
        errors.append(_nik_of_pns("nik"))
    return errors


def check_family_row(section: str, row: dict, utama: dict) -> list:
    """One family row against the PNS: NIK structure (and not the PNS's own), a child born
    when the PNS could be its parent, the PNS born when a parent could be his, both spouses of
    age at the marriage."""
    pns_born = as_date(utama.get("tanggal_lahir"))
    born = as_date(row.get("tanggal_lahir"))
    if section == "anak":
        errors = _nik(row, utama, row.get("jenis_kelamin"))
        if row.get("status_anak", BIRTH_CHILD) == BIRTH_CHILD:
            errors += _parent_age(pns_born, born)
        return errors
    if section == "orang_tua":
        return _parent_age(born, pns_born)
    if section == "pasangan":
        errors = _nik(row, utama)
        married = as_date(row.get("tanggal_menikah"))
        if married is not None:
            ages = [age_on(b, married) for b in (pns_born, born) if b is not None]
            if any(a < MIN_MARRIAGE_AGE_YEARS for a in ages):
                errors.append(_marriage_too_young("tanggal_menikah"))
            elif any(a < LEGAL_MARRIAGE_AGE_YEARS for a in ages):
                errors.append(_marriage_young("tanggal_menikah"))
        return errors
    return []


def check_family_niks(rows_by_section: dict) -> list:
    """Within one record no two family members (spouses, children) share a NIK."""
    seen, errors = {}, []
    for section in ("pasangan", "anak"):
        for index, row in enumerate(rows_by_section.get(section, ())):
            nik = row.get("nik")
            if not nik:
                continue
            if nik in seen:
                errors.append(nik_twice("nik", section=section, row=index))
            seen.setdefault(nik, (section, index))
    return errors
