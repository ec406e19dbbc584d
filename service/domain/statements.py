"""Progress statements (进展情况说明) and their supporting files (支撑材料), the way plan offices collect them.

A department (or the plan office) states how a target stands for a year, in words, and attaches the
documents that show it: a PDF of the notice, a DOCX report, a photo. Statements are append-only: a
correction is a new version that names the one it corrects, and keeps the earlier files unless new ones
are given besides. Files are checked by their content (magic bytes), not only their name, limited in
size, and stored outside the database under the instance's data directory by their sha256, which the
row keeps and every download checks again. The name a user gave a file is shown (escaped) and used for
the download's name in words, never as a path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import (
    Organisation,
    Plan,
    ProgressStatement,
    Role,
    StatementFile,
    Target,
    TargetAssignment,
    User,
    WritePath,
)
from service.domain import audit
from service.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from service.domain.resolver import Resolver
from service.domain.write_scope import writable_region_ids

MAX_TEXT = 10_000
MAX_FILES = 10


class TooLarge(DomainError):
    status = 413
    title = "Too large"


class WrongType(DomainError):
    status = 415
    title = "Unsupported file type"


@dataclass(frozen=True)
class Kind:
    media_type: str
    extensions: tuple[str, ...]
    label: str


PDF = Kind("application/pdf", (".pdf",), "PDF")
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "DOCX")
PNG = Kind("image/png", (".png",), "PNG")
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"), "JPEG")
KINDS = (PDF, DOCX, PNG, JPEG)
ALLOWED_WORDS = "PDF、DOCX、PNG、JPEG"


def detect(data: bytes) -> Kind | None:
    """The file's type from its first bytes (and, for a DOCX, the Word part inside the zip)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return DOCX
    return None


