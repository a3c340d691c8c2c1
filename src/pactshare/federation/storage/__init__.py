"""The federation's storage, and the only SQL of the federation: the outbox
(:mod:`~pactshare.federation.storage.outbox`), peers, what they speak and the nonces of their
requests (:mod:`~pactshare.federation.storage.peers`), the messages received and answered
(:mod:`~pactshare.federation.storage.inbound`), a hub's relays
(:mod:`~pactshare.federation.storage.relays`), and witnessing
(:mod:`~pactshare.federation.storage.witnessing`).

Functions taking a ``tx`` run inside the caller's transaction (a workflow's unit of work);
those taking a ``node`` open their own. Reads return frozen records, never rows, and signed
heads as :class:`~pactshare.audit.SignedTreeHead`.
"""

from pactshare.federation.storage.outbox import OutboxEntry, OutboxState, outbox_entries
from pactshare.federation.storage.peers import Peer, list_peers, nonce_seen, remember_nonce
from pactshare.federation.storage.witnessing import (
    CosignatureRecord,
    ForkRecord,
    cosignatures,
    forks,
)

__all__ = [
    "CosignatureRecord",
    "ForkRecord",
    "OutboxEntry",
    "OutboxState",
    "Peer",
    "cosignatures",
    "forks",
    "list_peers",
    "nonce_seen",
    "outbox_entries",
    "remember_nonce",
]
