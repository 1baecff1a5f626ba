"""Desk Pilkada workbench: the library behind the notebooks and ``python -m analysis``."""

from __future__ import annotations

import os
import sys

#: polars' bundled allocator (jemalloc) reads its options from this variable when polars loads.
JEMALLOC_ENV = "_RJEM_MALLOC_CONF"
#: Give freed memory back to the system after 1 s (jemalloc's default is 10 s): the national
#: ingest frees gigabytes of transient frames, and with the default they still count for seconds
#: while the next ones are built. Measured on the national drop: peak over all processes 4.0 →
#: 3.6 GB, wall time unchanged within noise.
JEMALLOC_CONF = "dirty_decay_ms:1000,muzzy_decay_ms:0"


def tune_allocator() -> None:
    """Set :data:`JEMALLOC_CONF` for this process (if polars is not loaded yet) and the processes
    it starts; a value the user set is kept."""
    if JEMALLOC_ENV in os.environ:
        return
    if "polars" not in sys.modules:
        os.environ[JEMALLOC_ENV] = JEMALLOC_CONF
