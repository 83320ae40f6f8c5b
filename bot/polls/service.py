"""Store polls and votes: one vote per member by a unique key, exact counts, closing once."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.database import Database
from bot.errors import InvalidInput, NotFound
from bot.models import Poll, PollOption, PollVote, utcnow
from bot.polls.ballots import (
    BallotBox,
    CastVote,
    MirrorVote,
    RemoveVote,
    VoteAction,
    VoteOutcome,
)
from bot.polls.drafts import PollDraft, PollKind
from bot.polls.results import PollResults, tally

log = logging.getLogger(__name__)

__all__ = ["PollRecord", "PollService", "PollStatus", "VoteAction", "VoteOutcome"]


class PollStatus(enum.StrEnum):
    """Whether a poll still takes votes."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class PollRecord:
    """A snapshot of a poll and its options."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    results_channel_id: int | None
    results_message_id: int | None
    article_id: int | None
    source: str | None
    question: str
    options: tuple[str, ...]
    kind: PollKind
    anonymous: bool
    multiple: bool
    hide_results: bool
    status: PollStatus
    created_by: int
    created_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    final_counts: tuple[int, ...] | None

    @property
    def is_open(self) -> bool:
        """Tell whether the poll is still open."""
        return self.status is PollStatus.OPEN

    @classmethod
    def from_columns(cls, row: Mapping[str, Any], options: tuple[str, ...]) -> PollRecord:
        """Snapshot a poll from its table's columns and its option labels (no final counts)."""
        return cls(
            **{name: row[name] for name in _COLUMNS},
            options=options,
            kind=PollKind(row["kind"]),
            status=PollStatus(row["status"]),
            final_counts=None,
        )

    @classmethod
    def from_row(cls, row: Poll) -> PollRecord:
        """Snapshot a row whose options are loaded."""
        columns = {name: getattr(row, name) for name in (*_COLUMNS, "kind", "status")}
        record = cls.from_columns(columns, tuple(option.label for option in row.options))
        finals = [option.final_count for option in row.options]
        if None in finals:
            return record
        return replace(record, final_counts=tuple(int(c or 0) for c in finals))


_COLUMNS = [
    "id",
    "guild_id",
    "channel_id",
    "message_id",
    "results_channel_id",
    "results_message_id",
    "article_id",
    "source",
    "question",
    "anonymous",
    "multiple",
    "hide_results",
    "created_by",
    "created_at",
    "closes_at",
    "closed_at",
]


