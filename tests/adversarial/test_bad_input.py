"""Bad input, from a person, a peer, a courier or the operator: never a 5xx, never a traceback,
never a partial write.

Every attack below once answered 500 (API, federation endpoint) or printed a traceback and
exited 1, which scripts read as "refused" (CLI). Each now gets a 4xx problem document or exit 2
with one line naming what and where, and the node holds exactly what it held before.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pactshare import seal
from pactshare.api.v1.items import attachment
from pactshare.domain import Band, Event, EventKind, bands, decide, parse_instant, status_at
from pactshare.errors import InputError, ScenarioError
from pactshare.federation.delivery import PATH
from pactshare.node import NodeHome
from pactshare.node.documents import sign_document
from pactshare.node.people import add_person, find_person
from pactshare.node.service import Node, init_node
from pactshare.scenarios import REFERENCE_DIR, load_registry
from pactshare.web.rendering import local_time
from tests.e2e.federation_support import signed_headers
from tests.http_support import BEFORE_MIDNIGHT, LABEL_TOML, LiveNode
from tests.support import GSOMIA, Clock, footprint, kor_to_jpn, reference, run_cli

DEEP = 5000  # far past any recursion limit
PLUS_14 = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC: overflows when converted
MINUS_14 = "9999-12-31T23:59:59-14:00"  # after year 9999 in UTC
YEAR_1 = "0001-01-01T00:00:00+00:00"  # the note of finding 2


def _problem(response: httpx.Response) -> str | None:
    """Why ``response`` is not a 4xx problem document with a one-line detail, or None."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}: {response.text[:200]}"
    if response.headers.get("content-type") != "application/problem+json":
        return f"content-type {response.headers.get('content-type')}"
    detail = str(response.json().get("detail", ""))
    if not detail or "\n" in detail:
        return f"detail {detail!r}"
    return None


def _label(**extra: str) -> str:
    return LABEL_TOML + "".join(f"{key} = {value}\n" for key, value in extra.items())


def _json_label(field: str, raw_value: str) -> str:
    base = json.dumps({"policy": GSOMIA, "originator": "KOR", "classification": "군사 II급 비밀",
                       "topics": ["dprk-missile"], "releasable_to": ["JPN"]})  # fmt: skip
    return base[:-1] + f', "{field}": {raw_value}' + "}"


API_ATTACKS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("deep JSON label", "POST", "/api/v1/items",
     {"data": {"label": '{"a":' + "[" * DEEP + "]" * DEEP + "}"}}),
    ("deep TOML label", "POST", "/api/v1/items",
     {"data": {"label": "a = " + "[" * DEEP + "]" * DEEP}}),
    ("label created_at year 1 +14:00", "POST", "/api/v1/items",
     {"data": {"label": _label(created_at=PLUS_14)}}),
    ("label created_at 9999 -14:00", "POST", "/api/v1/items",
     {"data": {"label": _label(created_at=MINUS_14)}}),
    ("label with a lone surrogate", "POST", "/api/v1/items",
     {"data": {"label": _json_label("purpose", '"\\ud800"')}}),
    ("label item id with a quote and CRLF", "POST", "/api/v1/items",
     {"data": {"label": _label(item_id='"a\\"b\\r\\nX-Evil: 1"')}}),
    ("status at year 1 +14:00", "GET", f"/api/v1/agreements/{GSOMIA}/status",
     {"params": {"at": PLUS_14}}),
    ("status at 9999 -14:00", "GET", f"/api/v1/agreements/{GSOMIA}/status",
     {"params": {"at": MINUS_14}}),
    ("agreements at year 1", "GET", "/api/v1/agreements", {"params": {"at": YEAR_1}}),
    ("note effective year 1", "POST", f"/api/v1/agreements/{GSOMIA}/notes",
     {"json": {"kind": "notice_of_termination", "effective": YEAR_1}}),
    ("note effective year 1 +14:00", "POST", f"/api/v1/agreements/{GSOMIA}/notes",
     {"json": {"kind": "notice_of_termination", "effective": PLUS_14}}),
    ("note effective 9999 -14:00", "POST", f"/api/v1/agreements/{GSOMIA}/notes",
     {"json": {"kind": "notice_of_termination", "effective": MINUS_14}}),
    ("decision approval at year 1", "POST", "/api/v1/decisions",
     {"json": {"from": "KOR", "to": "JPN", "classification": "군사 II급 비밀",
               "topics": ["dprk-missile"],
               "approvals": [{"kind": "release", "subject": "USA", "at": PLUS_14}]}}),
]  # fmt: skip


