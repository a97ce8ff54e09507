"""Each moderation rule end to end: through the API, with its reason in the token queue."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from moderation.store.database import writing
from moderation.store.models import Article, Comment

from helpers import Classifier, add_moderator, comment, make_app, moderate


class Client:
    """A test client with a moderator token, and shortcuts for these tests."""

    def __init__(self, database_url: str, **settings: object) -> None:
        self.app = make_app(database_url, **settings)
        self.http = self.app.test_client()
        self.token = add_moderator(self.app)

    def submit(self, article: str = "post", address: str = "192.0.2.10", **fields: object):  # type: ignore[no-untyped-def]
        return self.http.post(f"/api/v1/articles/{article}/comments", json=comment(**fields),
                              environ_base={"REMOTE_ADDR": address})

    def cli(self, *args: str) -> str:
        result = self.app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def queued(self, comment_id: int) -> dict:
        """The token queue's view of a comment, whatever its state."""
        for status in ("pending", "approved", "rejected", "spam"):
            page = self.http.get(f"/api/v1/moderation/queue?status={status}&limit=200",
                                 headers={"Authorization": f"Bearer {self.token}"}).json
            for row in page["comments"]:
                if row["id"] == comment_id:
                    return row
        raise AssertionError(f"comment {comment_id} is in no queue")

    def outcome(self, response) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        """(status, reason) of a submission as moderators see it."""
        assert response.status_code in (201, 202), response.json
        row = self.queued(response.json["id"])
        return row["status"], row["reason"]

    def form_token(self, article: str = "post") -> str:
        """A fresh form token for a form on article, as the embed fetches one."""
        return self.http.get(f"/api/v1/form-token?article={article}").json["form_token"]

    def age(self, **changes: object) -> None:
        """Move every comment and article back in time."""
        with self.app.app_context(), writing() as db:
            for model in (Comment, Article):
                values = {k: v for k, v in changes.items() if hasattr(model, k)}
                if values:
                    db.execute(update(model).values(**values))


def test_a_guessed_email_of_an_approved_author_is_held(database_url: str) -> None:
    site = Client(database_url, PREMODERATION="first-time")
    first = site.submit(email="regular@example.org", body="My first comment")
    key = first.json["commenter_key"]
    assert site.outcome(first) == ("pending", "held: first comment from this author")
    moderate(site.http, site.token, first.json["id"], "approve")

    returning = site.submit(email="regular@example.org", body="Back again", commenter_key=key)
    assert returning.status_code == 201 and returning.json["status"] == "approved"
    assert returning.json["comment"]["html"] == "<p>Back again</p>"
    assert site.outcome(returning) == ("approved", "approved: returning author")

    impostor = site.submit(email="regular@example.org", body="I am them, honest", address="198.51.100.66")
    assert impostor.status_code == 202
    assert site.outcome(impostor) == ("pending", "held: first comment from this author")
    own_key = site.submit(email="regular@example.org", body="With a key of my own",
                          commenter_key="ck_" + "A" * 43, address="198.51.100.67")
    assert site.outcome(own_key)[0] == "pending"
    other_email = site.submit(email="someone@example.org", body="Key but not the email", commenter_key=key)
    assert site.outcome(other_email)[0] == "pending"


def test_word_lists_from_the_command_line(database_url: str) -> None:
    site = Client(database_url, PREMODERATION="none", MIN_FORM_SECONDS=0)
    site.cli("words", "add", "spam", "casino")
    site.cli("words", "add", "hold", "crypto", "Free Money")
    assert site.cli("words", "list") == "hold\tFree Money\nhold\tcrypto\nspam\tcasino\n"
    assert site.outcome(site.submit(body="Best CASINO in town")) == ("spam", "spam: blocked word 'casino'")
    assert site.outcome(site.submit(body="about crypto")) == ("pending", "held: word 'crypto'")
    assert site.outcome(site.submit(name="free money")) == ("pending", "held: word 'Free Money'")
    site.cli("words", "remove", "spam", "casino")
    assert site.outcome(site.submit(body="casino, again"))[1] == "held: no form token"


