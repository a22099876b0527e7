"""Keep the window responsive while background jobs use every core.

On Linux each thread has its own nice value, and threads inherit it from the thread that starts
them. A job that lowers its own thread's priority first therefore also lowers its decoder,
hasher and onnxruntime pool threads, and the scheduler runs the UI thread first when the cores are
busy: measured with benchmarks/ui_stall.py, this is what keeps event-loop stalls short under load.
"""

from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICENESS = 10


def lower_thread_priority(niceness: int = BACKGROUND_NICENESS) -> bool:
    """Make the calling thread (and the threads it starts from now on) yield to the UI thread."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, niceness))
    except (OSError, AttributeError):
        return False
    return True