def test_the_api_answers_every_bad_input_with_a_4xx_problem_and_writes_nothing(
    live: LiveNode,
) -> None:
    before = footprint(live.node)
    failures = []
    for name, method, path, options in API_ATTACKS:
        upload: dict[str, Any] = {"files": {"file": ("item.txt", b"content")}}
        with live.client("admin") as client:  # a fresh connection: a 500 would close it
            found = _problem(
                client.request(method, path, **options, **(upload if "data" in options else {}))
            )
        if found:
            failures.append(f"{name}: {found}")
    assert not failures
    assert footprint(live.node) == before


def _forged(keys: seal.PartyKeys, kind: str, body: str) -> bytes:
    """A document whose body is raw JSON text (its signature need not verify: the body is
    refused before)."""
    return (
        f'{{"kind": "{kind}", "body": {body}, "signer_key_id": "{keys.signing_key_id}", '
        '"signature": "AA=="}'
    ).encode()


def _signed(keys: seal.PartyKeys, kind: str, body: dict[str, Any]) -> bytes:
    return json.dumps(sign_document(kind, body, keys)).encode()


def _package(manifest: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("envelope.psx", b"not an envelope")
    return buffer.getvalue()


def _note(event: dict[str, str]) -> dict[str, Any]:
    return {"agreement": GSOMIA, "event": {"kind": "notice_of_termination", "party": "JPN",
            **event}, "issued_at": "2019-11-22T12:00:00+09:00"}  # fmt: skip


def federation_attacks(keys: seal.PartyKeys) -> Iterator[tuple[str, bytes, str]]:
    """(name, body, content type) of every hostile body a peer sent."""
    json_type, zip_type = "application/json", "application/zip"
    yield "deep JSON array", b"[" * DEEP + b"]" * DEEP, json_type
    yield "deep JSON object", b'{"a":' * DEEP + b"1" + b"}" * DEEP, json_type
    yield "integer 2**53 + 1", _forged(keys, "approval", '{"x": 9007199254740993}'), json_type
    yield "integer 10**30", _forged(keys, "approval", '{"x": ' + "1" + "0" * 30 + "}"), json_type
    yield "NaN", _forged(keys, "approval", '{"x": NaN}'), json_type
    yield "-Infinity", _forged(keys, "approval", '{"x": -Infinity}'), json_type
    yield "1e400", _forged(keys, "approval", '{"x": 1e400}'), json_type
    yield "lone surrogate value", _forged(keys, "approval", '{"x": "\\ud800"}'), json_type
    yield "lone surrogate key", _forged(keys, "approval", '{"\\udc00": 1}'), json_type
    yield "duplicate key", _forged(keys, "approval", '{"a": 1, "a": 2}'), json_type
    yield "approval without fields", _signed(keys, "approval", {"originator": "JPN"}), json_type
    yield (
        "approval of an unknown kind",
        _signed(keys, "approval", {"originator": "JPN", "approval_id": "a1", "item_id": "i1",
                                   "kind": "everything", "subject": "USA"}),
        json_type,
    )  # fmt: skip
    yield "revocation without fields", _signed(keys, "revocation", {}), json_type
    yield (
        "incident notice about an object",
        _signed(keys, "incident-notice", {"holder": "JPN", "item_id": {"a": 1}}),
        json_type,
    )
    yield (
        "note dated year 1 at +14:00",
        _signed(keys, "diplomatic-note", _note({"id": "jpn-1", "at": PLUS_14})),
        json_type,
    )
    yield (
        "note dated year 1",
        _signed(keys, "diplomatic-note", _note({"id": "jpn-2", "at": YEAR_1})),
        json_type,
    )
    yield (
        "note with a CRLF id",
        _signed(keys, "diplomatic-note", _note({"id": 'a"\r\n', "at": "2019-11-22T12:00Z"})),
        json_type,
    )
    yield "package with a deep manifest", _package(b"[" * DEEP + b"]" * DEEP), zip_type
    yield (
        "package manifest with NaN",
        _package(_forged(keys, "transfer-package", '{"x": NaN}')),
        zip_type,
    )
    yield (
        "package manifest without its fields",
        _package(_signed(keys, "transfer-package", {"sender": "JPN",
                                                    "envelope": {"digest": "a" * 64}})),
        zip_type,
    )  # fmt: skip


def test_the_federation_endpoint_answers_every_bad_body_with_400_and_writes_nothing(
    live: LiveNode, tmp_path: Path
) -> None:
    keys = seal.load_keys(NodeHome(tmp_path / "jpn").keys)  # JPN, pinned by the live KOR node
    before = footprint(live.node)
    failures = []
    for name, body, content_type in federation_attacks(keys):
        headers = signed_headers(
            keys, body, message_id=uuid.uuid4().hex, content_type=content_type, recipient="KOR"
        )
        with live.client() as http:
            response = http.post(PATH, content=body, headers=headers)
        found = _problem(response) or (
            "names a file of ours" if str(tmp_path) in response.text else None
        )
        if found or response.status_code != 400:
            failures.append(f"{name}: {found or response.status_code}")
    assert not failures
    assert footprint(live.node) == before


BAD_MESSAGE_IDS = ["m" * 65, 'a"b', "../etc", "-leading"]


def _refused_and_writes_nothing(live: LiveNode, keys: seal.PartyKeys, message_id: str) -> None:
    body = _signed(keys, "diplomatic-note", _note({"id": "jpn-ok", "at": "2019-11-22T12:00Z"}))
    before = footprint(live.node)
    with live.client() as http:
        response = http.post(
            PATH,
            content=body,
            headers=signed_headers(keys, body, message_id=message_id, recipient="KOR"),
        )
    assert response.status_code == 400
    assert "pactshare-message-id" in response.json()["detail"]
    assert footprint(live.node) == before


def test_a_message_id_outside_the_id_grammar_is_400_and_writes_nothing(
    live: LiveNode, tmp_path: Path
) -> None:
    """The id is stored as the message's key (64 characters): a longer one was a 503 on
    PostgreSQL. Each bad id in turn, to one node."""
    keys = seal.load_keys(NodeHome(tmp_path / "jpn").keys)
    for message_id in BAD_MESSAGE_IDS:
        _refused_and_writes_nothing(live, keys, message_id)


def test_the_dashboard_shows_a_stored_out_of_range_instant_as_it_is() -> None:
    assert local_time(datetime.fromisoformat(MINUS_14)) == MINUS_14


def test_a_download_names_its_file_safely_whatever_the_id() -> None:
    header = attachment('a"b\r\nX-Evil: 1\\.pse')
    assert not {"\r", "\n"} & set(header)
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "a_b__X-Evil: 1_.pse"
    assert header.endswith("filename*=UTF-8''a%22b%0D%0AX-Evil%3A%201%5C.pse")


def test_an_approval_purpose_wider_than_its_column_is_refused_not_a_503(live: LiveNode) -> None:
    with live.client("admin") as client:
        item = client.post(
            "/api/v1/items", files={"file": ("x.txt", b"payload")}, data={"label": LABEL_TOML}
        ).json()["item_id"]
        before = footprint(live.node)
        answer = client.post(f"/api/v1/items/{item}/consents", json={"purpose": "p" * 300})
    assert _problem(answer) is None
    assert footprint(live.node) == before


def test_an_opened_item_is_served_as_an_attachment_named_by_its_id(live: LiveNode) -> None:
    with live.client("admin") as client:
        item = client.post(
            "/api/v1/items", files={"file": ("x.txt", b"payload")}, data={"label": LABEL_TOML}
        ).json()["item_id"]
        opened = client.get(f"/api/v1/items/{item}/content")
    assert opened.status_code == 200
    assert opened.headers["content-disposition"] == (
        f"attachment; filename=\"{item}\"; filename*=UTF-8''{item}"
    )


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("1899-12-31T23:59:59Z", True),
        ("1900-01-01T08:59:59+09:00", True),  # 1899 in UTC
        ("1900-01-01T00:00:00Z", False),
        ("2199-12-31T23:59:59Z", False),
        ("2200-01-01T00:00:00Z", True),
        ("2199-12-31T20:00:00-14:00", True),  # 2200 in UTC
        (PLUS_14, True),
        (MINUS_14, True),
    ],
)
def test_instants_are_bounded_to_the_years_1900_to_2199(text: str, refused: bool) -> None:
    if refused:
        with pytest.raises(InputError, match=r"--at: .* is outside the years 1900 to 2199"):
            parse_instant(text, what="--at")
    else:
        assert parse_instant(text, what="--at").year in (1899, 1900, 2199, 2200)


