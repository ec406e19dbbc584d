"""Dependencies shared by the routers: one session (one transaction) per request, the current user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Role, User
from service.db.session import transaction
from service.domain.errors import Forbidden, Refusal, Unauthorized
from service.domain.users import touch_token, user_for_token

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work. It commits before the response is sent (the dependency's scope is
    the endpoint function, see ``SessionDep``), so a client that got a 2xx can rely on the write.
    GET requests read only; every other method may write and, on SQLite, takes the write lock first."""
    state = request.app.state
    factory = state.read_sessionmaker if request.method in READ_METHODS else state.sessionmaker
    with transaction(factory) as session:
        try:
            yield session
        except Refusal:
            session.commit()  # only the guards' bookkeeping was written; keep it, then refuse
            raise


# scope="function": the transaction ends (commit or rollback) when the endpoint returns, before the
# response goes out, not after it has been sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

UnitOfWork = Callable[[], AbstractContextManager[Session]]


def app_settings(request: Request) -> Settings:
    """The settings the app was made with (``create_app``): the one way a request reads them (the
    environment is read once, at start; a test's app has its own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]


def get_side_writes(request: Request) -> UnitOfWork:
    """A separate short write transaction for bookkeeping a read-only request must do (a token's "last
    used" time), committed on its own. Tests replace it to stay inside their rolled-back transaction."""
    return lambda: transaction(request.app.state.sessionmaker)


SideWrites = Annotated[UnitOfWork, Depends(get_side_writes)]


def get_read_units(request: Request) -> UnitOfWork:
    """Read-only units of work that outlive the endpoint: a download streamed after the endpoint
    returned reads through one of its own (on SQLite without the write lock). Tests replace it."""
    return lambda: transaction(request.app.state.read_sessionmaker)


ReadUnits = Annotated[UnitOfWork, Depends(get_read_units)]

# PostgreSQL refuses NUL in text parameters (a 500 otherwise); no code or name contains one.
NO_NUL = r"^[^\x00]*$"


def get_current_user(request: Request, session: SessionDep, side_writes: SideWrites) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "需要登录：请在 Authorization 头中提供 Bearer 令牌",
            "authentication required: send an 'Authorization: Bearer <token>' header",
        )
    now = dt.datetime.now(dt.UTC)
    found = user_for_token(session, token.strip(), now=now)
    if found is None:
        raise Unauthorized("令牌无效或已撤销", "the token is unknown or revoked")
    user, stale_token_id = found
    if stale_token_id is not None:
        bookkeeping(request, session, side_writes, lambda s: touch_token(s, stale_token_id, now=now))
    return user


def bookkeeping(
    request: Request, session: Session, side_writes: UnitOfWork, write: Callable[[Session], None]
) -> None:
    """A bookkeeping write ("last used", "last seen"): in a GET, its own short transaction, so that the
    request stays read-only; otherwise in the request's own unit of work, which already holds SQLite's
    write lock (a second transaction would wait on it)."""
    if request.method in READ_METHODS:
        with side_writes() as own:
            write(own)
    else:
        write(session)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role, zh: str, en: str) -> Callable[..., User]:
    """A dependency: the authenticated user when their role is one of ``roles``, else 403 saying why."""

    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(zh, en)
        return user

    return dependency
