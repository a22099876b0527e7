"""Playback and navigation: play at the clip's rate, J/K/L shuttle, steps and jumps.

The playhead follows the wall clock: each tick computes where the playhead should be after the
time since play started, so a machine that cannot decode every frame skips frames and keeps the
clip's pace instead of slowing down. A tick only moves on once the frame it last asked for has
arrived; the frames passed over meanwhile are counted in `dropped`, which the viewer shows.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence

from ...core.project import shape_at
from ..document.document import ProjectDocument
from .frames import FrameSource
from .timecode import doc_fps

MAX_SHUTTLE = 8
_TICK_MS = 10  # fine enough for 100 fps; the frame shown is picked from the clock, not the tick count
_READAHEAD = 12


class Playback(QObject):
    speedChanged = Signal(int)  # signed frames-per-frame multiplier: 0 stopped, 1 play, -2 reverse 2x ...
    droppedChanged = Signal(int)  # frames skipped since play started, because decoding fell behind

    def __init__(self, doc: ProjectDocument, frames: FrameSource, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.frames = frames
        self._speed = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._origin_frame = 0
        self._origin_time = 0.0
        self._shown = 0  # the frame the playhead was last moved to by playback
        self.dropped = 0
        self._actions: list[QAction] | None = None
        self.loop: tuple[int, int] | None = None  # play this span over and over (the review queue's track)
        doc.projectReset.connect(self.stop)
        doc.projectReset.connect(lambda: self.set_loop(None))

    # -- state ------------------------------------------------------------------------------
    @property
    def speed(self) -> int:
        return self._speed

    def is_playing(self) -> bool:
        return self._speed != 0

    def play(self) -> None:
        self._set_speed(1)

    def pause(self) -> None:
        self.stop()

    def stop(self) -> None:
        self._set_speed(0)

    def toggle(self) -> None:
        """Space: pause when moving; play forward when stopped (from the start when at the end)."""
        if self._speed:
            self.stop()
            return
        if self.doc.frame >= self.doc.frame_count - 1:
            self.doc.set_frame(0)
        self.play()

    def shuttle_forward(self) -> None:
        """L: play forward; each further press doubles the speed, up to 8x."""
        self._set_speed(1 if self._speed <= 0 else min(MAX_SHUTTLE, self._speed * 2))

    def shuttle_reverse(self) -> None:
        """J: play backwards; each further press doubles the speed, up to 8x."""
        self._set_speed(-1 if self._speed >= 0 else max(-MAX_SHUTTLE, self._speed * 2))

    def set_loop(self, span: tuple[int, int] | None) -> None:
        """Loop playback over `span` (inclusive frames); None plays on to the end as usual."""
        self.loop = (min(span), max(span)) if span is not None else None

    def _set_speed(self, speed: int) -> None:
        if self.doc.frame_count <= 1:
            speed = 0  # a still or an empty document has nothing to play
        if speed == self._speed:
            return
        self._speed = speed
        if speed:
            self._origin_frame = self._shown = self.doc.frame
            self._origin_time = time.perf_counter()
            self.dropped = 0
            self.droppedChanged.emit(0)
            direction = 1 if speed > 0 else -1
            self.frames.set_readahead(_READAHEAD, direction if abs(speed) <= 2 else speed)
            # Tick at least twice per frame, so timer jitter alone never skips one.
            self._timer.setInterval(max(2, min(_TICK_MS, int(500 / (doc_fps(self.doc) * abs(speed))))))
            self._timer.start()
        else:
            self._timer.stop()
            self.frames.set_readahead(0)
        self.speedChanged.emit(speed)

    def _tick(self) -> None:
        if not self._speed or self.doc.project is None:
            self.stop()
            return
        if self.doc.frame != self._shown:  # the operator moved the playhead while playing
            self._origin_frame = self._shown = self.doc.frame
            self._origin_time = time.perf_counter()
        last = self.doc.frame_count - 1
        elapsed = time.perf_counter() - self._origin_time
        target = self._origin_frame + int(elapsed * doc_fps(self.doc) * self._speed)
        if self.loop is not None and self.loop[0] <= self._origin_frame <= self.loop[1]:
            a, b = self.loop
            span = b - a + 1
            target = a + (target - a) % span  # wrap round the span, either direction
            if target != self._shown and not self.frames.is_pending():
                self._shown = target
                self.doc.set_frame(target)
            return
        target = max(0, min(last, target))
        if target == self._shown:
            return
        if self.frames.is_pending():
            return  # decoding is behind: hold this frame; the clock runs on, so frames get skipped
        skipped = abs(target - self._shown) - 1
        if skipped > 0 and abs(self._speed) == 1:  # faster shuttles skip frames by design
            self.dropped += skipped
            self.droppedChanged.emit(self.dropped)
        self._shown = target
        self.doc.set_frame(target)
        if target in (0, last) and (target == last) == (self._speed > 0):
            self.stop()

    # -- steps and jumps --------------------------------------------------------------------
    def step(self, frames: int) -> None:
        self.stop()
        self.doc.set_frame(self.doc.frame + frames)

    def step_seconds(self, seconds: float) -> None:
        self.step(int(round(seconds * doc_fps(self.doc))))

    def home(self) -> None:
        self.stop()
        self.doc.set_frame(0)

    def end(self) -> None:
        self.stop()
        self.doc.set_frame(self.doc.frame_count - 1)

    def _keyframe_frames(self) -> list[int]:
        if self.doc.project is None:
            return []
        tracks = [self.doc.track(i) for i in self.doc.selected_ids] or self.doc.project.tracks
        return sorted({k.frame for t in tracks for k in t.keyframes})

    def next_keyframe(self) -> None:
        """Jump to the next keyframe of the selected tracks (of any track when none is selected)."""
        later = [f for f in self._keyframe_frames() if f > self.doc.frame]
        if later:
            self.stop()
            self.doc.set_frame(later[0])

    def prev_keyframe(self) -> None:
        earlier = [f for f in self._keyframe_frames() if f < self.doc.frame]
        if earlier:
            self.stop()
            self.doc.set_frame(earlier[-1])

    def jump_into_track(self, track_id: int) -> None:
        """Move the playhead to the track's first frame unless it already shows at the playhead."""
        track = self.doc.track(track_id)
        if shape_at(track, self.doc.frame) is None:
            self.doc.set_frame(track.first_frame)

    # -- actions ----------------------------------------------------------------------------
    def actions(self) -> list[QAction]:
        """Transport actions with their shortcuts (window-wide); add them to a window and a menu."""
        if self._actions is None:
            spec = [
                ("Play / Pause", "Space", self.toggle),
                ("Play Backwards (J)", "J", self.shuttle_reverse),
                ("Stop (K)", "K", self.stop),
                ("Play Forwards (L)", "L", self.shuttle_forward),
                ("Previous Frame", "Left", lambda: self.step(-1)),
                ("Next Frame", "Right", lambda: self.step(1)),
                ("Back One Second", "Shift+Left", lambda: self.step_seconds(-1)),
                ("Forward One Second", "Shift+Right", lambda: self.step_seconds(1)),
                ("Go to Start", "Home", self.home),
                ("Go to End", "End", self.end),
                ("Previous Keyframe", "Alt+Left", self.prev_keyframe),
                ("Next Keyframe", "Alt+Right", self.next_keyframe),
            ]
            self._actions = []
            for text, keys, slot in spec:
                action = QAction(text, self)
                action.setShortcut(QKeySequence(keys))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                action.setAutoRepeat(keys in ("Left", "Right", "Shift+Left", "Shift+Right"))
                action.triggered.connect(lambda _checked=False, s=slot: s())
                action.setObjectName("playback_" + "".join(c for c in text.lower() if c.isalnum()))
                self._actions.append(action)
        return list(self._actions)
