"""The ``niaga`` command line."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer
from rich.console import Console

from niaga.core.config import InsecureConfigError, get_settings

app = typer.Typer(help="Niaga: WhatsApp Business for your shop, on your own machine.")
db_app = typer.Typer(help="Database schema.")
user_app = typer.Typer(help="People who sign in.")
token_app = typer.Typer(help="API tokens.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
automation_app = typer.Typer(help="Automated messages, labels and routing.")
app.add_typer(automation_app, name="automation")
analytics_app = typer.Typer(help="Reports and their daily rollups.")
app.add_typer(analytics_app, name="analytics")
audit_app = typer.Typer(help="The audit log of security and data events.")
app.add_typer(audit_app, name="audit")
secrets_app = typer.Typer(help="Secrets kept encrypted at rest (second-factor secrets).")
app.add_typer(secrets_app, name="secrets")
privacy_app = typer.Typer(help="Customers' data rights: archive, erasure, retention purge.")
app.add_typer(privacy_app, name="privacy")
incident_app = typer.Typer(help="Answering a breach: scope from the audit log, five steps.")
app.add_typer(incident_app, name="incident")
console = Console(stderr=True)


# Idle keep-alive connections stay open longer than any client keeps them (the Graph client:
# 4 s), so a client never sends on a connection the server is closing.
KEEP_ALIVE_SECONDS = 65


def _logging(process: str = "cli") -> None:
    from niaga.core import logs

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format, process)


def _factory():  # type: ignore[no-untyped-def]
    from niaga.core.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(get_settings().database_url))


def _command_factory():  # type: ignore[no-untyped-def]
    """Sessions for a command a person runs: the audit log names them as the CLI's user."""
    import getpass

    from niaga.security import audit

    factory = _factory()
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "?"
    factory.configure(info={audit.ACTOR_KEY: audit.AuditActor(label=f"CLI ({who})", via="cli")})
    return factory


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database schema."""
    from niaga.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    if settings.separate_intake:  # the stored webhooks' own file (SQLite)
        from niaga.channels.whatsapp import intake_db
        from niaga.core.db import make_engine

        main = make_engine(settings.database_url)
        intake_db.open_intake(settings, main).dispose()
        main.dispose()
    console.print(f"[green]Database is at {revision}[/green]")


@analytics_app.command("rebuild")
def analytics_rebuild() -> None:
    """Cut every day's rollups again from the raw records (the reports read the rollups)."""
    import time

    from niaga.analytics import rollups

    started = time.monotonic()
    days = rollups.rebuild(_factory(), get_settings().timezone)
    span = f" ({days[0]} to {days[-1]})" if days else ""
    console.print(
        f"[green]Rebuilt {len(days)} days{span} in {time.monotonic() - started:.1f} s[/green]"
    )


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Annotated[str, typer.Option(help="owner, admin, agent or analyst")] = "owner",
) -> None:
    """Create a user (the first one is usually the owner)."""
    from niaga.core.db import transaction
    from niaga.security.users import do_create_user

    try:
        with transaction(_command_factory()) as session:
            user = do_create_user(session, email=email, name=name, password=password, role=role)
            console.print(f"Created {user.role} {user.email} (id {user.id})")
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@user_app.command("reset-2fa")
def user_reset_2fa(email: Annotated[str, typer.Argument(help="The person's email")]) -> None:
    """Turn a person's second factor off and sign them out everywhere (a lost phone and no
    recovery codes left); they set it up again at the next sign-in if the owner requires it."""
    from sqlalchemy import select

    from niaga.core.db import transaction
    from niaga.security import sessions, two_factor
    from niaga.security.models import User

    with transaction(_command_factory()) as session:
        user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            console.print(f"[red]No user with email {email}[/red]")
            raise typer.Exit(2)
        two_factor.do_disable(session, user)
        sessions.do_end_all_sessions(session, user.id)
    console.print(f"Second factor of {email} is off; signed out everywhere.")


