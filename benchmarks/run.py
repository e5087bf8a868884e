"""Run the e-PUPNS benchmarks: build (or reuse) the database, serve the app under gunicorn on
127.0.0.1, drive every scenario with wrk, write benchmarks/results/<mode>.json and the
figures table of benchmarks/RESULTS.md.

    .venv/bin/python -m benchmarks.run --mode small      # 50,000 PNS, a few minutes
    .venv/bin/python -m benchmarks.run --mode national   # 4.5 million PNS (build ~5 min)

See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import logging
import multiprocessing as mp
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MODES = {"small": 50_000, "national": 4_500_000}
DEFAULT_URL = "postgresql://postgres@127.0.0.1/bench_{mode}"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ============================================================================================
# The machine, and the password-hash bound of registrations
# ============================================================================================
def machine() -> dict:
    """CPU, memory, PostgreSQL and tool versions, load average: the context of the figures."""

    def out(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    lscpu = dict(line.split(":", 1) for line in out("lscpu").splitlines() if ":" in line)
    mem = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0"
    )
    return {
        "cpu": lscpu.get("Model name", platform.processor()).strip(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": out("psql", "--version"),
        "wrk": out("dpkg-query", "-W", "-f=${Version}", "wrk") or out("wrk", "--version"),
        "gunicorn": out(sys.executable, "-m", "gunicorn", "--version"),
        "loadavg_at_start": os.getloadavg(),
    }


def _hash_for(seconds: float, _=None) -> int:
    from app.services import passwords

    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        passwords.hash_password("Kunci-Rahasia-2015!")
        n += 1
    return n


def combine_bounds(before: dict, after: dict) -> dict:
    """The mean of two hash-bound measurements, with both kept."""
    mean = {
        k: round((before[k] + after[k]) / 2, 2)
        for k in before
        if isinstance(before[k], (int, float)) and k != "hashes_per_registration"
    }
    return {**before, **mean, "before": before, "after": after}


def hash_bound(seconds: float = 5.0) -> dict:
    """argon2id (services.passwords) timed on one core, then on every core at once; a
    registration computes 3 hashes (password, answer, mother's name)."""
    from app.services import passwords

    _hash_for(0.5)
    started = time.perf_counter()
    one = _hash_for(seconds)
    per_hash = (time.perf_counter() - started) / one
    cores = os.cpu_count() or 1
    with mp.get_context("fork").Pool(cores) as pool:
        started = time.perf_counter()
        total = sum(pool.map(_hash_for, [seconds] * cores))
        elapsed = time.perf_counter() - started
    hasher = passwords._hasher
    return {
        "parameters": {
            "algorithm": "argon2id",
            "time_cost": hasher.time_cost,
            "memory_kib": hasher.memory_cost,
            "parallelism": hasher.parallelism,
        },
        "ms_per_hash_one_core": round(per_hash * 1000, 2),
        "hashes_per_second_all_cores": round(total / elapsed, 2),
        "hashes_per_registration": 3,
        "registrations_per_second_bound": round(total / elapsed / 3, 2),
        "logins_per_second_bound": round(total / elapsed, 2),
    }


# ============================================================================================
# gunicorn
# ============================================================================================
class Server:
    """gunicorn on 127.0.0.1 with benchmarks/gunicorn.conf.py, started and stopped by us."""

    def __init__(self, database_url: str, port: int, workers: int, access_log: Path):
        self.port, self.access_log = port, access_log
        self.env = dict(
            os.environ,
            DATABASE_URL=database_url,
            BENCH_BIND=f"127.0.0.1:{port}",
            BENCH_WORKERS=str(workers),
            BENCH_ACCESS_LOG=str(access_log),
            BENCH_BASELINE="1",
        )
        self.process = None

    def __enter__(self):
        self.access_log.write_text("")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                str(HERE / "gunicorn.conf.py"),
                "benchmarks.wsgi:make_app()",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if self.get("/login/")[0] == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited; see its log above")
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer within 120 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def request(self, method, path, body=None, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
        conn.close()
        return response.status, data, cookies

    def get(self, path, cookie=None):
        return self.request("GET", path, cookie=cookie)

    def login(self, username: str, password: str) -> str:
        """Log in through the login form; returns the session's Cookie header."""
        from urllib.parse import urlencode

        status, page, cookies = self.get("/login/")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            rb'id="csrf_token"[^>]*value="([^"]+)"', page
        )
        body = urlencode({"csrf_token": token.group(1).decode(), "username": username, "password": password})
        status, _, new = self.request("POST", "/login/", body=body, cookie="; ".join(cookies))
        if status != 302 or not new:
            raise RuntimeError(f"login of {username} failed: HTTP {status}")
        return "; ".join(new)


# ============================================================================================
# wrk and the server-side times
# ============================================================================================
def run_wrk(url: str, request_file: Path, duration: float, connections: int) -> dict:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "60s",
        "-s",
        str(HERE / "wrk" / "scenario.lua"),
        url,
        "--",
        str(request_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    return json.loads(line)


def server_times(access_log: Path, scenario: str) -> list[float]:
    """Server time (ms) of each request of `scenario` in gunicorn's access log."""
    times = []
    with access_log.open() as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == scenario:
                times.append(int(parts[2]) / 1000)
    return times


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[k], 2)


def measure(server: Server, scenario, workdir: Path, duration: float, connections: int, warmup: float) -> dict:
    url = f"http://127.0.0.1:{server.port}"
    lines = "\n".join(r.line() for r in scenario.requests) + "\n"
    # A scenario that uses up its data warms up on data of its own (other NIPs).
    warm_lines = (
        lines
        if not scenario.consumes
        else (
            "\n".join(r.line() for r in scenario.extra.get("warmup", [])) + "\n" if scenario.extra.get("warmup") else ""
        )
    )
    if warmup and warm_lines.strip():
        warm = workdir / f"{scenario.name}.warmup.tsv"
        warm.write_text(warm_lines)
        run_wrk(url, warm, warmup, connections)
    requests = workdir / f"{scenario.name}.tsv"
    requests.write_text(lines)
    load = os.getloadavg()[0]
    result = run_wrk(url, requests, duration, connections)
    times = server_times(server.access_log, scenario.name)
    ok = sum(n for code, n in result["statuses"].items() if int(code) in scenario.expect)
    seconds = result["duration_us"] / 1e6
    return {
        "name": scenario.name,
        "group": scenario.group,
        "label": scenario.label,
        "baseline_of": scenario.baseline_of,
        "target_ms": scenario.target_ms,
        "note": scenario.note,
        "distinct_requests": len(scenario.requests),
        "connections": connections,
        "requests": result["requests"],
        "rps": round(result["requests"] / seconds, 2),
        "client_ms": {k: round(result[f"{k}_us"] / 1000, 2) for k in ("p50", "p95", "p99")},
        "server_ms": {
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
            "p99": percentile(times, 99),
            "mean": round(statistics.fmean(times), 2) if times else None,
        },
        "statuses": result["statuses"],
        "expected_share": round(ok / max(1, result["requests"]), 4),
        "errors": result["errors"],
        "loadavg_1min_before": round(load, 2),
    }


# ============================================================================================
# RESULTS.md
# ============================================================================================
def _ms(value):
    return "–" if value is None else (f"{value:,.0f}" if value >= 100 else f"{value:.1f}")


def render(report: dict) -> str:
    """The figures table of one mode (markdown)."""
    rows = report["scenarios"]
    by_name = {r["name"]: r for r in rows}
    baselines = {r["baseline_of"]: r for r in rows if r["baseline_of"]}
    out = [
        f"Measured {report['finished_at']} on {report['machine']['cpu']}, {report['machine']['cores']} cores, "
        f"{report['machine']['memory_gib']} GiB; {report['machine']['postgresql']}; gunicorn "
        f"{report['gunicorn']['workers']} sync workers; wrk {report['wrk']['connections']} connections "
        f"({2 * report['wrk']['connections']} for registration and login), "
        f"{report['wrk']['duration_s']} s per scenario after {report['wrk']['warmup_s']} s of warm-up. "
        f"Database: {report['build']['pegawai']:,} Pegawai "
        f"({report['build']['counts']['database_bytes'] / 2**30:.1f} GiB).",
        *(
            [
                "Re-measured later in the same way: "
                + "; ".join(f"scenarios matching `{x['only']}` ({x['at']})" for x in report["remeasured"])
                + "."
            ]
            if report.get("remeasured")
            else []
        ),
        "",
        "| scenario | server p50 / p95 / p99 ms | client p50 / p95 / p99 ms | req/s | target p95 | "
        "stock FAB server p50 ms | FAB req/s | FAB ÷ ours (p50 server time; req/s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    group = None
    for r in rows:
        if r["baseline_of"]:
            continue
        if r["group"] != group:
            group = r["group"]
            out.append(f"| **{group}** | | | | | | | |")
        s, c = r["server_ms"], r["client_ms"]
        flag = "" if r["expected_share"] >= 0.999 else f" ⚠ {100 * (1 - r['expected_share']):.1f} % unexpected status"
        target = (
            ""
            if r["target_ms"] is None
            else (f"{r['target_ms']:.0f} ms " + ("✔" if s["p95"] is not None and s["p95"] <= r["target_ms"] else "✘"))
        )
        fab = baselines.get(r["name"])
        fab_cells = ["", "", ""]
        if fab:
            slower = fab["server_ms"]["p50"] / s["p50"] if s["p50"] and fab["server_ms"]["p50"] else None
            rate = r["rps"] / fab["rps"] if fab["rps"] else None
            fab_cells = [
                _ms(fab["server_ms"]["p50"]),
                f"{fab['rps']:,.1f}",
                ("–" if slower is None else f"×{slower:,.1f}") + " ; " + ("–" if rate is None else f"×{rate:,.1f}"),
            ]
        out.append(
            f"| {r['label']}{flag} | {_ms(s['p50'])} / {_ms(s['p95'])} / {_ms(s['p99'])} | "
            f"{_ms(c['p50'])} / {_ms(c['p95'])} / {_ms(c['p99'])} | {r['rps']:,.1f} | {target} | "
            + " | ".join(fab_cells)
            + " |"
        )
    b = report["build"]
    if b.get("timings_seconds"):
        steps = ", ".join(
            f"{name} {seconds:,.0f} s"
            + (f" ({b['cpu_seconds'][name]:,.0f} CPU s)" if name in b.get("cpu_seconds", {}) else "")
            for name, seconds in b["timings_seconds"].items()
            if name not in ("total", "load_total")
        )
        when = f" (built {b['built_at']}, before this run)" if b.get("reused") else ""
        out += [
            "",
            f"Build of this database{when}: **{b['timings_seconds']['load_total']:,.0f} s** from an empty server "
            f"to the last ANALYZE ({b.get('cpu_seconds', {}).get('load_total', 0):,.0f} CPU seconds of "
            f"the builder and its PostgreSQL backends), {b['timings_seconds']['total']:,.0f} s with the "
            f"staff accounts and the monitoring refresh: {steps}."
            + (
                " PostgreSQL: " + ", ".join(f"{k} {v}" for k, v in b["server"].items()) + "." if b.get("server") else ""
            ),
        ]
    c = b["counts"]
    out += [
        "",
        "Rows: "
        + ", ".join(f"{k} {v:,}" for k, v in c.items() if isinstance(v, int) and k != "database_bytes")
        + "; registrasi by status "
        + ", ".join(f"{k} {v:,}" for k, v in c["registrasi.status"].items())
        + "; usulan by status "
        + ", ".join(f"{k} {v:,}" for k, v in c["usulan.status"].items())
        + ".",
    ]
    h = report["hash_bound"]
    reg = by_name.get("registration")
    if reg:
        share = reg["rps"] / h["registrations_per_second_bound"] if h["registrations_per_second_bound"] else 0
        out += [
            "",
            f"Registrations: **{reg['rps']:.1f}/s** against a bound of "
            f"{h['registrations_per_second_bound']:.1f}/s set by the password hash "
            f"({h['ms_per_hash_one_core']:.1f} ms per argon2id hash on one core, "
            f"{h['hashes_per_second_all_cores']:.1f} hashes/s on all {report['machine']['cores']} cores, "
            f"3 hashes per registration): **{100 * share:.0f} %** of the bound (target ≥ 80 %).",
        ]
    return "\n".join(out)


def update_results_md(mode: str, table: str) -> None:
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    start, end = f"<!-- results:{mode}:start -->", f"<!-- results:{mode}:end -->"
    block = f"{start}\n{table}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + f"\n\n{block}\n"
    path.write_text(text)


# ============================================================================================
# main
# ============================================================================================
def database_exists(url: str) -> bool:
    import psycopg2

    from .build_db import _admin_url, _database_name

    conn = psycopg2.connect(_admin_url(url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_database_name(url),))
            return cur.fetchone() is not None
    finally:
        conn.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=MODES, default="small")
    parser.add_argument("--pegawai", type=int, help="override the mode's number of Pegawai")
    parser.add_argument("--database-url", help="default postgresql://postgres@127.0.0.1/bench_<mode>")
    parser.add_argument("--reuse", action="store_true", help="reuse the database of an earlier build")
    parser.add_argument("--duration", type=float, help="seconds per scenario (small 3, national 15)")
    parser.add_argument(
        "--warmup", type=float, help="seconds of warm-up per scenario, not measured (small 1, national 2)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=os.cpu_count() or 2,
        help="wrk connections, i.e. concurrent requests (default: one per core; "
        "the password-hash scenarios use twice as many)",
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2 × cores + 1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--only",
        help="run only the scenarios whose name contains this text; their figures "
        "replace those of the last full run in the results",
    )
    parser.add_argument("--no-results-md", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    from .build_db import build
    from .scenarios import Plan
    from .wsgi import make_app

    # FAB logs a warning for each login's "next" redirect; not news here.
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)

    mode = args.mode
    url = args.database_url or DEFAULT_URL.format(mode=mode)
    n = args.pegawai or MODES[mode]
    duration = args.duration or (3.0 if mode == "small" else 15.0)
    warmup = args.warmup if args.warmup is not None else (1.0 if mode == "small" else 2.0)
    workers = args.workers or (os.cpu_count() or 1) * 2 + 1
    RESULTS.mkdir(exist_ok=True)
    manifest_path = RESULTS / f"{mode}-build.json"
    report = {
        "mode": mode,
        "database": urlsplit(url).path.lstrip("/"),
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    if args.reuse and database_exists(url) and manifest_path.exists():
        log(f"reusing {url}")
        report["build"] = json.loads(manifest_path.read_text())
        report["build"]["reused"] = True
    else:
        log(f"building {url} with {n:,} Pegawai")
        report["build"] = build(url, n, manifest=str(manifest_path))

    log("timing argon2id on one core and on all cores")
    report["hash_bound"] = hash_bound()
    log(f"hash bound: {report['hash_bound']}")  # measured again around the registrations
    report["gunicorn"] = {"workers": workers, "worker_class": "sync", "config": "benchmarks/gunicorn.conf.py"}
    report["wrk"] = {
        "connections": args.connections,
        "duration_s": duration,
        "warmup_s": warmup,
        "threads": 1,
        "script": "benchmarks/wrk/scenario.lua",
    }
    access_log = Path(tempfile.gettempdir()) / f"pupns-bench-{mode}-access.log"
    with Server(url, args.port, workers, access_log) as server, tempfile.TemporaryDirectory() as tmp:
        log(f"gunicorn up on 127.0.0.1:{args.port} with {workers} workers; planning the scenarios")
        app = make_app(url)
        scenarios = Plan(app, server.login).scenarios()
        if args.only:
            scenarios = [s for s in scenarios if args.only in s.name]
        results = []
        for scenario in scenarios:
            connections = args.connections * (2 if scenario.throughput else 1)
            if scenario.consumes:
                # The bound, measured right before and after, so that other work on the
                # machine weighs on both alike.
                before = hash_bound(3.0)
            result = measure(server, scenario, Path(tmp), duration, connections, warmup)
            if scenario.consumes:
                report["hash_bound"] = combine_bounds(before, hash_bound(3.0))
                log(f"hash bound around {scenario.name}: {report['hash_bound']}")
            log(
                f"{scenario.name:32s} server p50 {result['server_ms']['p50']} p95 {result['server_ms']['p95']} ms, "
                f"{result['rps']} req/s, statuses {result['statuses']}"
            )
            results.append(result)
    out = RESULTS / f"{mode}.json"
    if args.only and out.exists():
        # Re-measured scenarios replace theirs in the last full run (noted in the JSON).
        previous = json.loads(out.read_text())
        fresh = {r["name"]: r for r in results}
        for r in fresh.values():
            r["remeasured_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        results = [fresh.pop(r["name"], r) for r in previous["scenarios"]] + list(fresh.values())
        if not any(s.consumes for s in scenarios):
            report["hash_bound"] = previous["hash_bound"]
        report["remeasured"] = previous.get("remeasured", []) + [{"only": args.only, "at": report["started_at"]}]
        report["started_at"] = previous["started_at"]
    report["scenarios"] = results
    report["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    report["machine"]["loadavg_at_end"] = os.getloadavg()
    out.write_text(json.dumps(report, indent=2, default=str))
    log(f"wrote {out}")
    if not args.no_results_md:
        update_results_md(mode, render(report))
        log("updated benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
