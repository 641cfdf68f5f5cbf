"""Product and inventory feeds for marketplaces and social shops (docs/feeds.md)."""
