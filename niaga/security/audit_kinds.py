"""Every kind of audit entry, with what it means (English msgids; the page translates them)."""

from __future__ import annotations

KINDS: dict[str, str] = {
    "auth.sign_in": "Signed in",
    "auth.sign_in_failed": "Failed sign-in",
    "auth.sign_out": "Signed out",
    "session.revoked": "Sessions ended",
    "user.created": "User created",
    "user.invited": "User invited",
    "user.joined": "Invitation accepted",
    "user.changed": "Role or access changed",
    "invite.revoked": "Invitation revoked",
    "team.members": "Team members changed",
    "token.created": "API token created",
    "token.used": "API token used",
    "token.revoked": "API token revoked",
    "data.export": "Data exported",
    "settings.changed": "Settings changed",
    "rule.created": "Rule created",
    "rule.updated": "Rule changed",
    "rule.enabled": "Rule switched on",
    "rule.disabled": "Rule switched off",
    "rule.deleted": "Rule deleted",
    "campaign.created": "Campaign created",
    "campaign.updated": "Campaign changed",
    "campaign.scheduled": "Campaign scheduled",
    "campaign.paused": "Campaign paused",
    "campaign.resumed": "Campaign resumed",
    "campaign.cancelled": "Campaign cancelled",
}

FAMILIES: dict[str, str] = {
    "auth": "Sign-ins",
    "session": "Sessions",
    "user": "People",
    "invite": "Invitations",
    "team": "Teams",
    "token": "API tokens",
    "data": "Exports",
    "settings": "Settings",
    "rule": "Automation rules",
    "campaign": "Campaigns",
}