@secrets_app.command("set")
def secrets_set(
    name: Annotated[
        str, typer.Argument(help="wa_access_token, wa_app_secret, smtp_password or ga4_api_secret")
    ],
    value: Annotated[str, typer.Option(prompt=True, hide_input=True)],
) -> None:
    """Keep a credential encrypted in the database instead of the environment (Niaga reads
    it at start; a value set in the environment still wins)."""
    from niaga.core.db import transaction
    from niaga.core.errors import DomainError
    from niaga.security import crypto, secrets_at_rest

    settings = get_settings()
    crypto.configure(settings.encryption_keys, settings.data_dir)
    try:
        with transaction(_command_factory()) as session:
            secrets_at_rest.do_store(session, name.strip().lower(), value)
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{name} stored encrypted; restart Niaga to use it.")


@secrets_app.command("list")
def secrets_list() -> None:
    """The credentials kept in the database (names and when, never the values)."""
    from niaga.core.db import transaction
    from niaga.security import secrets_at_rest

    with transaction(_command_factory()) as session:
        for name, when in secrets_at_rest.stored_names(session):
            print(f"{name}\t{when:%Y-%m-%d %H:%M}")


@secrets_app.command("rotate")
def secrets_rotate() -> None:
    """Encrypt every stored secret again with a new key: put the new key in front of
    NIAGA_ENCRYPTION_KEYS first (every process), or let this add one to the key file."""
    from niaga.core.db import transaction
    from niaga.security import crypto, secrets_at_rest

    settings = get_settings()
    crypto.configure(settings.encryption_keys, settings.data_dir)
    with transaction(_command_factory()) as session:
        count = secrets_at_rest.do_rotate_key(session)
    console.print(
        f"{count} secrets encrypted again with the newest key; older keys can be removed "
        "once every Niaga process has restarted."
    )


