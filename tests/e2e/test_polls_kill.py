"""kill -9 during voting: every vote confirmed as recorded survives, and the poll closes on time.

The bot runs as a real `newsroom run` process against the stand-in; it is SIGKILLed while
members are clicking, then started again on the same database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import select

from bot.database import Database
from bot.models import PollVote
from bot.polls.service import PollService
from tests.e2e.conftest import Newsroom
from tests.e2e.test_polls import (
    configure,
    counts_shown,
    final_results_in,
    set_deadline,
)
from tests.standin import DiscordStandIn, Interaction, Member, Message

REPO_ROOT = Path(__file__).resolve().parents[2]
VOTERS = 600


async def start_bot(
    standin: DiscordStandIn, tmp_path: Path, database_url: str, run: int
) -> asyncio.subprocess.Process:
    """Start `newsroom run` in a child process, logging to a file."""
    env_file = tmp_path / "bot.env"
    env_file.write_text(
        f"DISCORD_TOKEN={standin.bot_token}\nDATABASE_URL={database_url}\nLOG_LEVEL=INFO\n"
        "NEWSROOM_POLL_UPDATE_SECONDS=0.5\nNEWSROOM_POLL_MIN_DURATION_SECONDS=1\n"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISCORD_TOKEN", "DATABASE_URL", "NEWSROOM_GUILD_IDS", "LOG_LEVEL"}
    }
    environment |= {
        "STANDIN_API_BASE": standin.api_base,
        "STANDIN_GATEWAY_URL": standin.gateway_url,
        "PYTHONPATH": str(REPO_ROOT),
    }
    log = (tmp_path / f"bot-{run}.log").open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.bot_process",
            "--env-file",
            str(env_file),
            "run",
            cwd=tmp_path,
            env=environment,
            stdout=log,
            stderr=log,
        )
    finally:
        log.close()


async def vote_text(click: Interaction) -> str | None:
    """Return the confirmation a member saw, or None if none arrived."""
    try:
        answer = await click.response(timeout=10)
        if not answer.deferred:
            return answer.content
        [followup] = await click.followups(1, timeout=10)
        return followup.content
    except AssertionError:
        return None


async def stored_votes(database_url: str) -> dict[int, int]:
    """Read voter -> option position from the database."""
    database = Database(database_url)
    try:
        async with database.sessions() as session:
            rows = await session.execute(select(PollVote.voter_id, PollVote.position))
            return {int(voter): int(position) for voter, position in rows}
    finally:
        await database.dispose()


async def test_kill_9_during_voting_loses_no_recorded_vote_and_closes_on_time(
    standin: DiscordStandIn, newsroom: Newsroom, tmp_path: Path, database_url: str
) -> None:
    members: list[Member] = [newsroom.guild.add_member(f"reader{n}") for n in range(VOTERS)]
    process = await start_bot(standin, tmp_path, database_url, run=1)
    try:
        await standin.wait_until_ready(timeout=60)
        await standin.wait_for_commands("poll", timeout=60)
        await configure(standin, newsroom)
        created = await standin.slash(
            newsroom.editor,
            newsroom.general,
            "poll create",
            question="Will Russia take a more active role?",
            options="Yes; No; Too early to say",
            duration="1h",
        )
        await created.response(timeout=10)
        await created.followups(1, timeout=10)
        poll: Message = standin.messages_in(newsroom.general)[-1]
        clicks: list[tuple[Member, Interaction]] = []

        async def click(member: Member, n: int) -> None:
            clicks.append((member, await standin.click(member, poll, f"poll:vote:1:{n % 3}")))

        # A first wave is fully answered; the second is cut short by SIGKILL.
        await asyncio.gather(*(click(m, n) for n, m in enumerate(members[:100])))
        await asyncio.gather(*(c.response(timeout=10) for _, c in clicks))
        await asyncio.gather(*(click(m, n) for n, m in enumerate(members[100:], start=100)))
        await standin.wait_for(
            lambda: sum(1 for _, c in clicks[100:] if c.acknowledged) >= 5, timeout=20
        )
        process.send_signal(signal.SIGKILL)
        await process.wait()
        confirmed = {
            member.id: int(c.data["custom_id"].rsplit(":", 1)[1])
            for member, c in clicks
            if c.followup_messages or (c.callback and not c.callback.deferred)
            if (
                c.followup_messages[0].content if c.followup_messages else c.callback.content
            ).startswith("Recorded your vote")
        }
        assert len(confirmed) >= 100
        assert len(confirmed) < VOTERS, "the kill came while members were still voting"
        stored = await stored_votes(database_url)
        missing = {voter for voter in confirmed if stored.get(voter) != confirmed[voter]}
        assert not missing, f"{len(missing)} recorded votes were lost"

        # The deadline passes soon after the restart; the poll must close then, not before.
        await set_deadline(database_url, 1, 4)
        process = await start_bot(standin, tmp_path, database_url, run=2)
        await standin.wait_for(lambda: final_results_in(standin, newsroom.general), timeout=60)
        final_stored = await stored_votes(database_url)
        assert all(final_stored.get(voter) == choice for voter, choice in confirmed.items())
        assert f"{len(final_stored)} members have voted" in counts_shown(poll)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
    database = Database(database_url)
    try:
        record = await PollService(database).get(1)
    finally:
        await database.dispose()
    assert record.closed_at is not None
    assert record.closed_at >= record.closes_at, "closed on time, not early"
    assert (record.closed_at - record.closes_at).total_seconds() < 5, "and not late"
    assert sum(record.final_counts or ()) == len(final_stored)
