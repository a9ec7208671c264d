"""``/api/v1/segments``: audiences with a live count and a per-recipient preview."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from niaga.campaigns import personalise, segments
from niaga.campaigns.models import Segment
from niaga.channels.template_definition import TemplateDefinition
from niaga.core.errors import ConflictError, NotFoundError
from niaga.templates import authoring
from niaga.templates import service as template_service
from niaga.templates.models import MessageTemplate
from niaga.web.deps import CanRead, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage

router = APIRouter(prefix="/api/v1/segments", tags=["segments"], responses=PROBLEM_RESPONSES)


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["Pelanggan setia Jakarta"])
    rule: segments.SegmentRule


class SegmentPublic(BaseModel):
    id: int
    name: str
    rule: segments.SegmentRule
    count: int = Field(description="Customers in the segment now")


class CountOut(BaseModel):
    count: int


class PreviewIn(BaseModel):
    """Who would get the message and what each would read."""

    model_config = ConfigDict(extra="forbid")

    rule: segments.SegmentRule
    template_id: int | None = Field(None, description="A template Niaga knows")
    definition: TemplateDefinition | None = Field(None, description="Or a draft as written")
    params: dict[str, personalise.ParameterValue] = Field(default_factory=dict)
    limit: int = Field(10, ge=1, le=100)


class RecipientPreview(BaseModel):
    contact_id: int
    name: str
    phone: str | None
    values: dict[str, str]
    text: str | None
    skipped: str | None


class PreviewOut(BaseModel):
    count: int
    recipients: list[RecipientPreview]


def _segment(session: SessionDep, segment_id: int) -> Segment:
    found = session.get(Segment, segment_id) if segment_id < 2**63 else None
    if found is None:
        raise NotFoundError("segment_not_found", "Segment not found.")
    return found


def _public(session: SessionDep, row: Segment) -> SegmentPublic:
    rule = segments.SegmentRule.model_validate(row.rule)
    return SegmentPublic(id=row.id, name=row.name, rule=rule, count=segments.count(session, rule))


def _unique(session: SessionDep, name: str, current: Segment | None = None) -> None:
    same = session.scalars(select(Segment).where(Segment.name == name)).first()
    if same is not None and same is not current:
        raise ConflictError(
            "segment_exists", "A segment called {name} exists already.", field="name", name=name
        )


@router.get("", response_model=list[SegmentPublic])
def list_segments(session: SessionDep, token: CanRead) -> list[SegmentPublic]:
    """Saved segments, each with its live count."""
    return [_public(session, s) for s in session.scalars(select(Segment).order_by(Segment.name))]


@router.post("/count", response_model=CountOut)
def count(rule: segments.SegmentRule, session: SessionDep, token: CanRead) -> CountOut:
    """How many customers a rule holds now (while the owner builds it)."""
    return CountOut(count=segments.count(session, rule))


@router.post("/preview", response_model=PreviewOut)
def preview(data: PreviewIn, session: SessionDep, token: CanRead) -> PreviewOut:
    """The first recipients with every placeholder filled, or why each would be skipped."""
    texts: list[str | None] = []
    definition = data.definition
    if data.template_id is not None:
        template = (
            session.get(MessageTemplate, data.template_id) if data.template_id < 2**63 else None
        )
        if template is None:
            raise NotFoundError("template_not_found", "Template not found.")
        definition = authoring.definition_of(template)
        if definition is None:
            fields = template_service.composer_fields(template)
            texts = [fields["header"], fields["body"]]
    if definition is not None:
        texts = [definition.header_text if definition.header == "text" else None, definition.body]
    ids = segments.page(session, data.rule, limit=data.limit)
    filled = personalise.fill(session, ids, texts, data.params)
    return PreviewOut(
        count=segments.count(session, data.rule),
        recipients=[RecipientPreview(**vars(f)) for f in filled],
    )


@router.post("", response_model=SegmentPublic, status_code=201)
def create_segment(data: SegmentIn, session: SessionDep, token: CanManage) -> SegmentPublic:
    _unique(session, data.name)
    row = Segment(name=data.name, rule=data.rule.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return _public(session, row)


@router.get("/{segment_id}", response_model=SegmentPublic)
def get_segment(segment_id: int, session: SessionDep, token: CanRead) -> SegmentPublic:
    return _public(session, _segment(session, segment_id))


@router.put("/{segment_id}", response_model=SegmentPublic)
def change_segment(
    segment_id: int, data: SegmentIn, session: SessionDep, token: CanManage
) -> SegmentPublic:
    row = _segment(session, segment_id)
    _unique(session, data.name, row)
    row.name = data.name
    row.rule = data.rule.model_dump(mode="json")
    session.flush()
    return _public(session, row)


@router.delete("/{segment_id}", status_code=204)
def delete_segment(segment_id: int, session: SessionDep, token: CanManage) -> Response:
    session.delete(_segment(session, segment_id))
    return Response(status_code=204)