@pytest.mark.parametrize("block, address, blocked", [
    ("203.0.113.0/24", "203.0.113.9", True),
    ("203.0.113.0/24", "::ffff:203.0.113.9", True),
    ("::ffff:203.0.113.0/120", "203.0.113.200", True),
    ("203.0.113.0/24", "203.0.114.9", False),
    ("2001:db8:bad::/48", "2001:db8:bad:7::1", True),
    ("2001:db8:bad::/48", "2001:db8:bae::1", False),
    ("192.0.2.10", "192.0.2.10", True),
])
def test_address_blocks(database_url: str, block: str, address: str, blocked: bool) -> None:
    site = Client(database_url)
    site.cli("blocks", "add", "ip", block)
    status, reason = site.outcome(site.submit(address=address))
    assert (status == "spam") is blocked
    assert reason.startswith("spam: blocked address") is blocked


def test_email_blocks(database_url: str) -> None:
    site = Client(database_url)
    site.cli("blocks", "add", "email", "Spammer@Example.org")
    assert "spammer" not in site.cli("blocks", "list").lower()  # stored as its keyed digest only
    assert site.outcome(site.submit(email="spammer@example.org")) == ("spam", "spam: blocked email address")
    assert site.outcome(site.submit(email="fine@example.org", body="fine"))[0] == "pending"
    site.cli("blocks", "remove", "email", "spammer@example.org")
    assert site.outcome(site.submit(email="spammer@example.org", body="again"))[0] == "pending"


def test_links_are_held(database_url: str) -> None:
    site = Client(database_url, PREMODERATION="none")
    response = site.submit(body="Visit http://a.example.com and <a href='https://b.example.com'>b</a>")
    assert site.outcome(response) == ("pending", "held: 2 links")


def test_form_timing(database_url: str) -> None:
    site = Client(database_url, PREMODERATION="none", MIN_FORM_SECONDS=3)
    token = site.http.get("/api/v1/form-token?article=post")
    assert token.headers["Cache-Control"] == "no-store" and token.json["min_seconds"] == 3
    fast = site.submit(form_token=token.json["form_token"])
    status, reason = site.outcome(fast)  # a reader who restored a draft is held, never binned as spam
    assert status == "pending" and re.fullmatch(r"held: sent [0-2]\.\d s after the form was shown", reason)
    assert site.outcome(site.submit(body="forged", form_token="abc.def")) == (
        "pending", "held: the form token is not valid")
    assert site.outcome(site.submit(body="no token")) == ("pending", "held: no form token")
    patient = Client(database_url, PREMODERATION="none", MIN_FORM_SECONDS=0)
    calm = patient.submit(body="calm", form_token=patient.form_token())
    assert calm.status_code == 201 and patient.outcome(calm) == ("approved", "approved: pre-moderation is off")


def test_premoderation_per_article(database_url: str) -> None:
    site = Client(database_url, PREMODERATION="all", MIN_FORM_SECONDS=0)
    assert site.submit("open-thread", body="first").status_code == 202
    site.cli("article", "open-thread", "--premoderation", "none")
    assert site.submit("open-thread", body="second", form_token=site.form_token("open-thread")).status_code == 201
    assert site.submit("other", body="elsewhere", form_token=site.form_token("other")).status_code == 202
    site.cli("article", "open-thread", "--premoderation", "default")
    assert site.submit("open-thread", body="third", form_token=site.form_token("open-thread")).status_code == 202


def test_closing_by_hand_and_after_days(database_url: str) -> None:
    site = Client(database_url, CLOSE_AFTER_DAYS=14)
    first = site.submit("old", body="first").json["id"]
    assert site.submit("old", body="second").status_code == 202
    site.age(created_at=datetime.now(timezone.utc) - timedelta(days=15))
    assert site.submit("old", body="unapproved submissions start no clock").status_code == 202
    moderate(site.http, site.token, first, "approve")  # the clock starts at the first approval
    assert site.submit("old", body="just opened").status_code == 202
    site.age(opened_at=datetime.now(timezone.utc) - timedelta(days=15))
    response = site.submit("old", body="too late")
    assert (response.status_code, response.json["error"]) == (403, "comments_closed")
    assert site.submit("new", body="fine").status_code == 202
    site.cli("article", "new", "--close")
    assert site.submit("new", body="closed now").status_code == 403
    site.cli("article", "new", "--reopen")
    assert site.submit("new", body="open again").status_code == 202


