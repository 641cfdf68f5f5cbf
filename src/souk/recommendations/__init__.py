"""Recommendations: items bought or viewed together, and personalised ones (next basket + ALS)."""
