"""``/api/v1`` for the catalog, sharing it into chats, and orders (token auth), one router per
feature: products, collections, settings, import/export, sharing, orders.

Owners and admins manage the catalog; owners, admins and agents share products, create
orders and move their status; analysts read. Each route is one service call.
"""

from niaga.web.routers.catalog_api import (
    catalog_settings,
    import_export,
    orders,
    product_collections,
    products,
    sharing,
)

ROUTERS = [
    products.router,
    product_collections.router,
    catalog_settings.router,
    import_export.router,
    sharing.router,
    orders.router,
]
