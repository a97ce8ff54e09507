"""The outbox worker: `flask --app app worker` fans events out and delivers them until stopped.

Each round dispatches new events into deliveries, then lets every channel send a batch of
its due deliveries and records each outcome. Several workers, on one host or many, share
the work safely (see `store.outbox`); one stopped by SIGTERM finishes its batch first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from flask import Flask

from moderation.notify.channel import Channel, channels
from moderation.shared import now
from moderation.store import outbox

log = logging.getLogger(__name__)

BATCH = 200  # deliveries one channel takes per round
IDLE_SECONDS = 1.0  # the pause after a round that found nothing to do


class Worker:
    """Delivers the outbox of one app through its channels."""

    def __init__(self, app: Flask, with_channels: Sequence[Channel] | None = None) -> None:
        self.app = app
        self.channels = list(channels(app) if with_channels is None else with_channels)
        self.stopped = threading.Event()

    def run_once(self) -> int:
        """One round: dispatch, then one batch per channel; how many deliveries were attempted."""
        attempted = 0
        with self.app.app_context():
            outbox.dispatch([channel.recipients for channel in self.channels], now())
            for channel in self.channels:
                tick = getattr(channel, "tick", None)  # a channel's own round (the email digests)
                if tick is not None:
                    tick(now())
                batch = outbox.claim(now(), BATCH, channel.name)
                if not batch:
                    continue
                outcomes = channel.deliver(batch)
                outbox.finish_many([(o.delivery_id, o.error, o.drop) for o in outcomes], now())
                attempted += len(batch)
        return attempted

    def run(self) -> None:
        """Round after round until stopped; a round that fails is logged and the next one tries again."""
        while not self.stopped.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database or a server away for a moment: the next round tries again
                log.exception("outbox worker round failed; trying again")
                busy = 0
            if not busy:
                self.stopped.wait(IDLE_SECONDS)

    def stop(self) -> None:
        """Finish the current round, then return from run()."""
        self.stopped.set()
