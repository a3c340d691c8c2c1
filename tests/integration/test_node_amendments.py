"""Amendments by mutual consent through diplomatic notes (R-AMD-1, Art. 21(2), [H]): KOR
proposes an amendment carrying new terms, JPN accepts, and from the amendment's instant both
copies decide under the new terms; hostile terms in a peer's note are refused on receipt.

By courier (files), in process; KOR is on the backend under test, JPN on SQLite.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pactshare.cli.main import _register_commands, app
from pactshare.domain import Amendment, Outcome, decide
from pactshare.errors import InputError, PackageError, RefusedError, ScenarioError
from pactshare.node.answers import accept_note, reject_note
from pactshare.node.documents import sign_document, write_document
from pactshare.node.local_policy import set_cap
from pactshare.node.notes import KIND, give_note, list_notes, receive_note
from pactshare.node.service import Node
from pactshare.scenarios import read_amendment
from tests.support import GSOMIA, Clock, at, kor_to_jpn, pinned_nodes

TERMS = """[amendment]
scope = ["dprk-missile"]
notice_days = 30
"""


@pytest.fixture
def nodes(tmp_path: Path, database_url: str) -> Iterator[tuple[Node, Node, Clock]]:
    clock = Clock(at("2024-01-10T10:00:00+09:00"))
    made = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), databases={"KOR": database_url})
    try:
        yield made["KOR"], made["JPN"], clock
    finally:
        for node in made.values():
            node.close()


def _carry(tmp_path: Path, document: dict[str, Any], to: Node, name: str) -> None:
    """A courier takes ``document`` to ``to``'s node."""
    write_document(tmp_path / name, document)
    receive_note(to, tmp_path / name)


def _scope(node: Node, when: str) -> tuple[str, ...]:
    with node.db.atomic() as tx:
        return node.registry(tx).agreement(GSOMIA).as_of(at(when)).scope


def test_R_AMD_1_an_accepted_amendment_changes_the_terms_on_both_copies(
    tmp_path: Path, nodes: tuple[Node, Node, Clock]
) -> None:
    kor, jpn, clock = nodes
    (tmp_path / "terms.toml").write_text(TERMS, encoding="utf-8")
    terms = read_amendment(tmp_path / "terms.toml")
    note = give_note(kor, GSOMIA, "amendment", source="exchange of notes", terms=terms)
    assert note["body"]["event"]["amendment"] == {"scope": ["dprk-missile"], "notice_days": 30}
    event_id = note["body"]["event"]["id"]
    _carry(tmp_path, note, jpn, "note.json")
    assert _scope(kor, "2024-06-01T00:00:00+09:00") == ("*",)  # proposed: no effect yet
    clock.now = at("2024-01-11T10:00:00+09:00")
    _carry(tmp_path, accept_note(jpn, GSOMIA, event_id), kor, "acceptance.json")
    for node in (kor, jpn):
        assert _scope(node, "2024-01-11T09:59:59+09:00") == ("*",)
        assert _scope(node, "2024-01-11T10:00:00+09:00") == ("dprk-missile",)
        [record] = [r for r in list_notes(node, GSOMIA) if r.event_id == event_id]
        assert record.state == "in_effect"
        with node.db.atomic() as tx:
            registry = node.registry(tx)
        request = kor_to_jpn("군사 II급 비밀", "dprk-nuclear")
        before = decide(request, registry, at("2024-01-11T09:00:00+09:00"))
        after = decide(request, registry, at("2024-01-12T00:00:00+09:00"))
        assert before.outcome is Outcome.ALLOWED
        assert after.outcome is not Outcome.ALLOWED  # no longer directly under GSOMIA


def test_R_AMD_1_terms_on_another_kind_or_outside_the_agreement_are_refused_to_the_giver(
    nodes: tuple[Node, Node, Clock],
) -> None:
    kor, _, _ = nodes
    with pytest.raises(InputError, match="only an amendment carries terms"):
        give_note(kor, GSOMIA, "termination", terms=Amendment(notice_days=1))
    with pytest.raises(InputError, match=r"--terms: amendment\.scope\[0\]: unknown topic"):
        give_note(kor, GSOMIA, "amendment", terms=Amendment(scope=("dprk-missle",)))
    with pytest.raises(InputError, match=r"amendment\.classification_cap: 'TOP'"):
        give_note(kor, GSOMIA, "amendment", terms=Amendment(classification_cap="TOP"))


