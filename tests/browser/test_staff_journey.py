"""Staff journeys in a real browser (Debian Chromium via Playwright)."""

import pytest

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def login(page, username, password=PASSWORD):
    """Fill and submit the login form as a user would."""
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("input[type=submit]")


def test_verifikator_instansi_sees_only_own_employees(world, page, browser_log, screenshot):
    login(page, "vinstansi")
    assert "/login/" not in page.url, "login failed: still on the login page"

    response = page.goto("/pegawaiview/list/")
    assert response.status == 200
    table = page.locator("table")
    assert table.get_by_text("BUDI SANTOSO").count() == 1
    assert table.get_by_text("SITI AMINAH").count() == 1, "employees of sub-units are in scope"
    assert page.get_by_text("DEWI LESTARI").count() == 0, "another instansi's employee is shown"

    path = screenshot(page, "staff_journey_pegawai_list")
    assert path.stat().st_size > 10_000, "screenshot is (nearly) empty"

    assert not browser_log.external, f"requests left 127.0.0.1: {browser_log.external}"
    assert not browser_log.http_errors, f"missing static files or failing requests: {browser_log.http_errors}"
    assert not browser_log.js_errors, f"JavaScript errors: {browser_log.js_errors}"
