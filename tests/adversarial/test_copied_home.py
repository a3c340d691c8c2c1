"""A node's home is self-contained: used from any directory, and a copy uses its own database.

Before, ``node init --home kor`` wrote ``database = "sqlite:///kor/node.db"`` (relative to the
working directory): the home failed from elsewhere, and a copied home silently used the
original's database, so a tampered copy "verified".
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from pactshare.errors import InputError, NodeError
from pactshare.node import NodeHome, journal
from pactshare.node.service import Node, init_node
from tests.support import Clock, at, run_cli

NOW = at("2019-11-22T23:00:00+09:00")


def _verified(home: Path) -> bool:
    node = Node(NodeHome(home), clock=Clock(NOW))
    try:
        with node.db.atomic() as tx:
            report = journal.verify(tx, node.keys.signing_key.public_key())
        return not report.problems
    finally:
        node.close()


def _signed_home(root: Path) -> Path:
    home = init_node(root, party="KOR", at=NOW)
    node = Node(home, clock=Clock(NOW))
    try:
        with node.db.atomic() as tx:
            journal.sign_head(tx, node.keys.signing_key, node.keys.signing_key_id, at=NOW)
    finally:
        node.close()
    return root


def _tamper(database: Path) -> None:
    """Rewrite the first entry's actor in place, as someone with the file would."""
    with closing(sqlite3.connect(database)) as connection:
        (data,) = connection.execute("SELECT data FROM audit_entries WHERE position = 0").fetchone()
        changed = bytes(data).replace(b'"actor":"KOR"', b'"actor":"JPN"')
        assert changed != bytes(data)
        connection.execute("UPDATE audit_entries SET data = ? WHERE position = 0", (changed,))
        connection.commit()


def test_a_home_made_by_a_relative_path_works_by_its_absolute_path_from_elsewhere(
    tmp_path: Path,
) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    made = run_cli("node", "init", "--party", "KOR", "--home", "kor", cwd=work)
    assert made.returncode == 0, made.stderr
    assert 'database = "node.db"' in (work / "kor" / "node.toml").read_text(encoding="utf-8")
    head = run_cli("audit", "head", "--home", str(work / "kor"), "--json", cwd=elsewhere)
    assert head.returncode == 0, head.stderr
    assert not (elsewhere / "kor").exists()


def test_a_tampered_copy_fails_its_own_verification_and_the_original_still_passes(
    tmp_path: Path,
) -> None:
    original = _signed_home(tmp_path / "kor")
    copy = tmp_path / "copy-of-kor"
    shutil.copytree(original, copy)
    _tamper(copy / "node.db")
    assert not _verified(copy)
    assert _verified(original)


def test_a_home_of_an_earlier_release_still_opens_from_another_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _signed_home(tmp_path / "kor")
    (home / "node.toml").write_text(
        'party = "KOR"\ndatabase = "sqlite:///kor/node.db"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path.parent)  # the form was relative to tmp_path
    assert NodeHome(home).read_config().database == f"sqlite:///{home / 'node.db'}"
    assert _verified(home)


def test_an_earlier_release_home_copied_elsewhere_is_refused_not_sent_to_the_original(
    tmp_path: Path,
) -> None:
    original = _signed_home(tmp_path / "kor")
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    legacy = f"sqlite:///{original / 'node.db'}"  # what init wrote for an absolute --home
    (copy / "node.toml").write_text(f'party = "KOR"\ndatabase = "{legacy}"\n', encoding="utf-8")
    with pytest.raises(NodeError, match=r"node\.toml: database .* is not this home's node\.db"):
        NodeHome(copy).read_config()


def test_a_database_outside_the_home_is_named_by_its_absolute_path(tmp_path: Path) -> None:
    outside = tmp_path / "data" / "kor.db"
    outside.parent.mkdir()
    home = init_node(tmp_path / "kor", party="KOR", at=NOW, database=f"sqlite:///{outside}")
    assert f'database = "{outside}"' in home.config_file.read_text(encoding="utf-8")
    assert home.read_config().database == f"sqlite:///{outside}"
    assert outside.is_file()
    assert not home.database_file.exists()


def test_a_database_that_is_not_a_url_or_a_file_is_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    for bad in ("kor.db", "sqlite:///:memory:", "sqlite:///kor.db?mode=ro"):
        with pytest.raises(InputError, match=r"--db"):
            init_node(tmp_path / "kor", party="KOR", at=NOW, database=bad)
    assert not (tmp_path / "kor").exists()
