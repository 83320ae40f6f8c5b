"""The polls domain on real SQLite and PostgreSQL: drafts, votes, counts, closing, export."""

from __future__ import annotations

import asyncio
import struct
import zlib
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.database import Database
from bot.errors import InvalidInput
from bot.models import PollVote, utcnow
from bot.polls.chart import results_chart
from bot.polls.drafts import PollKind, build_draft, parse_duration, split_options
from bot.polls.results import percentages, results_csv, tally
from bot.polls.service import PollService, VoteAction
from bot.polls.suggestions import YES_NO_OPTIONS, suggest_poll

GUILD, CHANNEL, EDITOR = 10, 20, 30


def draft(options: str = "Yes; No; Too early to say", **kwargs: object):  # type: ignore[no-untyped-def]
    """Build a one-hour draft."""
    return build_draft("Will Russia take a more active role?", options, "1h", **kwargs)


async def new_poll(service: PollService, **kwargs: object):  # type: ignore[no-untyped-def]
    """Store a poll in the test guild."""
    return await service.create(
        draft(**kwargs), guild_id=GUILD, channel_id=CHANNEL, created_by=EDITOR
    )


# Drafts, percentages, suggestions, chart: no database ---------------------------------------


def test_options_split_on_semicolons_or_bars_and_durations_are_read() -> None:
    assert split_options("Yes; No ;; Too early to say") == ["Yes", "No", "Too early to say"]
    assert split_options("Diplomacy | Sanctions|Force") == ["Diplomacy", "Sanctions", "Force"]
    limits = {"minimum": timedelta(minutes=1), "maximum": timedelta(days=90)}
    assert parse_duration("30m", **limits) == timedelta(minutes=30)
    assert parse_duration("1h30m", **limits) == timedelta(minutes=90)
    assert parse_duration(" 2 d ", **limits) == timedelta(days=2)
    for bad, message in (
        ("soon", "I couldn't read 'soon' as a duration."),
        ("10s", "at least 1m"),
        ("100d", "at most 90d"),
        ("5x", "couldn't read"),
    ):
        with pytest.raises(InvalidInput, match=message):
            parse_duration(bad, **limits)


def test_drafts_follow_discords_limits() -> None:
    assert draft().options == YES_NO_OPTIONS
    with pytest.raises(InvalidInput, match="at least 2 options"):
        draft("Yes")
    with pytest.raises(InvalidInput, match="at most 25 options"):
        draft(";".join(f"o{n}" for n in range(26)))
    assert len(draft(";".join(f"o{n}" for n in range(25))).options) == 25
    with pytest.raises(InvalidInput, match="at most 10 options"):
        draft(";".join(f"o{n}" for n in range(11)), kind=PollKind.NATIVE)
    with pytest.raises(InvalidInput, match="55 per option"):
        draft("Yes; " + "x" * 56, kind=PollKind.NATIVE)
    with pytest.raises(InvalidInput, match="polls allow 300"):
        build_draft("?" * 301, "Yes; No", "1h")
    with pytest.raises(InvalidInput, match="whole hours"):
        build_draft("Q?", "Yes; No", "90m", kind=PollKind.NATIVE)
    with pytest.raises(InvalidInput, match="Two options are the same"):
        draft("Yes; YES")


def test_percentages_of_a_single_choice_poll_add_up_to_100() -> None:
    assert percentages([1, 1, 1], 3, single_choice=True) == [34, 33, 33]
    assert sum(percentages([334, 333, 333], 1000, single_choice=True)) == 100
    assert percentages([0, 0], 0, single_choice=True) == [0, 0]
    assert percentages([3, 2], 4, single_choice=False) == [75, 50]
    results = tally(["Yes", "No"], [2, 2], 4, single_choice=True)
    assert [option.label for option in results.leaders()] == ["Yes", "No"]


