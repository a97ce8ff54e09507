"""The error classes, and the one place that turns any error into the contract's shape.

Views raise; they never build error responses. On `/api/` routes every error is the
JSON envelope `{"error", "message", "fields"?}`; elsewhere it is the HTML error page.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import sqlalchemy.exc
from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "A valid moderator token is required."),
    403: ("forbidden", "You are not allowed to do that."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request is larger than the service accepts."),
    415: ("unsupported_media_type", "Send the request as application/json."),
    429: ("rate_limited", "Too many submissions from your address; please wait and try again."),
}


REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def make_request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is safe to echo and log, else a fresh one."""
    return incoming if incoming and REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


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
    status, code, message = 404, "not_found", "There is nothing at this address."


class Unauthorized(ApiError):
    status, code, message = 401, "unauthorized", "A valid moderator token is required."


class CommentsClosed(ApiError):
    status, code, message = 403, "comments_closed", "Comments are closed on this article."


class Duplicate(ApiError):
    status, code, message = 409, "duplicate", "You have already posted this comment here."


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def respond(error: ApiError) -> Response:
    """Write an ApiError as JSON on API routes, as the HTML error page elsewhere."""
    if _wants_json():
        response = jsonify(error.body())
    else:
        response = Response(render_template("error.html", error=error), mimetype="text/html")
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _from_http(exception: HTTPException) -> Response:
    code, message = HTTP_CODES.get(exception.code or 500, ("http_error", exception.description or ""))
    error = ApiError(message, code=code, status=exception.code)
    response = respond(error)
    if exception.code == 405 and exception.valid_methods:
        response.headers["Allow"] = ", ".join(exception.valid_methods)
    if exception.code == 429 and exception.response is not None:
        response.headers.update(exception.response.headers)
    return response


# What a driver says when the database is busy or cannot take another connection right now.
BUSY_SIGNS = ("database is locked", "too many clients", "connection failed", "could not connect",
              "Connection refused", "the database system is starting up", "the database system is shutting down")


class Unavailable(ApiError):
    status, code = 503, "unavailable"
    message = "The service is busy; please try again in a moment."


def _busy(exception: Exception) -> Response:
    """Every database connection is in use (or the database is away or locked): 503, try again shortly."""
    if isinstance(exception, sqlalchemy.exc.OperationalError) and not (
            exception.connection_invalidated or any(sign in str(exception.orig) for sign in BUSY_SIGNS)):
        return _unexpected(exception)  # a real fault (a missing table, say), not a busy database
    log.warning("database unavailable [request %s]: %s", g.get("request_id", "-"), type(exception).__name__)
    return respond(Unavailable(headers={"Retry-After": "2"}))


def _unexpected(exception: Exception) -> Response:
    request_id = g.get("request_id", "-")
    log.exception("unexpected error [request %s] on %s %s", request_id, request.method, request.path)
    return respond(ApiError(f"Something went wrong on our side (request {request_id}).",
                            code="internal_error", status=500))


def register(app: Flask) -> None:
    """Install the handlers so no error escapes as a bare 500 page or a traceback."""
    app.register_error_handler(ApiError, respond)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(sqlalchemy.exc.TimeoutError, _busy)
    app.register_error_handler(sqlalchemy.exc.OperationalError, _busy)
    app.register_error_handler(Exception, _unexpected)
