"""Multi-rate detection: which frames get the full detector pass and which only a reduced one.

The full pass (each model's working size, native pixels, tiles on large frames) finds the
smallest objects and costs the most. Small objects move few pixels per frame, so the tracker
carries them well across a few frames; large and motion-blurred ones move fast but are found
at a fraction of the resolution (and blur hides less at low resolution). So: every detected
frame gets a reduced pass (the whole frame fitted into `reduced_size` px), and every
`full_every`-th detected frame (and the last) the full pass instead. The tracker is told which
objects the reduced pass cannot see (Tracker.update's blind_below), so a small face between
two full passes is neither a miss nor a short track. full_every = 1 is the full pass everywhere.
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
