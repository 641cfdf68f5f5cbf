"""Souk: one commerce platform behind every channel a retailer sells through."""

__version__ = "0.1.0"
