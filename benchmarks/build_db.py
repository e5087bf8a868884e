"""Build a PostgreSQL database of e-PUPNS at national scale (DESIGN.md §5) for the benchmarks.

    .venv/bin/python -m benchmarks.build_db --pegawai 4500000 \\
        --database-url postgresql://postgres@127.0.0.1/bench_national

Steps: (re)create the database (only names starting with "bench"), run the migrations and
`create-permissions` (with the benchmark's baseline views), load the reference tables; then
stream every bulk table from Python straight into PostgreSQL COPY (`COPY … FREEZE`, one
table per worker process, secondary indexes and foreign keys dropped during the load and
rebuilt afterwards, every foreign key validated again); then ANALYZE, the staff accounts,
the schedule and the monitoring aggregates. Rows come from `benchmarks.world`: deterministic
for a given --seed and --pegawai. Every PNS account shares one password (hashed once), as
do the answers and mothers' names: only the hashing cost is shared, not the format.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from . import world as w

PNS_PASSWORD = "Bench-Pns-2015!"  # every registered PNS (username = NIP)
STAFF_PASSWORD = "Bench-Staf-2015!"  # every staff account below
ANSWER = "bench answer"
MOTHER = "bench mother"
PNS_USER_ID_OFFSET = 1000  # ab_user.id of Pegawai id p is 1000 + p; staff accounts come after
# Staff accounts: (username, role, scope). Scope keys: instansi (index 0 = the largest
# instansi), skpd (its first top unit), kanreg (the largest instansi's Kanreg).
STAFF = (
    ("bench_admin", "Admin", {}),
    ("bench_skpd", "Verifikator SKPD", {"instansi": 0, "skpd": True}),
    ("bench_instansi", "Verifikator Instansi", {"instansi": 0}),
    ("bench_bkn", "Verifikator BKN", {}),  # BKN Pusat: every Kanreg
    ("bench_bkn_kanreg", "Verifikator BKN", {"kanreg": True}),
    ("bench_helpdesk", "Helpdesk", {}),
    ("bench_monitor", "Monitor", {}),
)
# Tables loaded by COPY (the rest are small or empty). Estimated cost orders the jobs.
BULK_TABLES = (
    "pegawai",
    "riwayat_golongan",
    "riwayat_pendidikan",
    "riwayat_jabatan",
    "ab_user",
    "ab_user_role",
    "registrasi",
    "usulan",
    "usulan_item",
    "usulan_event",
)
JOB_COST = {
    "riwayat_golongan": 10,
    "pegawai": 9,
    "registrasi": 6,
    "ab_user": 5,
    "usulan": 5,
    "usulan_item": 4,
    "usulan_event": 4,
    "ab_user_role": 3,
    "riwayat_jabatan": 3,
    "riwayat_pendidikan": 3,
}
N = "\\N"  # NULL in COPY text format


# The builder's own app connections: FAB writes permissions one commit at a time.
BUILD_ENGINE = {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c synchronous_commit=off"}}}


def log(message: str) -> None:
    print(f"[build {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _text(value) -> str:
    """A value in COPY text format (None → \\N; backslash, tab, newline escaped)."""
    if value is None:
        return N
    s = str(value)
    if "\\" in s or "\t" in s or "\n" in s:
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return s


LOADED_AT = (w.EPOCH - dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")  # master data timestamps
COLUMNS = {
    "pegawai": (
        "id",
        "nip",
        "nip_lama",
        "nik",
        "nama",
        "gelar_depan",
        "gelar_belakang",
        "tempat_lahir",
        "tanggal_lahir",
        "jenis_kelamin",
        "agama_id",
        "status_perkawinan_id",
        "alamat",
        "kode_pos",
        "no_hp",
        "email",
        "npwp",
        "no_bpjs",
        "no_taspen",
        "no_karpeg",
        "instansi_id",
        "unit_kerja_id",
        "status",
        "tmt_cpns",
        "sk_cpns_nomor",
        "sk_cpns_tanggal",
        "tmt_pns",
        "sk_pns_nomor",
        "sk_pns_tanggal",
        "golongan_id",
        "tmt_golongan",
        "jenis_jabatan_id",
        "jabatan",
        "tmt_jabatan",
        "pendidikan_terakhir_id",
        "record_version",
        "created_at",
        "updated_at",
    ),
    "riwayat_golongan": (
        "id",
        "pegawai_id",
        "golongan_id",
        "nomor_sk",
        "tanggal_sk",
        "tmt_golongan",
        "jenis_kp",
        "masa_kerja_tahun",
        "masa_kerja_bulan",
        "created_at",
        "updated_at",
    ),
    "riwayat_pendidikan": (
        "id",
        "pegawai_id",
        "tingkat_pendidikan_id",
        "jurusan",
        "nama_sekolah",
        "tahun_lulus",
        "nomor_ijazah",
        "pendidikan_pertama",
        "created_at",
        "updated_at",
    ),
    "riwayat_jabatan": (
        "id",
        "pegawai_id",
        "jenis_jabatan_id",
        "unit_kerja_nama",
        "nama_jabatan",
        "tmt_jabatan",
        "nomor_sk",
        "tanggal_sk",
        "created_at",
        "updated_at",
    ),
    "ab_user": (
        "id",
        "first_name",
        "last_name",
        "username",
        "password",
        "active",
        "email",
        "login_count",
        "fail_login_count",
        "created_on",
        "changed_on",
        "pegawai_id",
        "lockout_count",
        "is_pns_account",
    ),
    "ab_user_role": ("id", "user_id", "role_id"),
    "registrasi": (
        "id",
        "nomor",
        "pegawai_id",
        "instansi_id",
        "user_id",
        "email",
        "status",
        "alasan",
        "security_question_id",
        "answer_hash",
        "mother_name_hash",
        "decided_at",
        "created_at",
        "updated_at",
    ),
    "usulan": (
        "id",
        "pegawai_id",
        "status",
        "instansi_id",
        "unit_kerja_id",
        "pegawai_nama",
        "base_record_version",
        "base_json",
        "needs_bkn",
        "submitted_at",
        "finished_at",
        "version",
        "created_at",
        "updated_at",
    ),
    "usulan_item": (
        "id",
        "usulan_id",
        "section",
        "operation",
        "target_id",
        "values_json",
        "official_json",
        "created_at",
        "updated_at",
    ),
    "usulan_event": (
        "id",
        "usulan_id",
        "actor_id",
        "actor_name",
        "level",
        "from_status",
        "to_status",
        "action",
        "reason",
        "created_at",
    ),
}


# ============================================================================================
# Staging: what needs Python (benchmarks.world), COPYed by one process per half of the Pegawai
# ============================================================================================
STAGE_COLUMNS = (
    ("id", "integer"),
    ("nip", "text"),
    ("nik", "text"),
    ("nama", "text"),
    ("gelar_depan", "text"),
    ("gelar_belakang", "text"),
    ("tanggal_lahir", "date"),
    ("jenis_kelamin", "text"),
    ("instansi_id", "integer"),
    ("unit_kerja_id", "integer"),
    ("status", "text"),
    ("tmt_cpns", "date"),
    ("golongan_id", "integer"),
    ("tmt_golongan", "date"),
    ("jenis_jabatan_id", "integer"),
    ("jabatan", "text"),
    ("pendidikan_terakhir_id", "integer"),
    ("reg_state", "text"),
    ("usulan_state", "text"),
    ("nama_change", "boolean"),
    ("registered_at", "timestamp"),
    ("nomor", "text"),
    ("gol_ids", "integer[]"),
    ("gol_tmts", "date[]"),
)


class LineReader:
    """A file-like object over an iterator of text lines, for psycopg2's copy_expert."""

    def __init__(self, lines):
        self.lines = iter(lines)
        self.count = 0

    def read(self, size=-1):
        parts, total = [], 0
        for line in self.lines:
            parts.append(line)
            total += len(line)
            self.count += 1
            if total >= 262144:
                break
        return "".join(parts)

    readline = read


