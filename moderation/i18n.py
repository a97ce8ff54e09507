"""Readers' languages: the catalogues the service ships, the one a page is shown in, a comment's.

English is the source language; every other is a catalogue in translations/<lang>/LC_MESSAGES
(messages.po, compiled by `make` to messages.mo). A page is in the `lang` the request names (query
or form field) when it is shipped, else the best Accept-Language match, else MODERATION_LANGUAGE;
the moderators' pages stay English. A comment keeps the language it was written in, and the
emails to its author use it (`mail_language`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext, ngettext
from werkzeug.exceptions import HTTPException

from moderation.core import languages
from moderation.settings import SettingsError

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
CATALOGUE = "LC_MESSAGES/messages"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
COMPILE = "make translations  (or: .venv/bin/pybabel compile -d moderation/translations)"


class CataloguesNotCompiled(RuntimeError):
    """A shipped language whose messages.mo is missing or older than its messages.po."""


def shipped_languages(folder: Path = TRANSLATIONS) -> tuple[str, ...]:
    """The source language, then every language with a catalogue, in alphabetical order."""
    found = sorted(path.parent.parent.name for path in folder.glob(f"*/{CATALOGUE}.po"))
    return (languages.SOURCE, *[language for language in found if language != languages.SOURCE])


def check_compiled(folder: Path = TRANSLATIONS) -> None:
    """Refuse to start on catalogues that were not compiled: pages would quietly fall back to English."""
    stale = [po.parent.parent.name for po in sorted(folder.glob(f"*/{CATALOGUE}.po"))
             if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        raise CataloguesNotCompiled(f"The translations of {', '.join(stale)} are not compiled (or older than "
                                    f"their .po); run: {COMPILE}")


def init_app(app: Flask) -> None:
    """Check the catalogues and the site's language, and install Flask-Babel with the page's choice."""
    check_compiled()
    shipped = shipped_languages()
    site = languages.shipped(app.config["LANGUAGE"], shipped)
    if site is None:
        raise SettingsError(f"MODERATION_LANGUAGE: {app.config['LANGUAGE']!r} is not a shipped language "
                            f"(one of {', '.join(shipped)})")
    app.config.update(LANGUAGE=site, LANGUAGES=shipped)
    Babel(app, default_locale=site, default_translation_directories=str(TRANSLATIONS),
          locale_selector=_selected)
    app.context_processor(_page_context)


def _page_context() -> dict[str, str]:
    """Every template's `page_lang` and `page_dir`: the language it is being rendered in (forced or chosen)."""
    locale = get_locale()
    language = locale.language if locale is not None else str(current_app.config["LANGUAGE"])
    return {"page_lang": language, "page_dir": direction(language)}


def direction(language: str) -> str:
    """"rtl" for a language written right to left (Arabic), else "ltr"."""
    return "rtl" if Locale.parse(language).text_direction == "rtl" else "ltr"


def page_language() -> str:
    """The language of this request's page: its `lang`, else Accept-Language, else the site's."""
    config = current_app.config
    if not has_request_context():
        return str(config["LANGUAGE"])
    if request.path.startswith("/moderate/"):
        return languages.SOURCE  # the moderators' pages are written in English only
    return languages.shipped(_sent_lang(), config["LANGUAGES"]) or _accepted() or str(config["LANGUAGE"])


def submission_language(sent: object) -> str | None:
    """The language to keep with a new comment: the `lang` it was sent with when shipped, else the
    request's Accept-Language match, else None (mails then use the site's language)."""
    return languages.shipped(sent, current_app.config["LANGUAGES"]) or (_accepted() if has_request_context()
                                                                        else None)


def mail_language(lang: str | None) -> str:
    """The language of a mail to a comment's author: the comment's, when still shipped, else the site's."""
    return languages.shipped(lang, current_app.config["LANGUAGES"]) or str(current_app.config["LANGUAGE"])


def _sent_lang() -> str | None:
    """The request's `lang`: in the query, else in a posted form (a body too large to read has none)."""
    if "lang" in request.args:
        return request.args["lang"]
    if request.method != "POST" or request.mimetype not in FORM_TYPES:
        return None
    try:
        return request.form.get("lang")
    except HTTPException:  # the error page of a refused body is chosen without it
        return None


def _accepted() -> str | None:
    """The best shipped match for Accept-Language (`de-AT` finds `de`), if any."""
    best = request.accept_languages.best_match(current_app.config["LANGUAGES"])
    return languages.shipped(best, current_app.config["LANGUAGES"])


def _selected() -> str:
    """Flask-Babel's locale selector."""
    return page_language()


def translate(message: str, **variables: object) -> str:
    """message in the current language (Flask-Babel's gettext), with %(name)s filled from variables."""
    return str(gettext(message, **variables))


def translate_plural(singular: str, plural: str, num: int, **variables: object) -> str:
    """The form of a message that fits num, in the current language; %(num)d is num."""
    return str(ngettext(singular, plural, num, **variables))


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """Render in language for a while (a mail to a reader, a page that is English only)."""
    with force_locale(language):
        yield


class Words:
    """The core's `forms.Words` in the current locale, through Flask-Babel."""

    def __init__(self) -> None:
        locale = get_locale()
        self.language = locale.language if locale is not None else languages.SOURCE

    def gettext(self, message: str, **variables: object) -> str:
        """message in the page's language."""
        return translate(message, **variables)

    def ngettext(self, singular: str, plural: str, num: int, **variables: object) -> str:
        """The form for num, in the page's language."""
        return translate_plural(singular, plural, num, **variables)
