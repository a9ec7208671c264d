"""``/api/v1/catalog/settings``: the catalog's own settings."""

from __future__ import annotations

from fastapi import APIRouter

from niaga.catalog import service as catalog
from niaga.catalog.schemas import CatalogSettingsIn, CatalogSettingsPublic
from niaga.web.deps import CanChangeSettings, CanRead, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=PROBLEM_RESPONSES)


@router.get("/catalog/settings", response_model=CatalogSettingsPublic)
def read_catalog_settings(session: SessionDep, token: CanRead) -> CatalogSettingsPublic:
    return CatalogSettingsPublic.model_validate(catalog.get_settings(session))


@router.put("/catalog/settings", response_model=CatalogSettingsPublic)
def update_catalog_settings(
    data: CatalogSettingsIn, session: SessionDep, token: CanChangeSettings
) -> CatalogSettingsPublic:
    """The Meta catalog id (for product messages) and the public page's texts."""
    return CatalogSettingsPublic.model_validate(catalog.do_update_settings(session, data))
