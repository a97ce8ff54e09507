"""PURE: the plain HTML comment form — WordPress's field names in, the API's fields out.

A theme's "Leave a Reply" form posts `comment`, `author`, `email`, `url`,
`comment_post_ID` and `comment_parent`; `intake.accept` takes the API's names. This
module maps one to the other and words each refusal so it names the field it is about.
The service's own forms add a honeypot (`HONEYPOT`) and a form token.
"""

from __future__ import annotations

from collections.abc import Mapping

from moderation.core.status import whole_number

# The honeypot's name in a form: enticing to a bot that fills every field, unknown to browsers'
# autofill. People never see or reach it; the API calls it `hp`.
HONEYPOT = "website_url"
# API field -> the form field it came from, in the order the form shows them.
FORM_FIELDS = {"body": "comment", "name": "author", "email": "email", "website": "url",
               "parent_id": "comment_parent"}
LABELS = {"comment": "Comment", "author": "Name", "email": "Email", "url": "Website",
          "comment_parent": "The comment you replied to"}
REQUIRED = {"comment": "Please type your comment.", "author": "Please enter your name.",
            "email": "Please enter your email address."}
# What a reader is told when the whole submission is refused, by the contract's error code.
REFUSALS = {
    "rate_limited": "You have sent several comments in a short time. Please wait {wait}, then send yours again.",
    "duplicate": "You have already posted this comment here.",
    "comments_closed": "Comments are closed on this article, so yours could not be posted.",
    "invalid_article_id": "This comment form is not set up correctly (its article id is not valid), so your "
                          "comment could not be saved. Please copy it and let the site's owner know.",
}


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


def messages(fields: Mapping[str, str]) -> dict[str, str]:
    """One sentence per refused field, naming it, keyed by the form's field name, in form order."""
    found: dict[str, str] = {}
    for api_field, problem in sorted(fields.items(), key=lambda item: _order(item[0])):
        form_field = FORM_FIELDS.get(api_field, api_field)
        if problem == "is required" and form_field in REQUIRED:
            found[form_field] = REQUIRED[form_field]
        elif form_field == "comment_parent":
            found[form_field] = f"{LABELS[form_field]} is no longer available; send again to post yours on its own."
        else:
            sentence = f"{LABELS.get(form_field, api_field.replace('_', ' ').capitalize())} {problem}"
            found[form_field] = sentence if sentence.endswith(".") else sentence + "."
    return found


def refusal(code: str, message: str, wait_seconds: int | None = None) -> str:
    """What to tell a reader whose submission was refused as a whole."""
    if code not in REFUSALS:
        return message
    wait = "a minute" if not wait_seconds else f"{wait_seconds} second{'s' if wait_seconds != 1 else ''}"
    return REFUSALS[code].format(wait=wait)


def wait_seconds(retry_after: str | None) -> int | None:
    """The seconds a Retry-After header asks for (None when absent or given as a date)."""
    return whole_number((retry_after or "").strip(), minimum=0)


def _order(api_field: str) -> int:
    order = list(FORM_FIELDS)
    return order.index(api_field) if api_field in order else len(order)
