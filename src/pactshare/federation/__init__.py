"""Federation between nodes: signed messages between peers, delivery, and witnessing."""
