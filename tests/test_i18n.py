"""Readers' languages: the catalogues (complete, not fuzzy, placeholders kept, plural forms right),
the language a page is chosen in, and the plain form's pages in each shipped language.

The pages run on SQLite and on PostgreSQL; the catalogue checks read the .po files and the
compiled .mo files the app itself loads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import select

from moderation import i18n
from moderation.errors import ApiError, CommentsClosed, Duplicate, NotFound, Unavailable, ValidationFailed
from moderation.intake import InvalidArticleId
from moderation.settings import SettingsError
from moderation.store.database import session
from moderation.store.models import Comment
from moderation.web.error_words import PAGE_MESSAGES
from moderation.web.readers import LinkInvalid, UnknownChoice
from moderation.web.responses import HTTP_CODES

from helpers import ROOT, comment, make_app, parse, text_of

TRANSLATED = ("de", "es", "ar")
PO = {language: i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po" for language in TRANSLATED}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")
BLOG = "https://blog.example"


def catalogue(language: str):  # noqa: ANN201 (babel's Catalog has no stubs)
    """A language's catalogue as babel reads it."""
    with PO[language].open("rb") as file:
        return read_po(file, locale=language)


def placeholders(text: str) -> set[str]:
    """The %(name)s / {name} placeholders of a message."""
    return set(PLACEHOLDER.findall(text))


# --- The catalogues ---------------------------------------------------------------------------------

def test_the_shipped_languages_are_english_and_each_catalogue() -> None:
    assert i18n.shipped_languages() == ("en", "ar", "de", "es")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders_and_none_is_fuzzy(language: str) -> None:
    found = catalogue(language)
    assert not found.fuzzy
    messages = [message for message in found if message.id]
    assert len(messages) > 50
    for message in messages:
        assert not message.fuzzy, message.id
        if isinstance(message.id, tuple):  # plural forms may leave out the count (Arabic's "one day")
            wanted = placeholders(message.id[0]) | placeholders(message.id[1])
            assert len(message.string) == found.num_plurals, message.id
            for form in message.string:
                assert form.strip(), message.id
                assert placeholders(form) <= wanted and wanted - {"%(num)d"} <= placeholders(form), (message.id, form)
        else:
            assert message.string.strip(), message.id
            assert placeholders(message.string) == placeholders(message.id), (message.id, message.string)


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalogue_has_every_string_the_sources_mark_now(language: str) -> None:
    """Extracting again finds nothing new: a string added to a reader's template must be translated too."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "translate": None, "translate_plural": (1, 2)}  # as `make messages`
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords,
                             directory_filter=lambda path: Path(path).name not in ("node_modules", "__pycache__"))
    marked = {text if isinstance(text, str) else text[0] for _file, _line, text, *_ in found}
    have = {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue(language)}
    assert marked - have == set(), "run `make messages`, then translate"


@pytest.mark.parametrize(("language", "header"), [
    ("de", "nplurals=2; plural=(n != 1);"),
    ("es", "nplurals=3; plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);"),
    ("ar", "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : "
           "n % 100 >= 11 && n % 100 <= 99 ? 4 : 5);"),
])
def test_the_plural_forms_header(language: str, header: str) -> None:
    assert catalogue(language).plural_forms == header


DAYS = ("The link opens a page with one button. It works for %(num)d day.",
        "The link opens a page with one button. It works for %(num)d days.")


@pytest.mark.parametrize(("language", "count", "wanted"), [
    ("ar", 0, "0 يوم."), ("ar", 1, "يوم واحد."), ("ar", 2, "يومين."), ("ar", 3, "3 أيام."),
    ("ar", 11, "11 يومًا."), ("ar", 100, "100 يوم."),
    ("de", 1, "1 Tag lang gültig."), ("de", 2, "2 Tage lang gültig."), ("es", 1, "1 día."), ("es", 2, "2 días."),
    ("en", 1, "for 1 day."), ("en", 2, "for 2 days."),
])
def test_plural_forms_through_the_compiled_catalogues(tmp_path: Path, language: str, count: int, wanted: str) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'plural.sqlite3'}")
    with app.app_context(), i18n.in_language(language):
        assert i18n.translate_plural(*DAYS, count).endswith(wanted)


def test_an_uncompiled_or_stale_catalogue_stops_the_app_from_starting(tmp_path: Path) -> None:
    po = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO["de"].read_text())
    with pytest.raises(i18n.CataloguesNotCompiled, match="fr.*make translations"):
        i18n.check_compiled(tmp_path)
    po.with_suffix(".mo").write_bytes(b"")
    i18n.check_compiled(tmp_path)
    po.touch()  # edited after it was compiled
    with pytest.raises(i18n.CataloguesNotCompiled):
        i18n.check_compiled(tmp_path)


@pytest.mark.parametrize("value", ["fr", "klingon!"])
def test_the_site_language_must_be_shipped(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="MODERATION_LANGUAGE"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", LANGUAGE=value)


# --- Which language a page is in ------------------------------------------------------------------

def form(**fields: str | None) -> dict[str, str]:
    """A plain-form submission, with fields overridden (None removes one)."""
    data = {"comment": "Hallo.", "author": "Ann", "email": "ann@example.org", "comment_post_ID": "12345", **fields}
    return {name: value for name, value in data.items() if value is not None}


def html_of(response) -> tuple[str, str]:  # noqa: ANN001
    """A page's <html lang> and dir."""
    root = parse(response)
    return root.get("lang"), root.get("dir")