def _contact_id(session, phone: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import or_, select

    from niaga.contacts.models import Contact
    from niaga.core.phone import to_e164

    try:
        e164 = to_e164(phone, get_settings().default_region)
    except ValueError:
        console.print(f"[red]Not a phone number: {phone}[/red]")
        raise typer.Exit(2) from None
    found = session.scalars(
        select(Contact.id).where(or_(Contact.phone == e164, Contact.wa_id == e164.lstrip("+")))
    ).first()
    if found is None:
        console.print(f"[red]No customer with number {e164}[/red]")
        raise typer.Exit(2)
    return int(found)


@privacy_app.command("export")
def privacy_export(
    phone: Annotated[str, typer.Argument(help="The customer's number")],
    out: Annotated[str, typer.Option(help="Where to write the ZIP")] = "",
) -> None:
    """Everything Niaga holds about one customer, as a ZIP (the request is recorded)."""
    from pathlib import Path

    from niaga.core.db import transaction
    from niaga.privacy import export

    settings = get_settings()
    with transaction(_command_factory()) as session:
        contact_id = _contact_id(session, phone)
        data = export.do_export(
            session,
            contact_id,
            data_dir=Path(settings.data_dir),
            shop=settings.business_name,
            by_user_id=None,
        )
    target = Path(out or f"niaga-data-pelanggan-{contact_id}.zip")
    target.write_bytes(data)
    console.print(f"Wrote {target} ({len(data)} bytes)")


@privacy_app.command("erase")
def privacy_erase(
    phone: Annotated[str, typer.Argument(help="The customer's number")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase one customer's personal data for good (the shop's figures stay)."""
    from pathlib import Path

    from niaga.channels.whatsapp import intake_db
    from niaga.core.db import transaction
    from niaga.privacy import erasure

    settings = get_settings()
    factory = _command_factory()
    with transaction(factory) as session:
        contact_id = _contact_id(session, phone)
    if not yes and not typer.confirm(f"Erase customer #{contact_id} for good?"):
        raise typer.Exit(1)
    with transaction(factory) as session:
        counts = erasure.do_erase(
            session,
            contact_id,
            data_dir=Path(settings.data_dir),
            intake=intake_db.intake_factory(settings, factory.kw["bind"]),
        )
    console.print(f"Customer #{contact_id} erased: {counts}")


@privacy_app.command("purge")
def privacy_purge() -> None:
    """Hold each kind of data to its retention period now (the worker does it hourly)."""
    from pathlib import Path

    from niaga.channels.whatsapp import intake_db
    from niaga.privacy import retention

    settings = get_settings()
    factory = _command_factory()
    done = retention.purge(
        factory,
        data_dir=Path(settings.data_dir),
        intake=intake_db.intake_factory(settings, factory.kw["bind"]),
    )
    console.print(f"Purged: {done}")


@app.command()
def backup(
    out: Annotated[
        str, typer.Option(help="Folder for the backup (default: NIAGA_BACKUP_DIR)")
    ] = "",
    check: Annotated[bool, typer.Option(help="Restore into a scratch database to check")] = True,
    check_file: Annotated[
        str, typer.Option("--check-file", help="Only check an existing backup file")
    ] = "",
) -> None:
    """Back up the database, stored webhooks and media into one encrypted file."""
    from pathlib import Path

    from niaga.backups import service
    from niaga.core.errors import DomainError

    settings = get_settings()
    try:
        if check_file:
            found = service.check(settings, Path(check_file))
            console.print(f"[green]{check_file} is sound: {found}[/green]")
            return
        path, _manifest = service.make(settings, Path(out) if out else None)
        console.print(f"Backup written: {path} ({path.stat().st_size} bytes)")
        if check:
            found = service.check(settings, path)
            console.print(f"[green]Checked by a restore into a scratch database: {found}[/green]")
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _audit_cli("backup.created", {"file": path.name, "checked": check})
    print(path)


@app.command()
def restore(
    file: Annotated[str, typer.Argument(help="The backup file (.nbk)")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Put the shop back as it was in a backup (stop niaga serve and workers first)."""
    from pathlib import Path

    from niaga.backups import service
    from niaga.core.errors import DomainError

    settings = get_settings()
    if not yes and not typer.confirm("Replace this Niaga's database and media with the backup's?"):
        raise typer.Exit(1)
    try:
        found = service.restore(settings, Path(file))
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _audit_cli("backup.restored", {"file": Path(file).name, **found})
    console.print(f"[green]Restored: {found}[/green]")


def _audit_cli(kind: str, details: dict) -> None:  # type: ignore[type-arg]
    from niaga.core.db import transaction
    from niaga.security import audit

    with transaction(_command_factory()) as session:
        audit.record(session, kind, details=details)


@incident_app.command("open")
def incident_open(
    title: Annotated[str, typer.Option(help="A short name")],
    since: Annotated[str, typer.Option(help="First day (YYYY-MM-DD, business time zone)")],
    until: Annotated[str, typer.Option(help="Last day (empty: until now)")] = "",
    user: Annotated[list[str] | None, typer.Option(help="A suspect's email (repeatable)")] = None,
    ip: Annotated[list[str] | None, typer.Option(help="A suspect address (repeatable)")] = None,
    token: Annotated[list[str] | None, typer.Option(help="A token's start (repeatable)")] = None,
) -> None:
    """Open an incident and print what it touched."""
    from datetime import date, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from niaga.core.db import transaction
    from niaga.core.errors import DomainError
    from niaga.incidents import playbook
    from niaga.security.models import User

    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    try:
        start = datetime.combine(date.fromisoformat(since), time(), zone)
        end = (
            datetime.combine(date.fromisoformat(until) + timedelta(days=1), time(), zone)
            if until
            else None
        )
    except ValueError:
        console.print("[red]Give days as YYYY-MM-DD[/red]")
        raise typer.Exit(2) from None
    try:
        with transaction(_command_factory()) as session:
            ids = []
            for email in user or []:
                found = session.scalars(
                    select(User.id).where(User.email == email.strip().lower())
                ).first()
                if found is None:
                    console.print(f"[red]No user with email {email}[/red]")
                    raise typer.Exit(2)
                ids.append(found)
            incident = playbook.do_open(
                session,
                title=title,
                window_from=start,
                window_to=end,
                user_ids=ids,
                ips=ip or [],
                tokens=token or [],
                by_user_id=None,
            )
            incident_id = incident.id
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    incident_show(incident_id)


@incident_app.command("show")
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="The incident's number")],
) -> None:
    """What an incident touched, its five steps, and the drafted notices."""
    from niaga.core.db import transaction
    from niaga.core.errors import DomainError
    from niaga.incidents import playbook

    settings = get_settings()
    try:
        with transaction(_command_factory()) as session:
            incident = playbook.get(session, incident_id)
            found = playbook.scope(session, incident, settings.timezone)
            affected = playbook.affected(session, found.customer_ids)
            shop = settings.business_name
            console.print(f"Incident #{incident.id}: {incident.title}")
            console.print(f"People: {', '.join(found.people) or '-'}")
            console.print(f"Addresses: {', '.join(found.addresses) or '-'}")
            console.print(f"Exports: {len(found.exports)}  Changes: {len(found.changes)}")
            console.print(f"Customers affected: {len(affected)}")
            for key, name in playbook.STEPS:
                done = (incident.steps or {}).get(key)
                console.print(
                    f"  [{'x' if done else ' '}] {name}" + (f"  {done['at']}" if done else "")
                )
            print(
                incident.customer_notice
                or playbook.draft_customer_notice(
                    incident, found, shop, settings.locale, settings.timezone
                )
            )
            print()
            print(
                incident.authority_report
                or playbook.draft_authority_report(
                    incident, found, shop, len(affected), settings.timezone
                )
            )
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="What the token is for")],
    role: Annotated[str, typer.Option(help="owner, admin, agent or analyst")] = "agent",
    days: Annotated[int, typer.Option(help="Valid for this many days (1-730)")] = 90,
    owner: Annotated[
        str, typer.Option(help="Email of the person it belongs to (their permissions bound it)")
    ] = "",
) -> None:
    """Create an API token; the token itself is printed alone on the last line."""
    from sqlalchemy import select

    from niaga.core.db import transaction
    from niaga.security.models import User
    from niaga.security.tokens import do_create_token

    try:
        with transaction(_command_factory()) as session:
            user_id = None
            if owner:
                user_id = session.scalars(
                    select(User.id).where(User.email == owner.strip().lower())
                ).first()
                if user_id is None:
                    console.print(f"[red]No user with email {owner}[/red]")
                    raise typer.Exit(2)
            row, secret = do_create_token(session, name=name, role=role, days=days, user_id=user_id)
            console.print(
                f"Token {row.name!r} ({row.role}, id {row.id}) created, valid until "
                f"{row.expires_at:%Y-%m-%d}. Keep it secret:"
            )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    print(secret)