def backend_cpu(cur) -> float:
    """CPU seconds the PostgreSQL backend of this cursor's connection has used so far (read
    from /proc: the server runs on this machine). With the other work of a shared machine
    competing for the cores, CPU seconds say what a step costs; wall time says how long it
    took here. 0 when /proc is not readable."""
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stage_job(args):
    """COPY the staging lines of Pegawai [lo, hi) (a worker process of its own). Returns the
    rows, wall seconds and CPU seconds (this process and its PostgreSQL backend)."""
    url, n, seed, ref, kanreg_ids, lo, hi = args
    started, cpu = time.perf_counter(), time.process_time()
    people = w.People(n, seed, w.build_org(n, kanreg_ids), ref)
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            server = backend_cpu(cur)
            reader = LineReader(people.stage_line(i) for i in range(lo, hi))
            cur.copy_expert("COPY bench_stage FROM STDIN", reader)
            server = backend_cpu(cur) - server
        conn.commit()
    finally:
        conn.close()
    return lo, hi, reader.count, time.perf_counter() - started, time.process_time() - cpu + server


# ============================================================================================
# The bulk tables, derived set-based from the staging table: COPY (SELECT …) TO STDOUT piped
# into COPY … FROM STDIN WITH (FREEZE) in the transaction that truncated the table, so the rows
# are written frozen and all-visible (index-only scans work without a VACUUM).
# ============================================================================================
def _hash(expr: str, k: int) -> str:
    """A deterministic pseudo-random non-negative bigint of an integer expression (SQL)."""
    return f"(({expr})::bigint * {2654435761 + 2 * k} % 4294967291)"


H = _hash("s.id", 0)
H2 = _hash("s.id", 7)


