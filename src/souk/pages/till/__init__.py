"""The store associate's till at /pos (docs/pages.md)."""
