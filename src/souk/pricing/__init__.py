"""pricing domain."""