class PollService:
    """Create, vote in, count and close polls."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._database = database
        self.clock = clock
        # SQLite has one writer at a time: queueing here is cheaper than its busy-wait.
        self._write_lock = asyncio.Lock() if database.backend == "sqlite" else None
        self._ballots = BallotBox(
            database.backend, self._writing, lambda: self.clock(), PollRecord.from_columns
        )

    # Creating ------------------------------------------------------------------------------

    async def create(
        self,
        draft: PollDraft,
        *,
        guild_id: int,
        channel_id: int,
        created_by: int,
        article_id: int | None = None,
        source: str | None = None,
        results_channel_id: int | None = None,
    ) -> PollRecord:
        """Store a new open poll; its deadline is now + the draft's duration, in UTC."""
        now = self.clock()
        try:
            return await self._insert_poll(
                draft,
                now,
                guild_id=guild_id,
                channel_id=channel_id,
                created_by=created_by,
                article_id=article_id,
                source=source,
                results_channel_id=results_channel_id,
            )
        except IntegrityError:  # the same suggestion opened twice at the same moment
            raise InvalidInput("That poll was opened already.") from None

    async def _insert_poll(
        self,
        draft: PollDraft,
        now: datetime,
        *,
        guild_id: int,
        channel_id: int,
        created_by: int,
        article_id: int | None,
        source: str | None,
        results_channel_id: int | None,
    ) -> PollRecord:
        """Insert the poll and its options."""
        async with self._database.sessions.begin() as session:
            if source is not None:
                taken = await session.scalar(select(Poll.id).where(Poll.source == source))
                if taken is not None:
                    raise InvalidInput(f"That poll was opened already (poll #{taken}).")
            row = Poll(
                guild_id=guild_id,
                channel_id=channel_id,
                article_id=article_id,
                source=source,
                question=draft.question,
                kind=draft.kind.value,
                anonymous=draft.anonymous,
                multiple=draft.multiple,
                hide_results=draft.hide_results,
                status=PollStatus.OPEN.value,
                created_by=created_by,
                created_at=now,
                closes_at=now + draft.duration,
                results_channel_id=results_channel_id,
                options=[
                    PollOption(position=position, label=label)
                    for position, label in enumerate(draft.options)
                ],
            )
            session.add(row)
            await session.flush()
            return PollRecord.from_row(row)

    async def attach_message(self, poll_id: int, message_id: int) -> PollRecord:
        """Record the Discord message that shows the poll."""
        return await self._update(poll_id, message_id=message_id)

    async def record_results_message(self, poll_id: int, channel_id: int, message_id: int) -> None:
        """Record where the final results were posted."""
        await self._update(poll_id, results_channel_id=channel_id, results_message_id=message_id)

    async def discard(self, poll_id: int) -> None:
        """Delete a poll whose message could not be posted."""
        async with self._database.sessions.begin() as session:
            await session.execute(delete(Poll).where(Poll.id == poll_id))

    # Reading -------------------------------------------------------------------------------

    async def get(self, poll_id: int, *, guild_id: int | None = None) -> PollRecord:
        """Return a poll (of `guild_id` when given), or raise NotFound."""
        async with self._database.reads() as session:
            row = await session.get(Poll, poll_id, options=[selectinload(Poll.options)])
            if row is None or (guild_id is not None and row.guild_id != guild_id):
                raise NotFound(f"There is no poll #{poll_id} in this server.")
            return PollRecord.from_row(row)

    async def by_message(self, message_id: int) -> PollRecord | None:
        """Find the poll shown by a message."""
        async with self._database.reads() as session:
            row = await session.scalar(
                select(Poll)
                .where(Poll.message_id == message_id)
                .options(selectinload(Poll.options))
            )
            return None if row is None else PollRecord.from_row(row)

    async def list(
        self, guild_id: int, *, status: PollStatus | None = PollStatus.OPEN, limit: int = 25
    ) -> list[PollRecord]:
        """List a guild's polls (open ones by default), soonest deadline first."""
        query = select(Poll).where(Poll.guild_id == guild_id).options(selectinload(Poll.options))
        if status is not None:
            query = query.where(Poll.status == status.value)
        query = query.order_by(Poll.closes_at if status else Poll.id.desc()).limit(limit)
        async with self._database.reads() as session:
            return [PollRecord.from_row(row) for row in await session.scalars(query)]

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[tuple[int, str]]:
        """Find a guild's polls whose question contains `text`, newest first."""
        query = select(Poll.id, Poll.question).where(Poll.guild_id == guild_id)
        if text.strip():
            query = query.where(Poll.question.ilike(f"%{text.strip()}%"))
        async with self._database.reads() as session:
            rows = await session.execute(query.order_by(Poll.id.desc()).limit(limit))
            return [(row.id, row.question) for row in rows]

    async def results(self, poll: PollRecord) -> PollResults:
        """Count the votes now (or return the recorded final counts of a closed poll)."""
        if poll.final_counts is not None:
            counts = list(poll.final_counts)
            voters = await self._voters(poll.id) if poll.multiple else sum(counts)
            return tally(list(poll.options), counts, voters, single_choice=not poll.multiple)
        async with self._database.reads() as session:
            counts, voters = await self._count(session, poll)
        return tally(list(poll.options), counts, voters, single_choice=not poll.multiple)

    async def _voters(self, poll_id: int) -> int:
        """Count the members who voted in a poll."""
        async with self._database.reads() as session:
            count = await session.scalar(
                select(func.count(func.distinct(PollVote.voter_id))).where(
                    PollVote.poll_id == poll_id
                )
            )
            return int(count or 0)

    async def _count(self, session: AsyncSession, poll: PollRecord) -> tuple[list[int], int]:
        """Count each option's votes and the voters, in one session."""
        rows = await session.execute(
            select(PollVote.position, func.count())
            .where(PollVote.poll_id == poll.id)
            .group_by(PollVote.position)
        )
        by_position = {int(position): int(count) for position, count in rows}
        counts = [by_position.get(position, 0) for position in range(len(poll.options))]
        if poll.multiple:
            voters = int(
                await session.scalar(
                    select(func.count(func.distinct(PollVote.voter_id))).where(
                        PollVote.poll_id == poll.id
                    )
                )
                or 0
            )
        else:
            voters = sum(counts)
        return counts, voters

    async def choices_of(self, poll: PollRecord, voter_id: int) -> tuple[str, ...]:
        """Return what a member currently has recorded in a poll."""
        async with self._database.reads() as session:
            positions = await session.scalars(
                select(PollVote.position)
                .where(PollVote.poll_id == poll.id, PollVote.voter_id == voter_id)
                .order_by(PollVote.position)
            )
            return tuple(poll.options[p] for p in positions)

    async def voters_by_option(self, poll: PollRecord) -> list[list[int]]:
        """List who voted for each option (only ever shown for polls that are not anonymous)."""
        if poll.anonymous:
            raise InvalidInput("This poll is anonymous: who voted what is never shown.")
        async with self._database.reads() as session:
            rows = await session.execute(
                select(PollVote.position, PollVote.voter_id)
                .where(PollVote.poll_id == poll.id)
                .order_by(PollVote.id)
            )
            voters: list[list[int]] = [[] for _ in poll.options]
            for position, voter_id in rows:
                voters[position].append(int(voter_id))
            return voters

    # Voting --------------------------------------------------------------------------------

    async def settled(self) -> None:
        """Wait until every vote handed in so far is committed."""
        await self._ballots.settled()

    @property
    def backlog(self) -> int:
        """Count the vote operations waiting for their commit."""
        return self._ballots.backlog

    @property
    def batches_committed(self) -> int:
        """Count the commits that recorded votes (each serves every click queued for it)."""
        return self._ballots.batches

    async def vote(self, poll_id: int, voter_id: int, position: int) -> VoteOutcome:
        """Record a click on an option: vote, change the vote, or (multiple choice) toggle it."""
        outcome: VoteOutcome = await self._ballots.submit(CastVote(poll_id, voter_id, position))
        return outcome

    async def remove_vote(self, poll_id: int, voter_id: int) -> tuple[PollRecord, int]:
        """Take back every vote a member has in a poll; return how many were removed."""
        outcome: tuple[PollRecord, int] = await self._ballots.submit(RemoveVote(poll_id, voter_id))
        return outcome

    async def mirror_vote(
        self, message_id: int, voter_id: int, answer_id: int, *, added: bool
    ) -> PollRecord | None:
        """Mirror a vote (or its removal) in a native Discord poll; None if it is not ours."""
        outcome: PollRecord | None = await self._ballots.submit(
            MirrorVote(message_id, voter_id, answer_id, added)
        )
        return outcome

    # Deadlines and closing -----------------------------------------------------------------

    async def due(self, *, now: datetime | None = None) -> list[PollRecord]:
        """List open polls whose deadline has passed."""
        moment = now or self.clock()
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Poll)
                .where(Poll.status == PollStatus.OPEN.value, Poll.closes_at <= moment)
                .order_by(Poll.closes_at)
                .options(selectinload(Poll.options))
            )
            return [PollRecord.from_row(row) for row in rows]

    async def next_deadline(self) -> datetime | None:
        """Return the nearest deadline of an open poll."""
        async with self._database.reads() as session:
            return await session.scalar(
                select(func.min(Poll.closes_at)).where(Poll.status == PollStatus.OPEN.value)
            )

    async def close(
        self, poll_id: int, *, final_counts: Sequence[int] | None = None
    ) -> PollRecord | None:
        """Close an open poll and record its final counts; None if it was closed already.

        Exactly one caller wins the change from open to closed, so results are posted once.
        `final_counts` are Discord's own totals for a native poll.
        """
        async with self._writing() as session:
            closed = await session.execute(
                update(Poll)
                .where(Poll.id == poll_id, Poll.status == PollStatus.OPEN.value)
                .values(status=PollStatus.CLOSED.value, closed_at=self.clock())
            )
            if not closed.rowcount:  # type: ignore[attr-defined]
                return None
            row = await session.get(
                Poll, poll_id, options=[selectinload(Poll.options)], populate_existing=True
            )
            assert row is not None
            poll = PollRecord.from_row(row)
            if final_counts is None:
                counts, _ = await self._count(session, poll)
            else:
                counts = [int(c) for c in final_counts][: len(row.options)]
                counts += [0] * (len(row.options) - len(counts))
            for option, count in zip(row.options, counts, strict=True):
                option.final_count = count
            await session.flush()
            return PollRecord.from_row(row)

    async def unposted_results(self) -> list[PollRecord]:
        """List closed polls whose final results were not posted (a crash in between)."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Poll)
                .where(Poll.status == PollStatus.CLOSED.value, Poll.results_message_id.is_(None))
                .order_by(Poll.id)
                .options(selectinload(Poll.options))
            )
            return [PollRecord.from_row(row) for row in rows]

    # Helpers -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """Open a write transaction (queued behind the other writers on SQLite)."""
        async with contextlib.AsyncExitStack() as stack:
            if self._write_lock is not None:
                await stack.enter_async_context(self._write_lock)
            yield await stack.enter_async_context(self._database.sessions.begin())

    async def _update(self, poll_id: int, **values: object) -> PollRecord:
        """Apply `values` to a poll and return the new snapshot."""
        async with self._database.sessions.begin() as session:
            await session.execute(update(Poll).where(Poll.id == poll_id).values(**values))
            row = await session.get(
                Poll, poll_id, options=[selectinload(Poll.options)], populate_existing=True
            )
            if row is None:
                raise NotFound(f"There is no poll #{poll_id}.")
            return PollRecord.from_row(row)
