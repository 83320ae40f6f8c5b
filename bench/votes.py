"""Benchmark: votes per second end to end through the Discord stand-in, beside an ack-only button.

Run: python -m bench.votes [--votes 1000] [--rate 600] [--postgres-url URL]
                           [--update-seconds 2] [--processes 1|2 ...]
The real bot (discord.py included) runs against the stand-in on 127.0.0.1, in a process of its
own (2p, the default first) and in the stand-in's process (1p).
For each database, N members vote in a poll twice over: all at once (a burst: the rate the bot
can absorb), then paced at --rate clicks per second (the time to acknowledgement at that load;
the default, 600/s, is above the 500/s target so that keeping up shows as more than 500/s).
Each phase prints votes per second (N over the time until every member has its private
confirmation), p50/p99 time from the click to the acknowledgement (the interaction callback
reaching the stand-in), how many were deferred or late for Discord's 3 s window, the CPU used
per click by the bot and by the stand-in, and how many times the poll message was edited. In
the same run the same N clicks on a button whose handler only acknowledges give the baseline;
the ratio is the cost of recording a vote. Every process collects garbage as `newsroom run`
does (bot.app.runner.tune_garbage_collection).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from bot.app.client import NewsroomBot
from bot.app.runner import tune_garbage_collection
from bot.config import load_settings
from bot.database import Database
from bot.polls.drafts import build_draft
from bot.polls.service import PollService
from tests.databases import fresh_database_url
from tests.standin import DiscordStandIn, Interaction, Permissions, point_discord_py_at, running

EXTENSIONS = ["cogs.admin", "cogs.polls", "bench._ack_only"]
EDIT_ROUTE = "/channels/{channel_id}/messages/{message_id}"
REPO_ROOT = Path(__file__).resolve().parents[1]


def report(line: str) -> None:
    """Print one line of results."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def click_all(
    standin: DiscordStandIn,
    members: list[Any],
    message: Any,
    custom_id: Callable[[int], str],
    bot_cpu: Callable[[], float],
    rate: float | None = None,
) -> dict:
    """Have every member click (at once, or `rate` per second); time until each has its answer."""
    started = time.perf_counter()
    cpu_before = (bot_cpu(), time.process_time())
    if rate is None:
        clicks: list[Interaction] = await asyncio.gather(
            *(standin.click(member, message, custom_id(n)) for n, member in enumerate(members))
        )
    else:
        clicks = []
        for n, member in enumerate(members):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            clicks.append(await standin.click(member, message, custom_id(n)))
    answers = await asyncio.gather(*(click.response(timeout=120) for click in clicks))
    deferred = sum(1 for answer in answers if answer.deferred)
    await asyncio.gather(
        *(
            click.followups(1, timeout=120)
            for click, answer in zip(clicks, answers, strict=True)
            if answer.deferred
        )
    )
    elapsed = time.perf_counter() - started
    bot_used, standin_used = bot_cpu() - cpu_before[0], time.process_time() - cpu_before[1]
    acks = [click.original.created_mono - click.created_at for click in clicks if click.original]
    return {
        "per_second": len(members) / elapsed,
        "p50": percentile(acks, 0.50) * 1000,
        "p99": percentile(acks, 0.99) * 1000,
        "late": sum(1 for ack in acks if ack > 3.0) + len(clicks) - len(acks),
        "deferred": deferred,
        "bot_cpu_ms": bot_used * 1000 / len(members),
        "standin_cpu_ms": standin_used * 1000 / len(members),
    }


