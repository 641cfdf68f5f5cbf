"""Recommendations: items bought or viewed together, and personalised ones (implicit ALS)."""
