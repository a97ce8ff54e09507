"""The OpenAPI 3.1 description of the JSON API and the Atom feeds, served at /api/v1/openapi.json.

Written as data next to the code it describes. Every rule the service enforces is stated as
tightly as JSON Schema can say it (the patterns are in `openapi_patterns`), every answer with
its status, body and headers; tests/test_openapi_schemathesis.py holds the service to it.
"""

from __future__ import annotations

from typing import Any

from moderation.core.reports import MAX_NOTE, REASONS
from moderation.core.submissions import MAX_ID
from moderation.web import openapi_patterns as pattern


def _string(regex: str, **more: Any) -> dict[str, Any]:
    """A string schema matching `regex`, with more keywords."""
    return {"type": "string", "pattern": regex, **more}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(regex: str, description: str, nullable: bool = False) -> dict[str, Any]:
    schema = _string(regex, description=description)
    return {"anyOf": [schema, {"type": "null"}], "description": description} if nullable else schema


def _url(most: int, bare: bool, description: str) -> dict[str, Any]:
    """null, blank, or an http(s) address of at most `most` characters (with `bare`, maybe without the scheme)."""
    forms = [{"type": "null"}, _string(pattern.BLANK), _string(pattern.HTTP_URL, maxLength=most)]
    if bare:  # "http://" is added, and counts towards the limit
        most -= len("http://")
        forms += [_string(pattern.BARE_URL, maxLength=most, **{"not": {"pattern": pattern.SCHEME_START}}),
                  _string(pattern.HOST_PORT_URL, maxLength=most)]
    return {"anyOf": forms, "description": description}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
WHEN = _string(pattern.TIMESTAMP)
ARTICLE_ID = _string(pattern.ARTICLE_ID)


SUBMISSION = {
    "type": "object", "required": ["name", "email", "body"],
    "description": "Every text is NFC-normalized and trimmed before it is checked; limits refuse, never truncate. "
                   "Each invalid field is named in the 422's `fields`.",
    "properties": {
        "name": _text(pattern.NAME, "1–100 characters once trimmed; no control characters, "
                                    "no bidirectional overrides."),
        "email": {**_string(pattern.EMAIL, maxLength=254), "not": {"pattern": pattern.RESERVED_EMAIL},
                  "description": "An address email-validator accepts (no deliverability check), at most 254 "
                                 "characters once trimmed. The pattern states the ASCII addresses; internationalized "
                                 "ones (UTF-8 local parts, IDN domains, xn-- labels) are accepted too. The "
                                 "special-use domains .arpa, .invalid, .local, .localhost, .onion and .test "
                                 "are refused."},
        "body": _text(pattern.BODY, "1–5000 characters once trimmed (CR LF and CR count as one line break); "
                                    "no control characters but tabs and line breaks."),
        "website": _url(200, True, "Empty, or an http(s) address of at most 200 characters; a bare host "
                                   "(`blog.example`) gets `http://`, which counts towards the 200."),
        "parent_id": {"anyOf": [ID, {"type": "null"}],
                      "description": "null, or the id of an approved comment on this article (else 422)."},
        "article_title": _text(pattern.TITLE, "At most 300 characters once trimmed; no control characters, "
                                              "no bidirectional overrides.", True),
        "article_url": _url(2000, False, "Empty, or the article's http(s) address, at most 2000 characters."),
        "hp": {"description": "The honeypot: leave it out, empty or false. Anything else is accepted and kept "
                              "as spam."},
        "form_token": {"description": "From GET /api/v1/form-token; optional, never refused (a missing, forged, "
                                      "stale or reused one only holds the comment)."},
        "commenter_key": {"description": "The `commenter_key` of an earlier answer; optional, never refused."},
        "notify_replies": {"type": ["boolean", "null"], "description": "Email me approved replies to this "
                           "comment (double opt-in: the address is asked to confirm first). Ignored without mail."},
        "notify_approval": {"type": ["boolean", "null"], "description": "Email me when this comment is "
                            "published (double opt-in). Ignored where the service sends no mail."},
    },
}

REPORT = {
    "type": "object", "required": ["reason"],
    "description": "A reader's report of a published comment. Each invalid field is named in the 422's `fields`.",
    "properties": {
        "reason": {"enum": list(REASONS)},
        "note": {"anyOf": [{"type": "null"}, _string(pattern.NOTE)],
                 "description": f"Optional: at most {MAX_NOTE} characters once trimmed (CR LF and CR count as one "
                                "line break); no control characters but tabs and line breaks. Shown to moderators."},
    },
}

