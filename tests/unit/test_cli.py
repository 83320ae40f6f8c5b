"""The `newsroom` command as a newcomer meets it: run in a fresh folder, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import __version__

SETTING_VARIABLES = ("DISCORD_TOKEN", "DATABASE_URL", "NEWSROOM_GUILD_IDS", "LOG_LEVEL")


def newsroom(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `newsroom ARGS` in `cwd` with a clean environment plus `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    result = newsroom(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"newsroom {__version__}"


def test_run_without_a_token_explains_how_to_get_one(tmp_path: Path) -> None:
    result = newsroom(tmp_path, "run")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DISCORD_TOKEN" in result.stderr
    assert "https://discord.com/developers/applications" in result.stderr
    assert ".env" in result.stderr
    assert not (tmp_path / "newsroom.db").exists(), "nothing is created before the token check"


def test_blank_token_in_env_file_counts_as_missing(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\n")
    result = newsroom(tmp_path, "run")
    assert result.returncode == 2
    assert "none is set" in result.stderr


def test_invalid_settings_give_one_line_per_variable(tmp_path: Path) -> None:
    result = newsroom(tmp_path, "check", LOG_LEVEL="chatty", NEWSROOM_GUILD_IDS="12,x")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [line.split(":")[0].strip() for line in problem_lines] == [
        "NEWSROOM_GUILD_IDS",
        "LOG_LEVEL",
    ]


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    before = newsroom(tmp_path, "db", "current")
    assert before.returncode == 0
    assert "none (empty)" in before.stdout
    upgraded = newsroom(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "up to date" in upgraded.stdout
    assert (tmp_path / "newsroom.db").exists()
    after = newsroom(tmp_path, "db", "current")
    assert "up to date" in after.stdout


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql://newsroom:hunter2@127.0.0.1:9/newsroom"
    result = newsroom(tmp_path, "db", "current", DATABASE_URL=url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Cannot use the database at postgresql+asyncpg://newsroom:***@127.0.0.1:9" in (
        result.stderr
    )
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("with_env_file", [False, True])
def test_check_reports_each_part(tmp_path: Path, with_env_file: bool) -> None:
    if with_env_file:
        (tmp_path / ".env").write_text("LOG_LEVEL=warning\n")
    result = newsroom(tmp_path, "check")
    assert result.returncode == 1, "a missing token is a failed check"
    lines = result.stdout.splitlines()
    assert lines[0] == f"Newsroom {__version__} check"
    assert any(line.startswith("  ok   settings") for line in lines)
    assert any(line.startswith("  ok   database") for line in lines)
    assert any(line.startswith("  FAIL discord token: not set") for line in lines)
    assert ("WARNING" in result.stdout) is with_env_file


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"


@pytest.mark.parametrize("fixture", ["iran_russia_plaintext.txt", "iran_russia_wordpress.html"])
def test_ingest_prints_and_stores_the_example_article(tmp_path: Path, fixture: str) -> None:
    result = newsroom(tmp_path, "ingest", str(FIXTURES / fixture))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Article #1 (new): Iran Strikes a Deal with Putin")
    assert "Key facts (4):" in lines
    assert "  2. Iran’s Retaliation: Iran, already under intense pressure" in "\n".join(lines)
    assert "Outlook (5):" in lines
    assert lines[-3:] == [
        "Reader questions (2):",
        "  - Do you think Russia will take a more active role?",
        "  - How will the U.S. respond next?",
    ]
    again = newsroom(tmp_path, "ingest", str(FIXTURES / fixture))
    assert again.stdout.splitlines()[0].startswith("Article #1 (unchanged)")


def test_ingest_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = newsroom(tmp_path, "ingest", str(tmp_path / "nope.txt"))
    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"Cannot read {tmp_path / 'nope.txt'}: No such file or directory"
    )


def test_garbage_collection_is_tuned_for_a_busy_bot(tmp_path: Path) -> None:
    # In a child process: the tuning is process-wide and must not leak into this test run.
    script = (
        "import gc\n"
        "from bot.app.runner import GC_THRESHOLDS, tune_garbage_collection\n"
        "before = gc.get_freeze_count()\n"
        "tune_garbage_collection()\n"
        "assert gc.get_threshold() == GC_THRESHOLDS, gc.get_threshold()\n"
        "assert gc.get_freeze_count() > before + 10_000, gc.get_freeze_count()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
