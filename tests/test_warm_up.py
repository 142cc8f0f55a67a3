"""Each server worker loads the form definitions and freezes them out of the garbage collector's way."""
from __future__ import annotations

import gc
import time

from app.main import warm_up


def test_warm_up_freezes_the_long_lived_objects():
    before = gc.get_threshold()
    try:
        warm_up()
        assert gc.get_freeze_count() > 50_000  # the definitions, templates and modules
        started = time.perf_counter()
        gc.collect()
        assert time.perf_counter() - started < 0.05  # a full collection no longer walks them (was ~110 ms)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
