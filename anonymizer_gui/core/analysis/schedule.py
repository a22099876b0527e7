"""Multi-rate detection: which frames get the full detector pass and which only a reduced one.

The full pass (each model's working size, native pixels, tiles on large frames) finds the
smallest objects and costs the most. Large and motion-blurred objects move fast but are found at
a fraction of the resolution (blur hides less there): every detected frame gets a reduced pass
(the whole frame fitted into `reduced_size` px), and every `full_every`-th detected frame (and
the last) the full pass instead. On a reduced frame the detector also looks closely, at the full
pass's scale, round each small object the tracker follows and each small candidate of the latest
full pass (down to midway between the continue and the start score, so that a face scoring just
under the start there can still start a track on the frames between): a small face is looked
for on every frame, found faces are not lost between full passes, and new small ones start at
most full_every - 1 frames late (the mask's extension covers that: unseen_frames). What the reduced
pass alone finds below its trusted size (the model's min_object) is dropped, and a close look
keeps only what lies wholly inside it. Objects below the reduced pass's trusted size that got no
close look are blind there (Tracker.update's blind_below): no miss, no short-track flag.
full_every = 1 is the full pass everywhere (analysis/analyzer.py runs the schedule).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectionSchedule:
    frame_count: int
    detect_every: int = 1
    full_every: int = 1

    @property
    def last(self) -> int:
        return self.frame_count - 1

    @property
    def full_stride(self) -> int:
        """Frames from one full pass to the next."""
        return self.detect_every * self.full_every

    def detects(self, index: int) -> bool:
        """Whether any detector runs on this frame."""
        return index % self.detect_every == 0 or index == self.last

    def full(self, index: int) -> bool:
        """Whether this (detected) frame gets the full pass rather than the reduced one."""
        return index % self.full_stride == 0 or index == self.last