def derived_tables(ref: dict, hashes: dict, pns_role: int) -> list[tuple]:
    """(table, columns, SELECT, params, tables it reads besides the stage) of every bulk table."""
    from app.services.workflow import DATA_UTAMA_FIELDS

    loaded = LOADED_AT
    snapshot = "json_build_object(" + ", ".join(f"'{f}', p.{f}" for f in DATA_UTAMA_FIELDS) + ")::text"
    # Times of a submission: step k happens 4 + 3k days after registration.
    step = "(s.registered_at + ({k} * 3 + 4) * interval '1 day' + ({h} % 36000) * interval '1 second')"
    events_of = "CASE WHEN s.usulan_state = 'selesai' AND s.nama_change THEN 'selesai_bkn' ELSE s.usulan_state END"
    n_events = (
        "CASE s.usulan_state WHEN 'draft' THEN 0 WHEN 'returned' THEN 2 WHEN 'di_skpd' THEN 1 "
        "WHEN 'di_instansi' THEN 2 WHEN 'di_bkn' THEN 3 ELSE CASE WHEN s.nama_change THEN 4 ELSE 3 END END"
    )
    needs_bkn = "(s.nama_change AND s.usulan_state NOT IN ('draft', 'returned'))"
    events = []
    for state, rows in EVENTS.items():
        for k, (level, frm, to, action, reason) in enumerate(rows):
            events.append(
                f"('{state}', {k}, '{level}', '{frm}', '{to}', '{action}', "
                + ("NULL" if reason is None else "'" + reason.replace("'", "''") + "'")
                + ")"
            )
    return [
        (
            "pegawai",
            COLUMNS["pegawai"],
            f"""
            SELECT s.id, s.nip,
                   CASE WHEN s.tmt_cpns < date '2008-01-01'
                        THEN lpad((100 + s.instansi_id % 900)::text, 3, '0')
                             || lpad((s.id % 1000000)::text, 6, '0') END,
                   s.nik, s.nama, s.gelar_depan, s.gelar_belakang, x.kota, s.tanggal_lahir, s.jenis_kelamin,
                   (%(agama)s::int[])[width_bucket(x.h % 1000, ARRAY[860, 920, 960, 980, 990, 995]) + 1],
                   CASE WHEN x.h % 8 = 0 THEN %(belum_kawin)s ELSE %(kawin)s END,
                   'Jl. ' || (%(streets)s::text[])[1 + x.h % %(n_streets)s] || ' No. ' || (x.h % 199 + 1)
                       || ', ' || initcap(x.kota),
                   (10000 + x.h % 90000)::text, '08' || lpad(({H2} * 3 % 10000000000)::text, 10, '0'),
                   NULL, NULL, NULL, NULL, NULL, s.instansi_id, s.unit_kerja_id, s.status, s.tmt_cpns,
                   '813.3/' || s.id % 100000 || '/' || date_part('year', s.tmt_cpns)::int,
                   (s.tmt_cpns - interval '2 months')::date,
                   CASE WHEN s.status <> 'CPNS' THEN (s.tmt_cpns + interval '1 year')::date END,
                   CASE WHEN s.status <> 'CPNS' THEN '821.13/' || s.id % 100000 || '/'
                        || (date_part('year', s.tmt_cpns)::int + 1) END,
                   CASE WHEN s.status <> 'CPNS' THEN (s.tmt_cpns + interval '10 months')::date END,
                   s.golongan_id, s.tmt_golongan, s.jenis_jabatan_id, s.jabatan, s.tmt_golongan,
                   s.pendidikan_terakhir_id, 1, %(loaded)s, %(loaded)s
            FROM bench_stage s,
                 LATERAL (SELECT {H} AS h, (%(cities)s::text[])[1 + {H} % %(n_cities)s] AS kota) x""",
            {
                "agama": ref["agama"],
                "belum_kawin": ref["status_perkawinan"][0],
                "kawin": ref["status_perkawinan"][1],
                "streets": list(w.STREETS),
                "n_streets": len(w.STREETS),
                "cities": list(w.CITIES),
                "n_cities": len(w.CITIES),
                "loaded": loaded,
            },
            (),
        ),
        (
            "riwayat_golongan",
            COLUMNS["riwayat_golongan"],
            """
            SELECT s.id * 8 + g.n - 1, s.id, g.gid,
                   '823.3/KP/' || s.id % 100000 || '/' || date_part('year', g.tmt)::int,
                   (g.tmt - interval '2 months')::date, g.tmt, CASE WHEN g.n = 1 THEN 'CPNS' ELSE 'Reguler' END,
                   date_part('year', age(g.tmt, s.tmt_cpns))::int, date_part('month', age(g.tmt, s.tmt_cpns))::int,
                   %(loaded)s, %(loaded)s
            FROM bench_stage s, unnest(s.gol_ids, s.gol_tmts) WITH ORDINALITY AS g(gid, tmt, n)""",
            {"loaded": loaded},
            (),
        ),
        (
            "riwayat_pendidikan",
            COLUMNS["riwayat_pendidikan"],
            f"""
            SELECT s.id, s.id, s.pendidikan_terakhir_id, (%(jurusan)s::text[])[1 + {H} % %(n_jurusan)s],
                   (%(kampus)s::text[])[1 + {H2} % %(n_kampus)s], date_part('year', s.tmt_cpns)::int - 1,
                   lpad(({H2} % 100000000)::text, 8, '0') || '/' || (date_part('year', s.tmt_cpns)::int - 1),
                   true, %(loaded)s, %(loaded)s
            FROM bench_stage s""",
            {
                "jurusan": list(w.JURUSAN),
                "n_jurusan": len(w.JURUSAN),
                "kampus": list(w.KAMPUS),
                "n_kampus": len(w.KAMPUS),
                "loaded": loaded,
            },
            (),
        ),
        (
            "riwayat_jabatan",
            COLUMNS["riwayat_jabatan"],
            """
            SELECT s.id, s.id, s.jenis_jabatan_id, NULL, s.jabatan, s.tmt_golongan,
                   '821.2/' || s.id % 100000 || '/' || date_part('year', s.tmt_golongan)::int, s.tmt_golongan,
                   %(loaded)s, %(loaded)s
            FROM bench_stage s""",
            {"loaded": loaded},
            (),
        ),
        (
            "ab_user",
            COLUMNS["ab_user"],
            """
            SELECT %(offset)s + s.id, left(s.nama, 64), '', s.nip, %(password)s, s.reg_state = 'disetujui',
                   s.nip || '@pns.invalid', 0, 0, s.registered_at, s.registered_at, s.id, 0, true
            FROM bench_stage s WHERE s.reg_state IS NOT NULL""",
            {"offset": PNS_USER_ID_OFFSET, "password": hashes["password"]},
            (),
        ),
        (
            "ab_user_role",
            COLUMNS["ab_user_role"],
            """
            SELECT s.id, %(offset)s + s.id, %(role)s FROM bench_stage s WHERE s.reg_state IS NOT NULL""",
            {"offset": PNS_USER_ID_OFFSET, "role": pns_role},
            (),
        ),
        (
            "registrasi",
            COLUMNS["registrasi"],
            """
            SELECT s.id, s.nomor, s.id, s.instansi_id, %(offset)s + s.id, 'pns' || s.id || '@example.id', s.reg_state,
                   CASE s.reg_state WHEN 'ditolak' THEN 'Data pada SK tidak sesuai (pindah instansi).'
                                    WHEN 'direset' THEN 'NIP didaftarkan orang lain (tiket helpdesk).' END,
                   (%(questions)s::int[])[1 + s.id % %(n_questions)s], %(answer)s, %(mother)s, d.decided,
                   s.registered_at, coalesce(d.decided, s.registered_at)
            FROM bench_stage s,
                 LATERAL (SELECT CASE WHEN s.reg_state <> 'menunggu'
                                      THEN s.registered_at + (1 + s.id % 5) * interval '1 day' END AS decided) d
            WHERE s.reg_state IS NOT NULL""",
            {
                "offset": PNS_USER_ID_OFFSET,
                "questions": ref["security_question"],
                "n_questions": len(ref["security_question"]),
                "answer": hashes["answer"],
                "mother": hashes["mother"],
            },
            (),
        ),
        (
            "usulan",
            COLUMNS["usulan"],
            f"""
            SELECT s.id, s.id, CASE s.usulan_state WHEN 'returned' THEN 'draft' ELSE s.usulan_state END,
                   s.instansi_id, s.unit_kerja_id, s.nama, 1, {snapshot}, {needs_bkn},
                   CASE WHEN s.usulan_state <> 'draft' THEN {step.format(k=0, h=H)} END,
                   CASE WHEN s.usulan_state = 'selesai' THEN {step.format(k=f"({n_events} - 1)", h=H)} END,
                   1 + {n_events}, {step.format(k=0, h=H)} - interval '1 day',
                   {step.format(k=f"greatest({n_events} - 1, 0)", h=H)}
            FROM bench_stage s JOIN pegawai p ON p.id = s.id WHERE s.usulan_state IS NOT NULL""",
            {},
            ("pegawai",),
        ),
        (
            "usulan_item",
            COLUMNS["usulan_item"],
            f"""
            SELECT s.id * 2, s.id, 'data_utama', 'change', s.id,
                   CASE WHEN s.nama_change
                        THEN json_build_object('nama', p.nama || ' ' || (%(last)s::text[])[1 + {H2} % %(n_last)s])
                        ELSE json_build_object('alamat', 'Jl. Baru No. ' || (s.id % 99 + 1),
                                               'no_hp', '08' || lpad(({H} * 7 % 10000000000)::text, 10, '0')) END::text,
                   {snapshot}, {step.format(k=0, h=H)} - interval '3 hours',
                   {step.format(k=0, h=H)} - interval '3 hours'
            FROM bench_stage s JOIN pegawai p ON p.id = s.id WHERE s.usulan_state IS NOT NULL
            UNION ALL
            SELECT s.id * 2 + 1, s.id, 'riwayat_diklat', 'add', NULL,
                   json_build_object('jenis_diklat_id', %(diklat)s, 'jumlah_jam', 40, 'nama',
                                     'Diklat Teknis Pengelolaan Arsip', 'penyelenggara', 'Badan Kepegawaian Daerah',
                                     'tahun', 2015)::text,
                   NULL, {step.format(k=0, h=H)} - interval '3 hours', {step.format(k=0, h=H)} - interval '3 hours'
            FROM bench_stage s WHERE s.usulan_state IS NOT NULL AND {H2} % 4 = 0""",
            {"last": list(w.LAST_MALE), "n_last": len(w.LAST_MALE), "diklat": ref["jenis_diklat"]},
            ("pegawai",),
        ),
        (
            "usulan_event",
            COLUMNS["usulan_event"],
            f"""
            SELECT s.id * 4 + e.n, s.id, CASE WHEN e.level = 'pns' THEN %(offset)s + s.id END,
                   CASE WHEN e.level = 'pns' THEN 'pns' ELSE 'verifikator.' || e.level END,
                   e.level, e.frm, e.to_status, e.action, e.reason, {step.format(k="e.n", h=H)}
            FROM bench_stage s JOIN (VALUES {", ".join(events)}) AS e(state, n, level, frm, to_status, action, reason)
                 ON e.state = {events_of}
            WHERE s.usulan_state IS NOT NULL""",
            {"offset": PNS_USER_ID_OFFSET},
            (),
        ),
    ]


