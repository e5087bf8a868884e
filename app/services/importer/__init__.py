"""Import of agency files: Pegawai master data (`pupns import-pegawai`) from CSV or XLSX.

The contract, for operators and for the code, is split over the rooms of this package:

- `files`: reading a CSV/XLSX file whole before anything is written (type, UTF-8, header);
- `cells`: the strict parse of one cell (text, identifiers, dates);
- `report`: `RowError` (row, column, reason) and `ImportReport` (counts and errors);
- `references`: reference tables by the names and codes files use;
- `pegawai`: the data-utama columns and the parse of one row;
- `pegawai_save`: the batch upsert by NIP (instansi/unit resolution, RecordChange history).
"""

from .files import ImportFile, ImportFileError
from .pegawai import COLUMNS, DATE_COLUMNS, read_rows
from .pegawai_save import BATCH_SIZE, import_pegawai
from .references import kanreg_id_for
from .report import ImportReport, RowError

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "DATE_COLUMNS",
    "ImportFile",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "import_pegawai",
    "kanreg_id_for",
    "read_rows",
]
