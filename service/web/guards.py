"""Who may open a page, as FastAPI dependencies: the signed-in user, a role, and a posted form whose CSRF
token is checked (the page's language is ``service.web.rendering.Lang``).

A guard that says no raises ``LoginNeeded`` or ``PageRefused`` (service/web/errors.py); the app turns
them into what a browser expects (a redirect to the login page, an HTML 403 in the page's language) or,
on an API path, problem+json. A handler that declares ``EditorUser`` or ``CheckedForm`` only runs for
a request that passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, NoReturn

from fastapi import Depends, Request
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import FormData

from service.api.deps import SessionDep, SettingsDep, SideWrites, bookkeeping
from service.db.models import Role, User
from service.domain.auth import session_user, touch_session
from service.domain.texts import TEXTS
from service.web.errors import LoginNeeded, PageRefused
from service.web.session import csrf_ok, session_cookie


def web_user(request: Request, session: SessionDep, side_writes: SideWrites) -> User | None:
    now = dt.datetime.now(dt.UTC)
    found = session_user(session, session_cookie(request), now=now)
    if found is None:
        return None
    user, stale_session_id = found
    if stale_session_id is not None:
        bookkeeping(request, session, side_writes, lambda s: touch_session(s, stale_session_id, now=now))
    return user


WebUser = Annotated[User | None, Depends(web_user)]


def _refuse(request: Request, refusal: Exception) -> NoReturn:
    """Raise ``refusal``, unless the address itself is wrong (a query or path parameter that does not
    validate): that is said first, as it was when each page checked its user in its own body."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is not None:
        _, path_errors = request_params_to_args(dependant.path_params, request.path_params)
        _, query_errors = request_params_to_args(dependant.query_params, request.query_params)
        if path_errors or query_errors:
            raise RequestValidationError([*path_errors, *query_errors])
    raise refusal


def require_user(request: Request, user: WebUser) -> User:
    """The signed-in user; without one, the login page (and back to this page after it)."""
    if user is None:
        _refuse(request, LoginNeeded(request.url.path))
    return user


SignedInUser = Annotated[User, Depends(require_user)]


def require_role(
    *roles: Role, message: tuple[str, str] = TEXTS["forbidden"], login_next: str | None = None
) -> Callable[..., User]:
    """A dependency: the signed-in user when their role is one of ``roles``, else a 403 saying ``message``
    (zh, en). Without a user, the login page, and back to ``login_next`` (default: this page)."""

    def dependency(request: Request, user: WebUser) -> User:
        if user is None:
            _refuse(request, LoginNeeded(login_next or request.url.path))
        if user.role not in roles:
            _refuse(request, PageRefused(user, message))
        return user

    return dependency


EditorUser = Annotated[User, Depends(require_role(Role.ADMIN, Role.EDITOR))]
AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]


def check_csrf(request: Request, user: User | None, token: str | None) -> None:
    """A 403 unless ``token`` is this session's CSRF token."""
    if not csrf_ok(request, token):
        raise PageRefused(user, TEXTS["csrf"])


async def csrf_checked(request: Request, user: WebUser) -> FormData:
    """The posted form (parsed once: the handler gets the same object), its CSRF token checked."""
    form = await request.form()
    check_csrf(request, user, str(form.get("csrf") or ""))
    return form


async def upload_csrf_checked(request: Request, user: WebUser, settings: SettingsDep) -> FormData:
    """As ``csrf_checked``, for a form that carries a file: its parts may be as large as the upload limit
    allows (twice, for a file sent back as text by the preview), and a wide table's mapping has many
    fields."""
    limit = settings.max_upload_bytes
    form = await request.form(max_part_size=max(limit, 1 << 20) * 2, max_fields=20_000)
    check_csrf(request, user, str(form.get("csrf") or ""))
    return form


CheckedForm = Annotated[FormData, Depends(csrf_checked)]
CheckedUpload = Annotated[FormData, Depends(upload_csrf_checked)]
