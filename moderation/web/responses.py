"""The one place that turns any error into the contract's shape, JSON or HTML.

Views raise; they never build error responses. A request gets the JSON envelope
`{"error", "message", "fields"?}` when it is for the API or asks for JSON first (the
moderators' script does); anything else gets the HTML error page.
"""

from __future__ import annotations

import logging
import re
import uuid

import sqlalchemy.exc
from flask import Flask, Response, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from moderation.errors import ApiError, Unavailable
from moderation.web import error_words

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


def public_base() -> str:
    """The service's public address: MODERATION_PUBLIC_URL, else the address this request came to."""
    return str(current_app.config["PUBLIC_URL"] or request.url_root).rstrip("/")


def wants_json() -> bool:
    """True for the API and for any request that prefers JSON to HTML; False for forms and links."""
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def respond(error: ApiError) -> Response:
    """Write an ApiError as the JSON envelope or the HTML error page, as the request wants."""
    if wants_json():
        response = jsonify(error.body())
    else:
        page = render_template("error.html", error=error, message=error_words.page_message(error))
        response = Response(page, mimetype="text/html")
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _from_http(exception: HTTPException) -> Response:
    code, message = HTTP_CODES.get(exception.code or 500, ("http_error", exception.description or ""))
    error = ApiError(message, code=code, status=exception.code)
    response = respond(error)
    if isinstance(exception, MethodNotAllowed) and exception.valid_methods:
        response.headers["Allow"] = ", ".join(exception.valid_methods)
    if exception.code == 429 and exception.response is not None:
        response.headers.update(exception.response.headers)
    return response


# What a driver says when the database is busy or cannot take another connection right now.
BUSY_SIGNS = ("database is locked", "too many clients", "connection failed", "could not connect",
              "Connection refused", "the database system is starting up", "the database system is shutting down")


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


def init_app(app: Flask) -> None:
    """Install the handlers so no error escapes as a bare 500 page or a traceback, and give
    every request its id and every response its common headers."""
    app.register_error_handler(ApiError, respond)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(sqlalchemy.exc.TimeoutError, _busy)
    app.register_error_handler(sqlalchemy.exc.OperationalError, _busy)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_assign_request_id)
    app.before_request(_refuse_long_chunked_body)
    app.after_request(_common_headers)


def _assign_request_id() -> None:
    g.request_id = make_request_id(request.headers.get("X-Request-ID"))


def _refuse_long_chunked_body() -> None:
    """413 for a chunked body over the limit (Werkzeug would cut it short without a word)."""
    if "chunked" not in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return  # nearly every request: nothing more to look at
    limit = request.max_content_length
    if limit is None or request.content_length is not None:
        return
    request.max_content_length = limit + 1  # read one byte past the limit to see whether there is more
    if len(request.get_data(cache=True)) > limit:
        raise RequestEntityTooLarge()


def _common_headers(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