def display_name(name: str) -> str:
    """The name a user gave a file, as shown: its last path part, without control characters, at most 200
    characters, never empty. It is never used to build a path."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    base = base.strip(". ") or "file"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def ascii_name(file_id: int, kind_ext: str) -> str:
    """The plain ASCII name of a download (``filename=``): the file's id and its type's extension."""
    return f"evidence-{file_id}{kind_ext}"


def check_file(name: str, data: bytes, limit: int) -> Kind:
    """The file's type, or a 4xx that says what is wrong (empty, too large, not an allowed type, or a
    name whose extension does not match what the file is)."""
    shown = display_name(name)
    if not data:
        raise Invalid(f"文件 {shown} 是空的", f"the file {shown} is empty")
    if len(data) > limit:
        mb = limit / (1024 * 1024)
        raise TooLarge(
            f"文件 {shown} 超过大小上限 {mb:g} MB（{len(data)} 字节）",
            f"the file {shown} is larger than the limit of {mb:g} MB ({len(data)} bytes)",
        )
    kind = detect(data)
    if kind is None:
        raise WrongType(
            f"文件 {shown} 不是允许的类型（{ALLOWED_WORDS}），按文件内容判断",
            f"the file {shown} is not an allowed type (PDF, DOCX, PNG, JPEG), judged by its content",
        )
    ext = os.path.splitext(shown)[1].lower()
    if ext not in kind.extensions:
        raise WrongType(
            f"文件 {shown} 的扩展名与其内容（{kind.label}）不符，请改为 {kind.extensions[0]}",
            f"the file {shown} is named {ext or 'without an extension'} but is a {kind.label}; "
            f"name it {kind.extensions[0]}",
        )
    return kind


def store_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "evidence"


def _path(var_dir: Path, sha: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise ValueError("not a sha256")
    return store_dir(var_dir) / sha[:2] / sha


def store(var_dir: Path, data: bytes) -> str:
    """Write the file under its sha256 (once: the same content is stored once); returns the checksum."""
    sha = hashlib.sha256(data).hexdigest()
    path = _path(var_dir, sha)
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha:
        return sha
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{sha}.{os.getpid()}.{secrets.token_hex(4)}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return sha


def read(var_dir: Path, row: StatementFile) -> bytes:
    """The stored file, checked against the checksum kept in the database."""
    path = _path(var_dir, row.sha256)
    try:
        data = path.read_bytes()
    except OSError:
        raise Conflict(
            f"支撑材料 {row.filename} 的文件缺失，请联系管理员",
            f"the file {row.filename} is missing; tell an administrator",
        ) from None
    if hashlib.sha256(data).hexdigest() != row.sha256 or len(data) != row.size:
        raise Conflict(
            f"支撑材料 {row.filename} 校验失败（文件已被改动），未提供下载",
            f"the file {row.filename} fails its checksum (it was altered); it is not served",
        )
    return data


# --- who may write ---------------------------------------------------------------------------------


def _covers(session: Session, user: User, region_id: int) -> bool:

    writable = writable_region_ids(session, user, Resolver(session))
    return writable is None or region_id in writable


def responsible_organisations(session: Session, plan_id: int, key: str) -> set[int]:
    return set(
        session.scalars(
            select(TargetAssignment.organisation_id).where(
                TargetAssignment.plan_id == plan_id,
                TargetAssignment.target_key == key,
                TargetAssignment.valid_to.is_(None),
            )
        )
    )


def may_write(session: Session, user: User | None, plan: Plan, target: Target) -> bool:
    """An administrator; an editor whose regions cover the target's region; or a user of the target's lead
    or supporting organisation (or of the organisation a sub-target is for)."""
    if user is None or not user.is_active:
        return False
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.EDITOR and _covers(session, user, target.region_id):
        return True
    if user.organisation_id is not None:
        orgs = responsible_organisations(session, plan.id, target.key)
        if target.organisation_id is not None:
            orgs.add(target.organisation_id)
        return user.organisation_id in orgs
    return False


# --- statements ----------------------------------------------------------------------------------------


def target_of(session: Session, plan_code: str, key: str) -> tuple[Plan, Target]:
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    target = session.scalar(
        select(Target).where(Target.plan_id == plan.id, Target.key == key, Target.valid_to.is_(None))
    )
    if target is None:
        raise NotFound(f"规划 {plan_code} 中没有目标 {key}", f"plan {plan_code!r} has no target {key!r}")
    return plan, target


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def add_statement(
    session: Session,
    user: User | None,
    plan_code: str,
    key: str,
    *,
    year: int | str | None,
    text: str,
    files: list[Upload],
    var_dir: Path,
    max_bytes: int,
    now: dt.datetime,
    path: WritePath,
    corrects: int | None = None,
) -> dict[str, Any]:
    """Record a progress statement with its files; everything is checked before anything is written."""
    plan, target = target_of(session, plan_code, key)
    if user is None:
        raise Forbidden("请先登录", "log in first")
    if not may_write(session, user, plan, target):
        raise Forbidden(
            "只有管理员、负责该地区的填报员或该目标的牵头/配合单位可以填写进展情况",
            "only an administrator, an editor for the target's region, or its lead or supporting "
            "organisation may record its progress",
        )
    words = (text or "").replace("\x00", "").strip()
    if not words:
        raise Invalid("请填写进展情况说明", "write the progress statement")
    if len(words) > MAX_TEXT:
        raise Invalid(
            f"进展情况说明不能超过 {MAX_TEXT} 字", f"the statement is longer than {MAX_TEXT} characters"
        )
    try:
        the_year = int(str(year).strip())
    except (TypeError, ValueError):
        raise Invalid(
            "请填写说明所针对的年份（如 2026）", "give the year the statement speaks for (e.g. 2026)"
        ) from None
    first = target.period_start or (target.baseline_year or target.target_year - 5)
    if not (min(first, target.target_year) <= the_year <= target.target_year) or the_year > now.year:
        raise Invalid(
            f"年份 {the_year} 不在目标期内（{min(first, target.target_year)}–{min(target.target_year, now.year)}）",
            f"the year {the_year} is outside the target's period "
            f"({min(first, target.target_year)}-{min(target.target_year, now.year)})",
        )
    if len(files) > MAX_FILES:
        raise Invalid(f"一次最多附 {MAX_FILES} 个文件", f"attach at most {MAX_FILES} files at a time")
    kinds = [check_file(f.name, f.data, max_bytes) for f in files]
    previous: ProgressStatement | None = None
    if corrects is not None:
        previous = session.get(ProgressStatement, corrects)
        if previous is None or previous.plan_id != plan.id or previous.target_key != key:
            raise NotFound(f"该目标没有编号为 {corrects} 的说明", f"this target has no statement {corrects}")
        if session.scalar(select(ProgressStatement.id).where(ProgressStatement.supersedes_id == previous.id)):
            raise Conflict(
                f"说明 {corrects} 已被更正过，请更正其最新版本",
                f"statement {corrects} was already corrected; correct its latest version",
            )
    org_id = (
        user.organisation_id
        if user.organisation_id in responsible_organisations(session, plan.id, key)
        else None
    )
    row = ProgressStatement(
        plan_id=plan.id,
        target_key=key,
        year=the_year,
        text=words,
        created_by_id=user.id,
        created_at=now,
        supersedes_id=previous.id if previous else None,
        organisation_id=org_id,
    )
    session.add(row)
    session.flush()
    stored: list[StatementFile] = []
    if previous is not None:  # a correction keeps the files of the version it corrects
        for old in session.scalars(select(StatementFile).where(StatementFile.statement_id == previous.id)):
            stored.append(
                StatementFile(
                    statement_id=row.id,
                    filename=old.filename,
                    media_type=old.media_type,
                    size=old.size,
                    sha256=old.sha256,
                    created_at=old.created_at,
                )
            )
    for upload, kind in zip(files, kinds, strict=True):
        sha = store(var_dir, upload.data)
        stored.append(
            StatementFile(
                statement_id=row.id,
                filename=display_name(upload.name),
                media_type=kind.media_type,
                size=len(upload.data),
                sha256=sha,
                created_at=now,
            )
        )
    session.add_all(stored)
    audit.record(
        session,
        user=user,
        path=path,
        action="correct" if previous else "create",
        entity_type="progress_statement",
        entity_id=str(row.id),
        after={
            "target": f"{plan_code}/{key}",
            "year": the_year,
            "corrects": corrects,
            "files": [{"name": s.filename, "sha256": s.sha256, "size": s.size} for s in stored],
        },
        at=now,
    )
    session.flush()
    return {
        "id": row.id,
        "target": f"{plan_code}/{key}",
        "year": the_year,
        "corrects": corrects,
        "files": [_file(s) for s in stored],
    }


def _file(f: StatementFile) -> dict[str, Any]:
    kind = next((k.label for k in KINDS if k.media_type == f.media_type), "")
    return {
        "id": f.id,
        "name": f.filename,
        "media_type": f.media_type,
        "kind": kind,
        "size": f.size,
        "size_text": size_text(f.size),
        "sha256": f.sha256,
        "url": f"/evidence/{f.id}",
    }


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def statements(
    session: Session,
    plan_id: int,
    keys: list[str] | None = None,
    *,
    year: int | None = None,
    history: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """{target key: [statement, ...]} newest first: the current versions (``history``: also the corrected
    ones, marked). Each with its author, organisation, time, version and files."""
    stmt = select(ProgressStatement).where(ProgressStatement.plan_id == plan_id)
    if keys is not None:
        stmt = stmt.where(ProgressStatement.target_key.in_(keys))
    if year is not None:
        stmt = stmt.where(ProgressStatement.year == year)
    rows = list(session.scalars(stmt.order_by(ProgressStatement.id)))
    if not rows:
        return {}
    ids = [r.id for r in rows]
    corrected = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    version: dict[int, int] = {}
    for r in rows:  # ids ascend: a correction comes after what it corrects
        version[r.id] = version.get(r.supersedes_id, 0) + 1 if r.supersedes_id else 1
    files: dict[int, list[dict[str, Any]]] = {}
    for f in session.scalars(
        select(StatementFile).where(StatementFile.statement_id.in_(ids)).order_by(StatementFile.id)
    ):
        files.setdefault(f.statement_id, []).append(_file(f))
    people = {
        u.id: u for u in session.scalars(select(User).where(User.id.in_({r.created_by_id for r in rows})))
    }
    org_ids = {r.organisation_id for r in rows if r.organisation_id}
    orgs = (
        {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))}
        if org_ids
        else {}
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: (r.year, r.id), reverse=True):
        if r.id in corrected and not history:
            continue
        who = people.get(r.created_by_id)
        org = orgs.get(r.organisation_id) if r.organisation_id else None
        out.setdefault(r.target_key, []).append(
            {
                "id": r.id,
                "year": r.year,
                "text": r.text,
                "at": r.created_at,
                "version": version[r.id],
                "corrects": r.supersedes_id,
                "corrected": r.id in corrected,
                "by": (who.display_name or who.username) if who else None,
                "organisation": {"code": org.code, "name_zh": org.name_zh, "name_en": org.name_en}
                if org
                else None,
                "files": files.get(r.id, []),
            }
        )
    return out


def statements_for_records(
    session: Session, record_ids: list[str], year: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """{"plan/key": current statements} for report records (the evaluation documents' 支撑材料)."""
    by_plan: dict[str, list[str]] = {}
    for rid in record_ids:
        code, _, key = rid.partition("/")
        by_plan.setdefault(code, []).append(key)
    plans = {p.code: p.id for p in session.scalars(select(Plan).where(Plan.code.in_(list(by_plan))))}
    out: dict[str, list[dict[str, Any]]] = {}
    for code, keys in by_plan.items():
        if code in plans:
            for key, items in statements(session, plans[code], keys, year=year).items():
                out[f"{code}/{key}"] = items
    return out


def file_row(session: Session, file_id: int) -> StatementFile:
    row = session.get(StatementFile, file_id)
    if row is None:
        raise NotFound(f"没有编号为 {file_id} 的支撑材料", f"there is no supporting file {file_id}")
    return row


def extension(media_type: str) -> str:
    return next((k.extensions[0] for k in KINDS if k.media_type == media_type), ".bin")