@token_app.command("list")
def token_list() -> None:
    """Every API token: id, start of the secret, name, role, owner, last use, expiry, state."""
    from rich.table import Table
    from sqlalchemy import select

    from niaga.core import clock
    from niaga.core.db import transaction
    from niaga.security.models import User
    from niaga.security.tokens import list_tokens

    table = Table("id", "token", "name", "role", "owner", "last used", "expires", "state")
    now = clock.now()
    with transaction(_command_factory()) as session:
        emails = {uid: email for uid, email in session.execute(select(User.id, User.email))}
        for t in list_tokens(session):
            state = (
                "revoked"
                if t.revoked_at
                else "expired"
                if t.expires_at and t.expires_at <= now
                else "active"
            )
            table.add_row(
                str(t.id),
                f"{t.prefix}…",
                t.name,
                t.role,
                emails.get(t.user_id, "-") if t.user_id else "-",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-",
                f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "-",
                state,
            )
    from rich.console import Console

    Console(width=140).print(table)  # data on stdout; messages stay on stderr


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token's id, name or listed start")],
) -> None:
    """Revoke an API token at once (requests with it are refused from now on)."""
    from niaga.core.db import transaction
    from niaga.core.errors import DomainError
    from niaga.security.tokens import do_revoke_token, find_token

    try:
        with transaction(_command_factory()) as session:
            row = find_token(session, token)
            changed = do_revoke_token(session, row)
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"Token {row.name!r} (id {row.id}) " + ("revoked." if changed else "was revoked.")
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain: exit 1 and name each entry that was changed or deleted."""
    from niaga.core.db import transaction
    from niaga.security import audit

    with transaction(_factory()) as session:
        verdict = audit.verify(session, secret_key=get_settings().secret_key)
    if verdict.intact:
        console.print(
            f"[green]The audit log is intact: {verdict.checked} entries, "
            f"head #{verdict.head_seq} {verdict.head_hash[:16] or '-'}[/green]"
        )
        return
    console.print(f"[red]The audit log was tampered with ({verdict.checked} entries read):[/red]")
    for problem in verdict.problems:
        console.print(f"[red]- {problem}[/red]")
    raise typer.Exit(1)


@audit_app.command("list")
def audit_list(
    kind: Annotated[str, typer.Option(help="A kind (auth.sign_in) or family (auth)")] = "",
    user: Annotated[int | None, typer.Option(help="Only what this user id did")] = None,
    since: Annotated[str, typer.Option(help="From this UTC date or time (ISO)")] = "",
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 50,
) -> None:
    """The newest audit entries as JSON lines (time, kind, who, from where, what)."""
    import json
    from datetime import UTC, datetime

    from niaga.core.db import transaction
    from niaga.security import audit

    start = datetime.fromisoformat(since) if since else None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    where = audit.AuditFilter(kind=kind or None, user_id=user, since=start)
    with transaction(_factory()) as session:
        for entry in audit.entries(session, where, limit=limit):
            print(json.dumps(audit.as_dict(entry), ensure_ascii=False))


@automation_app.command("seed-defaults")
def automation_seed_defaults() -> None:
    """Teams, labels and the default retail rules (only what is missing; edits are kept)."""
    from niaga.automation.defaults import do_seed_defaults
    from niaga.core.db import transaction

    with transaction(_command_factory()) as session:
        created = do_seed_defaults(session)
    console.print(
        f"Created {created['teams']} teams, {created['labels']} labels, {created['rules']} rules"
    )


@app.command()
def doctor(
    subscribe: Annotated[
        bool, typer.Option(help="Subscribe the app to the account's webhooks first")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON")] = False,
) -> None:
    """Check the connection to Meta and Niaga itself; each problem with its fix.

    Exit code: 0 all fine, 1 a warning, 2 a failure.
    """
    import json

    from niaga.core.db import make_engine
    from niaga.doctor import service
    from niaga.doctor.findings import worst
    from niaga.security import crypto, secrets_at_rest

    settings = get_settings()
    crypto.configure(settings.encryption_keys, settings.data_dir)
    engine = make_engine(settings.database_url)
    settings = secrets_at_rest.apply(settings, engine)
    locale = settings.locale
    if subscribe:
        try:
            asyncio.run(service.subscribe(settings))
            console.print("Webhooks subscribed")
        except Exception as exc:
            console.print(f"[red]Could not subscribe: {exc}[/red]")
    found = asyncio.run(service.run(settings, engine))
    engine.dispose()
    if as_json:
        print(json.dumps([f.public(locale) for f in found], ensure_ascii=False, indent=1))
    else:
        marks = {
            "ok": "[green]✓[/green]",
            "info": "[blue]i[/blue]",
            "warn": "[yellow]![/yellow]",
            "fail": "[red]✗[/red]",
        }
        for finding in found:
            console.print(f"{marks[finding.status]} [bold]{finding.text('title', locale)}[/bold]")
            if finding.detail:
                console.print(f"    {finding.text('detail', locale)}", highlight=False)
            if finding.fix and finding.status in ("warn", "fail"):
                console.print(f"    → {finding.text('fix', locale)}", highlight=False)
    raise typer.Exit({"fail": 2, "warn": 1}.get(worst(found), 0))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(help="Web processes")] = 1,
    demo: Annotated[bool, typer.Option(help="Demo customers write in through the sandbox")] = False,
) -> None:
    """Run the web app (with the sandbox and a worker inside, by default)."""
    import os

    import uvicorn

    if demo:
        os.environ["NIAGA_DEMO"] = "1"
        os.environ.setdefault("NIAGA_BUSINESS_NAME", "Toko Sari")
        get_settings.cache_clear()
    settings = get_settings()
    try:
        settings.check_safe_to_start()
    except InsecureConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    from niaga.core import metrics

    metrics.prepare_multiprocess(settings.data_dir)  # web processes and the worker child share
    _logging("web")
    uvicorn.run(
        "niaga.web.app:create_app",
        factory=True,
        # Open live-update streams (SSE) never finish on their own: give them 5 s at shutdown.
        timeout_graceful_shutdown=5,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level,
        log_config=None,  # the logging set up above (text or JSON, with request ids)
        loop="uvloop",
        http="httptools",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


@app.command()
def worker(
    dispatch: Annotated[bool, typer.Option(help="Send queued messages")] = True,
    process: Annotated[bool, typer.Option(help="Process stored webhooks")] = True,
) -> None:
    """Run background work alone: webhook processing and the outbox dispatcher."""
    from niaga.core import metrics
    from niaga.runtime import Worker

    settings = get_settings()
    metrics.prepare_multiprocess(settings.data_dir)  # before the worker counts anything
    _logging("worker")
    try:
        settings.check_safe_to_start()
    except InsecureConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None

    async def main() -> None:
        from niaga import listeners
        from niaga.core import live

        factory = _factory()
        listeners.register(settings, factory)
        if settings.redis_url:  # browsers served by web processes hear this worker via Redis
            live.subscribe(live.LiveHub(redis_url=settings.redis_url))
        w = Worker(settings, factory, process_webhooks=process, dispatch=dispatch)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        w.start()
        console.print("Niaga worker running")
        await stop.wait()
        await w.stop()
        metrics.process_exiting()

    asyncio.run(main())


@app.command()
def sandbox(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8100,
) -> None:
    """Run the Graph API sandbox alone (point NIAGA_WA_GRAPH_URL at it)."""
    import uvicorn

    from niaga.channels.sandbox.app import create_standalone_app
    from niaga.channels.sandbox.config import SandboxConfig

    config = SandboxConfig.from_settings(get_settings())
    uvicorn.run(
        create_standalone_app(config),
        host=host,
        port=port,
        log_level=get_settings().log_level,
        loop="uvloop",
        http="httptools",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


@app.command()
def demo(
    owner_email: Annotated[str, typer.Option()] = "pemilik@tokosari.id",
    owner_password: Annotated[str, typer.Option()] = "niaga-demo-2026",
) -> None:
    """Seed a demo business (idempotent) and print how to log in."""
    from niaga.demo import seed_demo

    if get_settings().env == "production":
        console.print(
            "[red]Refusing to seed the demo shop in production: its owner's password is "
            "published. Create your first owner with `niaga user create --role owner`.[/red]"
        )
        raise typer.Exit(2)

    created = seed_demo(_factory(), owner_email=owner_email, owner_password=owner_password)
    settings = get_settings()
    console.print(
        f"\n[bold]Niaga[/bold] is ready at {settings.public_url}\n"
        f"  owner: {owner_email}  password: {owner_password}\n"
        f"  API token (agent): {created['token']}\n"
        f"  API docs: {settings.public_url}/docs\n"
        f"  sandbox:  {settings.public_url}/sandbox/phone (a customer's phone)\n"
        f"  sandbox control API token: {settings.data_dir / 'sandbox-control-token'}"
    )
    if settings.sandbox:
        settings.control_token()  # made now, so the path above exists


if __name__ == "__main__":  # pragma: no cover
    app()
