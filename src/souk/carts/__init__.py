"""carts domain."""
