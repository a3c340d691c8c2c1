"""What a courier hands over is read only as a regular file of bounded size: a FIFO would
block the command for ever and a device such as ``/dev/zero`` never ends. Every command that
files a courier's signed document (a note, a consent, a reclassification notice, an incident
notice, a visit request or answer) refuses both at once, naming the file, and records nothing;
so do the package, key record and label readers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pactshare.errors import LabelError, PackageError
from pactshare.limits import MAX_DOCUMENT
from pactshare.node.assurances import receive_assurance
from pactshare.node.consents import record_consent
from pactshare.node.custody import apply_reclassification
from pactshare.node.incidents import receive_notice_file
from pactshare.node.laws import receive_law_document
from pactshare.node.notes import receive_note
from pactshare.node.reception import receive_package
from pactshare.node.service import Node
from pactshare.node.visits import receive_visit_document
from pactshare.seal import Label
from tests.support import Clock, at, footprint, pinned_nodes, run_cli

FILERS: dict[str, Callable[[Node, Path], Any]] = {
    "note": receive_note,
    "consent": record_consent,
    "reclassification": apply_reclassification,
    "incident": receive_notice_file,
    "visit": receive_visit_document,
    "laws": receive_law_document,
    "assurance": receive_assurance,
}


@pytest.fixture(scope="module")
def kor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root = tmp_path_factory.mktemp("courier")
    node = pinned_nodes(root, Clock(at("2020-02-03T10:00:00+09:00")), ("KOR",))["KOR"]
    yield node
    node.close()


@pytest.mark.parametrize("kind", sorted(FILERS))
def test_a_fifo_a_device_or_an_oversized_file_is_refused_at_once(
    kind: str, kor: Node, tmp_path: Path
) -> None:
    fifo = tmp_path / "bag.json"
    os.mkfifo(fifo)  # no writer: opening it for reading would block
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(MAX_DOCUMENT + 1)  # sparse: costs no disk
    before = footprint(kor)
    for path, why in (
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (huge, "bytes"),  # a notice kind may bound itself tighter than MAX_DOCUMENT
    ):
        with pytest.raises(PackageError, match=f"^{re.escape(str(path))}: .*{why}"):
            FILERS[kind](kor, path)
    assert footprint(kor) == before


def test_a_package_key_record_or_label_that_is_not_a_regular_file_is_refused(
    kor: Node, tmp_path: Path
) -> None:
    """The same for a transfer package (``receive``), a peer's key record (``directory add``)
    and a label file (``register --label``, ``seal --label``): each hung before."""
    fifo = tmp_path / "bag"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(PackageError, match=f"^{re.escape(str(path))}: .*not a regular file"):
            receive_package(kor, path)
        with pytest.raises(LabelError, match="label file: not a regular file"):
            Label.read_toml(path)
        cli = run_cli("directory", "add", str(path), "--home", str(kor.home.root))
        assert (cli.returncode, cli.stderr.strip()) == (
            2,
            f"pactshare: error: {path}: not a regular file",
        )