def test_R_AMD_1_an_amendment_file_is_read_strictly(tmp_path: Path) -> None:
    for text, key in (
        ("[amendment]\nscope = []\n", "amendment.scope"),
        ("[amendment]\ncolour = 1\n", "amendment.colour"),
        ('scope = ["*"]\n', "scope"),
        ("[amendment]\nterm_years = 1000\n", "amendment.term_years"),
    ):
        (tmp_path / "terms.toml").write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as caught:
            read_amendment(tmp_path / "terms.toml")
        assert caught.value.key == key


def _jpn_note(jpn: Node, amendment: Any, *, kind: str = "amendment") -> dict[str, Any]:
    body = {
        "agreement": GSOMIA,
        "event": {
            "id": "jpn-amendment-x",
            "kind": kind,
            "party": "JPN",
            "at": "2024-01-10T10:00:00+09:00",
            "source": "hostile",
            "amendment": amendment,
        },
        "issued_at": "2024-01-10T10:00:00+09:00",
    }
    return sign_document(KIND, body, jpn.keys)


HOSTILE_TERMS: list[tuple[Any, str, type[Exception], str]] = [
    ({"scope": ["Bad Topic"]}, "amendment", RefusedError, "refused"),
    ({"scope": "dprk-missile"}, "amendment", PackageError, r"amendment\.scope"),
    ({"equivalence": [{"label": "S", "KOR": 1}]}, "amendment", PackageError, "level ids"),
    ({}, "amendment", PackageError, "at least one term"),
    ([1, 2], "amendment", PackageError, "malformed note"),
    ({"term_years": True}, "amendment", PackageError, r"amendment\.term_years"),
    ({"notice_days": 30}, "signature", PackageError, "only an amendment carries"),
    (
        {"equivalence": [{"label": "S", "KOR": ["kor-nope"], "JPN": ["jpn-hi"]}]},
        "amendment",
        RefusedError,
        "refused",
    ),
    ({"scope": ["prc-naval-x"]}, "amendment", RefusedError, "refused"),
    (  # a label is short text: it goes into every marking (R-MARK-1) and every listing
        {"equivalence": [{"label": "S" * 65, "KOR": ["kor-mil-2"], "JPN": ["jpn-hi"]}]},
        "amendment",
        PackageError,
        r"amendment\.equivalence\[0\].*label",
    ),
    ({"scope": ["*"] * 1001}, "amendment", PackageError, r"amendment\.scope"),
    (
        {"equivalence": [{"label": f"R{i}"} for i in range(101)]},
        "amendment",
        PackageError,
        r"amendment\.equivalence",
    ),
    (
        {"equivalence": [{"label": "S\x1b[2J", "KOR": ["kor-mil-2"], "JPN": ["jpn-hi"]}]},
        "amendment",
        PackageError,
        r"amendment\.equivalence\[0\].*control characters",
    ),
]


def _refused_on_receipt(
    kor: Node, jpn: Node, folder: Path, case: tuple[Any, str, type[Exception], str]
) -> None:
    terms, kind, error, message = case  # shown in a failure's traceback
    write_document(folder / "note.json", _jpn_note(jpn, terms, kind=kind))
    with pytest.raises(error, match=message):
        receive_note(kor, folder / "note.json")
    assert not [r for r in list_notes(kor, GSOMIA) if r.event_id == "jpn-amendment-x"]


def test_R_AMD_1_hostile_terms_in_a_peers_note_are_refused_on_receipt(
    tmp_path: Path, nodes: tuple[Node, Node, Clock]
) -> None:
    """Each hostile note in turn, to one node: refused, and nothing of it kept."""
    kor, jpn, _ = nodes
    for case in HOSTILE_TERMS:
        _refused_on_receipt(kor, jpn, tmp_path, case)