EVENTS = {  # submission state → its transitions so far: (level, from, to, action, reason)
    "returned": [
        ("pns", "draft", "di_skpd", "kirim", None),
        ("skpd", "di_skpd", "draft", "kembalikan", "BTS: berkas tidak sesuai, unggah SK yang terbaru."),
    ],
    "di_skpd": [("pns", "draft", "di_skpd", "kirim", None)],
    "di_instansi": [("pns", "draft", "di_skpd", "kirim", None), ("skpd", "di_skpd", "di_instansi", "verifikasi", None)],
    "di_bkn": [
        ("pns", "draft", "di_skpd", "kirim", None),
        ("skpd", "di_skpd", "di_instansi", "verifikasi", None),
        ("instansi", "di_instansi", "di_bkn", "verifikasi", None),
    ],
    "selesai": [
        ("pns", "draft", "di_skpd", "kirim", None),
        ("skpd", "di_skpd", "di_instansi", "verifikasi", None),
        ("instansi", "di_instansi", "selesai", "verifikasi", None),
    ],
    "selesai_bkn": [
        ("pns", "draft", "di_skpd", "kirim", None),
        ("skpd", "di_skpd", "di_instansi", "verifikasi", None),
        ("instansi", "di_instansi", "di_bkn", "verifikasi", None),
        ("bkn", "di_bkn", "selesai", "verifikasi", None),
    ],
}


