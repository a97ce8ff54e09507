"""The outbox worker: `flask --app app worker` fans events out and delivers them until stopped.

Each round dispatches new events into deliveries, then lets every channel send a batch of
its due deliveries, chunk by chunk, recording each chunk's outcomes as soon as it is sent: a
worker killed mid-batch repeats at most the chunk it was sending (at least once, with the
same key). A batch whose lease runs short (a slow receiver) gives back what it has not tried.
Several workers, on one host or many, share the work safely (see `store.outbox`); one
stopped by SIGTERM finishes its chunk first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from flask import Flask

from moderation.notify.channel import Channel, channels
from moderation.shared import now
from moderation.store import outbox

log = logging.getLogger(__name__)

BATCH = 200  # deliveries one channel claims per round
CHUNK = 50  # sent (over one SMTP connection, say) and then recorded together, unless a channel says
IDLE_SECONDS = 1.0  # the pause after a round that found nothing to do
# Past this share of the lease, a batch gives back what it has not tried: a slow chunk must end
# before the lease does, or another worker could take its deliveries over while they are sent.
LEASE_SHARE = 0.5


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
                attempted += self._serve(channel)
        return attempted

    def _serve(self, channel: Channel) -> int:
        """Claim a batch of the channel's due deliveries and send it chunk by chunk; how many were tried."""
        batch = outbox.claim(now(), BATCH, channel.name)
        started, chunk, tried = time.monotonic(), getattr(channel, "chunk", CHUNK), 0
        claims = {delivery.id: delivery.locked_until for delivery, _ in batch}
        while tried < len(batch) and not self.stopped.is_set():
            if time.monotonic() - started > outbox.LEASE.total_seconds() * LEASE_SHARE:
                break
            outcomes = channel.deliver(batch[tried:tried + chunk])
            outbox.finish_many([(o.delivery_id, o.error, o.drop, claims.get(o.delivery_id)) for o in outcomes], now())
            tried += chunk
        if tried < len(batch):  # stopped, or out of time: free at once for any worker
            outbox.release([(delivery.id, claims[delivery.id]) for delivery, _ in batch[tried:]])
        return min(tried, len(batch))

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
