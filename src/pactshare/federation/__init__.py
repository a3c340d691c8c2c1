"""Federation: one node per party, signed HTTP messages between them, and a transactional
outbox delivered with retries (see docs/federation.md)."""
