"""The seal commands as a person runs them: real files, the real CLI in a subprocess."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_process import run_pactshare

LABEL = """\
policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN", "USA"]
"""


@dataclass
class Run:
    code: int
    out: str
    err: str


def pactshare(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Run:
    done = run_pactshare(list(map(str, args)), {**os.environ, **(env or {})}, cwd, 120)
    return Run(done.returncode, done.stdout, done.stderr)


def ok(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = pactshare(*args, cwd=cwd, env=env)
    assert result.code == 0, result.err
    return result.out


def fails(*args: str | Path, cwd: Path) -> str:
    """Run a command that must fail with exit code 2 and exactly one line on stderr."""
    result = pactshare(*args, cwd=cwd)
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("pactshare: error: ")
    assert "Traceback" not in result.err
    return lines[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three parties with keys, a public directory, a label and a sealed item."""
    root = tmp_path_factory.mktemp("site")
    (root / "pub").mkdir()
    for party in ("KOR", "JPN", "USA"):
        ok("keys", "init", "--party", party, "--dir", party.lower(), cwd=root)
        ok("keys", "export", "--dir", party.lower(), "-o", f"pub/{party}.json", cwd=root)
    (root / "label.toml").write_text(LABEL, encoding="utf-8")
    (root / "item.bin").write_bytes(os.urandom(1_500_000))  # two chunks of the default size
    ok(
        "seal", "item.bin", "--label", "label.toml", "--to", "JPN",
        "--keys", "kor", "--directory", "pub", "-o", "item.psx",
        cwd=root,
    )  # fmt: skip
    return root


def _no_output_left(folder: Path, name: str) -> bool:
    return not any(p.name.startswith((name, f".{name}")) for p in folder.iterdir())


def test_recipient_opens_exactly_what_was_sealed(site: Path) -> None:
    out = ok("open", "item.psx", "--keys", "jpn", "--directory", "pub", "-o", "out.bin", cwd=site)
    assert "verified" in out
    assert (site / "out.bin").read_bytes() == (site / "item.bin").read_bytes()


def test_inspect_shows_label_originator_and_recipient_key_ids(site: Path) -> None:
    out = ok("inspect", "item.psx", cwd=site)
    jpn_key = ok("keys", "show", "--dir", "jpn", cwd=site).split("encryption")[1].split()[0]
    assert "gsomia-kor-jpn-2016" in out
    assert "KOR" in out
    assert jpn_key in out
    assert "NOT verified" in out


def test_verify_checks_the_signature_without_a_private_key(site: Path) -> None:
    assert "signature verified" in ok("verify", "item.psx", "--directory", "pub", cwd=site)


def test_private_key_files_are_mode_0600(site: Path) -> None:
    for pem in (site / "kor").glob("*.pem"):
        assert stat.S_IMODE(pem.stat().st_mode) == 0o600


def test_non_recipient_gets_one_line_and_no_output(site: Path) -> None:
    line = fails("open", "item.psx", "--keys", "usa", "--directory", "pub", "-o", "u.bin", cwd=site)
    assert "not addressed to any key of USA" in line
    assert _no_output_left(site, "u.bin")


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        (
            "flipped.psx",
            lambda d: d[:1_200_000] + bytes([d[1_200_000] ^ 4]) + d[1_200_001:],
            "chunk 1",
        ),
        ("cut.psx", lambda d: d[:-100], "truncated"),
        ("future.psx", lambda d: d[:4] + b"\x00\x07" + d[6:], "version 7"),
    ],
)
def test_bad_envelope_gives_one_line_and_leaves_no_partial_plaintext(
    site: Path, name: str, edit: Callable[[bytes], bytes], message: str
) -> None:
    (site / name).write_bytes(edit((site / "item.psx").read_bytes()))
    line = fails("open", name, "--keys", "jpn", "--directory", "pub", "-o", "p.bin", cwd=site)
    assert line.startswith(f"pactshare: error: {name}: ")
    assert message in line
    assert _no_output_left(site, "p.bin")


def test_label_file_with_a_missing_field_names_file_and_key(site: Path) -> None:
    (site / "bad.toml").write_text(LABEL.replace('policy = "gsomia-kor-jpn-2016"\n', ""))
    line = fails(
        "seal", "item.bin", "--label", "bad.toml", "--to", "JPN",
        "--keys", "kor", "--directory", "pub", "-o", "x.psx",
        cwd=site,
    )  # fmt: skip
    assert "bad.toml: policy: required field is missing" in line
    assert _no_output_left(site, "x.psx")


def test_sealing_to_a_party_outside_the_directory_fails(site: Path) -> None:
    line = fails(
        "seal", "item.bin", "--label", "label.toml", "--to", "PRK",
        "--keys", "kor", "--directory", "pub", "-o", "x.psx",
        cwd=site,
    )  # fmt: skip
    assert "PRK is not in the public directory" in line


