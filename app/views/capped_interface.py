"""FAB's data interface for ScopedModelView lists of national size (DESIGN.md §5).

FAB's SQLAInterface counts every match of a list (`count(*)` over millions of Pegawai on
each page view), pages by unbounded OFFSET and lazy-loads each row's related objects (one
query per row and relation). This subclass counts at most paging.COUNT_CAP matches
("more than 10.000" on the page), keeps page numbers within the counted pages and loads
the list's many-to-one columns in the row query itself.
"""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy import inspect
from sqlalchemy.orm import joinedload

from ..i18n import format_angka
from ..services import paging


class CappedCount(int):
    """A count that may be capped: an int for FAB's pagination arithmetic, shown as
    "lebih dari 10.000" in FAB's "Record Count" when capped."""

    capped = False

    def __new__(cls, value: int, capped: bool = False):
        count = super().__new__(cls, value)
        count.capped = capped
        return count

    def __html__(self):
        text = format_angka(int(self))
        return escape(gettext("more than %(num)s", num=text) if self.capped else text)


# What a related row is shown and sorted by in a list, in this order of preference.
DISPLAY_COLUMNS = ("nama", "kode", "name", "username", "pertanyaan")


class SortingInterface(SQLAInterface):
    """SQLAInterface that sorts a many-to-one column by the related row's name or code.

    FAB orders by the relationship itself ("ORDER BY kanreg.id" without a join to kanreg), a
    query the database refuses: every click on such a column header failed. Here the column
    becomes FAB's dotted "kanreg.nama", which FAB joins (outer, aliased) before ordering.
    Columns with no such sort (one-to-many, properties) are reported by `sortable` so the
    list does not offer them.
    """

    def sort_key(self, column: str) -> str | None:
        """The column FAB can order the list by for `column`, or None if it cannot be sorted."""
        if not column:
            return None
        root, _, leaf = column.partition(".")
        if leaf:
            if not self.is_relation_many_to_one(root):
                return None
            related = inspect(self.get_related_model(root)).columns
            return column if leaf in related and "." not in leaf else None
        if self.is_relation(column):
            if not self.is_relation_many_to_one(column):
                return None
            related = inspect(self.get_related_model(column)).columns
            display = next((name for name in DISPLAY_COLUMNS if name in related), None)
            return f"{column}.{display}" if display else None
        if column in inspect(self.obj).columns:
            return column
        # A method marked with FAB's @renders("column") sorts by that column.
        rendered = getattr(getattr(self.obj, column, None), "_col_name", None)
        return self.sort_key(rendered) if rendered and rendered != column else None

    def sortable(self, columns) -> list[str]:
        """The `columns` this interface can sort by, in their order."""
        return [c for c in columns or () if self.sort_key(c) is not None]

    def apply_order_by(
        self, query, order_column, order_direction, aliases_mapping=None, bypass_many_to_many=False, add_pk=False
    ):
        if order_column:
            order_column = self.sort_key(order_column)
            if order_column is None:
                return query
        return super().apply_order_by(
            query, order_column or "", order_direction, aliases_mapping, bypass_many_to_many, add_pk
        )


class CappedInterface(SortingInterface):
    """SQLAInterface with a capped count, bounded page numbers and eager list relations."""

    eager = ()
    # HTML lists show the last counted page for a page number beyond it; an API client
    # paging "until the result is empty" must get the empty page instead.
    clamp_pages = True

    @classmethod
    def wrap(cls, datamodel: SQLAInterface, *, clamp_pages: bool = True) -> "CappedInterface":
        """The same model and session behind this interface (a view's class-level datamodel
        is left untouched)."""
        if not isinstance(datamodel, cls):
            datamodel = cls(datamodel.obj, datamodel._session)
        datamodel.clamp_pages = clamp_pages
        return datamodel

    def eager_load(self, columns) -> None:
        """Load these list columns' many-to-one relations with the rows (no N+1)."""
        self.eager = tuple(c for c in columns or () if self.is_relation_many_to_one(c))

    def query_count(self, query, filters=None, select_columns=None) -> CappedCount:
        inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        found = inner.order_by(None).limit(paging.COUNT_CAP + 1).count()
        return CappedCount(min(found, paging.COUNT_CAP), found > paging.COUNT_CAP)

    def query(
        self,
        filters=None,
        order_column="",
        order_direction="",
        page=None,
        page_size=None,
        select_columns=None,
        outer_default_load=False,
    ):
        """FAB's query, with the capped count and the page number kept within it."""
        count = self.query_count(self.session.query(self.obj), filters, select_columns)
        if page is not None and page_size and self.clamp_pages:
            page = max(0, min(int(page), -(-int(count) // page_size) - 1))
        query = self.session.query(self.obj)
        if self.eager and not select_columns:
            query = query.options(*[joinedload(getattr(self.obj, name)) for name in self.eager])
        query = self.apply_all(
            query, filters, order_column, order_direction, page, page_size, select_columns, outer_default_load
        )
        results = query.all()
        # As FAB: rows of a select_columns query carry the object under the model's name.
        if results and hasattr(results[0], self.obj.__name__):
            results = [getattr(row, self.obj.__name__) for row in results]
        return count, results
