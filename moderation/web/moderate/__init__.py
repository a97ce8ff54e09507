"""/moderate/: the moderators' pages — queue, log-in, rules, articles, team, people, webhooks — and their chrome.

Every page here needs a logged-in moderator (`sessions.login_required`; the rules, the
team, people and webhooks an admin, `sessions.admin_required`), every POST the CSRF token and a same-site
Origin; the session cookie is sent to /moderate/ only.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response
from flask_wtf.csrf import CSRFError

from moderation.errors import ApiError
from moderation.web.responses import respond


def init_app(app: Flask) -> None:
    """Register the moderators' pages with their session cookie and the CSRF error page."""
    from moderation.web.moderate import (
        articles, links, login, notices, people, queue, reports, rules, sessions, site_export, team, webhooks)

    app.config.update(SESSION_COOKIE_NAME="moderation_session", SESSION_COOKIE_PATH=sessions.SESSION_PATH,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", WTF_CSRF_TIME_LIMIT=None,
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_MAX_HOURS"]))
    app.session_interface = sessions.SessionInterface()
    app.register_error_handler(CSRFError, _csrf_failed)
    for blueprint in (login.bp, queue.bp, reports.bp, rules.bp, articles.bp, team.bp, people.bp, webhooks.bp,
                      links.bp, notices.bp, site_export.bp):
        app.register_blueprint(blueprint)


def _csrf_failed(error: CSRFError) -> Response:
    return respond(ApiError(f"{error.description} The form may be stale or came from another site: reload "
                            "the page and try again.", code="csrf_failed", status=400))
