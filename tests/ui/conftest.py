"""Fixtures shared by the view tests."""

import pytest

from tests.ui.views_support import open_editor


@pytest.fixture
def editor(tmp_path, qtbot):
    """A 320x240, 30-frame clip open in a document with the sample tracks and a FrameSource."""
    ed = open_editor(tmp_path / "clip.mp4", qtbot, width=320, height=240, frames=30)
    yield ed
    ed.frames.close()
