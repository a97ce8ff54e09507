"""The public error page's sentence in the reader's language.

An error's message is the contract's English (the JSON envelope keeps it); the HTML page shows
it translated when it is one a reader can meet on a public page, listed here so the catalogues
have it (a test keeps the list equal to the classes' own wording). Any other stays as it is.
"""

from __future__ import annotations

from flask import g

from moderation.core.languages import N_
from moderation.errors import ApiError
from moderation.i18n import translate

PAGE_MESSAGES = frozenset({
    N_("The request could not be understood."),
    N_("Some fields are not valid."),
    N_("There is nothing at this address."),
    N_("You are not allowed to do that."),
    N_("This address does not accept that method."),
    N_("The request is larger than the service accepts."),
    N_("Too many submissions from your address; please wait and try again."),
    N_("Comments are closed on this article."),
    N_("You have already posted this comment here."),
    N_("The service is busy; please try again in a moment."),
    N_("This link does not work (any more): it may be incomplete, expired, or for an address erased since."),
    N_("Please choose one of the buttons on the page."),
    N_("An article id is 1–128 letters, digits and . _ ~ -, starting with a letter or digit."),
})


def page_message(error: ApiError) -> str:
    """The sentence the HTML error page shows for error, translated where the catalogues have it."""
    if error.code == "internal_error":
        return translate("Something went wrong on our side (request %(id)s).", id=g.get("request_id", "-"))
    return translate(error.message) if error.message in PAGE_MESSAGES else error.message
