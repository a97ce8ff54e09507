"""/moderate/team: the site's moderators and their API tokens, managed by an admin.

What `flask moderators|create-moderator|delete-moderator|tokens|create-token|revoke-token`
do, on the web: each change is a POST, audited by `store.moderators` under the admin's name;
removing and revoking ask first. A new token's secret is shown once, in the answer to the
POST that made it: it is never stored (only its hash) nor put in the session cookie.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from moderation.core.credentials import (
    ADMIN,
    EXPIRES_MAX_DAYS,
    LABEL_MAX,
    MODERATOR,
    ROLES,
    check_new_moderator,
    check_new_token,
    hash_password,
    new_token,
    token_hash,
)
from moderation.core.queue_query import plural
from moderation.errors import NotFound, ValidationFailed
from moderation.shared import now
from moderation.store import moderators
from moderation.store.models import ApiToken, Moderator
from moderation.web.moderate.chrome import install
from moderation.web.moderate.sessions import admin_required

bp = install(Blueprint("team", __name__, url_prefix="/moderate/team"))


def _member(moderator_id: int) -> tuple[Moderator, int]:
    """A moderator by id, with how many live tokens they hold; NotFound when there is none."""
    for moderator, live in moderators.moderators(now()):
        if moderator.id == moderator_id:
            return moderator, live
    raise NotFound(f"There is no moderator {moderator_id}; they may have been removed already.")


def _token(moderator_id: int, token_id: int) -> ApiToken:
    """One of a moderator's tokens; NotFound when they hold no such token."""
    for token in moderators.tokens_of(moderator_id):
        if token.id == token_id:
            return token
    raise NotFound(f"There is no token {token_id}; it may have been revoked already.")


def _page(typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          made: tuple[Moderator, ApiToken, str] | None = None) -> str:
    """The team page: a refused form kept as typed (fields named by their ids), or a new token's secret."""
    team = moderators.moderators(now())
    return render_template("moderate/team.html", team=team, tokens={m.id: moderators.tokens_of(m.id) for m, _ in team},
                           admins=sum(m.role == ADMIN for m, _ in team), moment=now(), roles=ROLES,
                           default_role=MODERATOR, label_max=LABEL_MAX, days_max=EXPIRES_MAX_DAYS,
                           typed=typed or {}, errors=errors or {}, made=made)


def _home(moderator_id: int | None = None) -> Any:
    """Back to the team page, at one moderator's part of it when given."""
    return redirect(url_for(".page") + (f"#member-{moderator_id}" if moderator_id else ""), 303)


@bp.get("")
@admin_required
def page() -> str:
    """Every moderator with their tokens, and the forms to add, remove and revoke."""
    return _page()


@bp.post("/moderators")
@admin_required
def add_moderator() -> Any:
    """Add a moderator with a name, a role and a password typed twice."""
    form = request.form
    typed = {"name": form.get("name", ""), "role": form.get("role", "")}
    try:
        name, role = check_new_moderator(typed["name"], typed["role"], form.get("new_password", ""),
                                         form.get("confirm", ""))
        moderator = moderators.create_moderator(name, hash_password(form.get("new_password", "")), now(), role,
                                                by=g.moderator)
    except ValidationFailed as error:  # a bad field, or the name is taken
        return _page(typed, error.fields), 422
    flash(f"Added {moderator.name} to the team as {moderator.role}; they can log in now.")
    return _home(moderator.id)


@bp.post("/moderators/<int:moderator_id>/remove")
@admin_required
def remove_moderator(moderator_id: int) -> Any:
    """Remove a moderator, after asking: their sessions and tokens end at once; never the last admin."""
    member, live = _member(moderator_id)
    if request.form.get("confirm") != "yes":
        return render_template("moderate/confirm_team.html", member=member, live=live, token=None)
    myself = moderator_id == g.moderator.id
    try:
        moderators.delete_moderator(moderator_id, now(), by=g.moderator)
    except moderators.LastAdmin as error:
        flash(error.message)
        return _home(moderator_id)
    if myself:
        session.clear()  # its row went with the moderator; the cookie is cleared too
        flash("You removed yourself from the team, so your session has ended.")
        return redirect(url_for("login.form"), 303)
    flash(f"Removed {member.name} from the team: their sessions and {plural(live, 'API token')} have ended.")
    return _home()


@bp.post("/moderators/<int:moderator_id>/tokens")
@admin_required
def add_token(moderator_id: int) -> Any:
    """Make an API token for a moderator, and show its secret this once."""
    owner, _ = _member(moderator_id)
    label, days = request.form.get("label", ""), request.form.get("expires_in", "")
    try:
        checked, lifetime = check_new_token(label, days)
    except ValidationFailed as error:
        errors = {f"{field}-{moderator_id}": text for field, text in (error.fields or {}).items()}
        return _page({f"label-{moderator_id}": label, f"expires_in-{moderator_id}": days}, errors), 422
    secret, moment = new_token(), now()
    expires = moment + timedelta(days=lifetime) if lifetime else None
    token = moderators.add_token(owner, token_hash(secret), moment, moderators.NewToken(checked, expires),
                                 by=g.moderator)
    flash(f"Made API token {token.id} for {owner.name}.")
    return _page(made=(owner, token, secret)), 201


@bp.post("/moderators/<int:moderator_id>/tokens/<int:token_id>/revoke")
@admin_required
def revoke_token(moderator_id: int, token_id: int) -> Any:
    """Revoke one of a moderator's API tokens, after asking; it stops working at once."""
    owner, live = _member(moderator_id)
    token = _token(moderator_id, token_id)
    if request.form.get("confirm") != "yes":
        return render_template("moderate/confirm_team.html", member=owner, live=live, token=token)
    moderators.revoke_token(token_id, now(), by=g.moderator, owner_id=moderator_id)
    flash(f"Revoked API token {token_id} of {owner.name}: it no longer works.")
    return _home(moderator_id)