def test_R_AMD_1_terms_changed_after_signing_break_the_signature(
    tmp_path: Path, nodes: tuple[Node, Node, Clock]
) -> None:
    kor, jpn, _ = nodes
    note = _jpn_note(jpn, {"scope": ["dprk-missile"]})
    forged = copy.deepcopy(note)
    forged["body"]["event"]["amendment"] = {"scope": ["*"]}
    write_document(tmp_path / "note.json", forged)
    with pytest.raises(PackageError):
        receive_note(kor, tmp_path / "note.json")


def test_AT_26_the_local_cap_holds_over_amended_terms_and_must_fit_them(
    tmp_path: Path, nodes: tuple[Node, Node, Clock]
) -> None:
    kor, jpn, _ = nodes
    set_cap(kor, GSOMIA, "CONFIDENTIAL", reason="local release policy", by=None)
    with kor.db.atomic() as tx:
        table = kor.registry(tx).agreement(GSOMIA).equivalence
    secret_only = tuple(row for row in table if row.label == "SECRET")
    with pytest.raises(InputError, match="the local cap 'CONFIDENTIAL'"):
        give_note(kor, GSOMIA, "amendment", terms=Amendment(equivalence=secret_only))
    note = give_note(kor, GSOMIA, "amendment", terms=Amendment(classification_cap="SECRET"))
    _carry(tmp_path, note, jpn, "note.json")
    _carry(tmp_path, accept_note(jpn, GSOMIA, note["body"]["event"]["id"]), kor, "answer.json")
    later = at("2030-01-01T00:00:00Z")
    with kor.db.atomic() as tx:
        assert kor.registry(tx).agreement(GSOMIA).as_of(later).classification_cap == "CONFIDENTIAL"
    with jpn.db.atomic() as tx:  # JPN has no local cap: the amendment's holds there
        assert jpn.registry(tx).agreement(GSOMIA).as_of(later).classification_cap == "SECRET"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_note_list_prints_a_peers_reason_as_written_not_as_markup(
    tmp_path: Path, nodes: tuple[Node, Node, Clock]
) -> None:
    """A rejection's reason is a peer's text: ``note list`` prints it literally (``[/]`` was
    read as console markup and ended the command with a traceback)."""
    kor, jpn, _ = nodes
    note = give_note(kor, GSOMIA, "amendment", terms=Amendment(notice_days=30))
    _carry(tmp_path, note, jpn, "note.json")
    refusal = reject_note(jpn, GSOMIA, note["body"]["event"]["id"], reason="[/] not now")
    _carry(tmp_path, refusal, kor, "answer.json")
    _register_commands()
    done = CliRunner().invoke(app, ["note", "list", "--home", str(tmp_path / "kor")])
    assert (done.exit_code, done.exception) == (0, None), done.output


def test_AT_26_setting_a_local_cap_starts_from_the_cap_in_force(
    tmp_path: Path, nodes: tuple[Node, Node, Clock]
) -> None:
    """After an amendment set a cap (R-AMD-1), the officer's change starts from that cap: it
    is the previous one audited, and ``none`` is a change (it was refused as "already none",
    the signed terms having none)."""
    kor, jpn, _ = nodes
    note = give_note(jpn, GSOMIA, "amendment", terms=Amendment(classification_cap="SECRET"))
    _carry(tmp_path, note, kor, "note.json")
    _carry(tmp_path, accept_note(kor, GSOMIA, note["body"]["event"]["id"]), jpn, "answer.json")
    with kor.db.atomic() as tx:
        assert kor.registry(tx).agreement(GSOMIA).as_of(kor.now()).classification_cap == "SECRET"
    changed = set_cap(kor, GSOMIA, "none", reason="no cap on this node", by=None)
    assert (changed.previous, changed.cap) == ("SECRET", None)
    with pytest.raises(InputError, match="already SECRET"):
        set_cap(jpn, GSOMIA, "SECRET", reason="the same", by=None)
