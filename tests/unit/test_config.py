"""Settings: defaults, parsing, and one line per invalid variable."""

from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own environment out of these tests."""
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "NEWSROOM_GUILD_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_use_sqlite_in_the_working_directory() -> None:
    settings = load_settings(None)
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///newsroom.db"
    assert settings.discord_token is None
    assert settings.guild_ids == ()
    assert settings.log_level == "INFO"
    assert settings.database_backend == "sqlite"


def test_env_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_TOKEN=from-file\nNEWSROOM_GUILD_IDS=1, 2 3\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = load_settings(env_file)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "from-file"
    assert settings.guild_ids == (1, 2, 3)
    assert settings.log_level == "WARNING"


def test_token_never_appears_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token")
    settings = load_settings(None)
    assert "super-secret-token" not in repr(settings)
    assert "super-secret-token" not in str(settings)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db/news", "postgresql+asyncpg://u:p@db/news"),
        ("postgres://u@db/news", "postgresql+asyncpg://u@db/news"),
        ("sqlite:///data/news.db", "sqlite+aiosqlite:///data/news.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_are_normalised_to_async_drivers(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings(None).database_url == expected


def test_each_invalid_variable_gets_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@db/news")
    monkeypatch.setenv("NEWSROOM_GUILD_IDS", "123,abc")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    problems = caught.value.problems
    assert len(problems) == 3
    assert {problem.split(":")[0] for problem in problems} == {
        "DATABASE_URL",
        "NEWSROOM_GUILD_IDS",
        "LOG_LEVEL",
    }
    assert any("'abc' is not a guild id" in problem for problem in problems)


def test_a_copy_of_env_example_is_valid_and_empty_values_mean_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    for line in example.read_text().splitlines():
        name = line.partition("=")[0].strip()
        if name and not name.startswith("#"):
            monkeypatch.delenv(name, raising=False)
    settings = load_settings(example)
    assert settings.discord_token is None
    assert settings.site_is_wordpress is None
    assert settings.database_url == DEFAULT_DATABASE_URL
