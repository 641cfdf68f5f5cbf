"""The pages served beside the API: the till at /pos and the demo storefront at /shop."""
