"""Monitoring (DESIGN.md §3): progress of the re-registration per Kanreg → instansi → unit,
the lists behind the figures, the verifiers' queues and the exports.

Figures come from the materialised tables of `models.monitoring`, rebuilt by `refresh()` —
one transaction of set-based INSERT … SELECT … GROUP BY, run by
`flask --app run pupns refresh-monitoring` (cron, every few minutes) and, when
MONITORING_REFRESH_ON_READ is set, by a dashboard read finding them older than
MONITORING_MAX_AGE seconds. A dashboard read sums at most the unit rows of its area and never
touches the 4.5 million Pegawai rows. Lists and exports read the live records, page by page
or streamed.

Every active PNS (status CPNS or PNS) is in exactly one stage ("tahap"), by this precedence:
  di_skpd / di_instansi / di_bkn  an open submission waiting at that level;
  selesai        a finished (verified and applied) submission;
  dikembalikan   an open draft that had been sent and was returned (Usulan.submitted_at is
                 kept when a submission goes back to draft);
  belum_kirim    an approved registration and nothing sent;
  menunggu       a registration waiting for approval;
  belum_daftar   no live registration.
"sudah kirim" is di_skpd + di_instansi + di_bkn + selesai; completion is selesai / jumlah PNS.
The refresh computes the stage with joins on pre-aggregated rows (fast over every PNS), the
lists with EXISTS conditions (fast for one page); `tahap_clause` and `stage_select` must
agree, which tests/test_monitoring.py checks.

Rooms: stages (the stage rule), refresh (the rebuild), areas (drill-down nodes, who may
watch), figures (dashboard read models), lists, exports (CSV/XLSX), workload (verifier queues).
"""

from __future__ import annotations

from .areas import (
    INSTANSI,
    KANREG,
    NASIONAL,
    UNIT,
    Area,
    Node,
    areas,
    breadcrumb,
    can_watch,
    find_node,
    national_node,
    root_node,
)
from .exports import (
    EXPORT_BATCH,
    LIST_HEADER,
    VERIFIED_HEADER,
    XLSX_MAX_ROWS,
    csv_safe,
    csv_stream,
    export_filename,
    export_rows,
    export_statement,
    record_export,
    write_xlsx,
    xlsx_tempfile,
)
from .figures import SUMS, Figures, Row, figures, node_total
from .lists import (
    EXPORT_KINDS,
    KIND_LABELS,
    LIST_KINDS,
    LIST_SORT_LABELS,
    LIST_SORTS,
    TERVERIFIKASI,
    kind_clause,
    list_page,
    pegawai_node_clause,
)
from .refresh import REFRESH_LOCK_KEY, ensure_fresh, last_refresh_seconds, refresh, refreshed_at
from .stages import COUNT_COLUMNS, LEVELS, TAHAP_LABELS, stage_select, tahap_clause, verified_clause
from .workload import Queue, queue_clause, workload_page, workload_summary

__all__ = [
    "COUNT_COLUMNS",
    "EXPORT_BATCH",
    "EXPORT_KINDS",
    "INSTANSI",
    "KANREG",
    "KIND_LABELS",
    "LEVELS",
    "LIST_HEADER",
    "LIST_KINDS",
    "LIST_SORT_LABELS",
    "LIST_SORTS",
    "NASIONAL",
    "REFRESH_LOCK_KEY",
    "SUMS",
    "TAHAP_LABELS",
    "TERVERIFIKASI",
    "UNIT",
    "VERIFIED_HEADER",
    "XLSX_MAX_ROWS",
    "Area",
    "Figures",
    "Node",
    "Queue",
    "Row",
    "areas",
    "breadcrumb",
    "can_watch",
    "csv_safe",
    "csv_stream",
    "ensure_fresh",
    "export_filename",
    "export_rows",
    "export_statement",
    "figures",
    "find_node",
    "kind_clause",
    "last_refresh_seconds",
    "list_page",
    "national_node",
    "node_total",
    "pegawai_node_clause",
    "queue_clause",
    "record_export",
    "refresh",
    "refreshed_at",
    "root_node",
    "stage_select",
    "tahap_clause",
    "verified_clause",
    "workload_page",
    "workload_summary",
    "write_xlsx",
    "xlsx_tempfile",
]
