"""Typed settings read from the environment and `.env`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///newsroom.db"


class Settings(BaseSettings):
    """Every setting Newsroom reads; see `.env.example` for the documentation."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,  # `NAME=` (as in .env.example) means "use the default"
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    guild_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), validation_alias="NEWSROOM_GUILD_IDS"
    )
    log_level: LogLevel = Field(default="INFO", validation_alias="LOG_LEVEL")
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, le=300, validation_alias="NEWSROOM_SHUTDOWN_GRACE_SECONDS"
    )
    site_url: str | None = Field(default=None, validation_alias="SITE_URL")
    site_is_wordpress: bool | None = Field(default=None, validation_alias="SITE_IS_WORDPRESS")
    comments_store: Literal["none", "wordpress", "webhook"] = Field(
        default="none", validation_alias="COMMENTS_STORE"
    )
    comments_wordpress_api_url: str | None = Field(
        default=None, validation_alias="COMMENTS_WORDPRESS_API_URL"
    )
    comments_wordpress_user: str | None = Field(
        default=None, validation_alias="COMMENTS_WORDPRESS_USER"
    )
    comments_wordpress_app_password: SecretStr | None = Field(
        default=None, validation_alias="COMMENTS_WORDPRESS_APP_PASSWORD"
    )
    comments_webhook_url: str | None = Field(default=None, validation_alias="COMMENTS_WEBHOOK_URL")
    comments_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="COMMENTS_WEBHOOK_SECRET"
    )
    comments_name_format: str = Field(
        default="{display_name} (via Discord)", validation_alias="COMMENTS_NAME_FORMAT"
    )
    comments_email_domain: str = Field(
        default="discord-members.invalid", validation_alias="COMMENTS_EMAIL_DOMAIN"
    )
    comments_hold: bool = Field(default=True, validation_alias="COMMENTS_HOLD_FOR_MODERATION")
    comments_max_length: int = Field(
        default=4000, ge=100, le=60_000, validation_alias="COMMENTS_MAX_LENGTH"
    )
    comments_blocklist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias="COMMENTS_BLOCKLIST"
    )
    comments_rate_limit: int = Field(
        default=5, ge=1, le=1000, validation_alias="COMMENTS_RATE_LIMIT"
    )
    comments_rate_window_seconds: float = Field(
        default=60.0, gt=0, le=86_400, validation_alias="COMMENTS_RATE_WINDOW_SECONDS"
    )
    comments_retry_base_seconds: float = Field(
        default=5.0, gt=0, le=3600, validation_alias="COMMENTS_RETRY_BASE_SECONDS"
    )
    comments_retry_max_seconds: float = Field(
        default=1800.0, gt=0, le=86_400, validation_alias="COMMENTS_RETRY_MAX_SECONDS"
    )
    comments_give_up_hours: float = Field(
        default=72.0, gt=0, le=24 * 60, validation_alias="COMMENTS_GIVE_UP_HOURS"
    )
    comments_sync_interval_seconds: float = Field(
        default=300.0, gt=0, le=86_400, validation_alias="COMMENTS_SYNC_INTERVAL_SECONDS"
    )
    comments_lease_seconds: float = Field(
        default=120.0, ge=1, le=3600, validation_alias="COMMENTS_LEASE_SECONDS"
    )
    comments_concurrency: int = Field(
        default=4, ge=1, le=32, validation_alias="COMMENTS_DELIVERY_CONCURRENCY"
    )
    feed_interval_seconds: float = Field(
        default=600.0, ge=30, le=86_400, validation_alias="NEWSROOM_FEED_INTERVAL_SECONDS"
    )
    feed_first_fetch_items: int = Field(
        default=1, ge=0, le=1, validation_alias="NEWSROOM_FEED_FIRST_FETCH_ITEMS"
    )
    feed_max_posts_per_cycle: int = Field(
        default=5, ge=1, le=50, validation_alias="NEWSROOM_FEED_MAX_POSTS_PER_CYCLE"
    )
    feed_failures_before_pause: int = Field(
        default=8, ge=1, le=100, validation_alias="NEWSROOM_FEED_FAILURES_BEFORE_PAUSE"
    )
    fetch_timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, validation_alias="NEWSROOM_FETCH_TIMEOUT_SECONDS"
    )
    fetch_max_bytes: int = Field(
        default=5_000_000, ge=10_000, le=50_000_000, validation_alias="NEWSROOM_FETCH_MAX_BYTES"
    )
    questions_per_window: int = Field(
        default=3, ge=1, le=100, validation_alias="NEWSROOM_QUESTIONS_PER_WINDOW"
    )
    question_window_seconds: float = Field(
        default=60.0, gt=0, le=3600, validation_alias="NEWSROOM_QUESTION_WINDOW_SECONDS"
    )
    question_max_length: int = Field(
        default=300, ge=20, le=1000, validation_alias="NEWSROOM_QUESTION_MAX_LENGTH"
    )
    answer_llm_url: str | None = Field(default=None, validation_alias="NEWSROOM_ANSWER_LLM_URL")
    answer_llm_model: str = Field(default="", validation_alias="NEWSROOM_ANSWER_LLM_MODEL")
    answer_llm_key: SecretStr | None = Field(
        default=None, validation_alias="NEWSROOM_ANSWER_LLM_KEY"
    )
    answer_llm_timeout_seconds: float = Field(
        default=8.0, gt=0, le=60, validation_alias="NEWSROOM_ANSWER_LLM_TIMEOUT_SECONDS"
    )
    poll_update_seconds: float = Field(
        default=3.0, ge=0.05, le=600, validation_alias="NEWSROOM_POLL_UPDATE_SECONDS"
    )
    poll_min_duration_seconds: int = Field(
        default=60, ge=1, le=86_400, validation_alias="NEWSROOM_POLL_MIN_DURATION_SECONDS"
    )
    poll_suggested_duration_seconds: int = Field(
        default=86_400, ge=60, le=7_776_000, validation_alias="NEWSROOM_POLL_SUGGESTED_SECONDS"
    )
    log_format: LogFormat = Field(default="text", validation_alias="NEWSROOM_LOG_FORMAT")
    shard_count: int | None = Field(
        default=None, ge=1, le=10_000, validation_alias="NEWSROOM_SHARD_COUNT"
    )
    shard_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), validation_alias="NEWSROOM_SHARD_IDS"
    )
    lease_retry_seconds: float = Field(
        default=5.0, ge=0.1, le=300, validation_alias="NEWSROOM_LEASE_RETRY_SECONDS"
    )
    ops_port: int | None = Field(
        default=None, ge=0, le=65_535, validation_alias="NEWSROOM_OPS_PORT"
    )
    ops_host: str = Field(default="127.0.0.1", validation_alias="NEWSROOM_OPS_HOST")

    @field_validator("guild_ids", mode="before")
    @classmethod
    def _split_guild_ids(cls, value: object) -> object:
        """Accept a comma- or space-separated list of guild ids."""
        if isinstance(value, str):
            parts = [part for part in value.replace(",", " ").split() if part]
            for part in parts:
                if not part.isdigit():
                    raise ValueError(f"{part!r} is not a guild id (a number)")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        """Accept a comma- or space-separated list of shard ids."""
        if isinstance(value, str):
            parts = [part for part in value.replace(",", " ").split() if part]
            for part in parts:
                if not part.isdigit():
                    raise ValueError(f"{part!r} is not a shard id (a number from 0)")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        """Let `NEWSROOM_LOG_FORMAT=JSON` mean json."""
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("ops_port", "shard_count", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """Treat an empty variable as not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        """Shard ids need a shard count, and each must be one of its shards, once."""
        if not self.shard_ids:
            return self
        if self.shard_count is None:
            raise ValueError(
                "NEWSROOM_SHARD_IDS needs NEWSROOM_SHARD_COUNT (the total number of shards)"
            )
        wrong = [i for i in self.shard_ids if i >= self.shard_count]
        if wrong:
            raise ValueError(
                f"NEWSROOM_SHARD_IDS: shard ids must be 0 to {self.shard_count - 1} for "
                f"{self.shard_count} shards; got {', '.join(map(str, wrong))}"
            )
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError("NEWSROOM_SHARD_IDS: each shard id may appear once")
        if self.database_backend == "sqlite" and len(self.shard_ids) < self.shard_count:
            raise ValueError(
                "NEWSROOM_SHARD_IDS: other processes run the other shards, so every process "
                "must share one PostgreSQL database (DATABASE_URL=postgresql://...); "
                "SQLite serves a single process"
            )
        return self

    @property
    def process_shard_ids(self) -> list[int] | None:
        """Return the shards this process runs (None: all of them)."""
        if self.shard_count is None:
            return None
        return list(self.shard_ids) if self.shard_ids else list(range(self.shard_count))

    @field_validator("site_url")
    @classmethod
    def _check_site_url(cls, value: str | None) -> str | None:
        """Accept an http(s) address of the news site, without a trailing slash."""
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be the site's address, like https://news.example.com")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        """Let `LOG_LEVEL=debug` mean DEBUG."""
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        """Accept only the async drivers Newsroom ships with."""
        value = value.strip()
        if value.startswith(("postgres://", "postgresql://")):
            rest = value.split("://", 1)[1]
            return f"postgresql+asyncpg://{rest}"
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:/// or postgresql+asyncpg:// "
                "(postgresql:// and sqlite:/// are converted for you)"
            )
        return value

    @field_validator("comments_blocklist", mode="before")
    @classmethod
    def _split_blocklist(cls, value: object) -> object:
        """Accept comma-separated blocked words or phrases."""
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("comments_name_format")
    @classmethod
    def _check_name_format(cls, value: str) -> str:
        """Allow only the {display_name} and {username} placeholders."""
        try:
            value.format(display_name="x", username="x")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                "may use only {display_name} and {username}, like '{display_name} (via Discord)'"
            ) from None
        return value

    @model_validator(mode="after")
    def _check_comment_store(self) -> Settings:
        """Say which credentials the chosen comment store still needs."""
        if self.comments_store == "wordpress":
            needed = (
                ("SITE_URL or COMMENTS_WORDPRESS_API_URL", self.comments_api_root),
                ("COMMENTS_WORDPRESS_USER", self.comments_wordpress_user),
                ("COMMENTS_WORDPRESS_APP_PASSWORD", self.comments_wordpress_app_password),
            )
            missing = [name for name, value in needed if not value]
            if missing:
                raise ValueError(f"COMMENTS_STORE=wordpress needs {', '.join(missing)}")
        if self.comments_store == "webhook" and not (
            self.comments_webhook_url and self.comments_webhook_secret
        ):
            raise ValueError(
                "COMMENTS_STORE=webhook needs COMMENTS_WEBHOOK_URL and COMMENTS_WEBHOOK_SECRET"
            )
        return self

    @property
    def comments_api_root(self) -> str | None:
        """Return the WordPress REST API root comments go to (SITE_URL's /wp-json by default)."""
        if self.comments_wordpress_api_url:
            return self.comments_wordpress_api_url.strip().rstrip("/")
        return f"{self.site_url}/wp-json" if self.site_url else None

    @property
    def database_backend(self) -> str:
        """Name the database backend: sqlite or postgresql."""
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"


class SettingsError(Exception):
    """Settings could not be loaded; `problems` has one line per bad variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _variable_name(loc: tuple[int | str, ...]) -> str:
    """Turn a validation error location into the environment variable a user sets."""
    field_name = str(loc[0]) if loc else "?"
    field = Settings.model_fields.get(field_name)
    alias = field.validation_alias if field is not None else None
    return str(alias) if isinstance(alias, str) else field_name.upper()


def load_settings(env_file: Path | str | None = ".env", **overrides: object) -> Settings:
    """Load settings, raising SettingsError with one line per invalid variable."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = _variable_name(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if error["loc"] else message)
        raise SettingsError(problems) from None


def configure_logging(level: str, log_format: str = "text", secrets: tuple[str, ...] = ()) -> None:
    """Send log records to stderr at the configured level, as text or one JSON object a line."""
    from bot.logs import install_handler

    install_handler(level, log_format, secrets)
    quiet = max(logging.getLevelName(level), logging.WARNING)
    logging.getLogger("alembic").setLevel(quiet)
