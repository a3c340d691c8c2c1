"""A party's node: its agreements, holdings, people and workflows, over the store.

The names below load on first use (PEP 562), so that importing one light submodule (such as
:mod:`pactshare.node.faults`) does not load the store and its database drivers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pactshare.node.home import NodeConfig, NodeHome
    from pactshare.node.people import PersonRecord, Role

__all__ = ["NodeConfig", "NodeHome", "PersonRecord", "Role"]

_HOMES = {
    "NodeConfig": "pactshare.node.home",
    "NodeHome": "pactshare.node.home",
    "PersonRecord": "pactshare.node.people",
    "Role": "pactshare.node.people",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
