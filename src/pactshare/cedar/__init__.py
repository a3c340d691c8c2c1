"""Translate a registry into Cedar (https://www.cedarpolicy.com): policies, schema, entities.

The translation is pure: it reads a :class:`~pactshare.domain.Registry` (and, for a request,
the statuses our lifecycle derives at an instant, since Cedar has no clock) and returns text
and JSON. Nothing here imports ``cedarpy``; evaluating or validating the output is up to the
caller (the differential tests and ``bench/decisions.py`` use ``cedarpy``).

The model (see :mod:`pactshare.cedar.policies` for the rules):

* principal: ``Party::"KOR"`` — the party that sends (the holder);
* action: ``Action::"provide"``;
* resource: ``Item::"…"`` — the item's label: originator, level id, topics (``Topic``
  entities whose parents are their ancestor topics, up to ``Topic::"*"``), releasable-to,
  the purpose it was provided for and the agreement it was received under;
* context: the recipient, each agreement's status at the instant, and the originator's
  approvals in effect at the instant for this item.

Policies come in Cedar text (ids only as ``@id`` annotations: Cedar names the policies of a
text file ``policy0``, ``policy1``…) and in Cedar's JSON policy-set form, keyed by the same
ids, which Cedar then reports in a decision's reasons.
"""

from pactshare.cedar.entities import (
    MAX_TOPICS,
    CedarExport,
    export_registry,
    registry_entities,
    schema_text,
    statuses,
)
from pactshare.cedar.policies import policy_set_json, policy_text
from pactshare.cedar.requests import CedarRequest, cedar_request

__all__ = [
    "MAX_TOPICS",
    "CedarExport",
    "CedarRequest",
    "cedar_request",
    "export_registry",
    "policy_set_json",
    "policy_text",
    "registry_entities",
    "schema_text",
    "statuses",
]
