"""The token API's authentication: `Authorization: Bearer mod_…`, looked up by its hash.

A revoked or expired token, or one whose moderator was removed, stops working at once:
every request looks its hash up, nothing is cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request

from moderation.core.credentials import token_hash
from moderation.errors import Unauthorized
from moderation.shared import now
from moderation.store import moderators


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the view run only with a valid `Authorization: Bearer` token; set g.moderator."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        moderator = None
        if scheme.lower() == "bearer" and token.strip():
            moderator = moderators.moderator_by_token(token_hash(token.strip()), now())
        if moderator is None:
            raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="moderation"'})
        g.moderator = moderator
        return view(*args, **kwargs)

    return wrapped