AUTHOR = {"type": "object", "required": ["name", "website", "avatar"], "properties": {
    "name": {"type": "string"}, "website": {"type": ["string", "null"]},
    "avatar": _string(pattern.AVATAR)}}
PUBLIC_FIELDS = {"id": ID, "parent_id": {"anyOf": [ID, {"type": "null"}],
                                         "description": "Only ever an approved comment; else null."},
                 "author": _ref("Author"), "html": {"type": "string"}, "created_at": WHEN}
STATUS = {"enum": ["pending", "approved", "rejected", "spam"]}
MODERATOR_FIELDS = {
    **PUBLIC_FIELDS, "status": STATUS, "reason": {"type": ["string", "null"]}, "article_id": {"type": "string"},
    "email": {"type": ["string", "null"], "description": "null when the key that sealed it is gone."},
    "ip": {"type": ["string", "null"]}, "body": {"type": "string"}, "updated_at": WHEN,
    "reports": {"type": "integer", "minimum": 0, "description": "Readers' reports of it still open (not dismissed)."}}
NEXT = {"type": ["string", "null"], "description": "The `after` of the next page; null on the last."}
KEY = _string(pattern.COMMENTER_KEY)

SCHEMAS: dict[str, Any] = {
    "Submission": SUBMISSION,
    "Author": AUTHOR,
    "PublicComment": {"type": "object", "required": list(PUBLIC_FIELDS), "properties": PUBLIC_FIELDS},
    "ModeratorComment": {"type": "object", "required": list(MODERATOR_FIELDS), "properties": MODERATOR_FIELDS},
    "Page": {"type": "object", "required": ["article_id", "count", "closed", "comments", "next"], "properties": {
        "article_id": {"type": "string"}, "count": {"type": "integer", "minimum": 0},
        "closed": {"type": "boolean", "description": "Closed to new comments (show no form)."},
        "comments": {"type": "array", "items": _ref("PublicComment")}, "next": NEXT}},
    "Approved": {"type": "object", "required": ["id", "status", "comment", "commenter_key"], "properties": {
        "id": ID, "status": {"const": "approved"}, "comment": _ref("PublicComment"), "commenter_key": KEY}},
    "Pending": {"type": "object", "required": ["id", "status", "message", "commenter_key", "avatar"], "properties": {
        "id": ID, "status": {"const": "pending"}, "message": {"type": "string"}, "commenter_key": KEY,
        "avatar": {"type": "string", "description": "The avatar the comment will show (of email and key)."}}},
    "Counts": {"type": "object", "required": ["counts"], "properties": {"counts": {
        "type": "object", "propertyNames": ARTICLE_ID,
        "additionalProperties": {"type": "integer", "minimum": 0}}}},
    "Queue": {"type": "object", "required": ["comments", "next"], "properties": {
        "comments": {"type": "array", "items": _ref("ModeratorComment")}, "next": NEXT}},
    "Moderated": {"type": "object", "required": ["id", "status"], "properties": {
        "id": ID, "status": {"enum": ["approved", "rejected", "spam", "deleted"]}}},
    "Report": REPORT,
    "Received": {"type": "object", "required": ["status", "message"], "properties": {
        "status": {"const": "received"}, "message": {"type": "string"}}},
    "FormToken": {"type": "object", "required": ["form_token", "min_seconds", "notices"], "properties": {
        "form_token": {"type": "string"}, "min_seconds": {"type": "number", "minimum": 0},
        "notices": {"type": "boolean", "description": "Whether the form may offer email notices (mail is set up)."}}},
}

# Every error is {"error": code, "message": sentence, "fields"?: {field: problem}}; the codes by status.
# (Each operation names its own 400 codes.)
ERRORS = {
    400: ("", "The body is not a JSON object, or an id or cursor is malformed or was not issued here"),
    401: ("unauthorized", "No valid moderator token (none, unknown, revoked, expired, or its moderator removed)"),
    403: ("comments_closed", "Comments are closed on this article"),
    404: ("not_found", "No such comment"),
    409: ("duplicate", "The same author, proven by commenter key or by address within 10 minutes, sent this text"),
    413: ("too_large", "The body is over MODERATION_MAX_REQUEST_BYTES"),
    415: ("unsupported_media_type", "The body is not application/json"),
    422: ("validation_failed", "`fields` names every invalid field or parameter"),
    429: ("rate_limited", "Over MODERATION_RATELIMIT (reports: MODERATION_REPORT_RATELIMIT); Retry-After says when "
                          "to try again"),
    500: ("internal_error", "An unexpected failure; the message carries the request id"),
    503: ("unavailable", "Every database connection is busy; Retry-After says when to try again"),
}
HEADERS = {  # each answer carries X-Request-ID; these statuses carry more
    401: ("WWW-Authenticate",), 429: ("Retry-After",), 503: ("Retry-After",)}
