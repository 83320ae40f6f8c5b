"""A small metrics registry that renders the Prometheus text exposition format (version 0.0.4).

One `Metrics` object is created per process (it lives in AppContext); cogs add their own
counters to it, e.g. `context.metrics.counter("newsroom_votes_total", "Votes recorded")`.
Gauges whose value lives elsewhere (a queue in the database, the gateway latency) are
registered as callbacks that run when /metrics is scraped.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

LabelValues = tuple[str, ...]
Samples = Mapping[LabelValues, float] | float
GaugeCallback = Callable[[], Samples | Awaitable[Samples]]


def _escape_label(value: str) -> str:
    """Escape a label value: backslash, double quote and newline."""
    return value.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")


def _escape_help(text: str) -> str:
    """Escape HELP text: backslash and newline."""
    return text.replace("\\", r"\\").replace("\n", r"\n")


def format_value(value: float) -> str:
    """Write a sample value the way Prometheus reads it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


@dataclass
class _Family:
    """A named metric with its label names and current values."""

    name: str
    help: str
    kind: str
    labels: tuple[str, ...]
    values: dict[LabelValues, float] = field(default_factory=dict)

    def key(self, label_values: Mapping[str, object]) -> LabelValues:
        """Order label values by the family's label names, checking they match."""
        if set(label_values) != set(self.labels):
            raise ValueError(
                f"{self.name} takes labels {list(self.labels)}, not {sorted(label_values)}"
            )
        return tuple(str(label_values[name]) for name in self.labels)

    def lines(self, values: Mapping[LabelValues, float]) -> list[str]:
        """Render HELP, TYPE and one line per sample."""
        out = [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]
        for key in sorted(values):
            if self.labels:
                pairs = ",".join(
                    f'{name}="{_escape_label(value)}"'
                    for name, value in zip(self.labels, key, strict=True)
                )
                out.append(f"{self.name}{{{pairs}}} {format_value(values[key])}")
            else:
                out.append(f"{self.name} {format_value(values[key])}")
        return out


class Counter:
    """A value that only goes up (events handled, fetches, deliveries)."""

    def __init__(self, family: _Family) -> None:
        self._family = family
        if not family.labels:
            family.values[()] = 0.0

    def inc(self, amount: float = 1.0, **labels: object) -> None:
        """Add `amount` (at least 0) to the sample with these labels."""
        if amount < 0:
            raise ValueError("a counter cannot go down")
        key = self._family.key(labels)
        self._family.values[key] = self._family.values.get(key, 0.0) + amount

    def value(self, **labels: object) -> float:
        """Return the current value of one sample (0 if never incremented)."""
        return self._family.values.get(self._family.key(labels), 0.0)


class Gauge:
    """A value that goes up and down, set by the code that knows it."""

    def __init__(self, family: _Family) -> None:
        self._family = family

    def set(self, value: float, **labels: object) -> None:
        """Set the sample with these labels."""
        self._family.values[self._family.key(labels)] = float(value)

    def value(self, **labels: object) -> float | None:
        """Return the current value of one sample, if set."""
        return self._family.values.get(self._family.key(labels))


class Metrics:
    """Every metric of one process; render() writes them for Prometheus."""

    def __init__(self) -> None:
        self._families: dict[str, _Family] = {}
        self._callbacks: dict[str, GaugeCallback] = {}

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        """Return the counter `name` (created on first use; `_total` is the convention)."""
        return Counter(self._family(name, help, "counter", labels))

    def gauge(self, name: str, help: str, labels: Sequence[str] = ()) -> Gauge:
        """Return the gauge `name`, created on first use."""
        return Gauge(self._family(name, help, "gauge", labels))

    def gauge_callback(
        self, name: str, help: str, callback: GaugeCallback, labels: Sequence[str] = ()
    ) -> None:
        """Read a gauge from `callback` at every scrape (a number, or {label values: number})."""
        self._family(name, help, "gauge", labels)
        self._callbacks[name] = callback

    def remove(self, name: str) -> None:
        """Forget a metric (when the cog that owns it unloads)."""
        self._families.pop(name, None)
        self._callbacks.pop(name, None)

    def _family(self, name: str, help: str, kind: str, labels: Sequence[str]) -> _Family:
        """Find or create a family, refusing a second one of another shape."""
        if not NAME.match(name):
            raise ValueError(f"{name!r} is not a valid metric name")
        for label in labels:
            if not LABEL.match(label) or label.startswith("__"):
                raise ValueError(f"{label!r} is not a valid label name")
        existing = self._families.get(name)
        if existing is not None:
            if existing.kind != kind or existing.labels != tuple(labels):
                raise ValueError(f"{name} is already a {existing.kind} with other labels")
            return existing
        family = _Family(name, help, kind, tuple(labels))
        self._families[name] = family
        return family

    async def render(self) -> str:
        """Write every metric in the text exposition format; a failing callback is skipped."""
        lines: list[str] = []
        for name in sorted(self._families):
            family = self._families[name]
            values: Mapping[LabelValues, float] = family.values
            callback = self._callbacks.get(name)
            if callback is not None:
                try:
                    values = await self._read(callback)
                except Exception:  # one broken gauge must not take /metrics down
                    log.warning("Could not read the gauge %s", name, exc_info=True)
                    continue
            lines.extend(family.lines(values))
        return "\n".join(lines) + "\n"

    @staticmethod
    async def _read(callback: GaugeCallback) -> Mapping[LabelValues, float]:
        """Call a gauge callback and normalise what it returns."""
        result = callback()
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, Mapping):
            return {
                (key,) if isinstance(key, str) else tuple(map(str, key)): float(value)
                for key, value in result.items()
            }
        return {(): float(result)}
