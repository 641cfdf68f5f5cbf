"""The storefront page: a composition above the catalog, pricing and inventory domains.

The catalog says what is listed (and in which words), pricing what it costs and with which
tax, inventory how many units the channel can promise; this package puts the three on one
page and keeps pages in a short-lived cache with ETags (`cache.py`). No domain below it
imports it.
"""