@pytest.mark.parametrize("answer, delay, status, expected", [
    (b"true", 0, 200, ("spam", "spam: the external spam check says so")),
    (b"false", 0, 200, ("approved", "approved: pre-moderation is off")),
    (b"invalid", 0, 200, ("pending", "held: the external spam check did not answer")),
    (b"false", 0, 500, ("pending", "held: the external spam check did not answer")),
    (b"false", 1.5, 200, ("pending", "held: the external spam check did not answer")),
])
def test_external_spam_check(database_url: str, classifier: str, answer: bytes, delay: float, status: int,
                             expected: tuple[str, str]) -> None:
    Classifier.answer, Classifier.delay, Classifier.status = answer, delay, status
    site = Client(database_url, PREMODERATION="none", MIN_FORM_SECONDS=0, SPAM_CHECK_URL=classifier,
                  SPAM_CHECK_TIMEOUT=0.5)
    assert site.outcome(site.submit(email="private@example.org", body="Checked", form_token=site.form_token())) == expected
    assert Classifier.seen and Classifier.seen[0]["comment_content"] == ["Checked"]
    assert "private@example.org" not in str(Classifier.seen)


def test_the_external_check_is_not_asked_about_local_spam(database_url: str, classifier: str) -> None:
    site = Client(database_url, SPAM_CHECK_URL=classifier)
    assert site.outcome(site.submit(hp="bot"))[0] == "spam"
    assert Classifier.seen == []


def test_purge(database_url: str) -> None:
    site = Client(database_url)
    old_pending = site.submit(body="old pending", address="203.0.113.77").json["id"]
    old_spam = site.submit(body="old spam", hp="x").json["id"]
    old_approved = site.submit(body="old approved", address="2001:db8:1:2::9").json["id"]
    moderate(site.http, site.token, old_approved, "approve")
    site.age(created_at=datetime.now(timezone.utc) - timedelta(days=40))
    fresh = site.submit(body="fresh", address="198.51.100.5").json["id"]
    output = site.cli("purge")
    assert output.strip() == "Deleted 1 pending and 1 spam comment(s); anonymized 1 IP address(es)."
    ids = {status: [] for status in ("pending", "approved", "spam")}
    for comment_id in (old_approved, fresh):
        row = site.queued(comment_id)
        ids[row["status"]].append((comment_id, row["ip"]))
    assert ids == {"pending": [(fresh, "198.51.100.5")], "approved": [(old_approved, "2001:db8:1::/48")], "spam": []}
    for gone in (old_pending, old_spam):
        with pytest.raises(AssertionError):
            site.queued(gone)
    assert site.cli("purge").strip() == "Deleted 0 pending and 0 spam comment(s); anonymized 0 IP address(es)."


def test_rule_changes_on_the_command_line_are_audited(database_url: str) -> None:
    site = Client(database_url)
    site.submit("audited")
    for args in (["words", "add", "spam", "casino"], ["words", "remove", "spam", "casino"],
                 ["blocks", "add", "ip", "203.0.113.0/24"], ["blocks", "remove", "ip", "203.0.113.0/24"],
                 ["article", "audited", "--close", "--premoderation", "none"], ["article", "audited", "--reopen"],
                 ["purge"]):
        site.cli(*args)
    with site.app.app_context():
        from moderation.store.database import session
        from moderation.store.models import AuditEntry

        rows = session().execute(select(AuditEntry.action, AuditEntry.moderator_name, AuditEntry.via)
                                 .order_by(AuditEntry.id)).all()
    assert [row.action for row in rows] == ["word_added", "word_removed", "blocked", "unblocked", "closed",
                                            "premoderation", "reopened", "purge"]
    assert {(row.moderator_name, row.via) for row in rows} == {("command line", "cli")}


def test_moderators_adding_the_same_rule_at_once_do_not_collide(database_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from moderation.store import rules as rules_store

    site = Client(database_url)
    gate = threading.Barrier(6, timeout=10)

    def add(number: int) -> tuple[int, bool]:
        with site.app.app_context():
            gate.wait()
            now = datetime.now(timezone.utc)
            return rules_store.add_words("spam", ["casino"], now), rules_store.add_block("ip", "203.0.113.0/24", None, now)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(add, range(6)))
    assert sum(added for added, _ in results) == 1 and sum(blocked for _, blocked in results) == 1
    assert site.cli("words", "list") == "spam\tcasino\n"
