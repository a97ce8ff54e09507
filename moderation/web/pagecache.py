"""A least-recently-used cache of encoded pages with a budget in bytes, not in entries.

Each worker keeps the public pages it rendered, keyed by (article, version, limit, cursor),
so a change to an article is a miss by construction. Counting entries would let a caller
who varies `limit` and the cursor on a large article fill memory with big pages; counting
bytes bounds the cache whatever the keys, and a page too big for its share is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class PageCache:
    """Up to max_bytes of encoded pages, least recently used dropped first; safe across threads."""

    def __init__(self, max_bytes: int, largest_share: int = 8) -> None:
        self.max_bytes = max_bytes
        self.largest = max_bytes // largest_share  # one page may take at most this much
        self.size = 0
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """The cached page for key, if this worker has it."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The cached page for key, or render it (outside the lock) and keep it if it fits."""
        page = self.get(key)
        if page is not None:
            return page
        page = render()
        if len(page) <= self.largest:
            self._keep(key, page)
        return page

    def _keep(self, key: Hashable, page: bytes) -> None:
        with self._lock:
            old = self._pages.pop(key, None)
            self.size += len(page) - (len(old) if old is not None else 0)
            self._pages[key] = page
            while self.size > self.max_bytes:
                _, dropped = self._pages.popitem(last=False)
                self.size -= len(dropped)

    def __len__(self) -> int:
        return len(self._pages)
