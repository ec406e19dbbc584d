"""Settings from the environment (prefix ``YRDMON_``); one object, validated once."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YRDMON_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file under var_dir.",
    )
    var_dir: Path = Field(default=Path("var"), description="Where the embedded database and files live.")
    catalog_dir: Path = Field(default=PROJECT_ROOT / "indicators")
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs CSRF tokens and unsubscribe links; generated into var/ when empty.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    run_scheduler: bool = Field(default=True, description="serve also runs the scheduler (embedded default).")
    scheduler_lease_seconds: int = 30
    nightly_run_hour: int = 2
    recompute_debounce_seconds: int = Field(
        default=20,
        description="quiet time after new data before a full run (changes that name their series: none)",
    )
    recompute_check_seconds: int = Field(default=1, ge=1, description="how often to look for new data")
    recompute_incremental: bool = Field(
        default=True,
        description="reassess only the targets new figures can change, at once (else wait, run all)",
    )
    digest_quiet_minutes: int = Field(
        default=30,
        ge=0,
        description="after-run digests: an incremental run (one figure entered) sends a subscriber a digest "
        "only if their last one is older than this; the changes wait for the next digest, never lost",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    mail_from: str = "yrdmon@localhost"
    channel_key: SecretStr = Field(
        default=SecretStr(""),
        description="Fernet key that encrypts chat robot keys and webhook secrets at rest; generated into "
        "var/channel.key (mode 0600) when empty",
    )
    chat_relay_hosts: str = Field(
        default="",
        description="comma-separated hosts (host or host:port) that 企业微信/钉钉 robot URLs may use besides the "
        "platforms' own, e.g. an intranet relay proxy",
    )
    chat_timeout_seconds: float = Field(default=10.0, gt=0, description="one chat/webhook request")
    max_upload_bytes: int = 20 * 1024 * 1024
    evidence_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="largest file attached to a progress statement (支撑材料)"
    )
    warnings_after_runs: bool = Field(
        default=True,
        description="after a scheduled full run, queue the early warning (预警) of binding targets at risk "
        "to warning_to and each lead department's users, at most once a day per plan and address",
    )
    warning_to: str = Field(
        default="", description="the plan office's addresses for warnings, comma-separated"
    )
    secure_cookies: bool = Field(
        default=False,
        description="mark the session cookie Secure; set true in production behind HTTPS",
    )
    login_max_failures: int = Field(default=5, ge=1, description="failed logins per username per window")
    login_max_failures_per_address: int = Field(
        default=20, ge=1, description="failed logins per client address per window"
    )
    login_window_seconds: int = Field(default=900, ge=1, description="window (and longest lock) for both")

    @field_validator("database_url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite and postgresql URLs are supported")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            url = make_url(self.database_url)
            if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            return url.render_as_string(hide_password=False)
        return f"sqlite:///{(self.var_dir / 'yrdmon.sqlite3').resolve()}"


def secret_key(settings: Settings) -> bytes:
    """The key that signs cookies and unsubscribe links: the setting, else one generated once into var/."""
    if settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode()
    import secrets

    return generated_key(settings, "secret.key", lambda: secrets.token_hex(32))


def generated_key(settings: Settings, name: str, make: Callable[[], str]) -> bytes:
    """A key kept in var/``name`` (mode 0600), made by ``make`` the first time it is needed."""
    path = settings.var_dir / name
    if not path.exists():
        import os
        import secrets

        settings.var_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
        try:  # the first of several starting processes wins; the others read its key
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()
