"""The loyalty program in the browser (*Loyalitas*): earning rules and caps, tiers and perks,
expiry, rewards with stock, and the members with their points."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from niaga.campaigns import personalise, segments
from niaga.campaigns import service as campaigns
from niaga.contacts.models import Contact
from niaga.core.i18n import gettext
from niaga.loyalty import announce, program, queries, rewards
from niaga.loyalty import service as loyalty
from niaga.loyalty.models import LoyaltyReward
from niaga.security import permissions
from niaga.templates import service as templates
from niaga.web.auth import CanManageLoyalty
from niaga.web.deps import SessionDep
from niaga.web.forms import back_to, problems
from niaga.web.templating import render

router = APIRouter(prefix="/loyalty", include_in_schema=False)
PAGE = "/loyalty"
SOURCES = (
    ("spend", "Spending (points per amount)"),
    ("order", "Each completed order"),
    ("csat", "A satisfaction rating"),
    ("review", "A review (a rating with a comment)"),
    ("referral", "A friend they invited completes a first order"),
)
KINDS = (
    ("discount_amount", "Discount in Rupiah"),
    ("discount_percent", "Discount in percent"),
    ("free_product", "Free product"),
    ("gift", "Gift"),
)
TIER_ROWS = 5


def _back(anchor: str, flash: str | None = None) -> RedirectResponse:
    return back_to(PAGE, flash, anchor=anchor)


def _number(value: Any) -> int | None:
    text = str(value or "").replace(".", "").replace(",", "").strip()
    return int(text) if text.isdigit() else None


@router.get("", response_class=HTMLResponse)
def loyalty_page(request: Request, session: SessionDep, user: CanManageLoyalty) -> HTMLResponse:
    plan = program.load(session)
    rules = {r.source: r for r in plan.rules}
    members = queries.members(session, limit=100)
    names = {
        c.id: c
        for c in session.scalars(
            select(Contact).where(Contact.id.in_([m.contact_id for m in members]))
        )
    }
    all_rewards = list(session.scalars(select(LoyaltyReward).order_by(LoyaltyReward.cost_points)))
    return render(
        request,
        "loyalty.html",
        plan=plan,
        rules=rules,
        sources=SOURCES,
        kinds=dict(KINDS),
        kind_options=KINDS,
        tiers=plan.tiers + [None] * max(0, TIER_ROWS - len(plan.tiers)),
        rewards=all_rewards,
        members=members,
        contacts=names,
        template_ready=templates.approved(session, announce.TEMPLATE, announce.LANGUAGE),
        reward_template_ready=templates.approved(
            session, announce.REWARD_TEMPLATE, announce.LANGUAGE
        ),
        template_name=announce.TEMPLATE,
        flash=request.query_params.get("flash"),
    )


@router.post("/program")
async def save_program(request: Request, session: SessionDep, user: CanManageLoyalty) -> Response:
    form = await request.form()
    rules = []
    for source, _label in SOURCES:
        rules.append(
            {
                "source": source,
                "active": form.get(f"{source}_active") == "on",
                "points": _number(form.get(f"{source}_points")) or 0,
                "per_rupiah": _number(form.get(f"{source}_per_rupiah")),
                "max_per_day": _number(form.get(f"{source}_max_per_day")),
                "max_per_customer": _number(form.get(f"{source}_max_per_customer")),
            }
        )
    tiers = []
    for n in range(TIER_ROWS):
        name = str(form.get(f"tier_{n}_name") or "").strip()
        if name:
            tiers.append(
                {
                    "name": name,
                    "threshold": _number(form.get(f"tier_{n}_threshold")) or 0,
                    "perks": str(form.get(f"tier_{n}_perks") or "").strip(),
                }
            )
    try:
        data = program.ProgramIn(
            enabled=form.get("enabled") == "on",
            announce_earned=form.get("announce_earned") == "on",
            expiry_months=_number(form.get("expiry_months")) or 0,
            code_valid_days=_number(form.get("code_valid_days")) or 30,
            rules=rules,
            tiers=tiers,
        )
    except ValidationError as exc:
        return _back("program", problems(exc))
    loyalty.do_save_program(session, data)
    return _back("program")


def _reward_in(
    name: str,
    kind: str,
    value: str,
    cost_points: str,
    stock: str,
    description: str,
    product_id: str,
    active: bool,
) -> rewards.RewardIn:
    return rewards.RewardIn(
        name=name.strip(),
        description=description.strip() or None,
        kind=kind,  # type: ignore[arg-type]
        value=_number(value) or 0,
        cost_points=_number(cost_points) or 0,
        stock=_number(stock),
        product_id=_number(product_id),
        active=active,
    )


@router.post("/rewards")
def add_reward(
    session: SessionDep,
    user: CanManageLoyalty,
    name: Annotated[str, Form(max_length=60)],
    kind: Annotated[str, Form(max_length=24)],
    cost_points: Annotated[str, Form(max_length=12)],
    value: Annotated[str, Form(max_length=14)] = "",
    stock: Annotated[str, Form(max_length=10)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
    product_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    try:
        data = _reward_in(name, kind, value, cost_points, stock, description, product_id, True)
    except ValidationError as exc:
        return _back("rewards", problems(exc))
    rewards.do_save(session, data)
    return _back("rewards")


@router.post("/rewards/{reward_id}")
def update_reward(
    session: SessionDep,
    user: CanManageLoyalty,
    reward_id: int,
    stock: Annotated[str, Form(max_length=10)] = "",
    active: Annotated[bool, Form()] = False,
) -> Response:
    reward = rewards.get(session, reward_id)
    data = rewards.RewardIn(
        name=reward.name,
        description=reward.description,
        kind=reward.kind,  # type: ignore[arg-type]
        value=reward.value,
        product_id=reward.product_id,
        cost_points=reward.cost_points,
        stock=_number(stock),
        active=active,
    )
    rewards.do_save(session, data, reward)
    return _back("rewards")


@router.post("/rewards/{reward_id}/announce")
def announce_reward(
    request: Request, session: SessionDep, user: CanManageLoyalty, reward_id: int
) -> Response:
    """Tell the customers who hold enough points about a reward: a campaign (kind "news") of
    the approved ``hadiah_baru`` marketing template, so only to those who agreed to
    promotions, within the weekly cap and outside quiet hours."""
    locale = request.state.locale
    if not permissions.has(user, "send_campaigns"):
        return _back("rewards", gettext("You may not send campaigns.", locale))
    reward = rewards.get(session, reward_id)
    template = templates.find(session, announce.REWARD_TEMPLATE, announce.LANGUAGE)
    if template is None or template.status != "APPROVED":
        return _back(
            "rewards",
            gettext(
                "The {name} template is not approved yet: submit it on the Templates page.",
                locale,
                name=announce.REWARD_TEMPLATE,
            ),
        )
    text = personalise.ParameterValue
    campaign = campaigns.do_create(
        session,
        name=f"Hadiah baru: {reward.name}"[:100],
        template_id=template.id,
        params={
            "nama": text(source="first_name", fallback="Kak"),
            "hadiah": text(source="text", text=reward.name),
            "poin": text(source="text", text=str(reward.cost_points)),
            "saldo": text(source="points"),
        },
        phone_number_id=request.app.state.settings.wa_phone_number_id,
        rule=segments.SegmentRule.model_validate(
            {"conditions": [{"field": "points", "at_least": reward.cost_points}]}
        ),
        user_id=user.id,
        kind="news",
    )
    campaigns.do_schedule(session, campaign, None)
    return _back(
        "rewards",
        gettext(
            "Announced to customers with {points} points or more.",
            locale,
            points=reward.cost_points,
        ),
    )