def copy_derived(url: str, table: str, columns, select_sql: str, params: dict) -> tuple[str, int, float, float]:
    """TRUNCATE `table` and fill it with COPY … FREEZE from `select_sql`, piped through this
    process from a second connection's COPY (SELECT …) TO STDOUT. Returns the table, rows,
    wall seconds and CPU seconds of both backends."""
    import threading

    started = time.perf_counter()
    source, target = psycopg2.connect(url), psycopg2.connect(url)
    r, wfd = os.pipe()
    reader, writer = os.fdopen(r, "rb", buffering=1 << 20), os.fdopen(wfd, "wb", buffering=1 << 20)
    failure, cpu = [], []
    with target.cursor() as cur:
        # Binary COPY (a third cheaper than text): each value cast to its column's type.
        cur.execute(
            "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            (table,),
        )
        types = dict(cur.fetchall())
    names = [f"c{i}" for i in range(len(columns))]
    typed = ", ".join(f"q.{n}::{types[c]}" for n, c in zip(names, columns, strict=True))

    def produce():
        try:
            with source.cursor() as cur:
                before = backend_cpu(cur)
                cur.execute("SET work_mem = '256MB'")
                # Modulo is written " % " in the SQL above; psycopg2 wants it doubled.
                query = cur.mogrify(select_sql.replace(" % ", " %% "), params).decode()
                cur.copy_expert(
                    f"COPY (SELECT {typed} FROM ({query}) AS q({', '.join(names)})) TO STDOUT WITH (FORMAT binary)",
                    writer,
                    size=1 << 20,
                )
                cpu.append(backend_cpu(cur) - before)
        except Exception as exc:  # reported by the consumer side
            failure.append(exc)
        finally:
            writer.close()

    thread = threading.Thread(target=produce)
    thread.start()
    try:
        with target.cursor() as cur:
            before = backend_cpu(cur)
            cur.execute("SET synchronous_commit = off")
            cur.execute(f"TRUNCATE {table}")
            cur.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary, FREEZE)", reader, size=1 << 20
            )
            rows = cur.rowcount
            cpu.append(backend_cpu(cur) - before)
        thread.join()
        if failure:
            raise failure[0]
        target.commit()
    finally:
        thread.join()
        reader.close()
        source.close()
        target.close()
    return table, rows, time.perf_counter() - started, sum(cpu)


