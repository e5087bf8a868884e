"""Master-data changes to Pegawai records made by staff."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..models import User
from . import scope


class EmployeeChangeRefused(ValueError):
    """A master-data change that the rules refuse; the message is for the user."""


def delete_pegawai(session, user, items) -> int:
    """Delete records in one transaction; refuse all if one is out of scope or has an account."""
    for item in items:
        if not scope.can_write_pegawai(user, item):
            raise EmployeeChangeRefused(_l("You may not change records outside your scope."))
    ids = [item.id for item in items]
    registered = session.scalars(select(User.pegawai_id).where(User.pegawai_id.in_(ids))).all()
    if registered:
        raise EmployeeChangeRefused(
            _l("A record with a registered account cannot be deleted; reset the registration first.")
        )
    try:
        for item in items:
            session.delete(item)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(items)
