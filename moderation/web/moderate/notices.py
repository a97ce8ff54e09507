"""/moderate/notices and /moderate/deliveries: how moderators are told, and what was sent.

Each moderator sets their own address and choice (each held comment, a digest, or none) on
/moderate/notices; an admin sets anyone's from the Team page. /moderate/deliveries (admins)
lists the outbox's recent deliveries and failures by channel and recipient — a moderator's
name or a webhook's id, never an address.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from moderation.core.notices import CHOICES, check_notices
from moderation.errors import ValidationFailed
from moderation.shared import now
from moderation.store import notices, outbox
from moderation.web.moderate.chrome import install
from moderation.web.moderate.sessions import admin_required, login_required

bp = install(Blueprint("notices", __name__, url_prefix="/moderate"))

RECENT = 200  # deliveries the page lists


def _form(errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> str:
    """The notices page, a refused form kept as typed."""
    return render_template("moderate/notices.html", choices=CHOICES, errors=errors or {}, typed=typed,
                           mail_on=bool(current_app.config["SMTP_URL"]))


def _save(moderator_id: int) -> tuple[dict[str, str], dict[str, str]] | None:
    """Check and store the posted address and choice; (typed, errors) when refused."""
    typed = {"email": request.form.get("email", ""), "notify": request.form.get("notify", "")}
    try:
        email, choice = check_notices(typed["email"], typed["notify"])
    except ValidationFailed as error:
        return typed, error.fields or {}
    notices.set_notices(moderator_id, email, choice, now(), by=g.moderator)
    return None


@bp.get("/notices")
@login_required
def form() -> str:
    """One's own address and choice of notices."""
    return _form()


@bp.post("/notices")
@login_required
def save() -> Any:
    """Set one's own address and choice."""
    refused = _save(g.moderator.id)
    if refused:
        return _form(refused[1], refused[0]), 422
    flash("Your notices are saved.")
    return redirect(url_for(".form"), 303)


@bp.post("/team/moderators/<int:moderator_id>/notices")
@admin_required
def save_for(moderator_id: int) -> Any:
    """Set a moderator's address and choice (an admin, from the Team page)."""
    refused = _save(moderator_id)
    if refused:
        flash(f"The notices were not changed: {'; '.join(f'{k} {v}' for k, v in refused[1].items())}.")
    else:
        flash("The notices are saved.")
    return redirect(url_for("team.page") + f"#member-{moderator_id}", 303)


# A reader's mail, named by the comment it is about (the address is never shown, nor stored here).
READER_MAILS = {"confirm": "reader of comment {}: please confirm", "approved": "reader of comment {}: published",
                "reply": "reader replied to by comment {}"}


def target_label(target: str, names: dict[int, str]) -> str:
    """A delivery's recipient as the page names it: "moderator NAME", "webhook ID", never an address."""
    kind, _, number = target.partition(":")
    if kind == "moderator" and number.isdigit():
        return f"moderator {names.get(int(number), f'{number} (removed)')}"
    if kind in READER_MAILS and number.isdigit():
        return READER_MAILS[kind].format(number)
    return f"{kind} {number}".strip()


@bp.get("/deliveries")
@admin_required
def deliveries() -> str:
    """The latest deliveries (or only the failures), newest first."""
    failed = request.args.get("status") == "failed"
    rows = outbox.recent(RECENT, "failed" if failed else None)
    names = {m.id: m.name for m in notices.moderators_by_id(list(_moderator_ids(rows))).values()}
    return render_template("moderate/deliveries.html", rows=rows, failed=failed,
                           label=lambda target: target_label(target, names))


def _moderator_ids(rows: Any) -> set[int]:
    return {int(r.target.partition(":")[2]) for r in rows
            if r.target.startswith("moderator:") and r.target.partition(":")[2].isdigit()}
