"""docker-compose.yml agrees with the code: commands exist, environment variables are settings.

Docker does not run on the test machines, so the compose file is checked by reading it.
"""

from __future__ import annotations

import re

import yaml
from typer.main import get_command

from service.cli.main import app
from service.config import PROJECT_ROOT, Settings

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def _cli_commands() -> dict[str, set[str]]:
    root = get_command(app)
    out: dict[str, set[str]] = {}
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        out[name] = {
            opt for p in cmd.params for opt in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]
        }
    return out


def test_compose_has_the_production_shape() -> None:
    assert {"db", "web", "scheduler", "mail", "init"} <= set(SERVICES)
    assert SERVICES["web"]["deploy"]["replicas"] >= 2
    assert "replicas" not in SERVICES["scheduler"].get("deploy", {}), "exactly one scheduler process"
    assert SERVICES["db"]["image"].startswith("postgres")


def test_every_yrdmon_command_in_compose_exists_with_its_options() -> None:
    commands = _cli_commands()
    seen = 0
    for name, service in SERVICES.items():
        command = service.get("command")
        if not command or command[0] != "yrdmon":
            continue
        seen += 1
        sub = command[1]
        assert sub in commands, f"{name}: `yrdmon {sub}` is not a command"
        for option in (a for a in command[2:] if a.startswith("--")):
            assert option in commands[sub], f"{name}: `yrdmon {sub}` has no option {option}"
    assert seen >= 3
    assert "--no-scheduler" in SERVICES["web"]["command"]
    assert SERVICES["scheduler"]["command"][:2] == ["yrdmon", "scheduler"]


def test_every_yrdmon_variable_in_compose_is_a_setting() -> None:
    fields = {f"YRDMON_{name.upper()}" for name in Settings.model_fields}
    text = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\b(YRDMON_[A-Z_]+)\s*:", text))
    assert used and used <= fields, f"unknown settings in compose: {used - fields}"
    env = SERVICES["web"]["environment"]
    assert env["YRDMON_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert str(env["YRDMON_RUN_SCHEDULER"]).lower() == "false"


def test_the_dockerfile_installs_the_console_script() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install" in dockerfile and 'CMD ["yrdmon", "serve"' in dockerfile
    for directory in ("service", "migrations", "indicators"):
        assert f"COPY {directory}" in dockerfile
