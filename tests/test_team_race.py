"""The team under simultaneous changes: two admins removing each other leave one admin, never
none; two admins adding the same name make one moderator and refuse the other.

Each removal locks every admin row first, in one order, so the second waits for the first
and then finds it gone; counting "the other admins" without that lock lets both through. A
new name is decided by the database's unique constraint, not by a look before the insert.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from flask import Flask
from sqlalchemy import delete, select

from moderation.store import moderators
from moderation.store.database import session, writing
from moderation.store.models import Moderator
from moderation.store.moderators import LastAdmin, NameTaken

from helpers import add_moderator, make_app

ROUNDS = 8


def remove(app: Flask, name: str, gate: threading.Barrier, outcomes: list[str]) -> None:
    """Remove the moderator called name once the gate opens; record what happened."""
    with app.app_context():
        target = moderators.moderator_by_name(name)
        assert target is not None
        session().close()
        gate.wait()
        try:
            moderators.delete_moderator(target.id, datetime.now(timezone.utc))
            outcomes.append("removed")
        except LastAdmin:
            outcomes.append("refused")


def test_two_admins_removing_each_other_at_once_leave_one(database_url: str) -> None:
    first, second = make_app(database_url), make_app(database_url)  # two workers on one database
    for _ in range(ROUNDS):
        with first.app_context(), writing() as db:
            db.execute(delete(Moderator))
        add_moderator(first, "ann")
        add_moderator(first, "bob")
        gate, outcomes = threading.Barrier(2), []
        threads = [threading.Thread(target=remove, args=(app, name, gate, outcomes))
                   for app, name in ((first, "bob"), (second, "ann"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["refused", "removed"]
        with first.app_context():
            assert len(session().scalars(select(Moderator.role)).all()) == 1


def test_two_admins_adding_the_same_name_at_once_make_one_and_refuse_the_other(database_url: str) -> None:
    first, second = make_app(database_url), make_app(database_url)
    gate, outcomes = threading.Barrier(2), []

    def add(app: Flask, password_hash: str) -> None:
        with app.app_context():
            gate.wait()
            try:
                moderators.create_moderator("sam", password_hash, datetime.now(timezone.utc), "moderator")
                outcomes.append(password_hash)
            except NameTaken:
                outcomes.append("taken")

    threads = [threading.Thread(target=add, args=(app, digest)) for app, digest in ((first, "one"), (second, "two"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("taken") == 1, outcomes
    winner = next(outcome for outcome in outcomes if outcome != "taken")
    with first.app_context():
        assert session().scalars(select(Moderator.password_hash).where(Moderator.name == "sam")).all() == [winner]
