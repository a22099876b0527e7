"""Shared test set-up: headless Qt, the repository on sys.path, generated-clip fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Must precede any Qt import, so that widgets can be created on a machine without a display.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pytest  # noqa: E402

from tests.clips import ClipTruth, make_clip, make_still  # noqa: E402


@pytest.fixture
def clip_factory(tmp_path):
    """`clip_factory("name.mp4", **make_clip_kwargs) -> ClipTruth`, written under tmp_path."""

    def make(name: str = "clip.mp4", **kwargs) -> ClipTruth:
        return make_clip(tmp_path / name, **kwargs)

    return make


@pytest.fixture
def still_factory(tmp_path):
    """`still_factory("name.jpg", **make_still_kwargs) -> ClipTruth`, written under tmp_path."""

    def make(name: str = "still.png", **kwargs) -> ClipTruth:
        return make_still(tmp_path / name, **kwargs)

    return make


@pytest.fixture
def tmp_clip(clip_factory) -> ClipTruth:
    """A plain 320x240 H.264 MP4 of 30 frames at 25 fps with B-frames and two moving boxes."""
    return clip_factory("clip.mp4")


@pytest.fixture(scope="session")
def shared_clip_dir(tmp_path_factory) -> Path:
    """One folder per test session for clips that several tests read but never modify."""
    return tmp_path_factory.mktemp("shared_clips")
