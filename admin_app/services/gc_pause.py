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
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Within (or in a function it decorates): no cycle collection. It is on again
    once the outermost use ends (with two threads at once, the first to pause it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
