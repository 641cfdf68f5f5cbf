"""pos domain."""