def run_derived(url: str, tasks, workers: int) -> float:
    """Run the derived COPYs, `workers` at a time, each once the tables it reads are loaded.
    Returns the CPU seconds of their backends."""
    import threading

    done, running, lock = set(), set(), threading.Condition()
    pending = list(tasks)
    errors, cpu = [], []

    def worker():
        while True:
            with lock:
                while True:
                    if errors or not pending:
                        return
                    ready = next((t for t in pending if set(t[4]) <= done), None)
                    if ready is not None:
                        pending.remove(ready)
                        running.add(ready[0])
                        break
                    lock.wait()
            try:
                table, rows, seconds, used = copy_derived(url, ready[0], ready[1], ready[2], ready[3])
                cpu.append(used)
                log(f"  COPY {table}: {rows} rows in {seconds:.1f} s ({used:.1f} CPU s)")
            except Exception as exc:
                with lock:
                    errors.append(exc)
                    lock.notify_all()
                return
            with lock:
                running.discard(ready[0])
                done.add(ready[0])
                lock.notify_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(cpu)


# ============================================================================================
# The database around the load
# ============================================================================================
def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    """DROP and CREATE the database; refuses any name not starting with "bench"."""
    name = _database_name(url)
    if not name.startswith("bench") or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to (re)create database {name!r}: benchmark databases are named bench*")
    conn = psycopg2.connect(_admin_url(url))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # Byte-order collation (see README "Settings"): names are upper-case ASCII, text
        # indexes build twice as fast, and character classes stay Unicode (LC_CTYPE).
        cur.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'")
    conn.close()


