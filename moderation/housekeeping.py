"""Retention purges that run on their own, inside the service: no cron job to forget.

Each worker process starts one daemon thread on its first request. Every few minutes it
asks the database whether the purge is due (`store.schedule.claim`); the one worker of
all instances whose claim succeeds runs it, the others wait for the next period. So the
purge runs once per MODERATION_PURGE_EVERY_MINUTES however many workers and hosts share
the database, and a site that is never visited purges nothing it has not yet shown.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from datetime import datetime, timedelta

from flask import Flask

from moderation.shared import now as clock
from moderation.store import comments, links, outbox, readers, schedule
from moderation.store.comments import Purged
from moderation.store.models import PURGE_JOB

log = logging.getLogger(__name__)

LOOK_EVERY = timedelta(minutes=5)
OUTBOX_KEEP_DAYS = 30  # events and their deliveries, sent or not, are forgotten after this  # at most this long between two looks at whether the purge is due


def run_due(app: Flask, now: datetime) -> Purged | None:
    """Run the retention purge if it is due and this caller claims it; what it did, or None."""
    config = app.config
    with app.app_context():
        if not schedule.claim(PURGE_JOB, now, timedelta(minutes=config["PURGE_EVERY_MINUTES"])):
            return None
        outbox.purge(now, OUTBOX_KEEP_DAYS)  # the snapshots hold names and text: not kept for long
        links.forget_expired(now)  # three a mailed alert: without this they would pile up for ever
        readers.forget_unconfirmed(now, OUTBOX_KEEP_DAYS)  # asked and never answered: the address's digest
        return comments.purge(now, config["PURGE_PENDING_DAYS"], config["PURGE_SPAM_DAYS"],
                              config["IP_RETENTION_DAYS"], scheduled=True)


class Housekeeper:
    """The thread of one worker process that looks, now and then, for a purge to run."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.every = timedelta(minutes=app.config["PURGE_EVERY_MINUTES"])
        self.stopped = threading.Event()
        self._pid: int | None = None  # the process whose thread runs: a fork needs its own
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start this process's thread unless it runs already (called before every request: cheap)."""
        if self.running or not self.every:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="moderation-housekeeping", daemon=True).start()

    @property
    def running(self) -> bool:
        """Whether this process has started its thread."""
        return self._pid == os.getpid()

    def stop(self) -> None:
        """Ask the thread to end (tests; a process that exits ends it anyway)."""
        self.stopped.set()

    def _run(self) -> None:
        """Look now, then again after a pause, until stopped; a failed run is logged and tried later."""
        pause = min(self.every, LOOK_EVERY).total_seconds()
        while not self.stopped.is_set():
            try:
                done = run_due(self.app, clock())
                if done is not None:
                    log.info("scheduled purge: %s", done)
            except Exception:  # the database may be away for a moment: the next look tries again
                log.exception("scheduled purge failed; trying again later")
            # Jitter keeps the workers of a fleet, started together, from all looking at once.
            self.stopped.wait(pause * random.uniform(0.5, 1.0))
