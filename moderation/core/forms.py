"""PURE: the plain HTML comment form — WordPress's field names in, the API's fields out.

A theme's "Leave a Reply" form posts `comment`, `author`, `email`, `url`,
`comment_post_ID` and `comment_parent`; `intake.accept` takes the API's names. This
module maps one to the other and words each refusal so it names the field it is about.
The service's own forms add a honeypot (`HONEYPOT`) and a form token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from moderation.core.languages import N_
from moderation.core.status import whole_number

# The honeypot's name in a form: enticing to a bot that fills every field, unknown to browsers'
# autofill. People never see or reach it; the API calls it `hp`.
HONEYPOT = "website_url"
# API field -> the form field it came from, in the order the form shows them.
FORM_FIELDS = {"body": "comment", "name": "author", "email": "email", "website": "url",
               "parent_id": "comment_parent"}


LABELS = {"comment": N_("Comment"), "author": N_("Name"), "email": N_("Email"), "url": N_("Website"),
          "comment_parent": N_("The comment you replied to")}
REQUIRED = {"comment": N_("Please type your comment."), "author": N_("Please enter your name."),
            "email": N_("Please enter your email address.")}
# The submission rules' wording of a field's problem (the API's, in English) -> the reader's sentence.
PROBLEMS = {
    "must be valid Unicode text": N_("%(field)s must be valid Unicode text."),
    "must not contain control characters such as tabs or line breaks":
        N_("%(field)s must not contain control characters such as tabs or line breaks."),
    "must not contain bidirectional override characters":
        N_("%(field)s must not contain bidirectional override characters."),
    "must not contain control characters other than line breaks and tabs":
        N_("%(field)s must not contain control characters other than line breaks and tabs."),
    "contains characters that are not allowed in a web address (spaces, quotes, < or >)":
        N_("%(field)s contains characters that are not allowed in a web address (spaces, quotes, < or >)."),
    "must be a web address starting with http:// or https://":
        N_("%(field)s must be a web address starting with http:// or https://."),
    "must be a web address with a host name, like https://example.org":
        N_("%(field)s must be a web address with a host name, like https://example.org."),
}
TOO_LONG = re.compile(r"must be at most (\d+) characters \(it has (\d+)\)")
NOT_AN_ADDRESS = "is not a valid email address: "
# email-validator words its reasons in English only: the commonest have a translation; with another,
# a reader in another language gets the sentence without its reason rather than half in English.
EMAIL_REASONS = (N_("An email address must have an @-sign."), N_("There must be something before the @-sign."),
                 N_("There must be something after the @-sign."),
                 N_("The part after the @-sign is not valid. It should have a period."),
                 N_("An email address cannot have two periods in a row."))
# What a reader is told when the whole submission is refused, by the contract's error code.
REFUSALS = {
    "duplicate": N_("You have already posted this comment here."),
    "comments_closed": N_("Comments are closed on this article, so yours could not be posted."),
    "invalid_article_id": N_("This comment form is not set up correctly (its article id is not valid), so your "
                             "comment could not be saved. Please copy it and let the site's owner know."),
}


class Words(Protocol):
    """How a sentence reaches the reader's language: gettext and ngettext, as Flask-Babel has them."""

    language: str  # the language they put sentences into

    def gettext(self, message: str, **variables: object) -> str:
        """message in the reader's language, with %(name)s filled from variables."""

    def ngettext(self, singular: str, plural: str, num: int, **variables: object) -> str:
        """The form of a message that fits num, in the reader's language; %(num)d is num."""


class English:
    """The source language: every sentence as written here."""

    language = "en"

    def gettext(self, message: str, **variables: object) -> str:
        """message, with its variables filled in."""
        return message % variables if variables else message

    def ngettext(self, singular: str, plural: str, num: int, **variables: object) -> str:
        """singular for one, plural otherwise, with num and the variables filled in."""
        return (singular if num == 1 else plural) % {"num": num, **variables}


ENGLISH = English()


