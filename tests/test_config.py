"""Settings that the service derives itself."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import SecretStr

from service.config import Settings, secret_key


def test_the_embedded_secret_is_generated_once_private_and_shared(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    with ThreadPoolExecutor(4) as pool:  # several processes starting at once agree on one key
        keys = set(pool.map(lambda _: secret_key(settings), range(8)))
    assert len(keys) == 1 and len(keys.pop()) == 64
    mode = (tmp_path / "var" / "secret.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == ["secret.key"]


def test_a_configured_secret_wins(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key=SecretStr("from-the-environment"))
    assert secret_key(settings) == b"from-the-environment"
    assert not (tmp_path / "var").exists()
