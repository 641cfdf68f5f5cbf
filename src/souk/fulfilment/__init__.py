"""fulfilment domain."""
