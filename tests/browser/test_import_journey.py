"""A Verifikator Instansi imports a file in a real browser (issue 14): upload, the progress
bar moving to 100 % while a background thread imports, the summary, the error report."""

import csv
import io
import threading
import time

import pytest
from werkzeug.serving import make_server

from app.services import import_jobs
from tests.browser.test_staff_journey import login
from tests.conftest import LIVE_HOST
from tests.test_import_screen import rows_for
from tests.test_import import write_csv

pytestmark = pytest.mark.browser
ROWS = 900  # employee numbers of tests.test_import.person stay unique below 1000
PAUSE = 1.0  # seconds per progress report of the importer (every 500 rows): the bar is seen moving


@pytest.fixture
def live_server(app_factory, app):
    """As tests/conftest.py's, but importing in the background thread, as in production."""
    server_app = app_factory(IMPORT_RUN_INLINE=False, IMPORT_PROGRESS_SECONDS=0.2)
    server = make_server(LIVE_HOST, 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LIVE_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def slow_progress(monkeypatch):
    advance = import_jobs._Progress.advance

    def slowly(self, rows):
        advance(self, rows)
        time.sleep(PAUSE)

    monkeypatch.setattr(import_jobs._Progress, "advance", slowly)


def test_verifier_uploads_watches_progress_and_downloads_the_report(
    world, page, browser_log, screenshot, slow_progress, tmp_path
):
    rows = rows_for(world, *range(1, ROWS))
    rows.append(rows_for(world, ROWS, tanggal_lahir="1985-02-30")[0])  # one bad row, the last (row ROWS + 1)
    path = write_csv(tmp_path / "pegawai-dinas.csv", rows)

    login(page, "vinstansi")
    assert "/login/" not in page.url, "login failed"
    page.get_by_role("link", name="Pegawai").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name="Impor Data").first.click()
    assert page.locator("h2").inner_text().strip() == "Impor Data"
    page.set_input_files("#berkas", str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="Unggah dan impor").click()

    # The batch page answers at once; the bar moves while the thread imports.
    bar = page.locator("#import_progress")
    assert int(bar.get_attribute("max")) == ROWS
    page.wait_for_function(
        "() => { const b = document.getElementById('import_progress'); return b.value > 0 && b.value < b.max; }"
    )
    screenshot(page, "import_progress_running")
    # When done the page reloads itself with the summary, the bar full.
    page.wait_for_selector("#import_summary", timeout=60_000)
    assert page.locator("#import_progress").evaluate("b => b.value === b.max")
    assert page.locator("#import_percent").inner_text() == "100"
    assert page.locator("#import_state").inner_text() == "Selesai"
    assert page.locator("#count_created").inner_text() == f"{ROWS - 1:,}".replace(",", ".")
    assert page.locator("#count_rejected").inner_text() == "1"
    error = page.locator("#import_errors tbody tr")
    assert error.count() == 1 and "tanggal_lahir" in error.inner_text()
    path = screenshot(page, "import_summary")
    assert path.stat().st_size > 20_000

    with page.expect_download() as info:
        page.locator("#download_csv").click()
    download = info.value
    assert download.suggested_filename.startswith("laporan-impor-") and download.suggested_filename.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    report = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert report[0] == ["sheet", "baris", "kolom", "alasan"]
    assert report[1][1:3] == [str(ROWS + 1), "tanggal_lahir"]

    # The list of the instansi's imports shows it with its counts.
    page.goto("/impor/")
    listed = page.locator("#import_list tbody tr").first.inner_text()
    assert "pegawai-dinas.csv" in listed and "Selesai" in listed
    screenshot(page, "import_list")

    assert not browser_log.http_errors, f"failing requests: {browser_log.http_errors}"
    assert not browser_log.js_errors, f"JavaScript errors: {browser_log.js_errors}"
