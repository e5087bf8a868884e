"""The WorkflowError tree: every refusal of the workflow, with the message shown to the user,
plus the records a refusal carries (Problem for Kirim, ConflictEntry for Conflict). Views and
tests tell refusals apart by class."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ...models.submission import Usulan
from .. import transaction
from .catalogue import DATA_UTAMA, SECTION_LABELS, field_label


class WorkflowError(Exception):
    """Base of every refusal of this module; `message` is shown to the user."""

    default_message = _l("This action is not possible.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __str__(self):
        return str(self.message)


class NotFound(WorkflowError):
    default_message = _l("This submission does not exist.")


class NotAllowed(WorkflowError):
    default_message = _l("You may not do this with this submission.")


class AlreadyHandled(NotAllowed):
    default_message = _l("This submission has already been handled by someone else. Reload the page.")


class AlreadySent(AlreadyHandled):
    """Kirim of a submission that is no longer a draft (a second click, another tab)."""

    def __init__(self, usulan: Usulan):
        super().__init__(
            _l(
                "This submission has already been sent for verification (perhaps from "
                "another window); it is now %(status)s.",
                status=usulan.status_label,
            )
        )


class ConcurrentChange(transaction.ConcurrentChange, WorkflowError):
    """The draft or submission kept changing under this request (services.transaction)."""


class ReasonRequired(WorkflowError):
    default_message = _l("A reason is required.")


class PhaseClosed(WorkflowError):
    default_message = _l("The schedule does not allow this now: the phase for it has not started or has ended.")


class DraftLocked(WorkflowError):
    default_message = _l("This submission has been sent and can no longer be changed.")


class InvalidValue(WorkflowError):
    """A proposed value that cannot be stored; `field` names it."""

    def __init__(self, field_name, message):
        self.field = field_name
        super().__init__(message)

    def __str__(self):
        return f"{field_label(self.field)}: {self.message}"


class RuleRefused(InvalidValue):
    """Proposed values that break a rule (services.rules): `findings` holds every blocking
    finding, each naming its field, so a form can show each message next to its field."""

    def __init__(self, findings):
        self.findings = list(findings)
        super().__init__(self.findings[0].field, self.findings[0].message)


@dataclass(frozen=True)
class Problem:
    """Why Kirim is refused: a section not reviewed, a missing value or a failed domain rule.

    `code`: "not_reviewed", "stale" (official values changed since proposed: review again),
    "row_gone" (a changed row no longer exists), "required" or "rule"."""

    section: str
    field: str | None
    message: object
    code: str = "rule"

    def __str__(self):
        where = str(SECTION_LABELS.get(self.section, self.section))
        if self.field:
            where = f"{where}, {field_label(self.field)}"
        return f"{where}: {self.message}"


class KirimRefused(WorkflowError):
    """Kirim refused; `problems` lists every reason at once."""

    default_message = _l("The submission cannot be sent yet.")

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__()


@dataclass(frozen=True)
class ConflictEntry:
    """An official value that changed after the PNS proposed his change.

    `field` is None when the row itself is gone (`blocking`: nothing can be applied to it).
    `touched` is False for a data-utama field the proposal does not change (shown for
    information; applying leaves it as it is now). An entry with no field that is not
    blocking says only that the record changed elsewhere (a row the proposal does not touch,
    by a staff edit or an import): `snapshot` and `official` are then the record versions."""

    section: str
    target_id: int | None
    field: str | None
    snapshot: object
    official: object
    touched: bool = True
    blocking: bool = False


class Conflict(WorkflowError):
    """The official record changed since the draft was based on it; `conflicts` says how."""

    default_message = _l(
        "The official record has changed since this submission was made. Check the differences, "
        "then return the submission or verify it again accepting the differences."
    )

    def __init__(self, conflicts, message=None):
        self.conflicts = list(conflicts)
        super().__init__(message)


class RecordRefused(WorkflowError):
    """Applying would leave the official record impossible (the rule catalogue's errors over
    the whole record as written, or a NIK another living person holds): the whole apply is
    rolled back and the submission stays where it was. `findings` are the errors."""

    def __init__(self, findings):
        self.findings = list(findings)
        # Each error named by its section and field ("Anak, Tanggal lahir: ...").
        details = " ".join(
            dict.fromkeys(str(Problem(f.section or DATA_UTAMA, f.field, f.message)) for f in self.findings)
        )
        super().__init__(
            _l(
                "The submission was not applied: the official record would become impossible. %(details)s",
                details=details,
            )
        )
