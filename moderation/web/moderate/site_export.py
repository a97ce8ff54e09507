"""/moderate/export: an admin downloads the whole site as the JSON document `flask export` writes.

The page says what the file holds (personal data: emails and IP addresses) and offers one
button; the download is a POST with its CSRF token, since it is audited (before it starts),
and it streams, so a large site's export neither waits nor sits in memory. Admins only.
"""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, Response, g, render_template, stream_with_context

from moderation.shared import now, shared
from moderation.store.dump import audit_export, pieces
from moderation.web.moderate.chrome import install
from moderation.web.moderate.sessions import admin_required

bp = install(Blueprint("site_export", __name__, url_prefix="/moderate/export"))


@bp.get("")
@admin_required
def page() -> str:
    """What the export holds, and the button that downloads it."""
    return render_template("moderate/site_export.html")


@bp.post("")
@admin_required
def download() -> Response:
    """The export, streamed as a file download; audited under the admin before the first byte (a
    download cut short, or left unread, is in the log all the same)."""
    moment = now()
    audit_export(moment, g.moderator, "downloaded from the moderators' pages")
    body = stream_with_context(pieces(shared().vault, moment, Counter()))
    name = f"comments-export-{moment:%Y-%m-%d}.json"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
