"""One error root: every class under PactshareError is drawn in the tree of ``errors.py``
under its own parent, and every ``raise`` in src raises one of them (or is listed, with why)."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import pactshare
from pactshare import errors
from pactshare.errors import PactshareError

SRC = Path(pactshare.__file__).parent

# Python's own exceptions raised on purpose where no error of ours may stand, each with why:
# (module path under src, the function, as Class.method for methods): the reason.
FOREIGN_ALLOWED: dict[tuple[str, str], str] = {
    # The json hooks: the json module lets a hook refuse a value with ValueError only; the
    # callers translate every ValueError of json.loads at their boundary.
    ("limits.py", "_refuse_constant"): "json parse_constant hook",
    ("limits.py", "_finite"): "json parse_float hook",
    ("limits.py", "_safe_integer"): "json parse_int hook",
    ("limits.py", "_unique_keys"): "json object_pairs_hook",
    ("audit/entries.py", "_no_duplicate_keys"): "json object_pairs_hook",
    ("audit/entries.py", "_no_float"): "json parse_float hook",
    # pydantic validators signal a bad value with ValueError, which pydantic gathers into a
    # ValidationError; the loader turns that into a ScenarioError naming the file and key.
    ("scenarios/loader.py", "_aware"): "pydantic validator",
    ("scenarios/loader.py", "_timezone"): "pydantic validator",
    ("scenarios/loader.py", "_RowFile._label_not_blank"): "pydantic validator",
    ("scenarios/loader.py", "_RowFile.levels"): "pydantic validator",
    ("scenarios/loader.py", "_topic_entry"): "pydantic validator",
    # SQLAlchemy wraps what a type decorator raises in a StatementError, which the unit of
    # work (Database.atomic) translates to StorageError.
    ("store/schema.py", "UtcDateTime.process_bind_param"): "SQLAlchemy type decorator",
    # The decoding helpers of the sealed formats raise ValueError, as the library calls mixed
    # with them do (base64, fromisoformat, key loading); each caller translates every
    # ValueError of its parse block into the error of its format.
    ("seal/_encoding.py", "b64d"): "decoding helper",
    ("seal/_encoding.py", "b64d_unchecked"): "decoding helper of Header.from_bytes",
    ("seal/_encoding.py", "parse_json"): "decoding helper",
    ("seal/_encoding.py", "parse_canonical_json"): "decoding helper",
    ("seal/_encoding.py", "utc_text"): "encoding helper: a naive instant is a bug",
    ("seal/_encoding.py", "parse_utc_text"): "decoding helper",
    ("seal/header.py", "Stanza.from_json"): "decoding helper of Header.from_bytes",
    ("seal/header.py", "stanzas"): "decoding helper of Header.from_bytes and Hop.from_json",
    ("seal/header.py", "Header._from_json"): "decoding helper of Header.from_bytes",
    ("seal/hops.py", "Hop.from_json"): "decoding helper of hops_from_bytes",
    # json.dumps' default hook refuses a value it cannot write with TypeError only.
    ("cli/render.py", "_instant"): "json.dumps default hook: anything else is a bug",
    # The iterator protocol: an iterator ends by raising StopIteration.
    ("seal/oneshot.py", "Single.__next__"): "iterator protocol",
    ("seal/directory.py", "_parse_key"): "decoding helper of PublicKeyRecord.from_bytes",
    ("node/answers.py", "strings"): "decoding helper; its callers translate TypeError",
    # Protocols and process control.
    ("node/__init__.py", "__getattr__"): "a module's __getattr__ must raise AttributeError",
    ("cli/demo.py", "_stop_on_sigterm.interrupt"): "SIGTERM handled as Ctrl-C: stop and clean up",
    ("cli/main.py", "_print_version"): "typer.Exit: --version printed, exit 0",
    ("cli/check.py", "check"): "typer.Exit: exit code 1 for a refusal",
    ("cli/audit.py", "audit_verify"): "typer.Exit: exit code 1 for a log that does not verify",
    ("cli/proofs.py", "verify_agreements"): "typer.Exit: exit code 1 for a counterexample",
    # Assertions: a bug of ours, not an error a person can act on.
    ("cedar/policies.py", "cedar_policies"): "AssertionError: two policies share an id",
    ("demo/replay.py", "_refused_relay"): "AssertionError: the reference scenario changed",
    ("demo/replay.py", "_unassured"): "AssertionError: the reference scenario changed (AT-16)",
}


def _drawing() -> list[tuple[int, str]]:
    """The tree of the errors module's docstring: (depth, class name) per drawn class."""
    text = (errors.__doc__ or "").split("\n::\n", 1)[1]
    rows = []
    for line in text.splitlines():
        if match := re.match(r"^    ([ │]*)(?:[├└]── )(\w+)", line):
            rows.append((len(match.group(1)) // 4 + 1, match.group(2)))
        elif re.match(r"^    PactshareError\s*$", line):
            rows.append((0, "PactshareError"))
    return rows


def _drawn_parents(rows: list[tuple[int, str]]) -> dict[str, str | None]:
    """Each drawn class and the class drawn as its parent."""
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for depth, name in rows:
        del stack[depth:]
        parents[name] = stack[-1] if stack else None
        stack.append(name)
    return parents


def _modules() -> Iterator[tuple[Path, Any]]:
    """Every module of pactshare, imported (not ``__main__`` nor the migration scripts, which
    run on import)."""
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.name == "__main__.py" or "migrations" in relative.parts:
            continue
        name = ".".join(("pactshare", *relative.with_suffix("").parts)).removesuffix(".__init__")
        yield path, importlib.import_module(name)


def _subclasses(root: type[BaseException]) -> set[type[BaseException]]:
    found = set()
    for sub in root.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def undrawn(classes: set[type[BaseException]], parents: dict[str, str | None]) -> list[str]:
    """What differs between the classes and the drawing: a class not drawn, drawn under
    another parent than its base, or drawn but not defined."""
    problems = []
    for cls in sorted(classes, key=lambda c: c.__name__):
        if cls.__name__ not in parents:
            problems.append(f"{cls.__module__}.{cls.__name__} is not drawn")
        elif parents[cls.__name__] != cls.__mro__[1].__name__:
            problems.append(f"{cls.__name__} is drawn under {parents[cls.__name__]}")
    names = {cls.__name__ for cls in classes} | {"PactshareError"}
    problems += [f"{name} is drawn but not defined" for name in parents if name not in names]
    return problems


def test_every_error_class_is_drawn_under_its_parent() -> None:
    list(_modules())
    assert undrawn(_subclasses(PactshareError), _drawn_parents(_drawing())) == []


def test_an_undrawn_misplaced_or_stale_class_is_caught() -> None:
    list(_modules())
    ours, parents = _subclasses(PactshareError), _drawn_parents(_drawing())
    planted = type("PlantedError", (errors.NodeError,), {})
    assert undrawn({*ours, planted}, parents) == [f"{__name__}.PlantedError is not drawn"]
    misplaced = {**parents, "NotFoundError": "InputError"}
    assert undrawn(ours, misplaced) == ["NotFoundError is drawn under InputError"]
    assert undrawn(ours, {**parents, "GoneError": "NodeError"}) == [
        "GoneError is drawn but not defined"
    ]


class _Raises(ast.NodeVisitor):
    """Each ``raise`` with a class: (line, the function it is in, the dotted name raised,
    the classes the enclosing ``try`` blocks of that function catch)."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str, str, tuple[str, ...]]] = []
        self._names: list[str] = []
        self._caught: list[tuple[str, ...]] = []

    def _scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._names.append(node.name)
        caught, self._caught = self._caught, []
        self.generic_visit(node)
        self._caught = caught
        self._names.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope  # noqa: N815

    def visit_Try(self, node: ast.Try) -> None:
        names = tuple(
            ast.unparse(part)
            for handler in node.handlers
            if handler.type is not None
            for part in (
                handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            )
        )
        self._caught.append(names)
        for statement in node.body:
            self.visit(statement)
        self._caught.pop()
        for other in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(other)

    def visit_Raise(self, node: ast.Raise) -> None:
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(raised, ast.Name | ast.Attribute):
            caught = tuple(name for names in self._caught for name in names)
            self.found.append((node.lineno, ".".join(self._names), ast.unparse(raised), caught))


def _resolve(dotted: str, module: Any) -> Any:
    head, *rest = dotted.split(".")
    value = vars(module).get(head, getattr(builtins, head, None))
    for part in rest:
        value = getattr(value, part, None)
    return value


def foreign_raises(source: str, module: Any, relative: str) -> list[str]:
    """The raises in ``source`` of a class outside PactshareError that is neither caught by
    an enclosing ``try`` of the same function nor listed in FOREIGN_ALLOWED."""
    visitor = _Raises()
    visitor.visit(ast.parse(source))
    problems = []
    for line, function, dotted, caught in visitor.found:
        raised = _resolve(dotted, module)
        if not inspect.isclass(raised) or issubclass(raised, PactshareError):
            continue  # a value (an error built elsewhere, itself checked) or one of ours
        handled = [_resolve(name, module) for name in caught]
        if any(inspect.isclass(h) and issubclass(raised, h) for h in handled):
            continue  # translated on the spot by the handler of its own try
        if (relative, function) not in FOREIGN_ALLOWED:
            problems.append(f"{relative}:{line} in {function or '<module>'}: raise {dotted}")
    return problems


def test_every_raise_in_src_raises_an_error_of_ours() -> None:
    problems = []
    for path, module in _modules():
        relative = path.relative_to(SRC).as_posix()
        problems += foreign_raises(path.read_text(encoding="utf-8"), module, relative)
    assert problems == []


def test_every_allowed_foreign_raise_still_exists() -> None:
    visitor_by_file: dict[str, set[str]] = {}
    for path, _ in _modules():
        visitor = _Raises()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        functions = {function for _, function, _, _ in visitor.found}
        visitor_by_file[path.relative_to(SRC).as_posix()] = functions
    stale = [key for key in FOREIGN_ALLOWED if key[1] not in visitor_by_file.get(key[0], set())]
    assert stale == []


@pytest.mark.parametrize(
    ("planted", "flagged"),
    [
        ('def f() -> None:\n    raise ValueError("no")\n', True),
        ('def f() -> None:\n    raise KeyError("no")\n', True),
        ('def f() -> None:\n    raise errors.InputError("yes")\n', False),
        (
            'def f() -> None:\n    try:\n        raise ValueError("caught")\n'
            '    except ValueError as exc:\n        raise errors.InputError("x") from exc\n',
            False,
        ),
        (
            'def f() -> None:\n    try:\n        raise ValueError("escapes")\n'
            "    except KeyError:\n        pass\n",
            True,
        ),
    ],
)
def test_a_planted_foreign_raise_is_caught(planted: str, flagged: bool) -> None:
    module = type("Module", (), {"errors": errors})
    found = foreign_raises(textwrap.dedent(planted), module, "planted.py")
    assert bool(found) is flagged, found


@pytest.mark.parametrize(("module", "name"), errors.FOREIGN)
def test_every_foreign_entry_names_an_exception_class(module: str, name: str) -> None:
    found = getattr(importlib.import_module(module), name)
    assert inspect.isclass(found)
    assert issubclass(found, Exception)


def test_translated_raises_a_foreign_exception_as_ours_with_its_cause() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    with (
        pytest.raises(errors.PackageError, match=r"^here: no$") as raised,
        errors.translated(errors.PackageError, "here: no"),
    ):
        public.verify(b"\0" * 64, b"message")
    assert isinstance(raised.value.__cause__, InvalidSignature)


def test_translated_builds_the_message_from_the_foreign_exception() -> None:
    with (
        pytest.raises(errors.StorageError, match=r"^InvalidTag: $"),
        errors.translated(errors.StorageError, lambda exc: f"{type(exc).__name__}: {exc}"),
    ):
        raise InvalidTag


def test_translated_lets_anything_else_through_unchanged() -> None:
    with pytest.raises(KeyError), errors.translated(errors.PackageError, "not this"):
        raise KeyError("a bug, not a failed check")
    with (
        pytest.raises(errors.InputError, match="ours"),
        errors.translated(errors.PackageError, "x"),
    ):
        raise errors.InputError("ours")
