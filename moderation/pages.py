"""Public pages outside the JSON API: the plain HTML comment form and its thank-you page,
embed.js, the demo pages, the health check and the avatars the service draws.

The form takes the same one path into the store as the API (`intake.accept`); the rules
for its fields and redirects live in the pure `forms` and `origins` modules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request,
                   send_from_directory, url_for)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from . import forms, origins
from .antibot import issue_form_token
from .api import now
from .avatars import identicon_svg, is_avatar_digest
from .database import session
from .errors import ApiError, ValidationFailed
from .intake import accept
from .models import Status

bp = Blueprint("pages", __name__)

AVATAR_CACHE = "public, max-age=31536000, immutable"
# Site owners paste one fixed URL, so embed.js cannot be cached forever: an hour, then
# a cheap revalidation by ETag.
EMBED_MAX_AGE = 3600


@dataclass(frozen=True)
class DemoArticle:
    """One article of the demo site; its text lives in templates/pages/demo/<slug>.html."""

    slug: str
    title: str
    summary: str

    @property
    def article_id(self) -> str:
        """The article id its comments are kept under."""
        return f"demo-{self.slug}"


DEMO_ARTICLES = (
    DemoArticle("read-before-published", "Every comment here is read before it is published",
                "Why this demo holds new comments for a moderator, and what that looks like for you."),
    DemoArticle("paper-maps", "A weekend with paper maps",
                "Two days of walking without a phone screen, and what folding a map teaches you."),
    DemoArticle("garden-notebook", "Keeping a garden notebook",
                "Dates, weather and small failures: a notebook that makes next spring easier."),
)


@bp.context_processor
def _form_token() -> dict[str, str]:
    """The service's own forms carry a signed "shown at" time, as the embed does."""
    return {"form_token": issue_form_token(current_app.config["SECRET_KEY"], now())}


@bp.post("/comments")
def submit_form() -> Response:
    """The plain HTML form: 303 back to the article, or the form again naming every error."""
    article_id, data = forms.from_wordpress(request.form)
    try:
        comment = accept(article_id, data, request.remote_addr, now(), request.user_agent.string).comment
    except ValidationFailed as error:
        return _form_page(422, errors=forms.messages(error.fields or {}))
    except ApiError as error:  # 409 duplicate, 403 closed, 400 invalid article id
        return _form_page(error.status, notice=forms.refusal(error.code, error.message), headers=error.headers)
    target = _return_to() or url_for("pages.thanks")  # relative: right behind any proxy
    return redirect(origins.with_marker(target, comment.id, comment.status == Status.APPROVED), 303)


@bp.get("/comments/thanks")
def thanks() -> str:
    """Where a reader lands after the plain form when their page may not be returned to."""
    return render_template("pages/thanks.html", pending=request.args.get("comment") == "pending")


def _return_to() -> str | None:
    """Where to send the reader back: `redirect_to` when the form has one, else the Referer,
    and only when it leads to an allowed origin or to this service."""
    wanted = request.form["redirect_to"] if "redirect_to" in request.form else request.referrer
    return origins.safe_target(wanted, current_app.config["ALLOWED_ORIGINS"], request.host_url)


def _form_page(status: int, errors: dict[str, str] | None = None, notice: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """The "Leave a Reply" page again, refilled with everything the reader sent."""
    page = render_template("pages/form.html", values=request.form, errors=errors or {}, notice=notice,
                           redirect_to=_return_to() or "")
    return Response(page, status=status, headers=headers, mimetype="text/html")


@bp.errorhandler(TooManyRequests)
def _too_many(_error: TooManyRequests) -> Response:
    """A 429 keeps the reader's text and says how long to wait (only the form is limited here)."""
    limit = current_app.extensions["moderation.limiter"].current_limit
    wait = max(1, int(limit.reset_at - time.time())) if limit else 60
    return _form_page(429, notice=forms.refusal("rate_limited", "", wait), headers={"Retry-After": str(wait)})


@bp.get("/embed.js")
def embed_js() -> Response:
    """The embed script, as JavaScript, cached for an hour and then revalidated."""
    response = send_from_directory(current_app.static_folder or "static", "embed.js",
                                   mimetype="text/javascript", max_age=EMBED_MAX_AGE)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # embeddable under COEP too
    return response


@bp.get("/")
def index() -> str:
    """Where `make run` sends a newcomer first: what is here, and where to go."""
    return render_template("pages/index.html")


@bp.get("/demo/")
def demo_index() -> str:
    """A listing page of the demo site, with comment counts filled in by embed.js."""
    return render_template("pages/demo_index.html", articles=DEMO_ARTICLES)


@bp.get("/demo/<slug>")
def demo_article(slug: str) -> str:
    """A demo article with the embed under it, as a site owner would set it up."""
    article = next((article for article in DEMO_ARTICLES if article.slug == slug), None)
    if article is None:
        abort(404)
    return render_template("pages/demo_article.html", article=article, articles=DEMO_ARTICLES)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """200 when the database answers, 503 when it does not."""
    try:
        session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200


@bp.get("/avatars/<digest>.svg")
def avatar(digest: str) -> Response:
    """An identicon drawn from a keyed digest; the same digest always draws the same picture."""
    if not is_avatar_digest(digest):
        abort(404)
    return Response(identicon_svg(digest), mimetype="image/svg+xml",
                    headers={"Cache-Control": AVATAR_CACHE, "X-Content-Type-Options": "nosniff",
                             "Cross-Origin-Resource-Policy": "cross-origin",
                             "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
