"""The error classes: each knows its status, machine code and message (no Flask here).

Code raises them; `web.responses` turns any of them, and anything else, into the
contract's JSON envelope or the HTML error page.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error that knows its status, machine code and human message."""

    status = 400
    code = "bad_request"
    message = "The request could not be understood."

    def __init__(self, message: str | None = None, *, code: str | None = None, status: int | None = None,
                 fields: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The contract's error envelope."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        return body


class ValidationFailed(ApiError):
    """One or more fields are invalid; `fields` names every one of them."""

    status = 422
    code = "validation_failed"
    message = "Some fields are not valid."

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message, fields=fields)


class NotFound(ApiError):
    """There is no such comment, article or page."""

    status, code, message = 404, "not_found", "There is nothing at this address."


class Unauthorized(ApiError):
    """The token API was called without a valid moderator token."""

    status, code, message = 401, "unauthorized", "A valid moderator token is required."


class CommentsClosed(ApiError):
    """The article takes no new comments."""

    status, code, message = 403, "comments_closed", "Comments are closed on this article."


class Duplicate(ApiError):
    """The same author already posted this text on this article."""

    status, code, message = 409, "duplicate", "You have already posted this comment here."


class Unavailable(ApiError):
    """The database is busy or away for a moment: try again shortly."""

    status, code = 503, "unavailable"
    message = "The service is busy; please try again in a moment."