@pytest.mark.parametrize(("headers", "query", "settings", "wanted"), [
    ({"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"}, "", {}, "de"),
    ({"Accept-Language": "fr-CH, fr;q=0.9, es;q=0.8"}, "", {}, "es"),
    ({"Accept-Language": "fr"}, "", {}, "en"),
    ({"Accept-Language": "fr"}, "", {"LANGUAGE": "es"}, "es"),
    ({}, "", {"LANGUAGE": "ar"}, "ar"),
    ({"Accept-Language": "de"}, "?lang=ar", {}, "ar"),
    ({"Accept-Language": "de"}, "?lang=es-MX", {}, "es"),
    ({"Accept-Language": "de"}, "?lang=pt-BR", {}, "de"),  # not shipped: as if it were not there
    ({}, "?lang=%3Cscript%3E", {}, "en"),
])
def test_a_page_is_in_its_lang_else_the_browsers_else_the_sites(tmp_path: Path, headers: dict[str, str], query: str,
                                                                 settings: dict[str, str], wanted: str) -> None:
    client = make_app(f"sqlite:///{tmp_path / 'pick.sqlite3'}", **settings).test_client()
    response = client.get(f"/comments/thanks{query}", headers=headers)
    assert html_of(response) == (wanted, "rtl" if wanted == "ar" else "ltr")


def test_the_error_page_is_translated_but_the_moderators_pages_stay_english(client) -> None:  # noqa: ANN001
    german = {"Accept-Language": "de"}
    missing = client.get("/no-such-page", headers=german)
    assert missing.status_code == 404 and html_of(missing) == ("de", "ltr")
    assert text_of(parse(missing).find(".//h1")) == "Unter dieser Adresse gibt es nichts."
    moderators = client.get("/moderate/no-such-page", headers=german)
    assert moderators.status_code == 404 and text_of(parse(moderators).find(".//h1")) == \
        "There is nothing at this address."
    assert html_of(client.get("/moderate/login", headers=german))[0] == "en"
    assert client.get("/api/v1/articles/x!/comments", headers=german).json["error"] == "invalid_article_id"


# --- The plain form's pages in each language ------------------------------------------------------