@pytest.mark.parametrize("when", [YEAR_1, "9999-12-31T23:00:00+00:00"])
def test_a_stored_out_of_range_event_never_breaks_status_timeline_or_decisions(
    when: str,
) -> None:
    """An event stored before instants were bounded (as finding 2's note was) has no effect."""
    stored = Event("jpn-year-one", EventKind.NOTICE_OF_TERMINATION, datetime.fromisoformat(when),
                   "JPN", "stored before the bound")  # fmt: skip
    agreement = reference().agreement(GSOMIA).with_event(stored)
    registry = reference().with_agreement(agreement)
    report = status_at(agreement, BEFORE_MIDNIGHT)
    assert report.status == status_at(reference().agreement(GSOMIA), BEFORE_MIDNIGHT).status
    if when == YEAR_1:  # a past event is named; a future one is not reached
        assert any(n.rule == "INSTANT-RANGE" and "jpn-year-one" in n.text for n in report.notes)

    def shape(life: tuple[Band, ...]) -> list[tuple[str, datetime, datetime | None]]:
        return [(band.status.value, band.start, band.end) for band in life]

    assert shape(bands(agreement)) == shape(bands(reference().agreement(GSOMIA)))
    assert decide(kor_to_jpn(), registry, BEFORE_MIDNIGHT).allowed


