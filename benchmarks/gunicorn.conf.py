"""gunicorn settings of the benchmarks, and the ones we recommend for one 2-core app host.

- Sync workers, 2 × cores + 1 (5 on two cores): every request is short and CPU-bound in
  Python (templates, argon2) or waiting on PostgreSQL; while one worker waits on the
  database another computes. More workers only queue for the same two cores; threads
  (gthread) add GIL contention to CPU-bound work. A reverse proxy (nginx) in front buffers
  slow clients, which sync workers must not wait for.
- No preload: each worker builds its own app and connection pool after the fork.
- The access log records the server time of every request in microseconds (%(D)s) with the
  scenario header benchmarks/wrk/scenario.lua sends: benchmarks.run reads the server-side
  percentiles from it.
- `logger_class` drops the query string of every URL from the access and error logs (NIK and
  NIP travel in API filters and search forms; app/log_privacy.py): keep it in production,
  whatever `access_log_format` is chosen there (`%(r)s`, `%(q)s`, `%(f)s` are all safe with it).
"""

import multiprocessing
import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8765")
workers = int(os.environ.get("BENCH_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 120  # the stock FAB baselines count millions of rows per request
graceful_timeout = 10
accesslog = os.environ.get("BENCH_ACCESS_LOG", "-")
access_log_format = "%({x-bench-scenario}i)s %(s)s %(D)s"
logger_class = "app.log_privacy.GunicornLogger"
errorlog = os.environ.get("BENCH_ERROR_LOG", "-")
loglevel = "warning"
