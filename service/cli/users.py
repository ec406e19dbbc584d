"""`yrdmon users ...`: create users, list them, change their password or role, disable or enable them, and
manage their API tokens. Every change writes an audit entry; those that narrow what a user may do end
their web sessions at once."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from service import cli
from service.db.models import ApiToken, Role, User

users_app = typer.Typer(help="Manage users and API tokens", no_args_is_help=True)


class RoleOption(StrEnum):
    admin = "admin"
    editor = "editor"
    reviewer = "reviewer"
    viewer = "viewer"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


RegionOption = Annotated[
    list[str] | None, typer.Option("--region", help="region code an editor may write (repeatable)")
]


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    cells = [[str(r[c] if r[c] is not None else "-") for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    for line in [columns, *cells]:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[RoleOption, typer.Option(help="admin, editor, reviewer or viewer")] = RoleOption.viewer,
    region: RegionOption = None,
    indicator: Annotated[
        list[str] | None, typer.Option(help="limit an editor to these indicator codes (repeatable)")
    ] = None,
    email: Annotated[str | None, typer.Option()] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    password: Annotated[
        bool, typer.Option("--password/--no-password", help="prompt for a web login password")
    ] = False,
) -> None:
    """Create a user and print a new API token once (it is stored only as a hash)."""
    from service.domain.users import create_user, issue_token

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None

    def work(session: Session) -> str:
        user = create_user(
            session,
            username=username,
            role=Role(role.value),
            region_codes=region or [],
            indicator_codes=indicator or [],
            email=email,
            display_name=name,
            password=secret,
            now=cli.now(),
        )
        return issue_token(session, user, now=cli.now())

    token = cli.in_transaction(work)
    cli.say("user_created", role=role.value, username=username)
    cli.say("token_once", token=token)


@users_app.command("list")
def users_list(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json")] = ListFormat.table,
) -> None:
    """Every user: role, regions, whether active, last web login (UTC)."""
    from service.domain.users import list_users

    def work(session: Session) -> list[dict[str, Any]]:
        return [
            {
                "username": u.username,
                "role": u.role.value,
                "regions": sorted(r.code for r in u.regions),
                "active": u.is_active,
                "last_login": _when(u.last_login_at),
            }
            for u in list_users(session)
        ]

    rows = cli.in_transaction(work)
    if format is ListFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    shown = [{**r, "regions": ",".join(r["regions"]), "active": "yes" if r["active"] else "no"} for r in rows]
    _table(shown, ["username", "role", "regions", "active", "last_login"])


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("new password", hide_input=True, confirmation_prompt=True))


@users_app.command("set-password")
def users_set_password(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
) -> None:
    """Set a user's web login password (prompted twice, or from stdin); ends their web sessions."""
    from service.domain.users import get_user, set_password

    cli.in_transaction(lambda s: get_user(s, username))  # an unknown name fails before the prompt
    secret = _read_password(password_stdin)
    ended = cli.in_transaction(lambda s: set_password(s, get_user(s, username), secret, now=cli.now()))
    cli.say("password_set", username=username, ended=ended)


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: Annotated[RoleOption, typer.Option(help="admin, editor, reviewer or viewer")],
    region: RegionOption = None,
) -> None:
    """Change a user's role and, with --region, their regions (else kept); ends their web sessions."""
    from service.domain.users import get_user, set_role

    def work(session: Session) -> tuple[int, list[str]]:
        user = get_user(session, username)
        ended = set_role(session, user, Role(role.value), region, now=cli.now())
        return ended, sorted(r.code for r in user.regions)

    ended, regions = cli.in_transaction(work)
    where = cli.text("role_regions", regions=", ".join(regions)) if regions else ""
    cli.say("role_set", username=username, role=role.value, where=where, ended=ended)


@users_app.command("set-organisation")
def users_set_organisation(
    username: str,
    organisation: Annotated[
        str | None, typer.Argument(help="organisation code or Chinese name; leave out to clear")
    ] = None,
) -> None:
    """The bureau or district government a user works for (their pages and digests can show its targets)."""
    from service.domain.users import get_user, set_organisation

    code = cli.in_transaction(
        lambda s: set_organisation(s, get_user(s, username), organisation, now=cli.now())
    )
    cli.say("member_of", username=username, code=code) if code else cli.say(
        "member_of_none", username=username
    )


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: their web sessions end and their API tokens fail until enabled again."""
    from service.domain.users import get_user, set_active

    ended = cli.in_transaction(lambda s: set_active(s, get_user(s, username), False, now=cli.now()))
    cli.say("user_disabled", username=username, ended=ended)


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Enable a disabled user again (their unrevoked API tokens work again; they log in anew)."""
    from service.domain.users import get_user, set_active

    cli.in_transaction(lambda s: set_active(s, get_user(s, username), True, now=cli.now()))
    cli.say("user_enabled", username=username)


def _token_row(t: ApiToken) -> dict[str, Any]:
    return {
        "prefix": t.prefix,
        "name": t.name,
        "created": _when(t.created_at),
        "last_used": _when(t.last_used_at),
        "revoked": _when(t.revoked_at),
    }


@users_app.command("tokens")
def users_tokens(
    username: str,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json")] = ListFormat.table,
) -> None:
    """A user's API tokens by prefix (the tokens themselves are never stored)."""
    from service.domain.users import get_user, list_tokens

    rows = cli.in_transaction(lambda s: [_token_row(t) for t in list_tokens(s, get_user(s, username))])
    if format is ListFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _table(rows, ["prefix", "name", "created", "last_used", "revoked"])


@users_app.command("issue-token")
def users_issue_token(
    username: str, name: Annotated[str, typer.Option(help="what the token is for")] = "default"
) -> None:
    """Issue a new API token for a user and print it once."""
    from service.domain.users import get_user, issue_token

    token = cli.in_transaction(lambda s: issue_token(s, get_user(s, username), name=name, now=cli.now()))
    cli.say("token_for", username=username, token=token)


@users_app.command("revoke-token")
def users_revoke_token(
    prefix: Annotated[str, typer.Argument(help="the prefix `users tokens` shows, or the whole token")],
) -> None:
    """Revoke one API token."""
    from service.domain.users import revoke_token

    def work(session: Session) -> tuple[str, str]:
        row = revoke_token(session, prefix, now=cli.now())
        return row.prefix, session.get_one(User, row.user_id).username

    shown, owner = cli.in_transaction(work)
    cli.say("token_revoked", shown=shown, owner=owner)


@users_app.command("revoke-tokens")
def users_revoke_tokens(username: str) -> None:
    """Revoke every API token of a user."""
    from service.domain.users import get_user, revoke_tokens

    count = cli.in_transaction(lambda s: revoke_tokens(s, get_user(s, username), now=cli.now()))
    cli.say("tokens_revoked", n=count, username=username)
