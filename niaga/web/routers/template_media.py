"""``/media/templates/{key}``: a media header's example file, fetched by Meta for every
message that shows it (public: Meta fetches without signing in; the key cannot be guessed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from niaga.core.errors import NotFoundError
from niaga.templates import samples

router = APIRouter(include_in_schema=False)


@router.get("/media/templates/{key}")
def template_media(key: str, request: Request) -> FileResponse:
    path = samples.path_of(key, request.app.state.settings.data_dir)
    if path is None:
        raise NotFoundError("sample_not_found", "File not found.")
    return FileResponse(
        path,
        media_type=samples.MIME_OF_EXT[key.rsplit(".", 1)[1]],
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
