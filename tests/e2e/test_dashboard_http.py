"""The dashboard over plain HTTP (no browser): friendly 404s, 400 with the form for bad
input, sign-in cookie flags, and pages that need a signed-in person."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from pactshare.api.auth import COOKIE
from tests.e2e.dashboard_site import Site, serve_site
from tests.http_support import csrf_of, sign_in


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from serve_site(tmp_path_factory.mktemp("dashboard-http"))


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=10) as client:
        yield client


def _signed_in(client: httpx.Client, site: Site) -> httpx.Client:
    answer = sign_in(client, site.token)
    assert answer.status_code == 303
    return client


@pytest.mark.parametrize(
    "path", ["/", "/agreements/gsomia-kor-jpn-2016", "/agreements/tisa-2014", "/decide", "/signin"]
)
def test_public_pages_render_with_landmarks_and_no_external_resources(
    client: httpx.Client, path: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    for landmark in ("<header", "<nav", "<main"):
        assert landmark in html
    assert "http://" not in html.replace(client.base_url.host, "")  # nothing from a CDN
    assert "https://" not in html
    assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_static_assets_are_served(client: httpx.Client) -> None:
    assert client.get("/static/dashboard.css").status_code == 200
    assert "fetch" in client.get("/static/network.js").text


@pytest.mark.parametrize(
    ("query", "history", "without"),
    [
        ("at=2019-11-23T00:00:00%2B09:00", "notice_suspended", "terminated"),
        ("at=2019-11-22T23:59:59%2B09:00", "notice_suspended", "termination_pending"),
        ("at=2019-08-22T00:00:00%2B09:00", "in_force", "in_force"),
        ("day=0", "not_in_force", "not_in_force"),
        ("day=2151&exact=2019-11-22T18:00:00%2B09:00", "notice_suspended", "termination_pending"),
        ("day=2152&exact=2019-11-22T18:00:00%2B09:00", "notice_suspended", "terminated"),
    ],
)
def test_network_statuses_in_history_and_without_the_suspension(
    client: httpx.Client, query: str, history: str, without: str
) -> None:
    edge = 'class="edge status-{0}" data-agreement="gsomia-kor-jpn-2016" data-status="{0}"'
    assert edge.format(history) in client.get(f"/?{query}").text
    assert edge.format(without) in client.get(f"/?{query}&without_suspension=1").text


def test_network_shows_the_context_instruments_marked_and_dated_as_their_sources(
    client: httpx.Client,
) -> None:
    page = client.get("/?at=2019-08-23T00:00:00%2B09:00").text
    section = page[page.index('id="context"') :]
    # Japan's measure: dated by the rulebook, before the notice (past) and after it (future).
    assert 'data-instrument="export-control-jpn-2019" data-confidence="M" class="past"' in section
    assert '<time datetime="2019-08-28">2019-08-28</time>' in section
    assert "a unilateral measure by JPN, not an agreement" in section
    assert section.index(">2019-07-01<") < section.index(">2019-08-28<")
    assert 'data-confidence="M" class="future"><td><time datetime="2019-08-28">' in section
    # The claims agreement: the seeds give only the year, marked [L] with the seed named.
    assert '<time datetime="1965">1965</time>' in section
    assert "[L]" in section
    assert "seed 000" in section
    assert "an agreement between USA, KOR, registry only" in section


def test_network_bad_instant_is_400_with_the_message(client: httpx.Client) -> None:
    answer = client.get("/?at=2019-11-23T00:00:00")
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert "naive" in answer.text or "offset" in answer.text
    assert client.get("/?day=soon").status_code == 400


@pytest.mark.parametrize("path", ["/agreements/no-such-agreement", "/items/no-such-item"])
def test_unknown_things_are_a_friendly_404(client: httpx.Client, site: Site, path: str) -> None:
    answer = _signed_in(client, site).get(path)
    assert answer.status_code == 404
    assert "Not found" in answer.text
    assert "<main" in answer.text


def test_an_item_the_person_may_not_see_is_404_like_a_missing_one(
    client: httpx.Client, site: Site
) -> None:
    _signed_in(client, site)
    hidden = client.get(f"/items/{site.hidden}")
    assert hidden.status_code == 404
    assert site.hidden not in client.get("/items").text
    assert client.get(f"/items/{site.received}").status_code == 200


def test_a_received_items_page_lists_the_obligations_that_came_with_it(
    client: httpx.Client, site: Site
) -> None:
    _signed_in(client, site)
    page = client.get(f"/items/{site.received}").text
    owed = page[page.index('data-testid="obligations"') :]
    assert "<code>R-PRO-3</code> JPN owes it protection substantially equivalent" in owed
    assert "(gsomia-kor-jpn-2016 Art. 7(5)(c))" in owed
    assert "<code>R-PRO-4</code> JPN respects KOR&#39;s intellectual property" in owed


@pytest.mark.parametrize(
    ("field", "query"),
    [
        ("from", "from=XXX&to=JPN&classification=x&topics=a&at=2019-01-01T00:00:00%2B09:00"),
        ("to", "from=KOR&to=KOR&classification=kor-mil-2&topics=a&at=2019-01-01T00:00:00%2B09:00"),
        (
            "classification",
            "from=KOR&to=JPN&classification=TOPSECRET&topics=a&at=2019-01-01T00:00:00%2B09:00",
        ),
        (
            "topics",
            "from=KOR&to=JPN&classification=kor-mil-2&topics=Not%20A%20Topic!&at=2019-01-01T00:00:00%2B09:00",
        ),
        ("at", "from=KOR&to=JPN&classification=kor-mil-2&topics=prc-naval&at=yesterday"),
        (
            "interpretation",
            "from=KOR&to=JPN&classification=kor-mil-2&topics=prc-naval&at=2019-01-01T00:00:00%2B09:00&interpretation=mine",
        ),
        (
            "drop_event",
            "from=KOR&to=JPN&classification=kor-mil-2&topics=prc-naval&at=2019-01-01T00:00:00%2B09:00&drop_event=nothing",
        ),
    ],
)
def test_decision_form_bad_input_is_400_with_the_error_beside_the_field(
    client: httpx.Client, field: str, query: str
) -> None:
    answer = client.get(f"/decide?{query}")
    assert answer.status_code == 400
    assert f'data-error-for="{field}"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert 'data-testid="decision"' not in answer.text


def test_decision_form_refuses_a_misspelt_topic_and_names_the_nearest(
    client: httpx.Client,
) -> None:
    """A typo is not silently decided (ALLOWED under GSOMIA's '*' scope, the TISA relay gone)."""
    answer = client.get(
        "/decide",
        params={
            "from": "KOR", "to": "JPN", "classification": "군사 II급 비밀",
            "topics": "dprk-missle", "at": "2019-11-23T00:00:00+09:00",
        },
    )  # fmt: skip
    assert answer.status_code == 400
    assert 'data-error-for="topics"' in answer.text
    assert "did you mean dprk-missile" in answer.text
    assert 'data-testid="decision"' not in answer.text


def test_decision_form_offers_the_topic_vocabulary(client: httpx.Client) -> None:
    answer = client.get("/decide")
    assert 'list="topic-choices"' in answer.text
    for topic in ("dprk-missile/slbm", "dprk-nuclear/test", "prc-naval"):
        assert f'<option value="{topic}">' in answer.text


def test_decision_form_shows_the_tisa_relay_without_the_suspension(client: httpx.Client) -> None:
    answer = client.get(
        "/decide",
        params={
            "from": "KOR", "to": "JPN", "classification": "군사 II급 비밀",
            "topics": "dprk-missile/slbm", "at": "2019-11-23T00:00:00+09:00",
            "interpretation": "treaty-text", "drop_event": "kor-suspension-2019",
        },
    )  # fmt: skip
    assert answer.status_code == 200
    assert 'data-outcome="relay"' in answer.text
    assert 'data-hop="KOR>USA"' in answer.text
    assert "R-TISA-6" in answer.text


@pytest.mark.parametrize("path", ["/items", "/audit", "/items/anything"])
def test_pages_with_holdings_need_a_signed_in_person(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?next=")


def test_sign_in_sets_an_httponly_strict_cookie_and_sign_out_clears_it(
    client: httpx.Client, site: Site
) -> None:
    answer = sign_in(client, site.token, "/audit")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/audit"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert site.token not in cookie  # a session id, never the token
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    items = client.get("/items")
    assert items.status_code == 200
    assert "Aoki" in client.get("/audit").text
    session = client.cookies[COOKIE]
    out = client.post("/signout", data={"csrf": csrf_of(items.text)})
    assert out.status_code == 303
    client.cookies.clear()
    client.cookies[COOKIE] = session  # the old cookie, kept by someone: the session has ended
    assert client.get("/items").status_code == 303


def test_sign_in_with_a_wrong_token_is_refused_and_never_redirects_elsewhere(
    client: httpx.Client, site: Site
) -> None:
    wrong = sign_in(client, "pst_wrong")
    assert wrong.status_code == 401
    assert "not valid" in wrong.text
    assert f"{COOKIE}=" not in wrong.headers.get("set-cookie", "")
    offsite = sign_in(client, site.token, "//evil.example/")
    assert offsite.headers["location"] == "/items"


def test_audit_verify_reports_the_log_verified(client: httpx.Client, site: Site) -> None:
    page = _signed_in(client, site).get("/audit", params={"verify": "1"})
    assert page.status_code == 200
    assert 'data-testid="verify-result" data-ok="true"' in page.text
    assert 'data-testid="cosignatures"' in page.text


def test_a_person_without_an_audit_role_may_not_open_the_audit_page(site: Site) -> None:
    with httpx.Client(base_url=site.url) as client:
        assert sign_in(client, site.reader_token).status_code == 303
        assert client.get("/items").status_code == 200
        refused = client.get("/audit")
    assert refused.status_code == 403
    assert "auditor" in refused.text


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_meet_4_5_to_1_on_the_page_and_panel_backgrounds(
    client: httpx.Client,
) -> None:
    css = client.get("/static/dashboard.css").text
    root = css[css.index(":root") : css.index("}")]
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", root))
    text = ["ink", "muted", "in-force", "pending", "suspended", "terminated", "not-in-force"]
    for name in text:
        for background in ("bg", "panel"):
            ratio = _contrast(colours[name], colours[background])
            assert ratio >= 4.5, f"--{name} on --{background}: {ratio:.2f}:1"


@pytest.mark.parametrize(
    "path",
    [
        "/?at=0001-01-01T00:00:00%2B09:00",
        "/?at=9999-12-31T23:59:59-09:00",
        "/?day=100000",
        "/?day=-100000",
        "/?day=99999999999999999999",
        "/agreements/gsomia-kor-jpn-2016?at=0001-01-01T00:00:00%2B09:00",
        "/agreements/gsomia-kor-jpn-2016?drop_event=nothing",
        "/decide?from=KOR&to=JPN&classification=kor-mil-2&topics=prc-naval&at=9999-12-31T23:59:59-09:00",
        "/decide?from=&to=",
        "/decide?at=%ff",
    ],
)
def test_far_or_malformed_input_is_400_never_500(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 400
