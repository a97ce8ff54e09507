"""Public pages outside the JSON API: the plain HTML comment form and its thank-you page,
embed.js, the demo pages, the health check and the avatars the service draws.

The form takes the same one path into the store as the API (`intake.accept`); the rules
for its fields and redirects live in the pure `forms` and `origins` modules. Every HTML
page outside /moderate/ (these and the error page) gets a strict CSP and cannot be framed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from moderation.core import forms, languages, origins
from moderation.core.antibot import issue_form_token, read_form_token
from moderation.core.avatars import identicon_svg, is_avatar_digest
from moderation.core.origins import normalized_origins
from moderation.core.policy import FormToken
from moderation.core.status import Status
from moderation.core.submissions import is_article_id
from moderation.demo import DEMO_ARTICLES
from moderation.errors import ApiError, ValidationFailed
from moderation.i18n import Words, in_language
from moderation.intake import accept
from moderation.shared import now
from moderation.store.database import session
from moderation.web.article_heading import heading

bp = Blueprint("pages", __name__)

AVATAR_CACHE = "public, max-age=31536000, immutable"
# Site owners paste one fixed URL, so embed.js cannot be cached forever: an hour, then
# a cheap revalidation by ETag.
EMBED_MAX_AGE = 3600

# Pages share an origin with /moderate/: no page may be framed, set a <base>, post elsewhere,
# or run anything but the service's own files. The demo pages run embed.js, which calls the
# API (and on an article shows the service's avatars); the others need only their stylesheet.
_EVERY_PAGE = "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
PAGE_CSP = f"default-src 'none'; style-src 'self'; {_EVERY_PAGE}"
LISTING_CSP = f"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; {_EVERY_PAGE}"
ARTICLE_CSP = LISTING_CSP.replace("connect-src 'self';", "connect-src 'self'; img-src 'self';")
# What an allowed origin must look like to be named in a policy (nothing that could end a directive).
CSP_ORIGIN = re.compile(r"https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]+)?")
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
# A page holding a one-use form token must not be served to a second reader from a cache.
NO_STORE = {"Cache-Control": "no-store"}


@bp.after_app_request
def _page_headers(response: Response) -> Response:
    """A strict CSP and no framing on every HTML page that has no policy of its own.

    App-wide, so the HTML error page gets it on any path; /moderate/ sets its own first, the
    demo pages theirs in the view. JSON, embed.js, avatars (their own CSP) and the health
    check are not HTML and are left alone, and so is all of /api/ (a bodiless 304 there is
    typed text/html by default).
    """
    if not request.path.startswith("/api/") and response.mimetype == "text/html":
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def form_page_csp(allowed_origins: Iterable[str]) -> str:
    """The form page's policy: form-action also covers the redirect, which may go to any allowed origin."""
    targets = sorted(origin for origin in normalized_origins(allowed_origins) if CSP_ORIGIN.fullmatch(origin))
    return PAGE_CSP.replace("form-action 'self'", " ".join(["form-action 'self'", *targets]))


def _form_token_for(article_id: str, sent: object = None) -> str | None:
    """A one-use token for a form shown now on this article, or the reader's own still-good one."""
    if not is_article_id(article_id):
        return None
    secret = current_app.config["SECRET_KEY"]
    # A refused submission claimed nothing, and the time the reader already spent on the form counts.
    if isinstance(sent, str) and read_form_token(secret, sent, now(), article_id).state == FormToken.VALID:
        return sent
    return issue_form_token(secret, now(), article_id)


@bp.post("/comments")
def submit_form() -> BaseResponse:
    """The plain HTML form: 303 back to the article, or the form again naming every error."""
    article_id, data = forms.from_wordpress(request.form)
    data["lang"] = request.form.get("lang")  # optional: the page's language, as a theme or the embed says
    try:
        comment = accept(article_id, data, request.remote_addr, now(), request.user_agent.string).comment
    except ValidationFailed as error:
        return _form_page(422, errors=forms.messages(error.fields or {}, Words()))
    except ApiError as error:  # 429 rate limited, 409 duplicate, 403 closed, 400 invalid article id
        notice = forms.refusal(error.code, error.message, forms.wait_seconds(error.headers.get("Retry-After")),
                               Words())
        return _form_page(error.status, notice=notice, headers=error.headers)
    # Relative: right behind any proxy. It names the article (for its title) and keeps a chosen language.
    target = _return_to() or url_for("pages.thanks", article=article_id,
                                     lang=languages.shipped(data["lang"], current_app.config["LANGUAGES"]))
    return redirect(origins.with_marker(target, comment.id, comment.status == Status.APPROVED), 303)


@bp.get("/comments/thanks")
def thanks() -> str:
    """Where a reader lands after the plain form when their page may not be returned to."""
    about = heading(request.args.get("article", ""))
    return render_template("pages/thanks.html", pending=request.args.get("comment") == "pending",
                           title=about.title, back=about.back)


def _return_to() -> str | None:
    """Where to send the reader back: `redirect_to` when the form has one, else the Referer,
    and only when it leads to an allowed origin or to this service."""
    wanted = request.form["redirect_to"] if "redirect_to" in request.form else request.referrer
    return origins.safe_target(wanted, current_app.config["ALLOWED_ORIGINS"], request.host_url)


def _form_page(status: int, errors: dict[str, str] | None = None, notice: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """The "Leave a Reply" page again, refilled with everything the reader sent."""
    article_id = request.form.get("comment_post_ID", "").strip()
    token, back_to = _form_token_for(article_id, request.form.get("form_token")), _return_to()
    about = heading(article_id, request.form.get("article_title"), back_to)
    page = render_template("pages/form.html", values=request.form, errors=errors or {}, notice=notice,
                           redirect_to=back_to or "", form_token=token, title=about.title, back=about.back)
    policy = {"Content-Security-Policy": form_page_csp(current_app.config["ALLOWED_ORIGINS"])}
    return Response(page, status=status, headers={**(headers or {}), **NO_STORE, **policy}, mimetype="text/html")


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


def _demo_on() -> None:
    """The demo blog is a 404 where MODERATION_DEMO turned it off (in production)."""
    if not current_app.config["DEMO"]:
        abort(404)


@bp.get("/demo/")
def demo_index() -> tuple[str, int, dict[str, str]]:
    """A listing page of the demo site, with comment counts filled in by embed.js."""
    _demo_on()
    with in_language(languages.SOURCE):  # a site owner's sample, written in English through and through
        page = render_template("pages/demo_index.html", articles=DEMO_ARTICLES)
    return page, 200, {"Content-Security-Policy": LISTING_CSP}


@bp.get("/demo/<slug>")
def demo_article(slug: str) -> tuple[str, int, dict[str, str]]:
    """A demo article with the embed under it, as a site owner would set it up."""
    _demo_on()
    article = next((article for article in DEMO_ARTICLES if article.slug == slug), None)
    if article is None:
        abort(404)
    with in_language(languages.SOURCE):
        page = render_template("pages/demo_article.html", article=article, articles=DEMO_ARTICLES,
                               form_token=_form_token_for(article.article_id))
    return page, 200, {"Content-Security-Policy": ARTICLE_CSP, **NO_STORE}


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
