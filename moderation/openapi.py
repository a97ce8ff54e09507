"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

Written as data next to the code it describes; a test checks every route is in it.
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


def _responses(*codes: int, ok: dict[str, Any] | None = None) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code in codes:
        if code < 300 and ok is not None:
            responses[str(code)] = {"description": "Success", "content": {"application/json": {"schema": ok}}}
        elif code == 304:
            responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
        else:
            responses[str(code)] = {"description": "Error", "content": {"application/json": {"schema": ERROR}}}
    return responses


def _param(name: str, where: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema}


ARTICLE = _param("article_id", "path", {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$"})
LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50})
AFTER = _param("after", "query", {"type": "string"})
TOKEN = [{"bearer": []}]


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    comments = "/api/v1/articles/{article_id}/comments"
    return {
        "openapi": "3.1.0",
        "info": {"title": "Comment moderation service", "version": "1"},
        "paths": {
            comments: {
                "post": {"summary": "Submit a comment", "parameters": [ARTICLE],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/Submission"}}}},
                         "responses": _responses(201, 202, 400, 403, 409, 413, 415, 422, 429, ok={"type": "object"})},
                "get": {"summary": "Approved comments, oldest first", "parameters": [ARTICLE, LIMIT, AFTER],
                        "responses": _responses(200, 304, 400, 422, ok={"$ref": "#/components/schemas/Page"})},
            },
            "/api/v1/counts": {"get": {
                "summary": "Approved-comment counts", "parameters": [
                    _param("article", "query", {"type": "array", "items": {"type": "string"}, "maxItems": 100},
                           required=True)],
                "responses": _responses(200, 400, 422, ok={"type": "object"})}},
            "/api/v1/moderation/queue": {"get": {
                "summary": "Comments in one state, for moderators", "security": TOKEN,
                "parameters": [_param("status", "query", {"enum": ["pending", "approved", "rejected", "spam"]}),
                               LIMIT, AFTER],
                "responses": _responses(200, 400, 401, 422, ok={"type": "object"})}},
            "/api/v1/moderation/comments/{comment_id}": {"post": {
                "summary": "Approve, reject, mark as spam or delete a comment", "security": TOKEN,
                "parameters": [_param("comment_id", "path", {"type": "integer"})],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["action"],
                    "properties": {"action": {"enum": ["approve", "reject", "spam", "delete"]}}}}}},
                "responses": _responses(200, 400, 401, 404, 415, 422, ok={"type": "object"})}},
            "/api/v1/form-token": {"get": {
                "summary": "A signed timestamp to send back as `form_token` with a submission",
                "responses": _responses(200, ok={"type": "object", "properties": {
                    "form_token": {"type": "string"}, "min_seconds": {"type": "number"}}})}},
            "/api/v1/openapi.json": {"get": {"summary": "This document",
                                             "responses": _responses(200, ok={"type": "object"})}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "Submission": {"type": "object", "required": ["name", "email", "body"], "properties": {
                    "name": {"type": "string", "maxLength": 100}, "email": {"type": "string", "maxLength": 254},
                    "website": {"type": "string", "maxLength": 200}, "body": {"type": "string", "maxLength": 5000},
                    "parent_id": {"type": ["integer", "null"]}, "article_title": {"type": "string"},
                    "article_url": {"type": "string"}, "hp": {"type": "string"},
                    "form_token": {"type": "string"}, "commenter_key": {"type": "string"}}},
                "Page": {"type": "object", "properties": {
                    "article_id": {"type": "string"}, "count": {"type": "integer"},
                    "comments": {"type": "array", "items": {"type": "object"}},
                    "next": {"type": ["string", "null"]}}},
            },
        },
    }