HEADER_TEXT = {
    "X-Request-ID": "The caller's X-Request-ID when it is 1–64 of A-Z a-z 0-9 . _ -, else a fresh one; in the log too",
    "ETag": "Opaque; changes whenever the article's approved comments change",
    "Cache-Control": "`public, no-cache` on comment lists, `no-store` on form tokens",
    "WWW-Authenticate": "Bearer", "Retry-After": "Seconds to wait before trying again"}


def _response(code: int, ok: dict[str, Any] | None, headers: tuple[str, ...] = (), invalid: str = "") -> dict[str, Any]:
    names = ("X-Request-ID", *HEADERS.get(code, ()), *headers)
    response: dict[str, Any] = {"headers": {name: {"required": True, "schema": {"type": "string"},
                                                   "description": HEADER_TEXT[name]} for name in names}}
    if code < 400:
        response["description"] = "Not modified: If-None-Match matched the ETag" if code == 304 else "Success"
        if ok is not None and code != 304:
            response["content"] = {"application/json": {"schema": ok}}
        return response
    codes, description = ERRORS[code]
    codes = invalid if code == 400 else codes
    error = {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"enum": codes.split()}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}
    if code == 422:
        error["required"] = ["error", "message", "fields"]
    return {**response, "description": description, "content": {"application/json": {"schema": error}}}


def _responses(*codes: int, ok: dict[str, Any] | None = None, headers: tuple[str, ...] = (),
               invalid: str = "") -> dict[str, Any]:
    """The documented answers: success bodies, error envelopes (`invalid`: the 400 codes), their headers."""
    return {str(code): _response(code, ok, headers if code in (200, 304) else (), invalid) for code in (*codes, 500)}


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema,
            "description": description}


ARTICLE = _param("article_id", "path", ARTICLE_ID,
                 "1–128 letters, digits and . _ ~ -, starting with a letter or digit (else 400 invalid_article_id).")
LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
               "Comments per page: 1–200 written in ASCII digits (else 422).")
AFTER = _param("after", "query", _string(pattern.CURSOR),
               "The `next` of the previous page; empty for the first. A cursor this service did not issue for "
               "this list is 400 invalid_cursor.")
ORDER = _param("order", "query", {"enum": ["oldest", "newest"], "default": "oldest"}, "`oldest` first, or `newest` "
               "thread first (top-level comments newest first, each with its replies); own cursors. Else 422.")
IF_NONE_MATCH = _param("If-None-Match", "header", {"type": "string"},
                       "An ETag from an earlier answer: 304 while the approved comments are unchanged.")
TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _link(operation: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation, "parameters": parameters}


def _document(operation: str, summary: str, media: str, parameters: list[dict[str, Any]],
              codes: tuple[int, ...], invalid: str = "invalid_article_id") -> dict[str, Any]:
    """A GET of a document (a feed, the HTML fragment) or 304; errors outside /api/ come as asked, JSON or HTML."""
    responses = _responses(*codes, headers=("ETag", "Cache-Control"), invalid=invalid)
    responses["200"]["content"] = {media: {"schema": {"type": "string"}}}
    for code in (code for code in responses if int(code) >= 400):
        responses[code]["content"]["text/html"] = {"schema": {"type": "string"}}
    return {"get": {"operationId": operation, "summary": summary, "parameters": parameters, "responses": responses}}


ATOM = "application/atom+xml"
LANG = _param("lang", "query", {"type": "string"}, "A shipped language, like `de` (else Accept-Language decides).")


