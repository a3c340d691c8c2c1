"""What a user meets around the commands: the version, clean help, messages that agree with
their counts and echo what was typed, a node's own view with ``--home``, and key records
found whatever their file name."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from click.testing import CliRunner

from pactshare import __version__
from pactshare.cli import main
from pactshare.cli._help import plain_placeholders
from tests.support import GSOMIA, run_cli

CHECK = ["check", "--from", "KOR", "--to", "JPN", "--classification", "kor-mil-2"]
AFTER_NOTICE = "2027-11-23T00:00:00+09:00"  # GSOMIA's anniversary after a 2027-01-01 notice


def test_version_prints_the_name_and_the_installed_version() -> None:
    done = run_cli("--version")
    assert (done.returncode, done.stdout) == (0, f"pactshare {__version__}\n")


def _command_paths(root: object) -> Iterator[list[str]]:
    stack: list[tuple[list[str], object]] = [([], root)]
    while stack:
        path, command = stack.pop()
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            stack.append(([*path, name], sub))


def test_no_help_shows_type_placeholders_braces_or_internal_notes() -> None:
    plain_placeholders()  # as run() does before any help is shown
    main._register_commands()  # every group, as the entry point registers for --help
    # Built once: Typer's runner builds every command again per call. It is a command of the
    # click Typer carries within it, which click's own runner drives as well.
    root: Any = typer.main.get_command(main.app)
    runner = CliRunner()
    paths = list(_command_paths(root))
    assert len(paths) > 40  # every group and command, not only the top
    for path in paths:
        done = runner.invoke(root, [*path, "--help"], env={"COLUMNS": "200"})
        assert done.exit_code == 0, (path, done.output)
        text = done.output
        assert "Usage" in text, path
        assert "<bool>" not in text, path
        assert not re.search(r"<[a-z][\w\[\], ]*>", text), (path, text)  # <str>, <list[Path]>
        assert not re.search(r"\{[a-z_]+\}", text), (path, text)  # {file}
        assert "the issue" not in text.lower(), path


@pytest.fixture(scope="module")
def kor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KOR node that gave notice of termination of GSOMIA effective 2027-01-01."""
    home = tmp_path_factory.mktemp("home") / "kor"
    assert run_cli("node", "init", "--party", "KOR", "--home", str(home)).returncode == 0
    note = run_cli(
        "note", "give", GSOMIA, "--kind", "notice_of_termination",
        "--effective", "2027-01-01T00:00:00+09:00", "--home", str(home),
        "-o", str(home.parent / "note.json"),
    )  # fmt: skip
    assert note.returncode == 0, note.stderr
    return home


def test_agreement_status_with_home_counts_the_notes_the_node_recorded(kor: Path) -> None:
    args = ["agreement", "status", GSOMIA, "--at", AFTER_NOTICE, "--json"]
    on_node = run_cli(*args, "--home", str(kor))
    reference = run_cli(*args)
    assert on_node.returncode == 0, on_node.stderr
    assert '"status": "terminated"' in on_node.stdout
    assert '"status": "in_force"' in reference.stdout


def test_check_with_home_decides_on_the_nodes_registry(kor: Path) -> None:
    args = [*CHECK, "--topic", "dprk-missile", "--at", AFTER_NOTICE, "--json"]
    on_node = run_cli(*args, "--home", str(kor))
    reference = run_cli(*args)
    assert (on_node.returncode, reference.returncode) == (0, 0)
    assert '"outcome": "relay"' in on_node.stdout  # GSOMIA ended: only the TISA relay
    assert '"outcome": "allowed"' in reference.stdout


def test_agreement_list_show_and_timeline_take_home(kor: Path) -> None:
    for args in (["list"], ["show", GSOMIA], ["timeline", GSOMIA]):
        done = run_cli("agreement", *args, "--home", str(kor), "--json")
        assert done.returncode == 0, (args, done.stderr)
        assert "kor-notice-of-termination-" in done.stdout or args == ["list"]


