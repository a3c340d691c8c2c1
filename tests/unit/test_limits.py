"""The bounds on parsed JSON and TOML: a refusal names where in the document it is (the path
of the string holding a lone surrogate, of the out-of-range instant), and a document within
the bounds passes whatever its shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pactshare.errors import InputError
from pactshare.limits import MAX_DEPTH, parse_json, parse_toml

SURROGATE = "\\ud800"  # as JSON spells it: a lone surrogate once parsed
REFUSED = "a string holds a lone surrogate (not Unicode text)"


@pytest.mark.parametrize(
    ("document", "where"),
    [
        (f'"{SURROGATE}"', "doc"),
        (f'{{"a": "{SURROGATE}"}}', "doc: a"),
        (f'{{"a": {{"b": ["x", "{SURROGATE}"]}}}}', "doc: a.b[1]"),
        (f'[1, {{"c": "{SURROGATE}"}}]', "doc: [1].c"),
        (f'{{"{SURROGATE}": 1}}', "doc"),  # a key: named by its object's path
        (f'{{"a": {{"{SURROGATE}": 1}}}}', "doc: a"),
        (f'{{"": {{"k": "{SURROGATE}"}}}}', "doc: k"),  # an empty key adds nothing
        (f'[[["{SURROGATE}"]]]', "doc: [0][0][0]"),
    ],
)
def test_a_lone_surrogate_is_refused_naming_its_path(document: str, where: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_json(document, what="doc")
    assert str(refused.value) == f"{where}: {REFUSED}"


def test_the_last_member_is_checked_first_when_two_are_refused() -> None:
    document = f'{{"a": "{SURROGATE}", "b": ["{SURROGATE}"]}}'
    with pytest.raises(InputError, match=r"^doc: b\[0\]: "):
        parse_json(document, what="doc")


def _nested(lists: int) -> str:
    """A value ``lists`` levels below the top: 1 inside that many lists."""
    return "[" * lists + "1" + "]" * lists


def test_a_document_nested_too_deep_is_refused() -> None:
    with pytest.raises(InputError, match=rf"^doc: nested more than {MAX_DEPTH} levels deep$"):
        parse_json(_nested(MAX_DEPTH + 1), what="doc")
    parse_json(_nested(MAX_DEPTH), what="doc")  # at the bound: accepted


def test_an_instant_out_of_range_in_toml_is_refused_naming_its_path() -> None:
    text = 'title = "x"\n[agreement.events]\nnotice = 2500-01-01T00:00:00+09:00\n'
    with pytest.raises(InputError, match=r"^file: agreement\.events\.notice: "):
        parse_toml(text, what="file")


_KEYS = st.text(st.characters(codec="utf-8"), max_size=5)
_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _KEYS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


def _spelled(steps: list[str | int]) -> str:
    """The path of ``steps`` (object keys, list indexes) as refusals spell it."""
    text = ""
    for step in steps:
        text = f"{text}[{step}]" if isinstance(step, int) else f"{text}.{step}" if text else step
    return text


@given(_VALUES, st.data())
def test_a_lone_surrogate_anywhere_is_refused_naming_where(value: Any, data: Any) -> None:
    parse_json(json.dumps(value), what="doc")  # within the bounds: accepted
    steps: list[str | int] = []
    node = value
    while isinstance(node, list | dict) and node and data.draw(st.booleans()):
        step = data.draw(
            st.sampled_from(range(len(node)) if isinstance(node, list) else list(node))
        )
        steps.append(step)
        node = node[step]
    planted = "\ud800"
    if steps:  # replace that member with the lone surrogate
        parent = value
        for step in steps[:-1]:
            parent = parent[step]
        parent[steps[-1]] = planted
    else:
        value = planted
    document = json.dumps(value)  # ASCII: the surrogate as \ud800
    path = _spelled(steps)
    with pytest.raises(InputError) as refused:
        parse_json(document, what="doc")
    assert str(refused.value) == f"{'doc: ' + path if path else 'doc'}: {REFUSED}"
