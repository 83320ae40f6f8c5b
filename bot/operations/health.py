"""Named health checks (database, gateway, workers) combined into one report for /healthz."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict with a short, secret-free detail."""

    ok: bool
    detail: str = ""


CheckFunction = Callable[[], CheckResult | Awaitable[CheckResult]]


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Every check's result; healthy when all passed."""

    checks: dict[str, CheckResult]

    @property
    def healthy(self) -> bool:
        """Return whether every check passed."""
        return all(result.ok for result in self.checks.values())

    def as_json(self) -> dict[str, object]:
        """Return the JSON body of /healthz."""
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "checks": {
                name: {"ok": result.ok, "detail": result.detail}
                for name, result in sorted(self.checks.items())
            },
        }


class HealthChecks:
    """A registry of checks; workers add theirs when they start and remove them on stop."""

    def __init__(self, *, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self._checks: dict[str, CheckFunction] = {}
        self._timeout = timeout

    def add(self, name: str, check: CheckFunction) -> None:
        """Register (or replace) the check `name`."""
        self._checks[name] = check

    def remove(self, name: str) -> None:
        """Forget the check `name`."""
        self._checks.pop(name, None)

    def names(self) -> list[str]:
        """List the registered checks."""
        return sorted(self._checks)

    async def run(self) -> HealthReport:
        """Run every check at once, each bounded by the timeout."""
        names = list(self._checks)
        results = await asyncio.gather(*(self._run_one(self._checks[n]) for n in names))
        return HealthReport(dict(zip(names, results, strict=True)))

    async def _run_one(self, check: CheckFunction) -> CheckResult:
        """Run one check; a timeout or an exception is a failure, not a crash."""
        try:
            async with asyncio.timeout(self._timeout):
                result = check()
                if inspect.isawaitable(result):
                    result = await result
                return result
        except TimeoutError:
            return CheckResult(False, f"no answer within {self._timeout:g} s")
        except Exception as exc:  # a broken check reports unhealthy rather than crashing
            log.warning("A health check failed", exc_info=True)
            return CheckResult(False, type(exc).__name__)


def task_check(task: Callable[[], asyncio.Task[object] | None]) -> CheckFunction:
    """Build a check that passes while the background task is running."""

    def check() -> CheckResult:
        current = task()
        if current is None:
            return CheckResult(False, "not started")
        if current.done():
            return CheckResult(False, "stopped")
        return CheckResult(True, "running")

    return check
