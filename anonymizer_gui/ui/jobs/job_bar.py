"""The job bar: every background job (Worker) with its name, progress, fps, time left and a Cancel button.

Heavy jobs (analysis, export: each one uses every core) run one after another; the second waits
in the queue and says so. Light jobs (opening a file, follow) start at once beside them.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ...core.foundation import Progress
from .worker import Worker

# Progress.stage -> what `done` counts; default frames
UNITS = {"hash": "MB", "open": "MB", "fetch": "MB", "waveform": "s"}


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_progress(p: Progress) -> str:
    """E.g. '312/1500 frames · 24.3 fps · 0:49 left'."""
    unit = UNITS.get(p.stage, "frames")
    if unit == "MB":
        done, total = p.done / 1e6, p.total / 1e6
        count = f"{done:.0f}/{total:.0f} MB" if p.total else f"{done:.0f} MB"
        rate = f"{p.fps / 1e6:.1f} MB/s"
    else:
        count = f"{p.done}/{p.total} {unit}" if p.total else f"{p.done} {unit}"
        rate = f"{p.fps:.1f} fps" if unit == "frames" else f"{p.fps:.0f}\u00d7 real time"
    parts = [count, rate]
    if p.eta_s is not None:
        parts.append(f"{format_duration(p.eta_s)} left")
    return " · ".join(parts)


class JobRow(QWidget):
    """One job in the bar."""

    def __init__(self, worker: Worker, parent: QWidget | None = None):
        super().__init__(parent)
        self.worker = worker
        self.setObjectName("jobRow")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.name_label = QLabel(worker.name)
        self.name_label.setObjectName("jobName")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)  # busy until the first report
        self.progress_bar.setFixedWidth(180)
        self.progress_bar.setMaximumHeight(16)
        self.progress_bar.setTextVisible(False)
        self.detail_label = QLabel("starting…")
        self.detail_label.setObjectName("jobDetail")
        self.detail_label.setMinimumWidth(260)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("jobCancel")
        self.cancel_button.setToolTip(f"Stop {worker.name.lower()}")
        self.cancel_button.clicked.connect(self.request_cancel)
        for w in (self.name_label, self.progress_bar, self.detail_label, self.cancel_button):
            layout.addWidget(w)
        worker.progressed.connect(self.show_progress)

    def show_progress(self, p: Progress) -> None:
        if p.total:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * p.fraction))
        self.detail_label.setText(format_progress(p))

    def show_waiting(self, ahead: str) -> None:
        self.detail_label.setText(f"waiting for {ahead}")

    def request_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.detail_label.setText("cancelling…")
        self.worker.cancel()


class JobBar(QWidget):
    """Runs Workers and shows them; lives in the status bar and hides when idle."""

    jobStarted = Signal(object)  # Worker
    jobFinished = Signal(object)  # Worker

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("jobBar")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._rows: dict[Worker, JobRow] = {}
        self._heavy_running: Worker | None = None
        self._queue: deque[Worker] = deque()
        self.setVisible(False)

    # -- API --------------------------------------------------------------------------------
    def run(self, worker: Worker, exclusive: bool = True) -> Worker:
        """Start `worker` now, or queue it behind the running heavy job when `exclusive`."""
        row = JobRow(worker, self)
        self._rows[worker] = row
        self._layout.addWidget(row)
        self.setVisible(True)
        # A bound method of this UI-thread object: Qt queues the call from the worker thread to here.
        worker.finished.connect(self._on_worker_finished)
        worker.setProperty("exclusive", exclusive)
        if exclusive and self._heavy_running is not None:
            self._queue.append(worker)
            row.show_waiting(self._heavy_running.name.lower())
            row.cancel_button.clicked.disconnect()
            row.cancel_button.clicked.connect(lambda _=False, w=worker: self._drop_queued(w))
        else:
            self._start(worker)
        return worker

    def running(self) -> list[Worker]:
        return [w for w in self._rows if w.is_running() or w is self._heavy_running]

    def queued(self) -> list[Worker]:
        return list(self._queue)

    def jobs(self) -> list[Worker]:
        return list(self._rows)

    def row(self, worker: Worker) -> JobRow | None:
        return self._rows.get(worker)

    def cancel_all(self) -> None:
        for w in list(self._queue):
            self._drop_queued(w)
        for w in list(self._rows):
            w.cancel()

    def wait_all(self, timeout_s: float = 10.0) -> bool:
        """Block until every running job thread ended (shutdown)."""
        return all(w.wait(timeout_s) for w in list(self._rows))

    # -- internals --------------------------------------------------------------------------
    def _start(self, worker: Worker) -> None:
        if worker.property("exclusive"):
            self._heavy_running = worker
        self.jobStarted.emit(worker)
        worker.start()

    def _drop_queued(self, worker: Worker) -> None:
        if worker in self._queue:
            self._queue.remove(worker)
            # Not `cancelled`: that reports what a job did before it stopped, and listeners act on
            # it (a re-analysis would replace the earlier tracks with none). `finished` follows.
            worker.drop()

    def _on_worker_finished(self) -> None:
        worker = self.sender()
        if isinstance(worker, Worker):
            self._on_finished(worker)

    def _on_finished(self, worker: Worker) -> None:
        row = self._rows.pop(worker, None)
        if row is not None:
            self._layout.removeWidget(row)
            row.deleteLater()
        if worker is self._heavy_running:
            self._heavy_running = None
            if self._queue:
                nxt = self._queue.popleft()
                queued_row = self._rows.get(nxt)
                if queued_row is not None:
                    queued_row.cancel_button.clicked.disconnect()
                    queued_row.cancel_button.clicked.connect(queued_row.request_cancel)
                    queued_row.detail_label.setText("starting…")
                self._start(nxt)
        self.setVisible(bool(self._rows))
        self.jobFinished.emit(worker)