PAGES = {
    "de": ("Bitte schreiben Sie Ihren Kommentar.", "Schreiben Sie einen Kommentar", "Vielen Dank für Ihren Kommentar",
           "Ihr Kommentar wartet auf Freischaltung."),
    "es": ("Escriba su comentario, por favor.", "Deje una respuesta", "Gracias por su comentario",
           "Su comentario está pendiente de moderación."),
    "ar": ("يُرجى كتابة تعليقك.", "اترك تعليقًا", "شكرًا لك على تعليقك", "تعليقك بانتظار المراجعة."),
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_form_page_and_the_thanks_page_in_each_language(client, language: str) -> None:  # noqa: ANN001
    required, reply, thanks, pending = PAGES[language]
    refused = client.post("/comments", data=form(comment="", email="nope", lang=language))
    assert refused.status_code == 422 and html_of(refused) == (language, "rtl" if language == "ar" else "ltr")
    page = parse(refused)
    errors = [text_of(item) for item in page.iterfind(".//div[@class='error-summary']//li")]
    assert errors[0] == required and "Please" not in " ".join(errors)
    assert catalogue(language).get("Email").string in errors[1]  # the field is named, in the reader's words
    assert text_of(page.find(".//h2[@id='reply-title']")) == reply
    assert page.find(".//input[@name='lang']").get("value") == language  # kept for the next try
    assert page.find(".//textarea").text == "\n" or not (page.find(".//textarea").text or "").strip()
    assert page.find(".//input[@name='email']").get("value") == "nope"  # nothing typed is lost

    posted = client.post("/comments", data=form(lang=language))
    assert posted.status_code == 303
    landed = client.get(posted.headers["Location"])
    assert html_of(landed)[0] == language
    text = text_of(parse(landed).find(".//main"))
    assert thanks in text and pending in text


def test_english_stays_word_for_word(client) -> None:  # noqa: ANN001
    refused = client.post("/comments", data=form(comment="", author="x" * 101, email="ann@"))
    errors = [text_of(item) for item in parse(refused).iterfind(".//div[@class='error-summary']//li")]
    assert errors == ["Please type your comment.", "Name must be at most 100 characters (it has 101).",
                      "Email is not a valid email address: There must be something after the @-sign."]


def test_a_reason_without_a_translation_is_left_out_rather_than_shown_in_english(client) -> None:  # noqa: ANN001
    refused = client.post("/comments", data=form(email="ann@@example.org"), headers={"Accept-Language": "de"})
    [error] = [text_of(item) for item in parse(refused).iterfind(".//div[@class='error-summary']//li")]
    assert error == "Das Feld „E-Mail“ enthält keine gültige E-Mail-Adresse."


def test_a_rate_limit_is_counted_in_the_readers_language(tmp_path: Path) -> None:
    client = make_app(f"sqlite:///{tmp_path / 'rate.sqlite3'}", RATELIMIT="1/minute", FLOOD_SECONDS=0).test_client()
    assert client.post("/comments", data=form(comment="Eins.")).status_code in (202, 303)
    refused = client.post("/comments", data=form(comment="Zwei.", lang="de"))
    assert refused.status_code == 429
    notice = text_of(parse(refused).find(".//p[@class='notice']"))
    assert re.search(r"Bitte warten Sie \d+ Sekunden? und senden Sie Ihren dann erneut\.", notice), notice


# --- The language a comment keeps -----------------------------------------------------------------

def languages_stored(app: Flask) -> list[str | None]:
    """Every comment's language, oldest first."""
    with app.app_context():
        return list(session().scalars(select(Comment.lang).order_by(Comment.id)))


def test_a_comment_keeps_its_language_and_an_unknown_one_is_never_refused(app: Flask) -> None:
    client = app.test_client()
    sent = [({"lang": "de-AT"}, {}), ({"lang": "xx-YY"}, {"Accept-Language": "es-ES,es"}), ({}, {}),
            ({"lang": 42}, {}), ({"lang": "ar"}, {"Accept-Language": "de"}), ({}, {"Accept-Language": "fr, en"})]
    for number, (fields, headers) in enumerate(sent):
        response = client.post("/api/v1/articles/12345/comments", headers=headers,
                               json=comment(body=f"Comment {number}.", **fields))
        assert response.status_code == 202, response.json
    assert client.post("/comments", data=form(lang="es-419")).status_code == 303
    assert client.post("/comments", data=form(comment="Ohne.", lang="nope"),
                       headers={"Accept-Language": "de-CH"}).status_code == 303
    assert languages_stored(app) == ["de", "es", None, None, "ar", "en", "es", "de"]


def test_the_error_page_translates_every_message_a_reader_can_meet() -> None:
    classes = {ApiError, CommentsClosed, Duplicate, NotFound, Unavailable, ValidationFailed, InvalidArticleId,
               LinkInvalid, UnknownChoice}
    public = {HTTP_CODES[status][1] for status in (400, 403, 404, 405, 413, 429)}
    assert {error.message for error in classes} | public <= PAGE_MESSAGES
