"""promotions domain: one engine for every channel (see engine.py)."""
