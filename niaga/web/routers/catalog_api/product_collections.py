"""``/api/v1/catalog/collections``: the catalog's collections."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from niaga.catalog import queries
from niaga.catalog import service as catalog
from niaga.catalog.schemas import CollectionIn, CollectionPublic
from niaga.web.deps import CanRead, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=PROBLEM_RESPONSES)


@router.get("/catalog/collections", response_model=list[CollectionPublic])
def list_collections(session: SessionDep, token: CanRead) -> list[CollectionPublic]:
    return [CollectionPublic.model_validate(c) for c in queries.list_collections(session)]


@router.post("/catalog/collections", response_model=CollectionPublic, status_code=201)
def create_collection(
    data: CollectionIn, session: SessionDep, token: CanManage, locale: LocaleDep
) -> CollectionPublic:
    return CollectionPublic.model_validate(catalog.do_create_collection(session, data))


@router.put("/catalog/collections/{collection_id}", response_model=CollectionPublic)
def update_collection(
    collection_id: int,
    data: CollectionIn,
    session: SessionDep,
    token: CanManage,
    locale: LocaleDep,
) -> CollectionPublic:
    collection = catalog.get_collection(session, collection_id)
    return CollectionPublic.model_validate(catalog.do_update_collection(session, collection, data))


@router.delete("/catalog/collections/{collection_id}", status_code=204)
def delete_collection(
    collection_id: int, session: SessionDep, token: CanManage, locale: LocaleDep
) -> Response:
    catalog.do_delete_collection(session, catalog.get_collection(session, collection_id))
    return Response(status_code=204)
