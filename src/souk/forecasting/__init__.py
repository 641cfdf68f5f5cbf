"""Demand forecasts per SKU and location, and the replenishment built on them."""
