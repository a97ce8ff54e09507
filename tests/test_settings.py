"""Settings: each one documented, coerced and checked; the secret key kept safely."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask import Flask

from moderation import create_app
from moderation.settings import SETTINGS, SettingsError, load_settings

ROOT = Path(__file__).parent.parent


def test_the_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`MODERATION_{setting.name}`" in readme, setting.name


def test_the_contract_settings_exist() -> None:
    names = {setting.name for setting in SETTINGS}
    assert {"DATABASE_URL", "SECRET_KEY", "ALLOWED_ORIGINS", "RATELIMIT", "RATELIMIT_STORAGE",
            "TRUSTED_PROXIES"} <= names


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MODERATION_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("MODERATION_SECRET_KEY", "from-env")
    monkeypatch.setenv("MODERATION_ALLOWED_ORIGINS", "https://Blog.example, http://localhost:8000/")
    monkeypatch.setenv("MODERATION_RATELIMIT", "10/hour")
    monkeypatch.setenv("MODERATION_TRUSTED_PROXIES", "2")
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/env.sqlite3"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["ALLOWED_ORIGINS"] == ("https://blog.example", "http://localhost:8000")
    assert app.config["RATELIMIT"] == "10/hour"
    assert app.config["TRUSTED_PROXIES"] == 2


@pytest.mark.parametrize(("env", "given"), [("10", 4096), ("100000", 0), ("big", 2000)])
def test_settings_given_to_create_app_win_over_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                               env: str, given: int) -> None:
    monkeypatch.setenv("MODERATION_MAX_REQUEST_BYTES", env)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "x", "MAX_REQUEST_BYTES": given})
    assert app.config["MAX_REQUEST_BYTES"] == given
    assert app.config["MAX_CONTENT_LENGTH"] == (given or None)


@pytest.mark.parametrize("name, value, message", [
    ("ALLOWED_ORIGINS", "blog.example", "is not an origin"),
    ("ALLOWED_ORIGINS", "https://blog.example/path", "is not an origin"),
    ("RATELIMIT", "lots", "is not a limit"),
    ("RATELIMIT", "5/fortnight", "is not a limit"),
    ("TRUSTED_PROXIES", "-1", "zero or more"),
    ("TRUSTED_PROXIES", "two", "whole number"),
    ("MAX_REQUEST_BYTES", "big", "whole number"),
    ("RATELIMIT_STORAGE", "async+redis://127.0.0.1:6379/0", "shared counter storage"),
    ("RATELIMIT_STORAGE", "memory://", "shared counter storage"),
    ("RATELIMIT_STORAGE", "redis:/127.0.0.1", "shared counter storage"),
])
def test_bad_values_are_refused_clearly(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"MODERATION_{name}.*{message}"):
        load_settings(Flask(__name__, instance_path=str(tmp_path)), {name: value})


@pytest.mark.parametrize("value, expected", [("0", ""), (0, ""), ("5/minute", "5/minute"),
                                             ("5 per minute;100/day", "5 per minute;100/day")])
def test_rate_values(tmp_path: Path, value: object, expected: str) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    load_settings(app, {"RATELIMIT": value, "SECRET_KEY": "x"})
    assert app.config["RATELIMIT"] == expected


def test_defaults(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    load_settings(app)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/moderation.sqlite3"
    assert app.config["RATELIMIT"] == "5/minute"
    assert app.config["TRUSTED_PROXIES"] == 0
    assert app.config["ALLOWED_ORIGINS"] == ()


def test_generated_secret_key_is_private_and_kept(tmp_path: Path) -> None:
    first = Flask(__name__, instance_path=str(tmp_path))
    load_settings(first)
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 40
    second = Flask(__name__, instance_path=str(tmp_path))
    load_settings(second)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
