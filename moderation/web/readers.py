"""/notices/: the pages of readers' mails — confirm an address, stop one thread or every mail.

The signed link is the credential (no log-in, no cookie): a GET only shows a page with a
button, since mail scanners prefetch links, and pressing it POSTs back to the same address.
A stop link also takes RFC 8058's one-click POST (`List-Unsubscribe=One-Click`), which a
mail provider sends with no cookie and no form token: that is why this blueprint is exempt
from CSRF (what it does needs the link, and a stranger's page cannot know one). Every page
says no more than the link already names: never the address, never another reader's.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from moderation.core import reader_links
from moderation.errors import ApiError, NotFound
from moderation.shared import now
from moderation.store import readers

bp = Blueprint("readers", __name__, url_prefix="/notices")

ONE_CLICK = "One-Click"  # RFC 8058: the body of the POST a mail provider sends
# The token is in the address: it must not leave in a Referer, nor a page of it be kept in a cache.
HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


class LinkInvalid(NotFound):
    """A reader's link that was altered, has expired, or names what was erased."""

    code = "link_invalid"
    message = "This link does not work (any more): it may be incomplete, expired, or for an address erased since."


class UnknownChoice(ApiError):
    """A POST to a stop link that asks for none of the things it can do."""

    status, code, message = 422, "unknown_choice", "Please choose one of the buttons on the page."


def _page(template: str, status: int = 200, **context: object) -> Response:
    return Response(render_template(f"pages/{template}.html", **context), status=status, headers=HEADERS,
                    mimetype="text/html")


def _confirming(token: str) -> readers.Found:
    named = reader_links.read_confirm(current_app.config["SECRET_KEY"], token, current_app.config["LINK_DAYS"] * 86400)
    found = named and readers.look(named.consent_id, None)
    if not found:
        raise LinkInvalid()
    return found


def _stopping(token: str) -> tuple[reader_links.Named, readers.Found]:
    named = reader_links.read_stop(current_app.config["SECRET_KEY"], token)
    found = named and readers.look(named.consent_id, named.comment_id)
    if not named or not found:
        raise LinkInvalid()
    return named, found


@bp.get("/confirm/<token>")
def confirm_page(token: str) -> Response:
    """What confirming means, with the one button that does it."""
    return _page("notices_confirm", found=_confirming(token), token=token)


@bp.post("/confirm/<token>")
def confirm(token: str) -> Response:
    """The reader confirms the address: the notices they asked for may now be mailed."""
    found = _confirming(token)
    readers.confirm(found.consent.id, now())
    return _page("notices_done", done="confirmed")


@bp.get("/stop/<token>")
def stop_page(token: str) -> Response:
    """The choices: stop the thread the mail was about, stop everything, or start again."""
    named, found = _stopping(token)
    return _page("notices_stop", found=found, thread=named.comment_id is not None, token=token)


@bp.post("/stop/<token>")
def stop(token: str) -> Response:
    """Stop what the reader chose, or what the link names on a one-click POST from their mail provider."""
    named, found = _stopping(token)
    choice = request.form.get("choice")
    if request.form.get("List-Unsubscribe") == ONE_CLICK:
        choice = "thread" if named.comment_id is not None else "all"
    if choice == "resume":
        readers.resume(found.consent.id)
    elif choice == "thread" and named.comment_id is not None:
        readers.stop(found.consent.id, named.comment_id, now())
    elif choice == "all":
        readers.stop(found.consent.id, None, now())
    else:
        raise UnknownChoice()
    return _page("notices_done", done=choice)
