"""``/api/v1/contacts/import``: bring a customer list (CSV or XLSX): dry run, then confirm."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile
from pydantic import BaseModel

from niaga.contacts import importing
from niaga.contacts.models import ContactImport
from niaga.core.errors import NotFoundError
from niaga.web.deps import SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage

router = APIRouter(prefix="/api/v1/contacts/import", tags=["contacts"], responses=PROBLEM_RESPONSES)


class ImportPublic(BaseModel):
    id: int
    filename: str
    status: str
    report: dict[str, Any]


def _public(row: ContactImport) -> ImportPublic:
    return ImportPublic(id=row.id, filename=row.filename, status=row.status, report=row.report)


@router.post("", response_model=ImportPublic, status_code=201)
async def dry_run(file: UploadFile, session: SessionDep, token: CanManage) -> ImportPublic:
    """Read the list and report what it would import: new and updated contacts, every row
    skipped (invalid number, duplicate) and every row without marketing consent. Nothing is
    imported until ``/confirm``."""
    data = await file.read(importing.MAX_BYTES + 1)
    row = importing.do_dry_run(session, data, file.filename or "upload", token.user_id)
    return _public(row)


@router.get("/{import_id}", response_model=ImportPublic)
def get_import(import_id: int, session: SessionDep, token: CanManage) -> ImportPublic:
    row = session.get(ContactImport, import_id) if import_id < 2**63 else None
    if row is None:
        raise NotFoundError("import_not_found", "Import not found.")
    return _public(row)


@router.post("/{import_id}/confirm", response_model=ImportPublic)
def confirm(import_id: int, session: SessionDep, token: CanManage) -> ImportPublic:
    """Import what the dry run planned; each consent is recorded with the file and row."""
    return _public(importing.do_confirm(session, import_id, token.user_id))
