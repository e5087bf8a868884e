"""Business rules and transactions. Views call these; only services commit."""
