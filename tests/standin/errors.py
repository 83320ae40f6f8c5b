"""Discord's JSON error responses, raised by handlers and turned into HTTP replies."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Discord API error: HTTP status, JSON error code, message and optional form errors."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {message} (code {code})" + (f": {errors}" if errors else ""))
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON body Discord sends for this error."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class ScenarioError(Exception):
    """A test asked a person to do something Discord's client would not let them do."""


def unauthorized() -> ApiError:
    """Return the error for a missing or unknown token."""
    return ApiError(401, 0, "401: Unauthorized")


def not_found() -> ApiError:
    """Return the error for a route Discord does not have."""
    return ApiError(404, 0, "404: Not Found")


def unknown(what: str) -> ApiError:
    """Return the 404 for an unknown channel, message, guild, member, role and so on."""
    codes = {
        "Channel": 10003,
        "Guild": 10004,
        "Member": 10007,
        "Message": 10008,
        "Role": 10011,
        "User": 10013,
        "Emoji": 10014,
        "Webhook": 10015,
        "interaction": 10062,
        "application command": 10063,
    }
    return ApiError(404, codes[what], f"Unknown {what}")


def missing_access() -> ApiError:
    """Return the 403 for a channel or guild the bot cannot see."""
    return ApiError(403, 50001, "Missing Access")


def missing_permissions() -> ApiError:
    """Return the 403 for an action the bot's permissions do not allow."""
    return ApiError(403, 50013, "Missing Permissions")


def empty_message() -> ApiError:
    """Return the 400 for a message with nothing in it."""
    return ApiError(400, 50006, "Cannot send an empty message")


def already_acknowledged() -> ApiError:
    """Return the 400 for a second callback to the same interaction."""
    return ApiError(400, 40060, "Interaction has already been acknowledged.")


def invalid_webhook_token() -> ApiError:
    """Return the 401 for an interaction token past its 15 minutes."""
    return ApiError(401, 50027, "Invalid Webhook Token")


class FormErrors:
    """Collect "Invalid Form Body" errors, nested by field path as Discord reports them."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record an error at `path` (for example ("embeds", 0, "title"))."""
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        """Record an error if a string or list is longer than `limit`."""
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, path: tuple[str | int, ...], value: Any, low: int, high: int) -> None:
        """Record an error unless `low <= len(value) <= high` (a missing value counts as 0)."""
        size = 0 if value is None else len(value)
        if not low <= size <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, path: tuple[str | int, ...], value: Any) -> bool:
        """Record an error if the value is missing; return whether it was present."""
        if value is None:
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return False
        return True

    def raise_if_any(self) -> None:
        """Raise the 400 Invalid Form Body error if anything was recorded."""
        if self.tree:
            raise ApiError(400, 50035, "Invalid Form Body", self.tree)