def process_cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a child process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def bot_running(
    standin: DiscordStandIn, settings_text: str, channel_id: int, processes: int, folder: Path
) -> AsyncIterator[Callable[[], float]]:
    """Run the bot here, or (processes=2) in a child process; yield its CPU-seconds reader."""
    env_file = folder / "bench.env"
    env_file.write_text(settings_text)
    if processes == 1:
        os.environ["BENCH_ACK_CHANNEL"] = str(channel_id)
        settings = load_settings(env_file)
        database = Database(settings.database_url)
        await database.upgrade()
        bot = NewsroomBot(settings, database, extensions=EXTENSIONS, guild_ready_timeout=0.05)
        with point_discord_py_at(standin):
            async with running(bot, standin):
                await standin.wait_until_ready()
                yield time.process_time
        await database.dispose()
        return
    environment = {
        **os.environ,
        "STANDIN_API_BASE": standin.api_base,
        "STANDIN_GATEWAY_URL": standin.gateway_url,
        "BENCH_ENV_FILE": str(env_file),
        "BENCH_ACK_CHANNEL": str(channel_id),
        "PYTHONPATH": str(REPO_ROOT),
    }
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "NEWSROOM_GUILD_IDS"):
        environment.pop(name, None)
    log = (folder / "bot.log").open("wb")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench._bot_child", env=environment, stdout=log, stderr=log
    )
    log.close()
    try:
        await standin.wait_until_ready(timeout=60)
        yield lambda: process_cpu_seconds(child.pid)
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), timeout=20)
        except TimeoutError:
            child.kill()
            await child.wait()


async def open_poll(standin: DiscordStandIn, editor: Any, channel: Any, question: str) -> Any:
    """Have the editor open a three-option button poll; return its message."""
    created = await standin.slash(
        editor, channel, "poll create", question=question, options="A; B; C", duration="1h"
    )
    await created.response()
    await created.followups(1)

    def poll_message() -> Any:
        return next(
            (m for m in standin.messages_in(channel) if m.embeds and question in str(m.embeds)),
            None,
        )

    await standin.wait_for(lambda: poll_message() is not None, timeout=30)
    return poll_message()


def poll_id_of(message: Any) -> int:
    """Read the poll id from the first vote button of its message."""
    custom_id = next(c["custom_id"] for row in message.components for c in row["components"])
    return int(custom_id.split(":")[2])


async def run_backend(
    name: str, database_url: str, votes: int, update_seconds: float, processes: int, rate: float
) -> None:
    """Measure one database backend: a burst of clicks, then clicks paced at `rate` per second."""
    async with DiscordStandIn(bot_name="Newsroom", interaction_deadline=600.0) as standin:
        guild = standin.add_guild("Bench")
        channel = guild.add_text_channel("polls")
        editor = guild.add_member("editor", permissions=Permissions.manage_guild)
        members = [guild.add_member(f"reader{n}") for n in range(votes)]
        settings_text = (
            f"DISCORD_TOKEN={standin.bot_token}\nDATABASE_URL={database_url}\n"
            f"NEWSROOM_GUILD_IDS={guild.id}\nNEWSROOM_POLL_UPDATE_SECONDS={update_seconds}\n"
            "LOG_LEVEL=WARNING\n"
        )
        with tempfile.TemporaryDirectory() as folder:
            async with bot_running(
                standin, settings_text, channel.id, processes, Path(folder)
            ) as bot_cpu:
                await standin.wait_for_commands("poll", timeout=60)
                await standin.wait_for(
                    lambda: any(m.content == "Baseline" for m in standin.messages_in(channel)),
                    timeout=30,
                )
                [ack_message] = [m for m in standin.messages_in(channel) if m.content == "Baseline"]
                for phase, phase_rate in (("burst", None), (f"{rate:g}/s", rate)):
                    poll_message = await open_poll(standin, editor, channel, f"Bench {phase}?")
                    poll_id = poll_id_of(poll_message)
                    baseline = await click_all(
                        standin, members, ack_message, lambda n: "bench:ack:0", bot_cpu, phase_rate
                    )
                    edits_before = len(standin.requests_to("PATCH", EDIT_ROUTE))
                    started = time.perf_counter()
                    voting = await click_all(
                        standin,
                        members,
                        poll_message,
                        lambda n, poll_id=poll_id: f"poll:vote:{poll_id}:{n % 3}",
                        bot_cpu,
                        phase_rate,
                    )
                    await standin.wait_for(
                        lambda m=poll_message: (
                            f"{votes} members have voted" in m.embeds[0]["description"]
                        ),
                        timeout=60,
                    )
                    span = time.perf_counter() - started
                    edits = len(standin.requests_to("PATCH", EDIT_ROUTE)) - edits_before
                    label = f"{name} {processes}p {phase}"
                    report_phase(label, voting, baseline, edits, span, update_seconds, votes)
                report(f"{'':<24}429s from the stand-in: {standin.rate_limit_hits}")


