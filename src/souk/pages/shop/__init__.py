"""The demo storefront at /shop (docs/pages.md)."""
