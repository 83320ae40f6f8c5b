"""Counts, percentages and text bars of a poll's results, and their CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

BAR_WIDTH = 12


@dataclass(frozen=True, slots=True)
class OptionResult:
    """One option with its votes and share of the voters."""

    position: int
    label: str
    votes: int
    percent: int


@dataclass(frozen=True, slots=True)
class PollResults:
    """A poll's results: per option, plus how many members voted."""

    options: tuple[OptionResult, ...]
    voters: int

    @property
    def total_votes(self) -> int:
        """Count every vote (more than the voters in a multiple-choice poll)."""
        return sum(option.votes for option in self.options)

    def leaders(self) -> list[OptionResult]:
        """Return the option(s) with the most votes, none when nobody voted."""
        top = max((option.votes for option in self.options), default=0)
        return [option for option in self.options if top and option.votes == top]


def percentages(counts: list[int], voters: int, *, single_choice: bool) -> list[int]:
    """Give each count's whole-percent share of the voters; single-choice shares add up to 100."""
    if voters <= 0:
        return [0 for _ in counts]
    if not single_choice:
        return [round(100 * count / voters) for count in counts]
    exact = [100 * count / voters for count in counts]
    shares = [int(value) for value in exact]
    # Largest remainder: hand the points lost to rounding down to the biggest fractions.
    order = sorted(range(len(counts)), key=lambda i: exact[i] - shares[i], reverse=True)
    for index in order[: 100 - sum(shares)]:
        shares[index] += 1
    return shares


def tally(labels: list[str], counts: list[int], voters: int, *, single_choice: bool) -> PollResults:
    """Build the results from each option's count and the number of voters."""
    shares = percentages(counts, voters, single_choice=single_choice)
    return PollResults(
        options=tuple(
            OptionResult(position, label, count, share)
            for position, (label, count, share) in enumerate(
                zip(labels, counts, shares, strict=True)
            )
        ),
        voters=voters,
    )


def bar(percent: int, width: int = BAR_WIDTH) -> str:
    """Draw a share as a bar of full and empty blocks."""
    filled = round(width * max(0, min(percent, 100)) / 100)
    return "█" * filled + "░" * (width - filled)


def results_csv(question: str, results: PollResults) -> str:
    """Export counts only (never who voted what) as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["question", "option", "votes", "percent"])
    for option in results.options:
        writer.writerow([_cell(question), _cell(option.label), option.votes, option.percent])
    writer.writerow([_cell(question), "(voters)", results.voters, ""])
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