def test_reader_questions_become_poll_questions() -> None:
    russia = suggest_poll("Do you think Russia will take a more active role?")
    assert russia.question == "Will Russia take a more active role?"
    assert russia.options == ("Yes", "No", "Too early to say")
    us = suggest_poll("How will the U.S. respond next?")
    assert us.question == "How will the U.S. respond next?"
    assert not us.one_click, "an open question needs options from the editors"
    assert suggest_poll("Do you think the talks will fail?").question == "Will the talks fail?"


def test_the_chart_is_a_valid_png_with_one_bar_per_option() -> None:
    data = results_chart(tally(["A", "B", "C"], [3, 1, 0], 4, single_choice=True))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    assert width == 480
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    assert len(raw) == height * (1 + width * 3)


def test_the_export_has_counts_only_and_no_formulas() -> None:
    results = tally(["=1+1", "No"], [2, 1], 3, single_choice=True)
    text = results_csv("Q?", results)
    assert text.splitlines() == [
        "question,option,votes,percent",
        "Q?,'=1+1,2,67",
        "Q?,No,1,33",
        "Q?,(voters),3,",
    ]


# The service on both backends -----------------------------------------------------------------


async def test_one_vote_per_member_is_a_database_constraint(database: Database) -> None:
    service = PollService(database)
    poll = await new_poll(service)
    row = {"poll_id": poll.id, "voter_id": 1, "slot": 0, "position": 0, "voted_at": utcnow()}
    async with database.sessions.begin() as session:
        await session.execute(insert(PollVote).values(**row))
    with pytest.raises(IntegrityError):
        async with database.sessions.begin() as session:
            await session.execute(insert(PollVote).values(**{**row, "position": 1}))


async def test_vote_change_unchanged_and_remove(database: Database) -> None:
    service = PollService(database)
    poll = await new_poll(service)
    first = await service.vote(poll.id, 1, 0)
    assert (first.action, first.choices) == (VoteAction.ADDED, ("Yes",))
    changed = await service.vote(poll.id, 1, 2)
    assert (changed.action, changed.choices) == (VoteAction.CHANGED, ("Too early to say",))
    same = await service.vote(poll.id, 1, 2)
    assert same.action is VoteAction.UNCHANGED
    await service.vote(poll.id, 2, 0)
    results = await service.results(poll)
    assert [o.votes for o in results.options] == [1, 0, 1]
    assert results.voters == 2
    _, removed = await service.remove_vote(poll.id, 1)
    assert removed == 1
    _, removed = await service.remove_vote(poll.id, 1)
    assert removed == 0
    assert [o.votes for o in (await service.results(poll)).options] == [1, 0, 0]


async def test_multiple_choice_toggles_options(database: Database) -> None:
    service = PollService(database)
    poll = await new_poll(service, multiple=True)
    await service.vote(poll.id, 1, 0)
    both = await service.vote(poll.id, 1, 1)
    assert both.choices == ("Yes", "No")
    toggled = await service.vote(poll.id, 1, 0)
    assert (toggled.action, toggled.choices) == (VoteAction.REMOVED, ("No",))
    await service.vote(poll.id, 2, 1)
    await service.vote(poll.id, 2, 2)
    results = await service.results(poll)
    assert [o.votes for o in results.options] == [0, 2, 1]
    assert results.voters == 2
    assert [o.percent for o in results.options] == [0, 100, 50]


async def test_a_thousand_concurrent_votes_are_counted_exactly(database: Database) -> None:
    service = PollService(database)
    poll = await new_poll(service)
    outcomes = await asyncio.gather(*(service.vote(poll.id, v, v % 3) for v in range(1000)))
    assert all(outcome.action is VoteAction.ADDED for outcome in outcomes)
    changes = await asyncio.gather(*(service.vote(poll.id, v, 0) for v in range(0, 1000, 2)))
    assert sum(change.action is VoteAction.CHANGED for change in changes) == 333
    results = await service.results(poll)
    expected = [0, 0, 0]
    for voter in range(1000):
        expected[0 if voter % 2 == 0 else voter % 3] += 1
    assert [o.votes for o in results.options] == expected
    assert results.voters == 1000


