"""What an import reports: counts, and every reason a row was rejected.

A bad row is reported (`RowError`: row, column, reason) and skipped; it never blocks the
good rows. Rows are numbered as a spreadsheet shows them (the header is row 1).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowError:
    """One reason a row was rejected. `field` is the column name ("" for the whole row)."""

    row_number: int
    field: str
    reason: str  # a lazy translatable string; str() renders it in the active locale

    def __str__(self) -> str:
        where = f"{self.row_number}, {self.field}" if self.field else f"{self.row_number}"
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did. `rejected` counts rows; `errors` may hold several per row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    instansi_created: int = 0
    units_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def reject(self, errors: list[RowError]) -> None:
        self.rejected += 1
        self.errors.extend(errors)