def from_wordpress(form: Mapping[str, str]) -> tuple[str, dict[str, object]]:
    """The article id and the API's submission fields from a WordPress comment form."""
    data: dict[str, object] = {
        "body": form.get("comment", ""),
        "name": form.get("author", ""),
        "email": form.get("email", ""),
        "website": form.get("url", ""),
        "parent_id": parent_id(form.get("comment_parent", "")),
        "form_token": form.get("form_token"),  # only the service's own forms carry it
        "hp": form.get(HONEYPOT),  # absent from a theme's form: then simply not a signal
        "notify_replies": ticked(form.get("comment_notify_replies")),
        "notify_approval": ticked(form.get("comment_notify_approval")),
    }
    return form.get("comment_post_ID", "").strip(), data


def ticked(value: str | None) -> bool:
    """Whether a checkbox was ticked: a browser sends its value ("on" by default) only when it is."""
    return value is not None and value.strip().lower() not in ("", "0", "false", "off", "no")


def parent_id(value: str) -> int | str | None:
    """'0' or empty: no parent; ASCII digits: that id; anything else is passed on as given,
    so validation reports it together with every other field."""
    value = value.strip()
    number = whole_number(value, minimum=0)
    return (value or None) if number is None else (number or None)


def messages(fields: Mapping[str, str], words: Words = ENGLISH) -> dict[str, str]:
    """One sentence per refused field, naming it, keyed by the form's field name, in form order."""
    found: dict[str, str] = {}
    for api_field, problem in sorted(fields.items(), key=lambda item: _order(item[0])):
        form_field = FORM_FIELDS.get(api_field, api_field)
        found[form_field] = _sentence(form_field, api_field, problem, words)
    return found


def _sentence(form_field: str, api_field: str, problem: str, words: Words) -> str:
    """What is wrong with one field, as a sentence that names it."""
    label = words.gettext(LABELS[form_field]) if form_field in LABELS else None
    too_long = TOO_LONG.fullmatch(problem)
    if problem == "is required" and form_field in REQUIRED:
        return words.gettext(REQUIRED[form_field])
    if form_field == "comment_parent":
        return words.gettext("The comment you replied to is no longer available; send again to post yours on its own.")
    if label is not None and problem in PROBLEMS:
        return words.gettext(PROBLEMS[problem], field=label)
    if label is not None and too_long:
        maximum, length = int(too_long.group(1)), int(too_long.group(2))
        return words.ngettext("%(field)s must be at most %(num)d character (it has %(length)d).",
                              "%(field)s must be at most %(num)d characters (it has %(length)d).",
                              maximum, field=label, length=length)
    if label is not None and problem.startswith(NOT_AN_ADDRESS):
        reason = problem[len(NOT_AN_ADDRESS):]
        if reason in EMAIL_REASONS or words.language == ENGLISH.language:
            return words.gettext("%(field)s is not a valid email address: %(reason)s", field=label,
                                 reason=words.gettext(reason))
        return words.gettext("%(field)s is not a valid email address.", field=label)
    sentence = f"{label or api_field.replace('_', ' ').capitalize()} {problem}"
    return sentence if sentence.endswith(".") else sentence + "."


def refusal(code: str, message: str, wait_seconds: int | None = None, words: Words = ENGLISH) -> str:
    """What to tell a reader whose submission was refused as a whole."""
    if code == "rate_limited" and wait_seconds:
        return words.ngettext("You have sent several comments in a short time. Please wait %(num)d second, "
                              "then send yours again.",
                              "You have sent several comments in a short time. Please wait %(num)d seconds, "
                              "then send yours again.", wait_seconds)
    if code == "rate_limited":
        return words.gettext("You have sent several comments in a short time. Please wait a minute, then send "
                             "yours again.")
    return words.gettext(REFUSALS[code]) if code in REFUSALS else message


def wait_seconds(retry_after: str | None) -> int | None:
    """The seconds a Retry-After header asks for (None when absent or given as a date)."""
    return whole_number((retry_after or "").strip(), minimum=0)


def _order(api_field: str) -> int:
    order = list(FORM_FIELDS)
    return order.index(api_field) if api_field in order else len(order)