async def test_clicks_arriving_steadily_share_commits(database: Database) -> None:
    service = PollService(database)
    poll = await new_poll(service)
    await service.vote(poll.id, 1, 0)
    before = service.batches_committed
    clicks = []
    for voter in range(2, 42):  # a click every 2 ms for 80 ms: faster than one commit each
        clicks.append(asyncio.ensure_future(service.vote(poll.id, voter, voter % 3)))
        await asyncio.sleep(0.002)
    outcomes = await asyncio.gather(*clicks)
    assert all(outcome.action is VoteAction.ADDED for outcome in outcomes)
    # One commit per BATCH_PERIOD (50 ms) at most, not one per click.
    assert service.batches_committed - before <= 4
    assert (await service.results(poll)).voters == 41


async def test_a_refused_vote_does_not_undo_the_others_in_its_batch(database: Database) -> None:
    service = PollService(database)
    poll = await new_poll(service)
    results = await asyncio.gather(
        service.vote(poll.id, 1, 0),
        service.vote(poll.id, 2, 9),
        service.vote(poll.id + 1, 3, 0),
        service.vote(poll.id, 4, 1),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == [
        "VoteOutcome",
        "NotFound",
        "NotFound",
        "VoteOutcome",
    ]
    assert [o.votes for o in (await service.results(poll)).options] == [1, 1, 0]


async def test_closing_happens_once_records_counts_and_stops_votes(database: Database) -> None:
    now = utcnow()
    service = PollService(database, clock=lambda: now)
    poll = await new_poll(service)
    later = await new_poll(service)
    await service.vote(poll.id, 1, 1)
    assert await service.next_deadline() == poll.closes_at
    assert await service.due() == []
    assert [p.id for p in await service.due(now=now + timedelta(hours=2))] == [poll.id, later.id]
    closed, again = await asyncio.gather(service.close(poll.id), service.close(poll.id))
    winner = closed or again
    assert (closed is None) != (again is None), "exactly one close wins"
    assert winner is not None
    assert winner.final_counts == (0, 1, 0)
    with pytest.raises(InvalidInput, match="This poll has closed"):
        await service.vote(poll.id, 2, 0)
    assert [p.id for p in await service.unposted_results()] == [poll.id]
    await service.record_results_message(poll.id, CHANNEL, 99)
    assert await service.unposted_results() == []
    assert [p.id for p in await service.list(GUILD)] == [later.id]


async def test_votes_after_the_deadline_are_refused_before_the_close(database: Database) -> None:
    moments = [utcnow()]
    service = PollService(database, clock=lambda: moments[0])
    poll = await new_poll(service)
    moments[0] = poll.closes_at
    with pytest.raises(InvalidInput, match="closed"):
        await service.vote(poll.id, 1, 0)


async def test_native_votes_are_mirrored_per_answer(database: Database) -> None:
    service = PollService(database)
    poll = await service.create(
        draft(kind=PollKind.NATIVE, multiple=True),
        guild_id=GUILD,
        channel_id=CHANNEL,
        created_by=EDITOR,
    )
    await service.attach_message(poll.id, 555)
    assert await service.mirror_vote(556, 1, 1, added=True) is None, "not our poll"
    await service.mirror_vote(555, 1, 1, added=True)
    await service.mirror_vote(555, 1, 3, added=True)
    await service.mirror_vote(555, 2, 3, added=True)
    await service.mirror_vote(555, 2, 3, added=False)
    results = await service.results(await service.get(poll.id))
    assert [o.votes for o in results.options] == [1, 0, 1]
    closed = await service.close(poll.id, final_counts=[4, 0, 2])
    assert closed is not None
    assert closed.final_counts == (4, 0, 2)


async def test_a_suggestion_opens_one_poll(database: Database) -> None:
    service = PollService(database)
    await service.create(
        draft(), guild_id=GUILD, channel_id=CHANNEL, created_by=EDITOR, source="suggestion:1:0"
    )
    with pytest.raises(InvalidInput, match="opened already"):
        await service.create(
            draft(), guild_id=GUILD, channel_id=CHANNEL, created_by=EDITOR, source="suggestion:1:0"
        )
