"""The node's HTTP API: ``/api/v1`` for its own people and ``/federation/v1`` for peer nodes,
with token authentication and errors as RFC 9457 problem details."""
