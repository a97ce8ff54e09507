"""/api/v1: public comments and counts, and the moderators' token API.

Views parse → validate → decide → store → serialize; the rules live in `intake`,
`submissions` and `policy`, the queries in `store.comments`, the shapes in `serializers`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import PathConverter

from moderation.core.antibot import issue_form_token
from moderation.core.status import ACTIONS, QUEUE_STATUSES, Status, whole_number
from moderation.core.submissions import MAX_ID
from moderation.errors import ApiError, NotFound, ValidationFailed
from moderation.intake import accept, check_article_id
from moderation.shared import now, shared
from moderation.store import comments, reports
from moderation.web import compression
from moderation.web.auth import token_required
from moderation.web.listing import Listing, read_after, read_limit, read_listing, split_page
from moderation.web.openapi import document
from moderation.web.serializers import moderator_comment, public_comment

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PENDING_MESSAGE = "Your comment is awaiting moderation."
MAX_COUNT_IDS = 100


class InvalidJson(ApiError):
    """A JSON body that is not a JSON object."""

    status, code, message = 400, "invalid_json", "The request body must be a JSON object."


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


def json_object(what: str = "the comment") -> dict[str, Any]:
    """The request's JSON object: 415 for another content type, 400 invalid_json for anything else."""
    if not request.is_json:
        raise ApiError(f"Send {what} as application/json.", code="unsupported_media_type", status=415)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidJson()
    return data


@bp.post("/articles/<article_id:article_id>/comments")
def submit_comment(article_id: str) -> tuple[dict[str, Any], int]:
    """Accept a comment; 202 when it waits for a moderator, 201 when approved at once."""
    accepted = accept(article_id, json_object(), request.remote_addr, now(), request.user_agent.string)
    comment, key = accepted.comment, accepted.commenter_key
    if comment.status == Status.APPROVED:
        return {"id": comment.id, "status": "approved", "comment": public_comment(comment), "commenter_key": key}, 201
    # The avatar the comment will show, for the author's own view of it while it waits. It is drawn
    # from the email *and* the commenter key: someone else's address draws a picture unlike theirs.
    return {"id": comment.id, "status": "pending", "message": PENDING_MESSAGE, "commenter_key": key,
            "avatar": f"/avatars/{comment.avatar}.svg"}, 202


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
    """Approved comments, oldest (or newest thread) first, with ETag revalidation."""
    listing = read_listing(article_id)
    encoding = compression.chosen(request.headers.get("Accept-Encoding"))
    headers = {"Cache-Control": "public, no-cache", "ETag": compression.etag_value(listing.public.etag, encoding)}
    if request.if_none_match.contains_weak(listing.public.etag):
        compression.add_headers(headers, None)
        return Response(status=304, headers=headers)
    pages, key = shared().pages, listing.key("json")
    body, sent = compression.encoded(pages, key, pages.get_or_render(key, lambda: _render_page(listing)), encoding)
    compression.add_headers(headers, sent)
    return Response(body, mimetype="application/json", headers=headers)


def _render_page(listing: Listing) -> bytes:
    """The encoded public page."""
    count, rows, next_cursor = listing.rows()
    page = {"article_id": listing.article_id, "count": count, "closed": listing.public.closed,
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
    limit, after = read_limit(), read_after(f"queue:{status}", lambda position: isinstance(position, int)) or 0
    rows, next_cursor = split_page(list(comments.in_state(Status(status), limit, after)), limit, f"queue:{status}")
    reported = reports.open_counts(row.id for row in rows)
    return {"comments": [moderator_comment(row, shared().vault, reported.get(row.id, 0)) for row in rows],
            "next": next_cursor}


@bp.post("/moderation/comments/<comment_id>")
@token_required
def moderate_comment(comment_id: str) -> dict[str, Any]:
    """Approve, reject, mark as spam or delete one comment."""
    number = whole_number(comment_id, MAX_ID)
    if number is None:
        raise NotFound(f"There is no comment {comment_id}.")
    action = json_object().get("action")
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
