"""What an import reports: counts, and every reason a row was rejected.

A bad row is reported (`RowError`: sheet, row, column, reason) and skipped; it never blocks
the good rows. Rows are numbered as a spreadsheet shows them (the header is row 1). Warnings
(a rule of severity "warning") are listed the same way but never reject a row.
"""

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class RowError:
    """One reason a row was rejected (or a warning about it). `field` is the column name ("" for
    the whole row); `sheet` the worksheet or section ("" for a data-utama file)."""

    row_number: int
    field: str
    reason: str  # a lazy translatable string; str() renders it in the active locale
    sheet: str = ""

    def __str__(self) -> str:
        where = f"{self.row_number}, {self.field}" if self.field else f"{self.row_number}"
        if self.sheet:
            where = f"{self.sheet} {where}"
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
    warnings: list[RowError] = field(default_factory=list)  # shown, never blocking

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def reject(self, errors: list[RowError]) -> None:
        self.rejected += 1
        self.errors.extend(errors)

    def add(self, other: "ImportReport", sheet: str = "") -> None:
        """Add the counts and messages of `other` (one sheet's import), naming its sheet."""
        for name in ("created", "updated", "unchanged", "rejected", "instansi_created", "units_created"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += [replace(e, sheet=e.sheet or sheet) for e in other.errors]
        self.warnings += [replace(e, sheet=e.sheet or sheet) for e in other.warnings]
