"""The `newsroom` command: run the bot, manage the database, check the set-up."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import Settings, SettingsError, configure_logging, load_settings


def echo(text: str = "") -> None:
    """Write a line of output for the person at the terminal."""
    sys.stdout.write(text + "\n")


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="newsroom", description="Newsroom: a Discord bot for a news site's community."
    )
    parser.add_argument("--version", action="version", version=f"newsroom {__version__}")
    parser.add_argument(
        "--env-file", default=".env", help="settings file to read (default: .env if present)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="upgrade the database and run the bot")
    run.add_argument(
        "--shards",
        type=int,
        metavar="N",
        help="the bot's total number of shards (overrides NEWSROOM_SHARD_COUNT)",
    )
    run.add_argument(
        "--shard-ids",
        metavar="A,B",
        help="the shards this process runs, 0 to N-1 (overrides NEWSROOM_SHARD_IDS; default all)",
    )
    commands.add_parser("check", help="validate settings and the database, and print a report")
    ingest = commands.add_parser(
        "ingest", help="extract an article from a file or URL, store it and print what was found"
    )
    ingest.add_argument("source", help="an article's URL, or an HTML or plain-text file")
    ask = commands.add_parser(
        "ask", help="answer a question from the stored articles, as the bot would in Discord"
    )
    ask.add_argument("question", help='the question, in quotes: "What happens next?"')
    feeds = commands.add_parser("feeds", help="work with followed feeds")
    feeds_commands = feeds.add_subparsers(
        dest="feeds_command", metavar="FEEDS_COMMAND", required=True
    )
    poll = feeds_commands.add_parser("poll", help="fetch due feeds and store new articles")
    poll.add_argument("--once", action="store_true", required=True, help="run one cycle and exit")
    db = commands.add_parser("db", help="manage the database schema")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations")
    upgrade.add_argument("revision", nargs="?", default="head")
    db_commands.add_parser("current", help="show the schema revision of the database")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        settings = load_settings(args.env_file, **_setting_overrides(args))
    except SettingsError as exc:
        sys.stderr.write("Newsroom's settings are invalid:\n")
        for problem in exc.problems:
            sys.stderr.write(f"  {problem}\n")
        sys.stderr.write("See .env.example for what each setting takes.\n")
        return 2
    secrets = (settings.discord_token.get_secret_value(),) if settings.discord_token else ()
    configure_logging(settings.log_level, settings.log_format, secrets)
    if args.command == "run":
        from bot.app.runner import run_bot

        return asyncio.run(run_bot(settings))
    if args.command == "check":
        from bot.app.checkup import run_checks

        return asyncio.run(run_checks(settings, echo))
    if args.command == "feeds":
        return asyncio.run(_poll_once_command(settings))
    if args.command == "ask":
        return asyncio.run(_ask_command(settings, args.question))
    if args.command == "ingest":
        return asyncio.run(_ingest_command(settings, args.source))
    return asyncio.run(_db_command(settings, args.db_command, getattr(args, "revision", "head")))


def _setting_overrides(args: argparse.Namespace) -> dict[str, object]:
    """Turn command-line options into the settings they override."""
    overrides: dict[str, object] = {}
    if getattr(args, "shards", None) is not None:
        overrides["NEWSROOM_SHARD_COUNT"] = args.shards
    if getattr(args, "shard_ids", None) is not None:
        overrides["NEWSROOM_SHARD_IDS"] = args.shard_ids
    return overrides


async def _poll_once_command(settings: Settings) -> int:
    """Run `newsroom feeds poll --once`."""
    from bot.database import DATABASE_ERRORS, Database, describe_database_error
    from bot.feeds.oneshot import describe, poll_once

    database = Database(settings.database_url)
    try:
        await database.upgrade()
        report = await poll_once(settings, database)
    except DATABASE_ERRORS as exc:
        sys.stderr.write(f"{describe_database_error(database, exc)}\n")
        return 1
    finally:
        await database.dispose()
    echo(describe(report))
    return 1 if report.failed else 0


async def _ask_command(settings: Settings, question: str) -> int:
    """Run `newsroom ask QUESTION`: the same text the bot would post."""
    from bot.database import DATABASE_ERRORS, Database, describe_database_error
    from bot.errors import NewsroomError
    from bot.questions.setup import build_questions

    database = Database(settings.database_url)
    try:
        await database.upgrade()
        service = build_questions(settings, database, None)
        await service.load()
        answer = await service.ask(question, source="cli")
    except NewsroomError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except DATABASE_ERRORS as exc:
        sys.stderr.write(f"{describe_database_error(database, exc)}\n")
        return 1
    finally:
        await database.dispose()
    echo(answer.text)
    return 0


async def _ingest_command(settings: Settings, source: str) -> int:
    """Run `newsroom ingest SOURCE`."""
    from bot.articles.ingest import describe, ingest
    from bot.database import DATABASE_ERRORS, Database, describe_database_error
    from bot.errors import NewsroomError

    database = Database(settings.database_url)
    try:
        await database.upgrade()
        result = await ingest(source, settings, database)
    except NewsroomError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"Cannot read {source}: {exc.strerror or exc}\n")
        return 1
    except DATABASE_ERRORS as exc:
        sys.stderr.write(f"{describe_database_error(database, exc)}\n")
        return 1
    finally:
        await database.dispose()
    for line in describe(result):
        echo(line)
    return 0


async def _db_command(settings: Settings, command: str, revision: str) -> int:
    """Run `newsroom db upgrade` or `newsroom db current`."""
    from bot.database import DATABASE_ERRORS, Database, describe_database_error

    database = Database(settings.database_url)
    try:
        if command == "upgrade":
            await database.upgrade(revision)
        current = await database.current_revision()
        head = database.head_revision()
        state = "up to date" if current == head else f"the newest is {head}"
        echo(f"{database.display_url}: revision {current or 'none (empty)'} ({state})")
    except DATABASE_ERRORS as exc:
        sys.stderr.write(f"{describe_database_error(database, exc)}\n")
        return 1
    finally:
        await database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
