"""Federation: one node per party, signed HTTP messages between them, a transactional
outbox delivered with retries, and witnessing of each other's logs (see docs/federation.md)."""