@pytest.mark.parametrize(
    ("terms", "key"),
    [
        ("term_years = 1000000000\nauto_renew = true", "term_years"),
        ("term_years = 1\nnotice_days = 1000000000", "notice_days"),
    ],
)
def test_terms_beyond_a_century_are_refused_with_their_key(
    tmp_path: Path, terms: str, key: str
) -> None:
    _agreements(tmp_path, terms=terms)
    with pytest.raises(ScenarioError, match=rf"agreement\.terms\.{key}"):
        load_registry([tmp_path])


def _agreements(directory: Path, *, terms: str = "", extra: str = "") -> Path:
    """A copy of US-Japan 2007 under another id, with ``terms`` and ``extra`` added."""
    text = (REFERENCE_DIR / "gsomia-usa-jpn-2007.toml").read_text(encoding="utf-8")
    text = text.replace('id = "gsomia-usa-jpn-2007"', 'id = "mine-2007"')
    text = text.replace('timezone = "Asia/Tokyo"', f'timezone = "Asia/Tokyo"\n{terms}')
    (directory / "mine.toml").write_text(text + extra, encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    "name",
    ["Sato ", " Sato", "Sa  to", "Sa\u200bto", "Sato\u202e", "Sa\u00adto", "Sa\x07to",
     "Sa\nto", "Sa\u2028to", "JPN", "\u3000", "x" * 101],
)  # fmt: skip
def test_a_confusable_person_name_is_refused(tmp_path: Path, name: str) -> None:
    node = Node(init_node(tmp_path, party="KOR", at=BEFORE_MIDNIGHT), clock=Clock(BEFORE_MIDNIGHT))
    try:
        with node.db.atomic() as tx, pytest.raises(InputError, match=r"person name"):
            add_person(tx, node.party(tx), name=name, clearance=None, need_to_know=(),
                       roles=(), at=BEFORE_MIDNIGHT)  # fmt: skip
    finally:
        node.close()


def test_a_person_name_is_kept_and_found_in_nfc(tmp_path: Path) -> None:
    node = Node(init_node(tmp_path, party="KOR", at=BEFORE_MIDNIGHT), clock=Clock(BEFORE_MIDNIGHT))
    try:
        with node.db.atomic() as tx:
            record, _ = add_person(tx, node.party(tx), name="Jose\u0301", clearance=None,
                                   need_to_know=(), roles=(), at=BEFORE_MIDNIGHT)  # fmt: skip
            assert record.name == "Jos\u00e9"
            assert find_person(tx, "Jose\u0301").name == "Jos\u00e9"
            with pytest.raises(InputError, match="already exists"):
                add_person(tx, node.party(tx), name="Jos\u00e9", clearance=None,
                           need_to_know=(), roles=(), at=BEFORE_MIDNIGHT)  # fmt: skip
    finally:
        node.close()


@pytest.fixture
def kor_home(tmp_path: Path) -> tuple[Path, seal.PartyKeys]:
    """A KOR node's home pinning JPN, and JPN's keys."""
    kor = init_node(tmp_path / "kor", party="KOR", at=BEFORE_MIDNIGHT)
    jpn = init_node(tmp_path / "jpn", party="JPN", at=BEFORE_MIDNIGHT)
    (kor.directory / "JPN.json").write_bytes(jpn.public_key.read_bytes())
    return kor.root, seal.load_keys(jpn.keys)


