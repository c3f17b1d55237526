"""Python's cycle collector paused while a bulk step builds its objects.

A large import holds a few hundred thousand small dicts, lists and tuples at
once (rows read, values, audit events). The collector runs after every few
hundred new objects, and now and then walks every object still alive: over the
step, it walked those same rows again and again, a third of a 100,000-row
import's time. None of them is garbage while the step runs, so the collector
waits until it ends; what is garbage then is collected as usual. Reference
counting frees everything else meanwhile.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Paused sections running now, in every thread (a worker runs two jobs at once,
# a threaded server two imports): the first turns the collector off, the last
# on again, if it was on before the first.
_lock = threading.Lock()
_paused = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Within (or in a function it decorates): no cycle collection. It is on again
    once every paused section, in any thread, has ended."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
