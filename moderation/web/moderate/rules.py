"""/moderate/rules: the site's rules, edited by admins on the web.

The hold and spam word lists, the blocks, and blocking a comment's author from the queue:
the operations `flask words|blocks` offer, checked by `core.rule_input` and stored (bumped
and audited together) by `store.rules`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request

from moderation.core.erasure import author_note, is_erased
from moderation.core.queue_query import SEARCH_MAX, plural, safe_return
from moderation.core.rule_input import BLOCK_KINDS, LISTS, describe_block, parse_block_form, parse_list, parse_words
from moderation.core.status import Status
from moderation.errors import NotFound, ValidationFailed
from moderation.shared import now
from moderation.store import queue as queue_store
from moderation.store import rules as rules_store
from moderation.web.moderate.chrome import back_to_comment, install
from moderation.web.moderate.sessions import admin_required

bp = install(Blueprint("rules", __name__, url_prefix="/moderate"))

WORDS_SHOWN = 500  # per list; a filter finds the rest
HOME = "/moderate/rules"


def _back() -> str:
    """Where a rules form goes back to: the page it came from, else the rules page."""
    back = safe_return(request.form.get("return_to") or HOME)
    return back if urlsplit(back).path == HOME else HOME


def _page(here: str, typed: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> str:
    """The rules page as seen from `here` (its filter included), with a refused form kept as typed."""
    search = parse_qs(urlsplit(here).query).get("q", [""])[0].strip()[:SEARCH_MAX]
    lists = {kind: rules_store.words_containing(kind, search, WORDS_SHOWN) for kind in LISTS}
    return render_template("moderate/rules.html", lists=lists, counts=rules_store.word_counts(), search=search,
                           blocks=rules_store.blocks(), describe_block=describe_block, here=here,
                           typed=typed or {}, errors=errors or {})


@bp.get("/rules")
@admin_required
def page() -> str:
    """The word lists and the blocks, with forms to change them."""
    return _page(request.full_path.rstrip("?"))


@bp.post("/rules/words")
@admin_required
def add_words() -> Any:
    """Put the words typed one per line on the hold or spam list."""
    kind, text = parse_list(request.form.get("list")), request.form.get("words", "")
    try:
        words = parse_words(text.splitlines())
    except ValueError as error:
        field = f"{kind}-words"
        return _page(_back(), {field: text}, {field: str(error)}), 422
    added = rules_store.add_words(kind, words, now(), by=g.moderator)
    skipped = len(words) - added
    flash(f"Added {plural(added, 'word')} to the {kind} list."
          + (f" {plural(skipped, 'word')} {'was' if skipped == 1 else 'were'} on it already." if skipped else ""))
    return redirect(f"{_back()}#{kind}", 303)


@bp.post("/rules/words/remove")
@admin_required
def remove_word() -> Any:
    """Take one word off the hold or spam list."""
    kind, word = parse_list(request.form.get("list")), request.form.get("word", "")
    removed = rules_store.remove_words(kind, [word], now(), by=g.moderator)
    # Only a listed word is repeated back: anything else could be too long for the session cookie.
    flash(f"Removed '{word.strip()}' from the {kind} list." if removed else f"That word was not on the {kind} list.")
    return redirect(f"{_back()}#{kind}", 303)


@bp.post("/rules/blocks")
@admin_required
def add_block() -> Any:
    """Block an IP address, a CIDR range or an email address, with an optional note."""
    value, note = request.form.get("value", ""), request.form.get("note", "")
    try:
        block = parse_block_form(value, note)
    except ValidationFailed as error:
        errors = {f"block-{field}": text for field, text in (error.fields or {}).items()}
        return _page(_back(), {"block-value": value, "block-note": note}, errors), 422
    stored = rules_store.block_value(block.kind, block.target)
    added = rules_store.add_block(block.kind, stored, block.note, now(), by=g.moderator)
    flash(f"{'Blocked' if added else 'Already blocked:'} {describe_block(block.kind, stored)}.")
    return redirect(f"{_back()}#blocks", 303)


@bp.post("/rules/blocks/remove")
@admin_required
def lift_block() -> Any:
    """Lift one block, named `kind:value` as the page lists it."""
    kind, _, value = request.form.get("block", "").partition(":")
    lifted = rules_store.remove_block(kind, (value,), now(), by=g.moderator)
    flash(f"Lifted the block on {describe_block(kind, value)}." if lifted else "There was no such block.")
    return redirect(f"{_back()}#blocks", 303)


@bp.post("/comments/<int:comment_id>/block/<kind>")
@admin_required
def block_author(comment_id: int, kind: str) -> Any:
    """Block a comment's IP address or email address, and mark the comment spam."""
    if kind not in BLOCK_KINDS:
        raise NotFound()
    found = queue_store.comment(comment_id)
    if kind == "ip" and (not found.ip or "/" in found.ip):  # a purge cuts old addresses down to a range
        raise ValidationFailed({"ip": "is unknown or anonymized"}, f"Comment {comment_id} has no whole IP address "
                               "to block; block a range on the rules page instead.")
    if kind == "email" and is_erased(found.email_key_id):
        raise ValidationFailed({"email": "was erased"}, f"Comment {comment_id}'s author was erased at their "
                               "request: there is no email address left to block.")
    stored = rules_store.block_value("ip", found.ip or "") if kind == "ip" else found.email_digest
    added = rules_store.add_block(kind, stored, author_note(comment_id, found.author_name), now(),
                                  by=g.moderator, about=found)
    if found.status != Status.SPAM:
        queue_store.moderate_many([comment_id], Status.SPAM, g.moderator, now())
    flash(f"{'Blocked' if added else 'Already blocked:'} {describe_block(kind, stored)}; "
          f"comment {comment_id} is spam.")
    return redirect(back_to_comment(safe_return(request.form.get("return_to"))), 303)
