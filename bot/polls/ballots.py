"""The ballot box: votes committed in batches, a few statements per batch whatever its size.

Every click becomes an operation in the queue; one task takes the queue in batches, reads the
polls and the current votes of the members in the batch once, applies the operations in order
in memory, writes only the difference (one DELETE and one INSERT ... ON CONFLICT, each executed
for many rows), and commits. Each caller learns its outcome only after that commit. The unique
key (poll, voter, slot) in the database still makes one vote per member, whatever runs where.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.models import Poll, PollOption, PollVote
from bot.polls.drafts import PollKind

if TYPE_CHECKING:
    from bot.polls.service import PollRecord

log = logging.getLogger(__name__)

MAX_BATCH = 500
# A commit costs about the same for 1 vote as for 50: under load, waiting this long between batch
# starts keeps the committing task from taking the CPU that answering clicks needs.
BATCH_PERIOD = 0.05
Key = tuple[int, int]  # (poll id, voter id)


@dataclass(frozen=True, slots=True)
class CastVote:
    """A click on an option of a button poll."""

    poll_id: int
    voter_id: int
    position: int


@dataclass(frozen=True, slots=True)
class RemoveVote:
    """A click on "Remove my vote"."""

    poll_id: int
    voter_id: int


@dataclass(frozen=True, slots=True)
class MirrorVote:
    """A vote added to or removed from a native Discord poll."""

    message_id: int
    voter_id: int
    answer_id: int
    added: bool


Operation = CastVote | RemoveVote | MirrorVote


class VoteAction(enum.StrEnum):
    """What a click did to a member's vote."""

    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    """What was recorded for the member, and until when it can be changed."""

    poll: PollRecord
    action: VoteAction
    choices: tuple[str, ...]