def drop_database(url: str) -> None:
    """DROP a benchmark database (names starting with "bench" only)."""
    name = _database_name(url)
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to drop database {name!r}")
    conn = psycopg2.connect(_admin_url(url))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def schema_and_reference(url: str) -> tuple[dict, list[int], int]:
    """Migrations, permissions (with the baseline views), reference data. Returns the
    reference ids the rows need, the Kanreg ids and the id of role PNS."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Agama, Golongan, JenisDiklat, JenisJabatan, Kanreg, SecurityQuestion
    from app.models import StatusPerkawinan, TingkatPendidikan
    from app.services.permissions import sync_roles
    from app.services.reference_data import AGAMA, STATUS_PERKAWINAN, load_reference_data

    from .wsgi import make_app

    app = make_app(url, **BUILD_ENGINE)
    with app.app_context():
        upgrade()
        sync_roles(app.appbuilder)
        load_reference_data(db.session)
        db.session.commit()
        s = db.session
        agama = {a.nama: a.id for a in s.scalars(select(Agama))}
        sp = {x.nama: x.id for x in s.scalars(select(StatusPerkawinan))}
        ref = {
            "golongan": {g.tingkat: g.id for g in s.scalars(select(Golongan))},
            "pendidikan": {t.kode: t.id for t in s.scalars(select(TingkatPendidikan))},
            "agama": [agama[n] for n in AGAMA],
            "status_perkawinan": [sp[n] for n in STATUS_PERKAWINAN],
            "jenis_jabatan": {j.nama: j.id for j in s.scalars(select(JenisJabatan))},
            "security_question": sorted(q.id for q in s.scalars(select(SecurityQuestion))),
            "jenis_diklat": s.scalar(select(JenisDiklat.id).where(JenisDiklat.nama == "Diklat Teknis")),
        }
        kanreg_ids = sorted(s.scalars(select(Kanreg.id)))
        pns_role = app.appbuilder.sm.find_role("PNS").id
        db.session.remove()
        db.engine.dispose()
    return ref, kanreg_ids, pns_role


def load_org(conn, org: w.Org) -> None:
    with conn.cursor() as cur:
        cur.copy_expert(
            "COPY instansi (id, kode, nama, jenis, kanreg_id, created_at, updated_at) FROM STDIN",
            LineReader(f"{i}\t{k}\t{n}\t{j}\t{kr}\t{LOADED_AT}\t{LOADED_AT}\n" for i, k, n, j, kr in org.instansi),
        )
        cur.copy_expert(
            "COPY unit_kerja (id, kode, nama, instansi_id, parent_id, path, aktif, created_at, updated_at) FROM STDIN",
            LineReader(
                f"{i}\t{k}\t{n}\t{inst}\t{_text(parent)}\t{path}\tt\t{LOADED_AT}\t{LOADED_AT}\n"
                for i, k, n, inst, parent, path in org.units
            ),
        )
    conn.commit()


def check_columns(conn) -> None:
    """Fail early, with the column's name, if a bulk table gained a required column this
    builder does not fill (a model changed: add it to COLUMNS and Rows)."""
    with conn.cursor() as cur:
        for table, columns in COLUMNS.items():
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND is_nullable = 'NO' AND column_default IS NULL",
                (table,),
            )
            missing = [c for (c,) in cur.fetchall() if c not in columns]
            if missing:
                raise SystemExit(f"benchmarks/build_db.py does not fill {table}.{', '.join(missing)}: update COLUMNS")


def drop_constraints(conn, tables) -> list[str]:
    """Drop the foreign keys touching `tables` and their secondary indexes (primary keys
    stay); return the DDL that restores them, indexes first."""
    restore_indexes, restore_fks, drops = [], [], []
    with conn.cursor() as cur:
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
            (list(tables), list(tables)),
        )
        for table, name, definition in cur.fetchall():
            drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore_fks.append((table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        cur.execute(
            "SELECT c.relname, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), con.conname, "
            "pg_get_constraintdef(con.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype = 'u' "
            "WHERE c.relname = ANY(%s) AND NOT i.indisprimary",
            (list(tables),),
        )
        for table, index, definition, conname, condef in cur.fetchall():
            if conname:
                drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{conname}"')
                restore_indexes.append((table, f'ALTER TABLE {table} ADD CONSTRAINT "{conname}" {condef}'))
            else:
                drops.append(f"DROP INDEX {index}")
                restore_indexes.append((table, definition))
        for ddl in drops:
            cur.execute(ddl)
    conn.commit()
    return restore_indexes, restore_fks


def run_parallel(url: str, statements, workers: int, setup=()) -> float:
    """Run independent DDL statements on `workers` connections, in the order given (largest
    table first). Returns the CPU seconds of their backends."""

    def run(statement):
        conn = psycopg2.connect(url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for s in setup:
                    cur.execute(s)
                before = backend_cpu(cur)
                cur.execute(statement)
                return backend_cpu(cur) - before
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(run, statements))


def finish_tables(conn, tables) -> None:
    """Sequences past the loaded ids."""
    with conn.cursor() as cur:
        for table in tables + ("instansi", "unit_kerja"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT max(id) FROM {table}), 1))"
            )
    conn.commit()


def staff_and_schedule(url: str, org: w.Org) -> list[dict]:
    """The staff accounts (through FAB's add_user: argon2), a national schedule whose filling
    phase contains today, and the monitoring aggregates when that service exists."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Instansi, Jadwal
    from app.models import User

    from .wsgi import make_app

    app = make_app(url, **BUILD_ENGINE)
    accounts = []
    with app.app_context():
        sm = app.appbuilder.sm
        largest = db.session.get(Instansi, org.instansi[0][0])
        for username, role, scope in STAFF:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = sm.add_user(
                    username, username, "Bench", f"{username}@bench.local", sm.find_role(role), password=STAFF_PASSWORD
                )
            if "instansi" in scope:
                user.instansi_id = largest.id
            if scope.get("skpd"):
                user.unit_kerja_id = org.skpd_unit_id
            if scope.get("kanreg"):
                user.kanreg_id = largest.kanreg_id
            accounts.append({"username": username, "role": role, "password": STAFF_PASSWORD})
        today = dt.date.today()
        db.session.add_all(
            [
                Jadwal(
                    fase=Jadwal.FASE_PERSIAPAN,
                    mulai=today - dt.timedelta(days=400),
                    selesai=today - dt.timedelta(days=181),
                ),
                Jadwal(
                    fase=Jadwal.FASE_PENGISIAN,
                    mulai=today - dt.timedelta(days=180),
                    selesai=today + dt.timedelta(days=180),
                ),
                Jadwal(
                    fase=Jadwal.FASE_VERIFIKASI,
                    mulai=today + dt.timedelta(days=181),
                    selesai=today + dt.timedelta(days=365),
                ),
            ]
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return accounts


def refresh_monitoring(url: str) -> float | None:
    """Build the monitoring aggregates (issue 6) if this version of the app has them."""
    try:
        from app.services import monitoring
    except ImportError:
        return None
    from app.extensions import db

    from .wsgi import make_app

    app = make_app(url, **BUILD_ENGINE)
    with app.app_context():
        started = time.perf_counter()
        monitoring.refresh(db.session)
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return seconds


def shared_hashes() -> dict:
    """One argon2id hash per secret, computed once (services.passwords parameters)."""
    from app.services import passwords

    return {
        "password": passwords.hash_password(PNS_PASSWORD),
        "answer": passwords.hash_answer(ANSWER),
        "mother": passwords.hash_answer(MOTHER),
    }


def counts(conn) -> dict:
    with conn.cursor() as cur:
        result = {}
        for table in BULK_TABLES + ("instansi", "unit_kerja"):
            cur.execute(f"SELECT count(*) FROM {table}")
            result[table] = cur.fetchone()[0]
        for table, column in (("registrasi", "status"), ("usulan", "status"), ("pegawai", "status")):
            cur.execute(f"SELECT {column}, count(*) FROM {table} GROUP BY 1 ORDER BY 1")
            result[f"{table}.{column}"] = dict(cur.fetchall())
        cur.execute("SELECT pg_database_size(current_database())")
        result["database_bytes"] = cur.fetchone()[0]
    return result


SERVER_SETTINGS = ("wal_level", "max_wal_size", "shared_buffers", "checkpoint_timeout")


def server_settings(conn) -> dict:
    """The PostgreSQL settings a load's time depends on (README, "Bulk-load settings")."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)", (list(SERVER_SETTINGS),)
        )
        return dict(cur.fetchall())


def build(url: str, n: int, seed: int = 2015, workers: int = 2, manifest: str | None = None) -> dict:
    """Build the whole database; returns (and writes to `manifest`) timings and counts."""
    timings, cpu = {}, {}
    started = time.perf_counter()

    def lap(name, since, cpu_seconds=None):
        timings[name] = round(time.perf_counter() - since, 2)
        if cpu_seconds is not None:
            cpu[name] = round(cpu_seconds, 1)
        log(f"{name}: {timings[name]} s" + ("" if cpu_seconds is None else f" ({cpu_seconds:.1f} CPU s)"))
        return time.perf_counter()

    t = time.perf_counter()
    recreate_database(url)
    ref, kanreg_ids, pns_role = schema_and_reference(url)
    hashes = shared_hashes()
    t = lap("schema, permissions, reference data", t)

    org = w.build_org(n, kanreg_ids)
    conn = psycopg2.connect(url)
    check_columns(conn)
    load_org(conn, org)
    restore_indexes, restore_fks = drop_constraints(conn, BULK_TABLES)
    with conn.cursor() as cur:
        cur.execute(
            "CREATE UNLOGGED TABLE bench_stage (" + ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS) + ")"
        )
    conn.commit()
    t = lap(f"organisation ({len(org.instansi)} instansi, {len(org.units)} units)", t)

    chunks = max(workers, 1) * 2
    bounds = [n * c // chunks for c in range(chunks + 1)]
    jobs = [(url, n, seed, ref, kanreg_ids, bounds[c], bounds[c + 1]) for c in range(chunks)]
    stage_cpu = 0.0
    with mp.get_context("fork").Pool(workers) as pool:
        for lo, hi, rows, seconds, used in pool.imap_unordered(_stage_job, jobs):
            stage_cpu += used
            log(f"  staged Pegawai {lo}..{hi}: {rows} rows in {seconds:.1f} s ({used:.1f} CPU s)")
    with conn.cursor() as cur:
        cur.execute("ANALYZE bench_stage")
    conn.commit()
    t = lap("Python → COPY bench_stage", t, stage_cpu)

    tasks = sorted(derived_tables(ref, hashes, pns_role), key=lambda x: -JOB_COST[x[0]])
    t = lap("COPY FREEZE of the bulk tables", t, run_derived(url, tasks, workers))

    with conn.cursor() as cur:
        cur.execute("DROP TABLE bench_stage")
    conn.commit()
    finish_tables(conn, BULK_TABLES)
    maintenance = ["SET maintenance_work_mem = '1GB'", "SET max_parallel_maintenance_workers = 0"]
    used = run_parallel(
        url, [ddl for _, ddl in sorted(restore_indexes, key=lambda x: -JOB_COST.get(x[0], 0))], workers, maintenance
    )
    t = lap(f"{len(restore_indexes)} indexes", t, used)
    used = run_parallel(
        url, [ddl for _, ddl in sorted(restore_fks, key=lambda x: -JOB_COST.get(x[0], 0))], workers, maintenance
    )
    t = lap(f"{len(restore_fks)} foreign keys, validated", t, used)
    used = run_parallel(url, [f"ANALYZE {table}" for table in BULK_TABLES + ("instansi", "unit_kerja")], workers)
    t = lap("ANALYZE", t, used)
    timings["load_total"] = round(time.perf_counter() - started, 2)
    cpu["load_total"] = round(sum(cpu.values()), 1)
    accounts = staff_and_schedule(url, org)
    t = lap("staff accounts and schedule", t)
    monitoring_seconds = refresh_monitoring(url)
    if monitoring_seconds is not None:
        timings["monitoring refresh"] = round(monitoring_seconds, 2)
        log(f"monitoring refresh: {monitoring_seconds:.1f} s")
    timings["total"] = round(time.perf_counter() - started, 2)
    result = {
        "database": _database_name(url),
        "pegawai": n,
        "seed": seed,
        "workers": workers,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "timings_seconds": timings,
        "cpu_seconds": cpu,
        "workers_cores": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "counts": counts(conn),
        "server": server_settings(conn),
        "staff": accounts,
        "pns_password": PNS_PASSWORD,
        "skpd_unit_id": org.skpd_unit_id,
        "largest_instansi_id": org.instansi[0][0],
    }
    conn.close()
    log(
        f"done in {timings['total']} s (load {timings['load_total']} s, {cpu['load_total']} CPU s), "
        f"{result['counts']['database_bytes'] / 2**30:.2f} GiB"
    )
    if manifest:
        os.makedirs(os.path.dirname(manifest) or ".", exist_ok=True)
        with open(manifest, "w") as f:
            json.dump(result, f, indent=2, default=str)
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pegawai", type=int, default=50_000, help="number of Pegawai (national: 4500000)")
    parser.add_argument("--database-url", required=True, help="postgresql://…/bench_… (dropped and recreated)")
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="COPY processes")
    parser.add_argument("--manifest", help="write timings and counts to this JSON file")
    args = parser.parse_args(argv)
    build(args.database_url, args.pegawai, args.seed, args.workers, args.manifest)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
