"""The files embed.js fetches after it runs: embed-write.js (posting, reporting, counts) and the
message catalogues of the languages other than English, /embed/i18n/<lang>.json.

Both are built by `make embed` (moderation/assets/build.mjs), which names each in embed.js with a
version, the first 8 hex digits of the SHA-256 of its bytes: a request carrying the current
version may be cached for a year; any other is cached for an hour and revalidated by ETag.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory

bp = Blueprint("embed_assets", __name__)

LANGUAGE = re.compile(r"[a-z]{2,3}")
FOREVER = 31536000
AN_HOUR = 3600


@lru_cache(maxsize=32)
def _version(path: Path, mtime_ns: int) -> str:
    """The built file's version, as build.mjs writes it into embed.js."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]


def _send(name: str, mimetype: str) -> Response:
    """A static file with its ETag, cached forever when asked for by its current version."""
    folder = Path(current_app.static_folder or "static")
    path = folder / name
    current = request.args.get("v") == _version(path, path.stat().st_mtime_ns)
    response = send_from_directory(folder, name, mimetype=mimetype, max_age=FOREVER if current else AN_HOUR)
    if current:
        response.headers["Cache-Control"] = f"public, max-age={FOREVER}, immutable"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/embed-write.js")
def write_js() -> Response:
    """What a reader who writes needs: the form's sending and errors, reports, listing counts."""
    return _send("embed-write.js", "text/javascript")


@bp.get("/embed/i18n/<lang>.json")
def catalogue(lang: str) -> Response | tuple[Response, int]:
    """One language's messages for the embed, for any site (no credentials, nothing private)."""
    folder = Path(current_app.static_folder or "static") / "i18n"
    if not LANGUAGE.fullmatch(lang) or not (folder / f"{lang}.json").is_file():
        response = jsonify(error="unknown_language", message="The embed has no messages in this language.")
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response, 404
    response = _send(f"i18n/{lang}.json", "application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