def paths() -> dict[str, Any]:
    """Every route of /api/v1 and the feeds, with its parameters and every answer it can give."""
    comments = "/api/v1/articles/{article_id}/comments"
    submitted = {"ModerateIt": _link("moderateComment", comment_id="$response.body#/id")}
    page = _responses(200, 304, 400, 422, 503, ok=_ref("Page"), headers=("ETag", "Cache-Control"),
                      invalid="invalid_article_id invalid_cursor")
    page["200"]["links"] = {"NextPage": _link("listComments", article_id="$request.path.article_id",
                                              after="$response.body#/next")}
    submit = _responses(201, 202, 400, 403, 409, 413, 415, 422, 429, 503, invalid="invalid_json invalid_article_id")
    submit["201"]["content"] = {"application/json": {"schema": _ref("Approved")}}
    submit["202"]["content"] = {"application/json": {"schema": _ref("Pending")}}
    submit["201"]["links"] = submit["202"]["links"] = submitted
    return {
        comments: {
            "post": {"operationId": "submitComment", "summary": "Submit a comment: 201 approved at once, 202 held",
                     "parameters": [ARTICLE], "requestBody": _body(_ref("Submission")), "responses": submit},
            "get": {"operationId": "listComments", "summary": "Approved comments, oldest (or newest thread) first",
                    "parameters": [ARTICLE, LIMIT, AFTER, ORDER, IF_NONE_MATCH], "responses": page},
        },
        "/articles/{article_id}/comments.html": _document(
            "commentsFragment", "Approved comments as an HTML fragment, for readers without JavaScript and for "
            "search engines", "text/html", [ARTICLE, LIMIT, AFTER, ORDER, LANG, IF_NONE_MATCH],
            (200, 304, 400, 422, 503), "invalid_article_id invalid_cursor"),
        "/api/v1/counts": {"get": {
            "operationId": "countComments", "summary": "Approved-comment counts of 1 to 100 articles",
            "parameters": [_param("article", "query", {"type": "array", "minItems": 1, "maxItems": 100,
                                                       "items": ARTICLE_ID},
                                  "Repeat for each article: 1–100 ids (else 422).", True)],
            "responses": _responses(200, 400, 422, 503, ok=_ref("Counts"), invalid="invalid_article_id")}},
        "/api/v1/moderation/queue": {"get": {
            "operationId": "moderationQueue", "summary": "Comments in one state, oldest first", "security": TOKEN,
            "parameters": [_param("status", "query", {**STATUS, "default": "pending"}, "Which comments (else 422)."),
                           LIMIT, AFTER],
            "responses": _responses(200, 400, 401, 422, 503, ok=_ref("Queue"), invalid="invalid_cursor")}},
        "/api/v1/moderation/comments/{comment_id}": {"post": {
            "operationId": "moderateComment", "summary": "Approve, reject, mark as spam or delete a comment",
            "security": TOKEN,
            "parameters": [_param("comment_id", "path", ID, "Any other id, or a non-number, is 404.")],
            "requestBody": _body({"type": "object", "required": ["action"], "properties": {
                "action": {"enum": ["approve", "reject", "spam", "delete"]}}}),
            "responses": _responses(200, 400, 401, 404, 413, 415, 422, 503, ok=_ref("Moderated"),
                                    invalid="invalid_json")}},
        "/api/v1/comments/{comment_id}/reports": {"post": {
            "operationId": "reportComment", "summary": "Report a published comment to the moderators (once per reader)",
            "parameters": [_param("comment_id", "path", ID, "A comment that is not published (or does not exist) is "
                                                            "404, the same either way.")],
            "requestBody": _body(_ref("Report")),
            "responses": _responses(202, 400, 404, 413, 415, 422, 429, 503, ok=_ref("Received"),
                                    invalid="invalid_json")}},
        "/api/v1/form-token": {"get": {
            "operationId": "formToken", "summary": "A one-use token for a form shown now on one article",
            "parameters": [_param("article", "query", ARTICLE_ID,
                                  "The article the form is for (missing: 422; malformed: 400).", True)],
            "responses": _responses(200, 400, 422, ok=_ref("FormToken"), headers=("Cache-Control",),
                                    invalid="invalid_article_id")}},
        "/api/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                         "responses": _responses(200, ok={"type": "object"})}},
        "/feeds/articles/{article_id}.atom": _document(
            "articleFeed", "Atom 1.0: the article's latest 50 approved comments, newest first", ATOM,
            [ARTICLE, IF_NONE_MATCH], (200, 304, 400, 503)),
        "/feeds/comments.atom": _document(
            "siteFeed", "Atom 1.0: the latest 50 approved comments on every article, newest first", ATOM,
            [IF_NONE_MATCH], (200, 304, 503)),
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Comment moderation service", "version": "1"},
        "paths": paths(),
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    }
