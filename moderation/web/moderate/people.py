"""/moderate/people: an admin answers a reader's GDPR request — what is stored about an address,
its export (article 15) and its erasure (article 17, after a confirmation step).

The whole address is typed and sent by POST only, so it never stands in a URL or an access
log; it is never put in the session or a flashed message either. `store.people` exports and
`store.erasure` erases, each audited under the admin; every view here is admins' only.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from moderation.core.submissions import normalize_email
from moderation.shared import now, shared
from moderation.store import erasure, people
from moderation.web.moderate.chrome import install
from moderation.web.moderate.sessions import admin_required

bp = install(Blueprint("people", __name__, url_prefix="/moderate/people"))

EXPORT_NAME = "personal-data.json"  # never the address: a file name ends up in download lists


class Malformed(Exception):
    """The form's address is not an email address: the page again, saying why, with what was typed."""

    def __init__(self, typed: str, reason: str) -> None:
        super().__init__(reason)
        self.typed, self.reason = typed, reason


@bp.errorhandler(Malformed)
def _malformed(error: Malformed) -> tuple[str, int]:
    return render_template("moderate/people.html", typed=error.typed, errors={"email": error.reason}), 422


def _address() -> str:
    """The address the form names, normalized as comments store it; Malformed when it is none."""
    typed = request.form.get("email", "")
    try:
        return normalize_email(typed)
    except ValueError as error:
        raise Malformed(typed, str(error)) from None


@bp.get("")
@admin_required
def form() -> str:
    """The form to look up an address."""
    return render_template("moderate/people.html", typed="", errors={})


@bp.post("")
@admin_required
def look_up() -> str:
    """How many comments and blocks are stored for the address, with its export and erasure."""
    address = _address()
    digests = shared().vault.digests(address)
    return render_template("moderate/people.html", typed=address, errors={}, address=address,
                           found=erasure.plan(digests, keep_text=False), comments=people.comments_of(digests))


@bp.post("/export")
@admin_required
def export() -> Response:
    """Everything stored about the address, as the JSON document `person export` prints, to download."""
    address = _address()
    document = people.export(address, shared().vault.digests(address), now(), by=g.moderator)
    return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{EXPORT_NAME}"'})


@bp.post("/erase")
@admin_required
def erase() -> Any:
    """Say what erasing the address does and ask; with confirm=yes, erase it."""
    address = _address()
    digests = shared().vault.digests(address)
    if request.form.get("confirm") != "yes":
        return render_template("moderate/erase_confirm.html", address=address,
                               found=erasure.plan(digests, keep_text=False),
                               kept=erasure.plan(digests, keep_text=True), comments=people.comments_of(digests))
    done = erasure.erase(address, digests, request.form.get("keep_text") == "yes", now(), by=g.moderator)
    # Counts only: the flashed message travels in the session cookie, the address must not.
    flash(f"Erased: {done.describe()}." if done.anything else "Nothing was stored about that address.")
    if done.blocks:
        flash("That address is no longer blocked; block it again on the rules page if you must.")
    return redirect(url_for(".form"), 303)
