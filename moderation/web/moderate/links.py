"""/moderate/links/<signed>: the one-click links of the moderators' emails — a page, then one button.

A GET only shows what the link would do (mail scanners prefetch links, so a GET never acts);
the button POSTs back to the same address, and `store.links.use` marks the link used and
moderates the comment in one transaction, audited under the link's moderator (via "mail").
No log-in is needed: the signed link is the credential. The POST still carries flask_wtf's
CSRF token, which works without a log-in: the GET puts it in the (anonymous) session cookie
of /moderate/, and the same-origin check applies as on every moderator page. We keep it
rather than exempting the view so that the contract's rule — every state-changing request
under /moderate/ carries a CSRF token — has no exception; a browser refusing cookies gets
the clear "csrf_failed" page and can decide from the queue instead.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from moderation.core.links import unsign
from moderation.shared import now
from moderation.store import links
from moderation.web.moderate.chrome import install

bp = install(Blueprint("links", __name__, url_prefix="/moderate/links"))

DONE = {"approve": "approved", "reject": "rejected", "spam": "marked as spam"}


def _secret(signed: str) -> str:
    """The secret of a link signed with this app's key; refused before any database work when forged."""
    secret = unsign(current_app.config["SECRET_KEY"], signed)
    if secret is None:
        raise links.refused("forged")
    return secret


@bp.get("/<signed>")
def confirm(signed: str) -> str:
    """What the link would do, with the one button that does it (nothing changes yet)."""
    found = links.look(_secret(signed), now())
    return render_template("moderate/link_confirm.html", found=found, signed=signed)


@bp.post("/<signed>")
def act(signed: str) -> str:
    """Do what the link says, once: the comment is moderated under the link's moderator."""
    found = links.use(_secret(signed), now())
    return render_template("moderate/link_done.html", found=found, done=DONE[found.link.action])
