"""The comment moderation service: `create_app` wires settings, database, views and CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from . import api, cli, cli_rules, cors, database, errors, fastpath, pages, queue, ratelimit
from .errors import make_request_id
from .privacy import EmailVault
from .settings import load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; test_config overrides the MODERATION_* environment."""
    app = Flask(__name__, instance_relative_config=True)
    load_settings(app, test_config)
    app.extensions["moderation.vault"] = EmailVault(app.config["SECRET_KEY"], app.config["OLD_SECRET_KEYS"])
    database.init_app(app)
    errors.register(app)
    api.init_app(app)
    cors.init_app(app)
    app.register_blueprint(pages.bp)
    ratelimit.init_app(app, database.engine_of(app))
    # Every POST needs a CSRF token except the token API (no cookies) and the public form.
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    csrf.exempt(pages.bp)
    queue.init_app(app)
    cli.init_app(app)
    cli_rules.init_app(app)
    app.before_request(_assign_request_id)
    app.before_request(_refuse_long_chunked_body)
    app.after_request(_common_headers)
    app.wsgi_app = fastpath.Revalidation(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


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
