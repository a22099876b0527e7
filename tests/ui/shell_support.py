"""Helpers for the shell tests (main window, files, jobs, export): isolated settings, scripted answers
to the editor's questions, a real window on a generated clip, and a Detector that really detects
the textured boxes of the generated clips (so analysis runs end to end without model weights)."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import cv2
import numpy as np
import pytest

from anonymizer_gui.core.detect.base import Detections, Detector
from anonymizer_gui.core.detect.runtime import CPU, ProviderChoice
from anonymizer_gui.ui.shell import prompts
from anonymizer_gui.ui.app import settings as S


class Answers:
    """Stands in for prompts.ask: answers questions from a queue and records them."""

    def __init__(self):
        self.queue: deque[str | None] = deque()
        self.asked: list[tuple[str, str]] = []  # (title, text)
        self.default: str | None = None  # when the queue is empty; None fails the test

    def push(self, *answers: str | None) -> None:
        self.queue.extend(answers)

    def __call__(self, parent, title, text, buttons, default=None, informative="") -> str | None:
        self.asked.append((title, text))
        if self.queue:
            answer = self.queue.popleft()
        elif self.default is not None:
            answer = self.default if self.default in buttons else ("Discard" if "Discard" in buttons else buttons[-1])
        else:
            raise AssertionError(f"unexpected question: {title}: {text}")
        assert answer is None or answer in buttons, f"{answer!r} is not one of {buttons}"
        return answer


@pytest.fixture
def shell_env(tmp_path, monkeypatch):
    """Settings, data and cache folders of this test only; no analysis on open unless a test asks."""
    monkeypatch.setenv("ANONYMIZER_GUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ANONYMIZER_GUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANONYMIZER_GUI_CACHE_DIR", str(tmp_path / "cache"))
    S.app_settings().setValue(S.ANALYSE_ON_OPEN, False)
    answers = Answers()
    monkeypatch.setattr(prompts, "ask", answers)
    return answers


def make_window(qtbot, autosave_interval_ms: int = 60_000):
    from anonymizer_gui.ui.app.application import create_application
    from anonymizer_gui.ui.shell.main_window import MainWindow

    create_application([])
    window = MainWindow(autosave_interval_ms=autosave_interval_ms)
    # Not qtbot.addWidget: pytest-qt closes those before fixture teardown, where close_window
    # answers the "save changes?" question first.
    window.resize(1280, 800)
    window.show()
    return window


@pytest.fixture
def window(qtbot, shell_env):
    win = make_window(qtbot)
    yield win
    close_window(win, shell_env)


def close_window(win, answers: Answers) -> None:
    answers.default = "Discard"
    for worker in win.job_bar.running():
        worker.wait(2.0)  # a job that just delivered its result may still be ending its thread
    if win.isVisible():
        win.close()
    win.job_bar.wait_all(10.0)
    win.deleteLater()


def open_and_wait(qtbot, win, path, timeout: int = 15000, **kwargs):
    with qtbot.waitSignal(win.opened, timeout=timeout) as blocker:
        win.files.open_path(path, **kwargs)
    return blocker.args[0]


def wait_jobs_done(qtbot, win, timeout: int = 30000) -> None:
    qtbot.waitUntil(lambda: not win.job_bar.jobs(), timeout=timeout)


class TextureDetector(Detector):
    """Finds strongly textured rectangles (the clips' checker/noise boxes) on the smooth gradient.

    A real detector through the real interface: the Laplacian's magnitude, thresholded and grouped
    into connected regions, gives one box per textured object. `delay_s` per frame makes the
    analysis slow enough to cancel mid-way.
    """

    family = "texture"
    tasks = ("face",)

    def __init__(self, label: str = "face", delay_s: float = 0.0, min_side: int = 12):
        self.name = f"texture-{label}"
        self.task = label
        self.label_names = (label,)
        self.score_threshold = 0.3
        self.provider = ProviderChoice((CPU,), "test detector on the CPU")
        self.delay_s = delay_s
        self.min_side = min_side
        self.frames_seen = 0

    def detect(self, frames):
        out = []
        for img in frames:
            if self.delay_s:
                time.sleep(self.delay_s)
            self.frames_seen += 1
            gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            lap = np.abs(cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F))
            mask = (cv2.blur(lap, (7, 7)) > 25).astype(np.uint8)
            h = img.shape[0]
            mask[: max(1, h // 12)] = 0  # the frame-number stamp is not an object
            n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [(x, y, x + w, y + hh) for x, y, w, hh, _area in stats[1:n]
                     if w >= self.min_side and hh >= self.min_side]
            out.append(Detections.create(boxes, [0.9] * len(boxes), label_names=self.label_names))
        return out


def box_detail_gone(img, box, reference, factor: float = 0.35) -> bool:
    from tests.clips import detail

    return detail(img, box) < factor * max(1e-6, detail(reference, box))


def frames_of(path: Path) -> list[np.ndarray]:
    from anonymizer_gui.core.media import iter_frames

    return [img for _, img in iter_frames(path)]
