"""Each public package lists a sorted ``__all__`` that names exactly what it exports."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import pactshare

PACKAGES = sorted(
    name
    for _, name, is_package in pkgutil.walk_packages(pactshare.__path__, "pactshare.")
    if is_package and not any(part.startswith("_") for part in name.split("."))
)


def _isort_order(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


@pytest.mark.parametrize("name", ["pactshare", *PACKAGES])
def test_public_package_has_sorted_all_of_real_members(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(getattr(module, "__all__", ()))
    assert exported == sorted(exported, key=_isort_order), f"{name}.__all__ is not sorted"
    missing = [member for member in exported if not hasattr(module, member)]
    assert not missing, f"{name}.__all__ names {missing}, which do not exist"


def test_the_domain_exports_its_vocabulary() -> None:
    domain = importlib.import_module("pactshare.domain")
    for member in (
        "Agreement",
        "Decision",
        "Registry",
        "Request",
        "decide",
        "may_access",
        "status_at",
    ):
        assert member in domain.__all__