class BallotBox:
    """Queue vote operations and commit them in batches."""

    def __init__(
        self,
        backend: str,
        writing: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        clock: Callable[[], datetime],
        snapshot: Callable[[Mapping[str, Any], tuple[str, ...]], Any],
    ) -> None:
        self._writing = writing
        self._clock = clock
        self._snapshot = snapshot
        self._queue: list[tuple[Operation, asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._in_flight = 0
        self._last_batch = float("-inf")
        self._labels: dict[int, tuple[str, ...]] = {}  # options never change once created
        postgres = backend == "postgresql"
        self._statements = _Statements(postgresql if postgres else sqlite, locking=postgres)
        self.batches = 0

    @property
    def backlog(self) -> int:
        """Count the operations queued or being committed."""
        return len(self._queue) + self._in_flight

    async def settled(self) -> None:
        """Wait until every queued operation is committed (or failed)."""
        while self._drainer is not None and not self._drainer.done():
            await asyncio.shield(self._drainer)

    async def submit(self, operation: Operation) -> Any:
        """Queue an operation; return its outcome once its batch is committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((operation, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="newsroom-poll-ballots")
        return await future

    async def _drain(self) -> None:
        """Commit batches until the queue is empty, starting at most one per BATCH_PERIOD."""
        loop = asyncio.get_running_loop()
        while self._queue:
            pause = self._last_batch + BATCH_PERIOD - loop.time()
            if pause > 0 and len(self._queue) < MAX_BATCH:
                await asyncio.sleep(pause)  # let clicks gather: one commit serves many
            self._last_batch = loop.time()
            batch = self._queue[:MAX_BATCH]
            del self._queue[:MAX_BATCH]
            self._in_flight = len(batch)
            try:
                outcomes = await self._commit(batch)
            except Exception as exc:  # noqa: BLE001 - the commit failed: nothing here was recorded
                log.warning("A batch of %d votes failed: %s", len(batch), exc)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:
                for _, future in [*batch, *self._queue]:
                    future.cancel()
                self._queue.clear()
                raise
            finally:
                self._in_flight = 0
            self.batches += 1
            for (_, future), (error, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if error is None:
                    future.set_result(value)
                else:
                    future.set_exception(error)

    async def _commit(
        self, batch: list[tuple[Operation, asyncio.Future[Any]]]
    ) -> list[tuple[BaseException | None, Any]]:
        """Apply a batch in one transaction; return each operation's (error, outcome)."""
        operations = [operation for operation, _ in batch]
        async with self._writing() as session:
            polls = await self._load_polls(session, operations)
            voters = {op.voter_id for op in operations}
            before = await self._load_votes(session, {p.id for p in polls.values()}, voters)
            state = {key: dict(slots) for key, slots in before.items()}
            touched: set[Key] = set()
            outcomes = [self._apply(op, polls, state, touched) for op in operations]
            await self._write(session, before, state, touched)
        return outcomes

    async def _load_polls(self, session: AsyncSession, operations: list[Operation]) -> dict:
        """Load the polls the batch is about, keyed by id and ("message", message id)."""
        ids = {op.poll_id for op in operations if not isinstance(op, MirrorVote)}
        messages = {op.message_id for op in operations if isinstance(op, MirrorVote)}
        connection = await session.connection()
        rows = (
            await connection.execute(
                self._statements.polls, {"ids": sorted(ids), "messages": sorted(messages)}
            )
        ).mappings()
        found = {row["id"]: row for row in rows}
        unlabelled = sorted(found.keys() - self._labels.keys())
        if unlabelled:
            labels: dict[int, list[str]] = {poll_id: [] for poll_id in unlabelled}
            for poll_id, label in await connection.execute(
                self._statements.labels, {"ids": unlabelled}
            ):
                labels[poll_id].append(label)
            self._labels.update((poll_id, tuple(names)) for poll_id, names in labels.items())
        polls: dict[Any, Any] = {}
        for poll_id, row in found.items():
            record = self._snapshot(row, self._labels[poll_id])
            polls[poll_id] = record
            if row["message_id"] is not None:
                polls[("message", row["message_id"])] = record
        return polls

    async def _load_votes(
        self, session: AsyncSession, poll_ids: set[int], voters: set[int]
    ) -> dict[Key, dict[int, int]]:
        """Read the current votes of the batch's members: (poll, voter) -> {slot: position}."""
        votes: dict[Key, dict[int, int]] = {}
        if not poll_ids:
            return votes
        connection = await session.connection()
        rows = await connection.execute(
            self._statements.votes, {"polls": sorted(poll_ids), "voters": sorted(voters)}
        )
        for poll_id, voter_id, slot, position in rows:
            votes.setdefault((poll_id, voter_id), {})[slot] = position
        return votes

    def _apply(
        self, op: Operation, polls: dict, state: dict[Key, dict[int, int]], touched: set[Key]
    ) -> tuple[BaseException | None, Any]:
        """Apply one operation to the in-memory votes; return (error, outcome)."""
        try:
            if isinstance(op, MirrorVote):
                poll = polls.get(("message", op.message_id))
                if poll is None or poll.kind is not PollKind.NATIVE:
                    return None, None
                position = op.answer_id - 1
                if not 0 <= position < len(poll.options):
                    log.warning("Native poll %s has no answer %s", poll.id, op.answer_id)
                    return None, None
                key = (poll.id, op.voter_id)
                slots = state.setdefault(key, {})
                if op.added:
                    slots[position] = position
                else:
                    slots.pop(position, None)
                touched.add(key)
                return None, poll
            poll = self._open(polls, op.poll_id)
            key = (poll.id, op.voter_id)
            slots = state.setdefault(key, {})
            if isinstance(op, RemoveVote):
                removed = len(slots)
                slots.clear()
                touched.add(key)
                return None, (poll, removed)
            if not 0 <= op.position < len(poll.options):
                raise NotFound("That option is not part of this poll any more.")
            current = sorted(slots.values())
            if poll.multiple:
                if op.position in slots:
                    del slots[op.position]
                    action = VoteAction.REMOVED
                else:
                    slots[op.position] = op.position
                    action = VoteAction.ADDED
                chosen = sorted(slots.values())
            else:
                if not current:
                    action = VoteAction.ADDED
                elif current == [op.position]:
                    action = VoteAction.UNCHANGED
                else:
                    action = VoteAction.CHANGED
                slots.clear()
                slots[0] = op.position
                chosen = [op.position]
            touched.add(key)
            return None, VoteOutcome(poll, action, tuple(poll.options[p] for p in chosen))
        except (InvalidInput, NotFound) as exc:
            return exc, None

    def _open(self, polls: dict, poll_id: int) -> Any:
        """Return a poll that still takes votes, or raise."""
        poll = polls.get(poll_id)
        if poll is None:
            raise NotFound("This poll no longer exists.")
        if not poll.is_open or self._clock() >= poll.closes_at:
            raise InvalidInput("This poll has closed; votes can no longer be changed.")
        return poll

    async def _write(
        self,
        session: AsyncSession,
        before: dict[Key, dict[int, int]],
        after: dict[Key, dict[int, int]],
        touched: set[Key],
    ) -> None:
        """Write the difference: delete the votes taken back, upsert the new or changed ones."""
        now = self._clock()
        removed: list[dict[str, int]] = []
        upserts: list[dict[str, Any]] = []
        for key in sorted(touched):
            old, new = before.get(key, {}), after.get(key, {})
            poll_id, voter_id = key
            for slot in old.keys() - new.keys():
                removed.append({"p": poll_id, "v": voter_id, "s": slot})
            for slot, position in new.items():
                if old.get(slot) != position:
                    upserts.append(
                        {
                            "poll_id": poll_id,
                            "voter_id": voter_id,
                            "slot": slot,
                            "position": position,
                            "voted_at": now,
                        }
                    )
        connection = await session.connection()
        if removed:
            await connection.execute(self._statements.remove, removed)
        if upserts:
            await connection.execute(self._statements.upsert, upserts)


class _Statements:
    """The ballot box's statements, built once (SQLAlchemy then reuses their compiled form)."""

    def __init__(self, dialect: Any, *, locking: bool) -> None:
        polls = select(Poll.__table__).where(
            Poll.id.in_(bindparam("ids", expanding=True))
            | Poll.message_id.in_(bindparam("messages", expanding=True))
        )
        # On PostgreSQL a close (which updates the poll row) waits for the batch, and vice versa.
        self.polls = polls.with_for_update(read=True) if locking else polls
        self.labels = (
            select(PollOption.poll_id, PollOption.label)
            .where(PollOption.poll_id.in_(bindparam("ids", expanding=True)))
            .order_by(PollOption.poll_id, PollOption.position)
        )
        self.votes = select(
            PollVote.poll_id, PollVote.voter_id, PollVote.slot, PollVote.position
        ).where(
            PollVote.poll_id.in_(bindparam("polls", expanding=True)),
            PollVote.voter_id.in_(bindparam("voters", expanding=True)),
        )
        self.remove = delete(PollVote).where(
            and_(
                PollVote.poll_id == bindparam("p"),
                PollVote.voter_id == bindparam("v"),
                PollVote.slot == bindparam("s"),
            )
        )
        insert = dialect.insert(PollVote)
        self.upsert = insert.on_conflict_do_update(
            index_elements=["poll_id", "voter_id", "slot"],
            set_={"position": insert.excluded.position, "voted_at": insert.excluded.voted_at},
        )
