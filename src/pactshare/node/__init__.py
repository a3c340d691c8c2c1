"""A party's node: its agreements, holdings, people and workflows, over the store."""

from pactshare.node.home import NodeConfig, NodeHome
from pactshare.node.people import PersonRecord, Role

__all__ = ["NodeConfig", "NodeHome", "PersonRecord", "Role"]