@pytest.mark.slow
def test_hub_forwards_and_rewraps_with_its_hop_record(site: Path) -> None:
    for to in (["--to", "USA", "--to", "JPN"], ["--to", "USA"]):
        ok(
            "seal", "item.bin", "--label", "label.toml", *to,
            "--keys", "kor", "--directory", "pub", "-o", f"hub{len(to)}.psx",
            cwd=site,
        )  # fmt: skip
    ok("relay", "forward", "hub4.psx", "--to", "JPN", "--keys", "usa", "--directory", "pub",
       "-o", "fwd.psx", cwd=site)  # fmt: skip
    ok("relay", "rewrap", "hub2.psx", "--to", "JPN", "--keys", "usa", "--directory", "pub",
       "-o", "rw.psx", cwd=site)  # fmt: skip
    for name in ("fwd.psx", "rw.psx"):
        assert "hop " in ok("inspect", name, cwd=site)
        ok("open", name, "--keys", "jpn", "--directory", "pub", "-o", f"{name}.out", cwd=site)
        assert (site / f"{name}.out").read_bytes() == (site / "item.bin").read_bytes()


def test_passphrase_protected_keys_need_the_environment_variable(tmp_path: Path) -> None:
    secret = {"PACTSHARE_KEY_PASSPHRASE": "correct horse"}
    ok("keys", "init", "--party", "KOR", "--dir", "k", cwd=tmp_path, env=secret)
    assert "KOR" in ok("keys", "show", "--dir", "k", cwd=tmp_path, env=secret)
    result = pactshare(
        "keys", "show", "--dir", "k", cwd=tmp_path, env={"PACTSHARE_KEY_PASSPHRASE": ""}
    )
    assert result.code == 2
    assert "passphrase" in result.err


@pytest.mark.parametrize(
    "command",
    [
        ["seal"], ["open"], ["inspect"], ["verify"], ["keys", "init"], ["keys", "export"],
        ["keys", "show"], ["keys", "rotate"], ["relay", "forward"], ["relay", "rewrap"],
    ],
)  # fmt: skip
def test_every_seal_command_has_help(tmp_path: Path, command: list[str]) -> None:
    out = ok(*command, "--help", cwd=tmp_path)
    assert "Usage" in out


def test_readme_sealing_section_runs_as_written(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Sealing an item", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607 - bash from PATH, as a reader would
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report-opened.txt").read_bytes() == (tmp_path / "report.txt").read_bytes()
    assert "gsomia-kor-jpn-2016" in done.stdout


@pytest.mark.parametrize(
    ("old", "new", "to", "message"),
    [
        ("gsomia-kor-jpn-2016", "gsomia-kor-jpn-2061", "JPN", "policy: unknown policy"),
        ("gsomia-kor-jpn-2016", "gsomia-usa-jpn-2007", "JPN", "policy: KOR is not a party"),
        ("kor-mil-2", "jpn-gokuhi", "JPN", "classification: 'jpn-gokuhi' is not a classif"),
        ("dprk-missile/slbm", "dprk-missle", "JPN", "did you mean dprk-missile"),
        ('"JPN", "USA"', '"USA"', "JPN", "sealed for JPN, which the label does not release"),
        ('"JPN", "USA"', '"JPN", "XYZ"', "JPN", "releasable_to: unknown party 'XYZ'"),
        ('originator = "KOR"', 'originator = "JPN"', "JPN", "signed by KOR's key"),
    ],
)
def test_seal_refuses_a_label_the_agreements_do_not_support(
    site: Path, old: str, new: str, to: str, message: str
) -> None:
    assert old in LABEL
    (site / "wrong.toml").write_text(LABEL.replace(old, new), encoding="utf-8")
    line = fails(
        "seal", "item.bin", "--label", "wrong.toml", "--to", to,
        "--keys", "kor", "--directory", "pub", "-o", "w.psx",
        cwd=site,
    )  # fmt: skip
    assert line.startswith("pactshare: error: wrong.toml: ")
    assert message in line
    assert _no_output_left(site, "w.psx")


def test_seal_accepts_a_policy_and_topic_from_the_users_own_files(site: Path) -> None:
    mine = site / "mine"
    mine.mkdir(exist_ok=True)
    (mine / "topics.toml").write_text('[topics]\n"arctic-ice" = "Sea ice"\n', encoding="utf-8")
    (mine / "kor-jpn-ice.toml").write_text(
        '[agreement]\nid = "kor-jpn-ice"\ntitle = "Ice"\nkind = "bilateral"\n'
        'parties = ["KOR", "JPN"]\nscope = ["arctic-ice"]\n'
        '[agreement.terms]\ntimezone = "Asia/Seoul"\n[[agreement.equivalence]]\nlabel = "S"\n'
        'KOR = ["kor-mil-2"]\nJPN = ["jpn-gokuhi"]\n',
        encoding="utf-8",
    )
    own = LABEL.replace("gsomia-kor-jpn-2016", "kor-jpn-ice").replace(
        "dprk-missile/slbm", "arctic-ice"
    )
    (site / "own.toml").write_text(own, encoding="utf-8")
    seal = ("seal", "item.bin", "--label", "own.toml", "--to", "JPN", "--keys", "kor")
    assert "kor-jpn-ice" in fails(*seal, "--directory", "pub", "-o", "own.psx", cwd=site)
    ok(*seal, "--directory", "pub", "-o", "own.psx", "--agreements", "mine", cwd=site)
    assert "kor-jpn-ice" in ok("inspect", "own.psx", cwd=site)