def _cli_attacks(root: Path, home: Path, keys: seal.PartyKeys) -> Iterator[tuple[str, list[str]]]:
    """(name, arguments) of each command that once printed a traceback."""
    deep = root / "deep"
    deep.mkdir()
    (deep / "deep.toml").write_text("a = " + "[" * DEEP + "]" * DEEP + "\n", encoding="utf-8")
    yield "deep TOML agreements", ["agreement", "list", "--agreements", str(deep)]
    for name, terms in [
        ("huge term_years", "term_years = 1000000000\nauto_renew = true"),
        ("huge notice_days", "term_years = 1\nnotice_days = 1000000000"),
    ]:
        directory = root / name.replace(" ", "-")
        directory.mkdir()
        _agreements(directory, terms=terms)
        yield name, ["agreement", "status", "mine-2007", "--agreements", str(directory)]
    late = root / "late"
    late.mkdir()
    _agreements(late, extra=f'\n[[agreement.events]]\nid = "late"\nkind = "termination"\n'
                f"at = {MINUS_14}\n")  # fmt: skip
    yield "TOML event at 9999 -14:00", ["agreement", "timeline", "mine-2007", "--agreements",
                                        str(late)]  # fmt: skip
    yield "--at year 1 +14:00", ["agreement", "status", GSOMIA, "--at", PLUS_14]
    yield (
        "check --at 9999 -14:00",
        [
            "check",
            "--from",
            "KOR",
            "--to",
            "JPN",
            "--classification",
            "kor-mil-2",
            "--topic",
            "dprk-missile",
            "--at",
            MINUS_14,
        ],
    )
    yield (
        "--add-event at +14:00",
        ["agreement", "status", GSOMIA, "--add-event", f"notice_of_termination:KOR:{PLUS_14}"],
    )
    label = root / "label.toml"
    label.write_text(_label(x="[" * DEEP + "]" * DEEP), encoding="utf-8")
    (root / "item.txt").write_text("content", encoding="utf-8")
    yield (
        "deep TOML label",
        ["register", str(root / "item.txt"), "--label", str(label), "--home", str(home)],
    )
    for name, manifest in [
        ("package with a deep manifest", b"[" * DEEP + b"]" * DEEP),
        ("package manifest with a huge integer", _forged(keys, "transfer-package", '{"x": 1' +
                                                         "0" * 30 + "}")),
        ("package manifest without its fields", _signed(keys, "transfer-package", {
            "sender": "JPN", "recipient": "KOR", "envelope": {"digest": "a" * 64}})),
    ]:  # fmt: skip
        package = root / f"{name.replace(' ', '-')}.zip"
        package.write_bytes(_package(manifest))
        yield name, ["receive", str(package), "--home", str(home)]
    approval = root / "approval.json"
    approval.write_bytes(_signed(keys, "approval", {"originator": "JPN", "item_id": "i1"}))
    yield "approval without its id", ["consent", "record", str(approval), "--home", str(home)]
    note = root / "note.json"
    note.write_bytes(b"[" * DEEP + b"]" * DEEP)
    yield "deep JSON note", ["note", "receive", str(note), "--home", str(home)]
    yield "a party code as a name", ["person", "add", "JPN", "--home", str(home)]


@pytest.mark.slow
def test_the_cli_refuses_every_bad_input_with_exit_2_and_one_line(
    tmp_path: Path, kor_home: tuple[Path, seal.PartyKeys], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, keys = kor_home
    node = Node(NodeHome(home), clock=Clock(BEFORE_MIDNIGHT))
    before = footprint(node)
    failures = []
    monkeypatch.setenv("PACTSHARE_CLOCK", BEFORE_MIDNIGHT.isoformat())
    for name, arguments in _cli_attacks(tmp_path, home, keys):
        done = run_cli(*arguments)
        lines = done.stderr.strip().splitlines()
        if done.returncode != 2 or len(lines) != 1 or not lines[0].startswith("pactshare: error:"):
            failures.append(f"{name}: exit {done.returncode}: {done.stderr[-300:]}")
    assert not failures
    assert footprint(node) == before
    node.close()


def test_a_clock_outside_the_years_1900_to_2199_is_refused(
    kor_home: tuple[Path, seal.PartyKeys], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, _ = kor_home
    monkeypatch.setenv("PACTSHARE_CLOCK", YEAR_1)
    done = run_cli("note", "give", GSOMIA, "--kind", "notice_of_termination", "--home", str(home))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"pactshare: error: PACTSHARE_CLOCK: {YEAR_1} is outside the years 1900 to 2199"
    )


def test_a_node_toml_nested_too_deep_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    home = tmp_path / "kor"
    init_node(home, party="KOR", at=parse_instant("2019-08-01T10:00:00+09:00", what="test"))
    (home / "node.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    done = run_cli("outbox", "--home", str(home))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "node.toml" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
