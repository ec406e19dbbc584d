"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from service import __version__
from service.api.deps import SessionDep
from service.db.models import Plan, Target

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Service and database health")
def healthz(session: SessionDep) -> dict[str, Any]:
    plans = session.scalar(select(func.count()).select_from(Plan)) or 0
    targets = session.scalar(select(func.count()).select_from(Target).where(Target.valid_to.is_(None))) or 0
    return {"status": "ok", "version": __version__, "database": "ok", "plans": plans, "targets": targets}
