"""/api/v1: public comments and counts, and the moderators' token API.

Views parse → validate → decide → store → serialize; the rules live in `intake`,
`submissions` and `policy`, the queries in `store.comments`, the shapes in `serializers`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.routing import PathConverter

from moderation.core.antibot import issue_form_token
from moderation.core.status import ACTIONS, QUEUE_STATUSES, Status, whole_number
from moderation.core.submissions import MAX_ID
from moderation.errors import ApiError, NotFound, ValidationFailed
from moderation.intake import accept, check_article_id
from moderation.shared import now, shared
from moderation.store import comments
from moderation.store.versions import public_version
from moderation.web.auth import token_required
from moderation.web.fastpath import KNOWN_VERSION
from moderation.web.openapi import document
from moderation.web.serializers import moderator_comment, public_comment

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PENDING_MESSAGE = "Your comment is awaiting moderation."
MAX_COUNT_IDS = 100


class InvalidJson(ApiError):
    """A JSON body that is not a JSON object."""

    status, code, message = 400, "invalid_json", "The request body must be a JSON object."


class InvalidCursor(ApiError):
    """An `after` cursor this service did not issue, or issued for another list."""

    status, code, message = 400, "invalid_cursor", "The `after` cursor was not issued by this service."


class ArticleIdConverter(PathConverter):
    """Any text up to /comments, line breaks included, so the view can answer invalid_article_id."""

    regex = r"[^/][\s\S]*?"


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a document nested too deeply to parse is invalid JSON, not a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; ValueError (so a 400) for nesting deeper than the parser's recursion limit."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None


def _json_object() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError("Send the comment as application/json.", code="unsupported_media_type", status=415)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidJson()
    return data


def _limit() -> int:
    limit = whole_number(request.args.get("limit", "50"), 200)
    if limit is None:
        raise ValidationFailed({"limit": "must be a whole number from 1 to 200"})
    return limit


def _cursors() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="moderation cursor")


def _after(scope: str) -> int:
    """The last id of the previous page, from the opaque `after` cursor."""
    cursor = request.args.get("after")
    if not cursor:
        return 0
    try:
        cursor_scope, last_id = _cursors().loads(cursor)
    except (BadSignature, ValueError, TypeError):
        raise InvalidCursor() from None
    if cursor_scope != scope or not isinstance(last_id, int):
        raise InvalidCursor()
    return last_id


def _page(rows: list[Any], limit: int, scope: str) -> tuple[list[Any], str | None]:
    """Split off the look-ahead row; the cursor of the next page, if there is one."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], _cursors().dumps([scope, rows[limit - 1].id])


@bp.post("/articles/<article_id:article_id>/comments")
def submit_comment(article_id: str) -> tuple[dict[str, Any], int]:
    """Accept a comment; 202 when it waits for a moderator, 201 when approved at once."""
    accepted = accept(article_id, _json_object(), request.remote_addr, now(), request.user_agent.string)
    comment, key = accepted.comment, accepted.commenter_key
    if comment.status == Status.APPROVED:
        return {"id": comment.id, "status": "approved", "comment": public_comment(comment), "commenter_key": key}, 201
    return {"id": comment.id, "status": "pending", "message": PENDING_MESSAGE, "commenter_key": key}, 202


@bp.get("/form-token")
def form_token() -> tuple[dict[str, Any], int, dict[str, str]]:
    """A one-use token for a form shown now on one article (bots that post at once are held)."""
    article_id = request.args.get("article")
    if not article_id:
        raise ValidationFailed({"article": "give the id of the article the form is for"})
    token = issue_form_token(current_app.config["SECRET_KEY"], now(), check_article_id(article_id))
    # "notices": whether the form may offer the reader emails (only where the service sends mail).
    body = {"form_token": token, "min_seconds": current_app.config["MIN_FORM_SECONDS"],
            "notices": bool(current_app.config["SMTP_URL"])}
    return body, 200, {"Cache-Control": "no-store"}


@bp.get("/articles/<article_id:article_id>/comments")
def list_comments(article_id: str) -> Response:
    """Approved comments, oldest first, with ETag revalidation."""
    check_article_id(article_id)
    limit, after = _limit(), _after(f"article:{article_id}")
    known = request.environ.get(KNOWN_VERSION)  # the shortcut's lookup, when it let this request through
    version, etag = known[1:] if known and known[0] == article_id else public_version(article_id)
    headers = {"Cache-Control": "public, no-cache", "ETag": f'"{etag}"'}
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    body = shared().pages.get_or_render(
        (article_id, version, limit, after), lambda: _render_page(article_id, version, limit, after))
    return Response(body, mimetype="application/json", headers=headers)


def _render_page(article_id: str, version: int, limit: int, after: int) -> bytes:
    """The encoded public page of one version of an article."""
    count, rows = comments.public_page(article_id, limit, after) if version else (0, [])
    rows, next_cursor = _page(list(rows), limit, f"article:{article_id}")
    page = {"article_id": article_id, "count": count,
            "comments": [public_comment(row) for row in rows], "next": next_cursor}
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


@bp.get("/counts")
def counts() -> dict[str, Any]:
    """Approved-comment counts for up to 100 articles."""
    ids = request.args.getlist("article")
    if not ids or len(ids) > MAX_COUNT_IDS:
        raise ValidationFailed({"article": f"give from 1 to {MAX_COUNT_IDS} article ids"})
    for article_id in ids:
        check_article_id(article_id)
    return {"counts": comments.approved_counts(ids)}


@bp.get("/moderation/queue")
@token_required
def moderation_queue() -> dict[str, Any]:
    """Comments in one state, oldest first, with the private fields moderators need."""
    status = request.args.get("status", Status.PENDING)
    if status not in QUEUE_STATUSES:
        raise ValidationFailed({"status": "must be one of " + ", ".join(QUEUE_STATUSES)})
    limit, after = _limit(), _after(f"queue:{status}")
    rows, next_cursor = _page(list(comments.in_state(Status(status), limit, after)), limit, f"queue:{status}")
    return {"comments": [moderator_comment(row, shared().vault) for row in rows], "next": next_cursor}


@bp.post("/moderation/comments/<comment_id>")
@token_required
def moderate_comment(comment_id: str) -> dict[str, Any]:
    """Approve, reject, mark as spam or delete one comment."""
    number = whole_number(comment_id, MAX_ID)
    if number is None:
        raise NotFound(f"There is no comment {comment_id}.")
    action = _json_object().get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ValidationFailed({"action": "must be one of " + ", ".join(ACTIONS)})
    status = comments.moderate(number, ACTIONS[action], g.moderator, "api", now())
    return {"id": number, "status": str(status)}


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())


def init_app(app: Flask) -> None:
    """Register the blueprint, its JSON parser and its article id converter."""
    app.json = JSONProvider(app)
    app.url_map.converters["article_id"] = ArticleIdConverter
    app.register_blueprint(bp)
