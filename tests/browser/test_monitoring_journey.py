"""A Monitor in a real browser: dashboard, drill-down to a unit, XLSX download (DESIGN.md §3)."""

import re

import pytest
from openpyxl import load_workbook

from tests.browser.test_staff_journey import login
from tests.test_monitoring import known  # noqa: F401 - the fixture: PNS in every stage

pytestmark = pytest.mark.browser


def test_monitor_drills_down_and_downloads_xlsx(known, page, browser_log, screenshot, tmp_path):
    login(page, "monitor")
    assert "/login/" not in page.url, "login failed"

    # The menu leads to the dashboard of his Kanreg.
    page.get_by_role("link", name="Monitoring").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name="Dasbor").first.click()
    dashboard = page.locator("#monitoring_dashboard")
    assert dashboard.get_attribute("data-level") == "kanreg"
    assert page.locator("#data_time").inner_text().strip().startswith("Data per ")
    assert page.locator("#fig_jumlah_pns").inner_text() == "8"
    assert page.locator("#fig_capaian").inner_text() == "12,5%"  # Indonesian decimal comma
    assert page.locator(".pm-stack-big .pm-seg").count() >= 5  # the bar is drawn, without any script

    # Kanreg → instansi → unit.
    with page.expect_navigation():
        page.locator("#monitoring_table").get_by_role("link", name="Pemerintah Kota Yogyakarta").click()
    table = page.locator("#monitoring_table")
    assert table.get_by_text("Tanpa unit kerja").count() == 1
    path = screenshot(page, "monitoring_dashboard_instansi")
    assert path.stat().st_size > 20_000
    with page.expect_navigation():
        table.get_by_role("link", name="Dinas Pendidikan").click()
    assert page.locator("#monitoring_dashboard").get_attribute("data-level") == "unit"
    assert page.locator("#fig_jumlah_pns").inner_text() == "5"
    crumbs = page.locator(".pm-crumbs").inner_text()
    assert re.search(r"Indonesia.*Kanreg.*Pemerintah Kota Yogyakarta.*Dinas Pendidikan", crumbs, re.S)
    screenshot(page, "monitoring_dashboard_unit")

    # The list, then its XLSX.
    with page.expect_navigation():
        page.locator("#list_belum_daftar").click()
    assert page.locator("#monitoring_list_table").get_by_text("SRI BELUM").count() == 1
    with page.expect_download() as info:
        page.locator("#export_belum_daftar_xlsx").click()
    download = info.value
    assert re.fullmatch(r"pupns-belum_daftar-unit-\d+-\d{8}\.xlsx", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    workbook = load_workbook(target, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("NIP", "Nama", "Instansi", "Unit Kerja", "Status")
    assert rows[1:] == [(known["s1"].nip, "SRI BELUM", "Pemerintah Kota Yogyakarta", "SD Negeri 1", "Belum daftar")]

    # The verifiers' workload of his Kanreg: the SKPD queue of Dinas Pendidikan, the Instansi queue.
    page.goto("/monitoring/antrian/")
    queues = page.locator("#workload_table tbody tr")
    assert queues.count() == 2
    assert page.locator("#workload_table").get_by_text("vskpd").count() == 1
    screenshot(page, "monitoring_workload")

    assert not browser_log.external, f"requests left 127.0.0.1: {browser_log.external}"
    assert not browser_log.http_errors, f"failing requests: {browser_log.http_errors}"
    assert not browser_log.js_errors, f"JavaScript errors: {browser_log.js_errors}"
