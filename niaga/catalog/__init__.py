"""Catalog: products, collections, images, search, Meta feed, sharing, the public page."""