def test_pactshare_home_is_not_read_by_agreement_and_check(
    kor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACTSHARE_HOME", str(kor))
    status = run_cli("agreement", "status", GSOMIA, "--at", AFTER_NOTICE, "--json")
    decided = run_cli(*CHECK, "--topic", "dprk-missile", "--at", AFTER_NOTICE, "--json")
    assert '"status": "in_force"' in status.stdout
    assert '"outcome": "allowed"' in decided.stdout


def test_home_with_agreements_directories_is_refused(kor: Path, tmp_path: Path) -> None:
    done = run_cli("agreement", "list", "--home", str(kor), "--agreements", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("pactshare: error: --agreements: not with --home")


def test_audit_verify_counts_agree_with_their_nouns(kor: Path) -> None:
    assert run_cli("audit", "head", "--home", str(kor)).returncode == 0
    done = run_cli("audit", "verify", "--home", str(kor))
    assert done.returncode == 0, done.stderr
    assert "1 signed head verified" in done.stdout
    assert "heads verified" not in done.stdout


def test_an_empty_outbox_says_so(tmp_path: Path) -> None:
    home = str(tmp_path / "jpn")
    assert run_cli("node", "init", "--party", "JPN", "--home", home).returncode == 0
    assert run_cli("outbox", "--home", home).stdout == "nothing pending in the outbox\n"
    assert run_cli("outbox", "--all", "--home", home).stdout == "the outbox is empty\n"
    assert run_cli("outbox", "--home", home, "--json").stdout.strip() == "[]"


def test_agreement_list_shows_the_instant_to_the_second() -> None:
    first = run_cli("agreement", "list").stdout.splitlines()[0]
    assert re.fullmatch(r"at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(treaty-text\)", first)


def test_keys_init_says_the_keys_are_unencrypted_and_how_to_encrypt(tmp_path: Path) -> None:
    done = run_cli("keys", "init", "--party", "KOR", "--dir", str(tmp_path / "k"), "--json")
    assert done.returncode == 0
    assert "not encrypted" in done.stderr
    assert "PACTSHARE_KEY_PASSPHRASE" in done.stderr
    assert done.stdout.startswith("{")  # the hint stays off the JSON


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "kr"], "--from: 'kr' is not a party of the agreements"),
        (["--from", "KOR", "--to", "jp"], "--to: 'jp' is not a party of the agreements"),
        (["--holder", "usa2"], "--holder: 'usa2' is not a party of the agreements"),
        (["--releasable-to", "xx"], "--releasable-to: 'xx' is not a party of the agreements"),
        (["--classification", "secrett"], "--classification: 'secrett' is not a classification"),
        (["--topic", "DPRK Missile"], "--topic: topic 'DPRK Missile' must be lowercase"),
        (["--at", " 2019-11-23T00:00"], "--at: ' 2019-11-23T00:00' is a naive date-time"),
        (["--at", "xyz"], "--at: 'xyz' is not an ISO 8601 date-time"),
    ],
)
def test_check_errors_quote_the_input_as_typed(args: list[str], message: str) -> None:
    base = {"--from": "KOR", "--to": "JPN", "--classification": "kor-mil-2"}
    base |= {"--topic": "dprk-missile", "--at": "2019-11-22T23:59:59+09:00"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    done = run_cli("check", *(part for item in (base | given).items() for part in item))
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""


def test_public_key_records_named_key_are_read_and_a_miss_says_what_was_looked_for(
    tmp_path: Path,
) -> None:
    for party in ("KOR", "JPN"):
        run_cli("keys", "init", "--party", party, "--dir", str(tmp_path / party))
    pub = tmp_path / "pub"
    pub.mkdir()
    run_cli("keys", "export", "--dir", str(tmp_path / "KOR"), "-o", str(pub / "KOR.key"))
    (pub / "README.txt").write_text("records of our partners\n", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    (tmp_path / "r.txt").write_text("launch", encoding="utf-8")
    seal = ["seal", str(tmp_path / "r.txt"), "--label", str(tmp_path / "label.toml")]
    keys = ["--keys", str(tmp_path / "KOR"), "--directory", str(pub)]
    missed = run_cli(*seal, "--to", "JPN", *keys, "-o", str(tmp_path / "r.psx"))
    assert missed.returncode == 2
    assert (
        f"party JPN is not in the public directory {pub} (looked for *.json and *.key files; "
        "found KOR.key (KOR); not read: README.txt)"
    ) in missed.stderr
    run_cli("keys", "export", "--dir", str(tmp_path / "JPN"), "-o", str(pub / "JPN.key"))
    sealed = run_cli(*seal, "--to", "JPN", *keys, "-o", str(tmp_path / "r.psx"))
    assert sealed.returncode == 0, sealed.stderr


def test_peer_add_quotes_the_party_as_typed(kor: Path) -> None:
    done = run_cli("peer", "add", "jp", "--url", "http://127.0.0.1:9", "--home", str(kor))
    assert done.returncode == 2
    assert "PARTY 'jp': JP's public key is not pinned" in done.stderr


def test_directory_add_refuses_a_second_record_for_a_party_already_pinned(tmp_path: Path) -> None:
    kor = tmp_path / "kor"
    assert run_cli("node", "init", "--party", "KOR", "--home", str(kor)).returncode == 0
    run_cli("keys", "init", "--party", "JPN", "--dir", str(tmp_path / "JPN"))
    record = tmp_path / "JPN-public.key"
    run_cli("keys", "export", "--dir", str(tmp_path / "JPN"), "-o", str(record))
    shutil.copyfile(record, kor / "directory" / "JPN.key")  # placed by hand
    done = run_cli("directory", "add", str(record), "--home", str(kor))
    assert done.returncode == 2
    assert "JPN is already pinned in" in done.stderr
    assert "JPN.key; remove that file first" in done.stderr
    assert not (kor / "directory" / "JPN.json").exists()
    assert run_cli("outbox", "--home", str(kor)).returncode == 0  # the node still opens
