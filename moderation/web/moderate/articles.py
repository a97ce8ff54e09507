"""/moderate/articles: every article with its counts, closed or open, its pre-moderation,
title and URL — each changed by a moderator here and audited (`store.articles`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from moderation.core.queue_query import parse_page, safe_return
from moderation.core.rule_input import DEFAULT, PREMODERATION_CHOICES, parse_article_details, parse_premoderation
from moderation.core.status import QUEUE_STATUSES
from moderation.errors import NotFound, ValidationFailed
from moderation.shared import now
from moderation.store import articles as stored
from moderation.store import queue as queue_store
from moderation.web.moderate.chrome import install
from moderation.web.moderate.sessions import login_required

bp = install(Blueprint("articles", __name__, url_prefix="/moderate/articles"))

PER_PAGE = 50


def _back() -> str:
    """Where an article's form goes back to: the page it came from, else the articles page."""
    return safe_return(request.form.get("return_to") or url_for(".index"))


@bp.get("")
@login_required
def index() -> str:
    """Articles with their comment counts per state, to close or reopen them and set their pre-moderation."""
    number = parse_page(request.args.get("page"))
    summaries, more = queue_store.articles_page((number - 1) * PER_PAGE, PER_PAGE)
    return render_template("moderate/articles.html", summaries=summaries, number=number, more=more,
                           tabs=QUEUE_STATUSES, choices=PREMODERATION_CHOICES,
                           site_default=current_app.config["PREMODERATION"])


@bp.post("/<article_id>/<change>")
@login_required
def close(article_id: str, change: str) -> Any:
    """Close an article to new comments, or reopen it."""
    if change not in ("close", "reopen"):
        raise NotFound()
    changed = stored.set_closed(article_id, change == "close", now(), by=g.moderator)
    state = "closed to new comments" if change == "close" else "open to new comments"
    flash(f"Article {article_id} is {'now' if changed else 'already'} {state}.")
    return redirect(_back(), 303)


@bp.post("/<article_id>/premoderation")
@login_required
def set_premoderation(article_id: str) -> Any:
    """Set which of an article's new comments wait for a moderator, or let it follow the site's setting."""
    choice = parse_premoderation(request.form.get("premoderation"))
    changed = stored.set_premoderation(article_id, choice, now(), by=g.moderator)
    flash(f"Article {article_id}: pre-moderation is {'now' if changed else 'already'} {choice or DEFAULT}.")
    return redirect(_back(), 303)


@bp.post("/<article_id>/details")
@login_required
def set_details(article_id: str) -> Any:
    """Set the title and URL moderators see for an article; an empty field clears it."""
    back = _back()
    title, url = request.form.get("title"), request.form.get("url")
    try:
        details = parse_article_details(title, url)
    except ValidationFailed as error:
        return render_template("moderate/article_details.html", article=stored.article(article_id),
                               typed={"title": title or "", "url": url or ""}, errors=error.fields or {},
                               return_to=back), 422
    changed = stored.set_details(article_id, details.title, details.url, now(), by=g.moderator)
    # Only the id goes into the message: a 2,000-character URL could overflow the session cookie.
    flash(f"Article {article_id}: title and URL {'saved' if changed else 'were already so; nothing changed'}.")
    return redirect(f"{back}#article-{article_id}", 303)
