"""Automation's "add to group" action, provided by the community (automation sits below it and
knows no groups): the customer joins the named group for real, and is told so in their chat."""

from __future__ import annotations

from niaga.automation import actions as automation_actions
from niaga.automation.context import Run
from niaga.automation.models import AutomationRule
from niaga.automation.schemas import AddToGroup
from niaga.automation.sending import Outcome
from niaga.community import groups


def add_to_group(run: Run, rule: AutomationRule, a: AddToGroup, i: int) -> Outcome:
    """Join the group named ``a.group`` (made, as a broadcast group, when missing)."""
    if run.dry_run:
        return "planned", {"group": a.group}
    group = groups.by_name(run.session, a.group)
    if group is None:
        group = (
            groups.ensure_loyal(run.session)
            if a.group.strip().casefold() in (groups.LOYAL.casefold(), "grup pelanggan setia")
            else groups.do_save(
                run.session, groups.GroupIn(name=a.group, welcome_text=groups.DEFAULT_WELCOME)
            )
        )
    joined = groups.do_join(run.session, group, run.conversation.contact_id, source="resolve")
    return ("done" if joined else "skipped"), {"group": group.name, "group_id": group.id}


def install() -> None:
    """Put the real action in automation's registry (each process, once at start)."""
    automation_actions.ACTIONS["add_to_group"] = add_to_group  # type: ignore[assignment]
