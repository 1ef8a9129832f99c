"""The command line and the environment are two spellings of one settings object."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from webexplorer.cli import build_parser, settings_from_args
from webexplorer.settings import Settings


@pytest.mark.parametrize("cmd", [["webexplorer", "--help"], [sys.executable, "-m", "webexplorer", "--help"]])
def test_help_runs(cmd: list[str]) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert "serve" in out and "sandbox" in out and "snapshot" in out


def test_every_setting_has_a_flag_and_an_env_var() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "webexplorer", "serve", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in Settings.model_fields:
        assert "--" + name.replace("_", "-") in out
        assert "WEBEXPLORER_" + name.upper() in out


def test_flags_and_environment_mean_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    from_flags = settings_from_args(
        parser.parse_args(
            [
                "serve",
                *("--server", "http://127.0.0.1:8001", "--allow-writes"),
                *("--allowed-hosts", "a.example,b.example", "--openapi", "v2", "--port", "9000"),
            ]
        )
    )
    monkeypatch.setenv("WEBEXPLORER_SERVER", "http://127.0.0.1:8001")
    monkeypatch.setenv("WEBEXPLORER_ALLOW_WRITES", "true")
    monkeypatch.setenv("WEBEXPLORER_ALLOWED_HOSTS", "a.example,b.example")
    monkeypatch.setenv("WEBEXPLORER_OPENAPI", "v2")
    monkeypatch.setenv("WEBEXPLORER_PORT", "9000")
    from_env = settings_from_args(parser.parse_args(["serve"]))
    assert from_flags == from_env
    assert from_env.allowed_hosts == ["a.example", "b.example"]


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBEXPLORER_PORT", "9000")
    settings = settings_from_args(build_parser().parse_args(["serve", "--port", "9100"]))
    assert settings.port == 9100


def test_bad_setting_is_one_clear_line() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "webexplorer", "serve", "--port", "99999"], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert "invalid setting port" in r.stderr
    assert "Traceback" not in r.stderr


def test_secret_key_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mounted Secret: the key is the file's content (its trailing newline dropped), and a missing,
    empty or doubly given key stops the start with one line instead of a random key per replica."""
    key_file = tmp_path / "secret-key"
    key_file.write_text("0123456789abcdef\n")
    monkeypatch.setenv("WEBEXPLORER_SECRET_KEY_FILE", str(key_file))
    assert Settings().secret_key == "0123456789abcdef"
    monkeypatch.delenv("WEBEXPLORER_SECRET_KEY_FILE")
    (tmp_path / "empty").write_text("\n")
    for args, why in (
        (["--secret-key-file", str(tmp_path / "missing")], "cannot read"),
        (["--secret-key-file", str(tmp_path / "empty")], "is empty"),
        (["--secret-key-file", str(key_file), "--secret-key", "x"], "not both"),
    ):
        r = subprocess.run(
            [sys.executable, "-m", "webexplorer", "serve", *args], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 2, r.stderr
        assert "invalid setting secret_key_file" in r.stderr and why in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "0123456789abcdef" not in r.stderr
