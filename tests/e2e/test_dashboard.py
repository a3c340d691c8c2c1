"""The dashboard in a real browser (Playwright driving Debian's Chromium, headless): each page
loads, the time slider and the counterfactual toggle change the GSOMIA edge, the TISA relay is
lit, the decision form answers, and a signed-in person opens an item. Screenshots go to
``artifacts/screenshots/``.

Without /usr/bin/chromium the tests skip with how to install it; with CI=true they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.dashboard_site import Site, serve_site

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
GSOMIA_EDGE = '.edge[data-agreement="gsomia-kor-jpn-2016"]'
EXPIRY_DAY = (datetime(2019, 11, 23, tzinfo=ZoneInfo("Asia/Seoul")) - datetime(2014, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))) // timedelta(days=1)  # fmt: skip

if not CHROMIUM.exists():
    reason = f"{CHROMIUM} is missing: install it with `apt-get install chromium chromium-driver`"
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import Browser, Page, Route, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from serve_site(tmp_path_factory.mktemp("dashboard-browser"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=site.url)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def slide_to(page: Page, day: int) -> None:
    """Move the slider to ``day`` (Playwright sets a range input's value and fires its events)."""
    page.locator("#day").fill(str(day))


def test_network_slider_and_counterfactual_at_the_scheduled_expiry(page: Page) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("Who may share")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    shot(page, "01-network-today")

    slide_to(page, EXPIRY_DAY)
    expect(page.get_by_test_id("instant")).to_have_text("2019-11-23 00:00 KST")
    edge = page.locator(GSOMIA_EDGE)
    expect(edge).to_have_attribute("data-status", "notice_suspended")
    expect(edge).to_contain_text("notice suspended")
    expect(page.locator('[data-item="dprk-missile"]')).to_have_attribute("data-outcome", "allowed")
    assert "day=" in page.url  # the address stays shareable
    shot(page, "02-network-2019-11-23-history")

    page.get_by_label("without Seoul's suspension").check()
    expect(edge).to_have_attribute("data-status", "terminated")
    expect(page.locator(".route")).to_have_attribute("data-route", "KOR>USA>JPN")
    expect(page.locator('[data-item="dprk-missile"]')).to_have_attribute("data-outcome", "relay")
    expect(page.locator('[data-item="dprk-missile"]')).to_contain_text("relay via USA")
    expect(page.locator('[data-item="prc-naval"]')).to_have_attribute("data-outcome", "refused")
    expect(page.locator('.edge[data-agreement="tisa-2014"]')).to_have_attribute(
        "data-status", "in_force"
    )
    shot(page, "03-network-2019-11-23-without-suspension")


def test_key_moment_buttons_and_the_no_script_form(
    page: Page, browser: Browser, site: Site
) -> None:
    page.goto("/")
    page.get_by_role("button", name="Suspension").click()
    expect(page.get_by_test_id("instant")).to_have_text("2019-11-22 18:00 KST")
    expect(page.locator(GSOMIA_EDGE)).to_have_attribute("data-status", "notice_suspended")
    page.get_by_label("without Seoul's suspension").check()  # the exact instant is kept
    expect(page.locator(GSOMIA_EDGE)).to_have_attribute("data-status", "termination_pending")
    expect(page.get_by_test_id("instant")).to_have_text("2019-11-22 18:00 KST")
    page.get_by_label("without Seoul's suspension").uncheck()
    page.get_by_role("button", name="Notice of termination").click()
    expect(page.locator(GSOMIA_EDGE)).to_have_attribute("data-status", "termination_pending")
    expect(page.get_by_test_id("moment")).to_contain_text("written notice")

    plain = browser.new_context(java_script_enabled=False, base_url=site.url)
    try:
        bare = plain.new_page()
        bare.goto("/")
        bare.get_by_label("without Seoul's suspension").check()
        bare.get_by_role("button", name="Scheduled expiry").click()
        expect(bare.locator(GSOMIA_EDGE)).to_have_attribute("data-status", "terminated")
        assert "without_suspension=1" in bare.url
    finally:
        plain.close()


def test_agreement_page_shows_terms_equivalence_events_and_bands(page: Page) -> None:
    page.goto("/")
    page.locator('.data a[href="/agreements/gsomia-kor-jpn-2016"]').click()
    expect(page.locator("h1")).to_have_text("GSOMIA KOR–JPN (2016)")
    expect(page.get_by_role("heading", name="Equivalence table")).to_be_visible()
    expect(page.locator("tr[data-event=kor-suspension-2019]")).to_contain_text(
        "notice suspension by KOR"
    )
    bands = page.locator("tr[data-band]")
    assert [bands.nth(i).get_attribute("data-band") for i in range(bands.count())] == [
        "in_force",
        "termination_pending",
        "notice_suspended",
        "in_force",
    ]
    expect(page.get_by_test_id("next-anniversary")).to_contain_text("11-23 00:00 KST")
    shot(page, "04-agreement-gsomia")


def test_decision_explorer_form(page: Page) -> None:
    page.goto("/decide")
    page.get_by_label("Counterfactual: drop an event").select_option("kor-suspension-2019")
    page.get_by_role("button", name="Decide").click()
    result = page.get_by_test_id("decision")
    expect(result).to_have_attribute("data-outcome", "relay")
    expect(page.get_by_test_id("route")).to_contain_text("tisa-2014")
    expect(page.get_by_test_id("reasons")).to_contain_text("R-")
    shot(page, "05-decide-relay")

    page.get_by_label("Instant").fill("tomorrow")
    page.get_by_role("button", name="Decide").click()
    expect(page.locator('[data-error-for="at"]')).to_be_visible()
    shot(page, "06-decide-error")


def test_sign_in_then_holdings_item_and_audit(page: Page, site: Site) -> None:
    page.goto("/items")
    expect(page).to_have_url(f"{site.url}/signin?next=/items")
    page.get_by_label("Token").fill(site.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Holdings of JPN")
    expect(page.locator(".who")).to_contain_text("Aoki")
    expect(page.locator(f'tr[data-item-id="{site.hidden}"]')).to_have_count(0)
    flag = page.locator(f'tr[data-item-id="{site.received}"] [data-testid="open-incident"]')
    expect(flag).to_have_text("incident suspected")  # flagged while the incident is open
    shot(page, "07-holdings")

    page.locator(f'a[href="/items/{site.received}"]').click()
    expect(page.get_by_test_id("marking")).to_have_text("KOR / 極秘 (SECRET)")
    expect(page.get_by_test_id("custody")).to_contain_text("received from KOR")
    expect(page.get_by_test_id("access")).to_contain_text("Aoki")
    expect(page.get_by_test_id("incidents")).to_contain_text("printed copy is missing")
    shot(page, "08-item")

    page.goto(f"/items/{site.hidden}")
    expect(page.get_by_test_id("not-found")).to_be_visible()

    page.get_by_role("link", name="Audit").click()
    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_test_id("verify-result")).to_have_attribute("data-ok", "true")
    expect(page.get_by_test_id("cosignatures")).to_be_visible()
    shot(page, "09-audit")


def test_keyboard_reaches_the_slider_with_a_visible_focus(page: Page) -> None:
    page.goto("/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "day":
            break
    assert page.evaluate("document.activeElement.id") == "day"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    before = page.locator("#day").input_value()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#day")).not_to_have_value(before)
    expect(page.locator("#view")).not_to_have_attribute("data-at", "")
    # Readable on a 1366×768 laptop: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_api_docs_render_with_no_network(browser: Browser, site: Site) -> None:
    """Swagger UI comes from the node itself: with every other host unreachable (an air-gapped
    network), ``/docs`` still renders the operations."""
    context = browser.new_context(base_url=site.url)
    outside: list[str] = []

    def only_the_node(route: Route) -> None:
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        context.route("**/*", only_the_node)
        docs = context.new_page()
        docs.goto("/docs")
        expect(docs.locator(".opblock").first).to_be_visible(timeout=20_000)
        expect(docs.get_by_role("button", name="Authorize")).to_be_visible()
        shot(docs, "10-api-docs-offline")
    finally:
        context.close()
    assert outside == []
