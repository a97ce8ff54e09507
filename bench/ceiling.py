"""The "ceiling" app for bench/api_bench.py: bare Flask returning one canned response.

It serves, from memory, the exact body and headers that the real service answered to
GET /api/v1/articles/bench-article/comments (captured once by the benchmark into the
JSON file named by BENCH_CEILING_RESPONSE). Served by gunicorn with the same settings
as the real app, its rate is what Flask + gunicorn + the socket can do at best on this
machine, so the real endpoint's rate is reported as a fraction of it.
"""

from __future__ import annotations

import base64
import json
import os

from flask import Flask, Response

with open(os.environ["BENCH_CEILING_RESPONSE"], encoding="utf-8") as _file:
    _CANNED = json.load(_file)

BODY: bytes = base64.b64decode(_CANNED["body_b64"])
STATUS: int = _CANNED["status"]
HEADERS: list[tuple[str, str]] = [(name, value) for name, value in _CANNED["headers"]]

app = Flask(__name__)


@app.get("/api/v1/articles/<path:article_id>/comments")
def canned(article_id: str) -> Response:
    """The captured response, whatever the article."""
    return Response(BODY, status=STATUS, headers=HEADERS)
