"""Import of agency files: Pegawai master data (`pupns import-pegawai`) from CSV or XLSX, and
history and family sections (`pupns import-riwayat`, `import_workbook`) from a workbook.

The contract, for operators and for the code, is split over the rooms of this package:

- `files`: reading a CSV/XLSX file whole before anything is written (type, UTF-8, header);
- `cells`: the strict parse of one cell (text, identifiers, dates);
- `report`: `RowError` (row, column, reason) and `ImportReport` (counts and errors);
- `references`: reference tables by the names and codes files use;
- `pegawai`: the data-utama columns and the parse of one row;
- `pegawai_save`: the batch upsert by NIP (instansi/unit resolution, RecordChange history);
- `sections`: the history/family sheets, their columns and natural keys, the parse of a row;
- `sections_save`: the rules per row and per record, all or nothing per PNS, the upsert;
- `workbook`: reading a workbook of sections (or one section's CSV) and importing it.

Every row is judged by `services.rules` (data utama: `check_pegawai`; history and family:
`check_row` and `check_record`), the rules every other entry path applies.
"""

from .files import ImportFile, ImportFileError
from .pegawai import COLUMNS, DATE_COLUMNS, read_rows
from .pegawai_save import BATCH_SIZE, import_pegawai
from .references import instansi_id_for, kanreg_id_for
from .report import ImportReport, RowError
from .sections import SECTIONS
from .workbook import Workbook, import_workbook, read_workbook

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "DATE_COLUMNS",
    "ImportFile",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "SECTIONS",
    "Workbook",
    "import_pegawai",
    "import_workbook",
    "instansi_id_for",
    "kanreg_id_for",
    "read_rows",
    "read_workbook",
]
