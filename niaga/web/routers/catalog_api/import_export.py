"""``/api/v1/catalog/import`` and the Meta product feed export (CSV)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from niaga.catalog import csv_io
from niaga.core.errors import DomainError
from niaga.web.deps import CanRead, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage, settings_of

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=PROBLEM_RESPONSES)


class RowErrorPublic(BaseModel):
    row: int
    field: str
    message: str
    sku: str | None


class ImportReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dry_run: bool
    ok: bool
    total_rows: int
    created: int
    updated: int
    errors: list[RowErrorPublic]


@router.post("/catalog/import", response_model=ImportReportPublic)
def import_csv(
    session: SessionDep,
    token: CanManage,
    locale: LocaleDep,
    file: Annotated[UploadFile, File(description="CSV with a header row")],
    dry_run: bool = True,
) -> ImportReportPublic:
    """Import products from CSV. ``dry_run`` (the default) only checks; with any bad row
    nothing is imported and every bad row is reported (HTTP 422)."""
    data = file.file.read(50 * 2**20 + 1)
    if len(data) > 50 * 2**20:
        raise DomainError("csv_too_large", "The file is larger than {mb} MB.", mb=50)
    report = csv_io.do_import_csv(session, data, dry_run=dry_run)
    body = ImportReportPublic(
        dry_run=report.dry_run,
        ok=report.ok,
        total_rows=report.total_rows,
        created=report.created,
        updated=report.updated,
        errors=[RowErrorPublic(**e.__dict__) for e in report.errors],
    )
    if not report.ok:  # a problem document that carries the whole report
        raise DomainError(
            "csv_rows_invalid",
            "{n} rows are not valid; nothing was imported.",
            extra=body.model_dump(),
            n=len(body.errors),
        )
    return body


@router.get("/catalog/export/meta-feed.csv", response_class=Response)
def export_feed(request: Request, session: SessionDep, token: CanRead) -> Response:
    """Every visible product in Meta's catalog feed format (for Commerce Manager)."""
    text = csv_io.export_feed_csv(session, settings_of(request).public_url)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="katalog-meta.csv"'},
    )