def report_phase(
    label: str,
    voting: dict,
    baseline: dict,
    edits: int,
    span: float,
    update_seconds: float,
    votes: int,
) -> None:
    """Print one phase's figures: votes, the ack-only baseline, CPU and message edits."""
    report(
        f"{label:<24}votes/s {voting['per_second']:5.0f}  ack p50 {voting['p50']:5.0f} ms  "
        f"p99 {voting['p99']:5.0f} ms  deferred {voting['deferred']:4d}  late(>3s) {voting['late']}"
    )
    ratio = voting["per_second"] / baseline["per_second"]
    report(
        f"{'':<24}ack-only {baseline['per_second']:4.0f}/s  ack p50 {baseline['p50']:5.0f} ms  "
        f"p99 {baseline['p99']:5.0f} ms  ratio votes/ack-only {ratio:.2f}"
    )
    report(
        f"{'':<24}CPU per click: bot {voting['bot_cpu_ms']:.2f} ms (ack-only "
        f"{baseline['bot_cpu_ms']:.2f}), stand-in and clicking {voting['standin_cpu_ms']:.2f} ms "
        f"({baseline['standin_cpu_ms']:.2f})"
    )
    allowed = span / update_seconds + 1
    report(
        f"{'':<24}poll message edits {edits} in {span:.1f} s ({edits * 1000 / votes:.1f} per "
        f"1,000 votes; at most {allowed:.0f} allowed at one per {update_seconds:g} s)"
    )


async def recording_only(database_url: str, votes: int) -> float:
    """Return votes per second through PollService alone (no Discord, no stand-in)."""
    database = Database(database_url)
    await database.upgrade()
    try:
        service = PollService(database)
        draft = build_draft("Bench?", "A; B; C", "1h")
        poll = await service.create(draft, guild_id=1, channel_id=2, created_by=3)
        started = time.perf_counter()
        await asyncio.gather(*(service.vote(poll.id, 1000 + n, n % 3) for n in range(votes)))
        elapsed = time.perf_counter() - started
        counts = [o.votes for o in (await service.results(poll)).options]
        assert sum(counts) == votes, counts
        return votes / elapsed
    finally:
        await database.dispose()


async def main(
    votes: int,
    postgres_url: str | None,
    update_seconds: float,
    processes: list[int],
    rate: float,
) -> None:
    """Run on SQLite, then on PostgreSQL when a server is given."""
    tune_garbage_collection()
    report(f"{votes} members clicking at once, real discord.py against the stand-in")
    report("(1p: stand-in and bot share one process; 2p: the bot runs in a process of its own)")
    if postgres_url:
        os.environ["NEWSROOM_TEST_POSTGRES_URL"] = postgres_url
    for backend in ("sqlite", "postgresql") if postgres_url else ("sqlite",):
        with tempfile.TemporaryDirectory() as folder:
            async with fresh_database_url(backend, Path(folder)) as url:
                service_rate = await recording_only(url, votes)
        label = f"{backend} service only"
        report(f"{label:<24}votes/s {service_rate:5.0f}  (PollService alone, one burst)")
    for count in processes:
        with tempfile.TemporaryDirectory() as folder:
            async with fresh_database_url("sqlite", Path(folder)) as url:
                await run_backend("sqlite", url, votes, update_seconds, count, rate)
        if postgres_url:
            with tempfile.TemporaryDirectory() as folder:
                async with fresh_database_url("postgresql", Path(folder)) as url:
                    await run_backend("postgresql", url, votes, update_seconds, count, rate)
    if not postgres_url:
        report("postgresql: skipped (give --postgres-url or set NEWSROOM_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=1000)
    parser.add_argument("--postgres-url", default=os.environ.get("NEWSROOM_TEST_POSTGRES_URL"))
    parser.add_argument("--update-seconds", type=float, default=2.0)
    parser.add_argument("--processes", type=int, choices=[1, 2], action="append")
    parser.add_argument("--rate", type=float, default=600.0, help="clicks per second, paced")
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.votes,
            arguments.postgres_url,
            arguments.update_seconds,
            arguments.processes or [2, 1],
            arguments.rate,
        )
    )
