"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from service import __version__
from service.api.deps import SessionDep
from service.db.models import Plan, Target

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str
    version: str
    database: str
    plans: int = Field(description="plans in the catalog")
    targets: int = Field(description="current target versions")


@router.get("/healthz", response_model=HealthOut, summary="Service and database health")
def healthz(session: SessionDep) -> dict[str, Any]:
    plans = session.scalar(select(func.count()).select_from(Plan)) or 0
    targets = session.scalar(select(func.count()).select_from(Target).where(Target.valid_to.is_(None))) or 0
    return {"status": "ok", "version": __version__, "database": "ok", "plans": plans, "targets": targets}
