"""The cycle collector, paused by imports and job steps, is on again once every
paused section has ended, however two threads' sections overlap."""
from __future__ import annotations

import gc

from admin_app.services.gc_pause import collector_paused


def test_overlapping_sections_leave_the_collector_on_only_after_the_last():
    """Two imports at once in a worker's two threads: the first to start ends first.
    The collector stays off while the second runs, and is on after it (a pause that
    remembered "it was off" when the second started left it off for good)."""
    assert gc.isenabled()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_failing_section_turns_the_collector_on_again():
    try:
        with collector_paused():
            assert not gc.isenabled()
            raise ValueError("a refused import")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
