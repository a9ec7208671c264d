"""The team inbox, one router per feature (pages, composer, organising, quick replies,
templates, media, live events, catalog sharing).

Pages are server-rendered; the inbox's small script fetches the list and thread partials and
posts actions as JSON with the session's CSRF token. Routes stay thin: one service call each.
"""

from niaga.web.routers.inbox import (
    composer,
    live,
    media,
    organising,
    pages,
    quick_replies,
    sharing,
    templates,
)

ROUTERS = [
    pages.router,
    composer.router,
    organising.router,
    quick_replies.router,
    templates.router,
    media.router,
    live.router,
    sharing.router,
]
