"""SIGTERM and SIGINT (a logout, `kill`, Ctrl+C in the terminal) close the editor the clean way.

Python runs a signal handler only between bytecodes, and while Qt's event loop waits in C no
bytecode runs. signal.set_wakeup_fd makes the C-level handler write a byte to a socket that a
QSocketNotifier watches, which wakes the loop; the Python handler then only posts `on_signal` to
the Qt thread, where it may close windows and ask nothing.
"""

from __future__ import annotations

import signal
import socket
from typing import Callable, Sequence

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

QUIT_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class QuitOnSignals(QObject):
    """Calls `on_signal(signum)` once, on the Qt thread, for the first of `signals`; restore() undoes it."""

    def __init__(self, on_signal: Callable[[int], None], signals: Sequence[int] = QUIT_SIGNALS,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._on_signal = on_signal
        self.received: list[int] = []
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {s: signal.signal(s, self._handle) for s in signals}

    def _handle(self, signum: int, _frame) -> None:
        self.received.append(signum)
        if len(self.received) == 1:
            QTimer.singleShot(0, lambda: self._on_signal(signum))

    def _drain(self) -> None:
        try:
            while self._reader.recv(64):
                pass
        except (BlockingIOError, OSError):
            pass

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
