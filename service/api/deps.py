"""Dependencies shared by the routers: one session (one transaction) per request, the current user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.db.models import User
from service.db.session import transaction
from service.domain.errors import Unauthorized
from service.domain.users import user_for_token


def get_session(request: Request) -> Iterator[Session]:
    with transaction(request.app.state.sessionmaker) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
# The exit of a request-scoped dependency runs after the response has been sent; with this one the
# transaction commits before, for writes the client's very next request relies on (a new login session).
CommittedSessionDep = Annotated[Session, Depends(get_session, scope="function")]

# PostgreSQL refuses NUL in text parameters (a 500 otherwise); no code or name contains one.
NO_NUL = r"^[^\x00]*$"


def get_current_user(request: Request, session: SessionDep) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "需要登录：请在 Authorization 头中提供 Bearer 令牌",
            "authentication required: send an 'Authorization: Bearer <token>' header",
        )
    user = user_for_token(session, token.strip(), now=dt.datetime.now(dt.UTC))
    if user is None:
        raise Unauthorized("令牌无效或已撤销", "the token is unknown or revoked")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
