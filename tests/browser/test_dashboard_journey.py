"""The manager opens her dashboard, changes the period, clicks through from a failure count to the
rows behind it, and exports the figures as CSV. In English (she switches), like the other journeys."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .test_documentation_journey import switch_to
from .test_nurse_journey import seed_demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


def test_the_manager_reads_her_figures_follows_a_failure_and_exports_them(page: Page, live_server, browser_errors):
    # Given the demo's eight weeks of history, three of whose meeting links failed
    seed_demo_data()
    today = timezone.localdate()

    # When the manager opens her dashboard
    switch_to(page, live_server, "gestionnaire")
    page.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Teleconsultation dashboard")
    expect(page.locator("#figure-total")).not_to_have_text("0")  # this month so far

    # And chooses the whole eight weeks
    page.get_by_label("Period", exact=True).select_option(label="Chosen days")
    page.get_by_label("First day", exact=True).fill(str(today - timedelta(days=56)))
    page.get_by_label("Last day", exact=True).fill(str(today))
    page.get_by_role("button", name="Show").click()

    # Then she sees eighty meetings, their outcomes, and the failures
    expect(page.locator("#figure-total")).to_have_text("80")
    expect(page.locator("#outcome-held")).to_contain_text("Held")
    expect(page.locator("canvas#chart-weekly")).to_be_visible()
    failed_links = page.locator("#failures-meeting_links")
    expect(failed_links).to_have_text("3")

    # When she clicks the count of failed meeting links, she reads the rows behind it
    failed_links.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting links that failed")
    expect(page.locator("table.failure-rows tbody tr")).to_have_count(3)
    expect(page.locator("table.failure-rows")).to_contain_text("daily limit")

    # And back on the dashboard she exports the figures as CSV
    page.get_by_role("link", name="Back to the dashboard").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export as CSV").click()
    content = download.value.path().read_bytes().decode("utf-8-sig")
    lines = content.splitlines()
    assert lines[0] == "section,figure,value"
    assert "meetings,total,80" in lines
    assert "failures,meeting_links,3" in lines

    assert browser_errors == []
