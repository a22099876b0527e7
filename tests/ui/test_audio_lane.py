"""The audio lanes: waveform and speech from the background job, ranges drawn by dragging, the
range bar's action and reason, speech navigation with one key to a range, and undo of it all."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage

from anonymizer_gui.core.project import AudioRange
from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.jobs.audio_job import AudioOverviewRunner
from anonymizer_gui.ui.timeline.audio_lanes import AUDIO_LANE_H, TimeMap
from anonymizer_gui.ui.timeline.timeline import TimelineView
from tests.clips import Tone
from tests.ui.views_support import drag, open_editor, show_widget

FRAMES = 75  # 3 s at 25 fps


@pytest.fixture
def talk(tmp_path, qtbot, monkeypatch):
    """A 3 s clip with vowel bursts on stream 0 and a tone on stream 1, its waveforms loaded."""
    monkeypatch.setenv("ANONYMIZER_GUI_CACHE_DIR", str(tmp_path / "cache"))
    ed = open_editor(tmp_path / "talk.mp4", qtbot, tracks=lambda clip: [], frames=FRAMES,
                     audio=(Tone(wave="speech"), Tone(660, channels=2)))
    runner = AudioOverviewRunner(ed.doc)
    runner.start()
    qtbot.waitUntil(lambda: len(ed.doc.audio_overviews) == 2, timeout=15000)
    yield ed
    ed.frames.close()


@pytest.fixture
def timeline(talk, qtbot):
    return show_widget(qtbot, TimelineView(talk.doc, talk.frames), 1000, 300)


def lane_y(tl, stream: int) -> int:
    return int(tl.canvas.audio_top() + stream * AUDIO_LANE_H + AUDIO_LANE_H / 2)


def x_at(tl, seconds: float) -> int:
    return int(round(tl.canvas.audio.x_of(seconds, tl.canvas.geometry_())))


def test_one_lane_per_audio_stream_with_waveform_and_speech(timeline, talk):
    canvas = timeline.canvas
    assert canvas.audio.count() == 2
    assert canvas.top_height() == canvas.audio_top() + 2 * AUDIO_LANE_H  # track lanes start below them
    speech = talk.doc.audio_overviews[0].speech
    assert len(speech) == 2  # the vowel bursts at 0.3-0.9 and 1.4-2.0 s
    image = canvas.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    y = lane_y(timeline, 1)
    # The tone's waveform fills the middle of lane 1: many waveform-coloured pixels along its centre.
    row = [image.pixelColor(x, y) for x in range(x_at(timeline, 0.5), x_at(timeline, 2.5))]
    base = image.pixelColor(x_at(timeline, 0.5), int(canvas.audio_top() + AUDIO_LANE_H + 2))
    assert sum(c != base for c in row) > 0.9 * len(row)
    # Lane 0 is silent before the first burst (0.3 s) and shows speech (green) where it talks.
    top0 = int(canvas.audio_top())
    in_speech = image.pixelColor(x_at(timeline, (speech[0][0] + speech[0][1]) / 2), top0 + AUDIO_LANE_H - 3)
    assert in_speech.green() > in_speech.red() + 60


def test_dragging_on_a_lane_adds_a_mute_range_and_undo_removes_it(timeline, talk):
    doc, vp = talk.doc, timeline.canvas.viewport()
    drag(vp, QPoint(x_at(timeline, 1.0), lane_y(timeline, 1)), QPoint(x_at(timeline, 2.0), lane_y(timeline, 1)))
    assert len(doc.project.audio_ranges) == 1
    r = doc.project.audio_ranges[0]
    assert (r.stream, r.action) == (1, "mute")
    assert r.start == pytest.approx(1.0, abs=0.03) and r.end == pytest.approx(2.0, abs=0.03)
    assert doc.audio_selected == 0 and doc.undo_stack.count() == 1  # one undo step for the whole drag
    doc.undo_stack.undo()
    assert doc.project.audio_ranges == [] and doc.audio_selected is None
    doc.undo_stack.redo()
    assert doc.project.audio_ranges == [r]


def test_a_drag_from_right_to_left_and_a_click_that_selects(timeline, talk):
    doc, vp = talk.doc, timeline.canvas.viewport()
    drag(vp, QPoint(x_at(timeline, 2.5), lane_y(timeline, 0)), QPoint(x_at(timeline, 2.0), lane_y(timeline, 0)))
    assert doc.project.audio_ranges[0].start == pytest.approx(2.0, abs=0.03)
    doc.select_audio_range(None)
    drag(vp, QPoint(x_at(timeline, 2.2), lane_y(timeline, 0)), QPoint(x_at(timeline, 2.2), lane_y(timeline, 0)))
    assert doc.audio_selected == 0 and len(doc.project.audio_ranges) == 1  # a click selects, adds nothing
    drag(vp, QPoint(x_at(timeline, 1.0), lane_y(timeline, 0)), QPoint(x_at(timeline, 1.0), lane_y(timeline, 0)))
    assert doc.audio_selected is None and doc.frame == pytest.approx(25, abs=1)  # elsewhere: the playhead


def test_the_bar_edits_action_and_reason_as_undoable_commands(timeline, talk, qtbot):
    doc, bar = talk.doc, timeline.audio_bar
    doc.undo_stack.push(commands.add_audio_range(doc, AudioRange(0, 0.5, 1.0, "mute")))
    assert bar.isVisible() and bar.action_box.isEnabled()
    bar.action_box.setCurrentText("bleep")
    bar.action_box.activated.emit(bar.action_box.currentIndex())
    bar.reason_edit.setText("caller's surname")
    bar.reason_edit.editingFinished.emit()
    assert doc.project.audio_ranges[0].action == "bleep"
    assert doc.project.audio_ranges[0].reason == "caller's surname"
    doc.undo_stack.undo()
    assert doc.project.audio_ranges[0].reason == "" and bar.reason_edit.text() == ""
    doc.undo_stack.undo()
    assert doc.project.audio_ranges[0].action == "mute" and bar.action_box.currentText() == "mute"
    bar.delete_button.click()
    assert doc.project.audio_ranges == []
    bar.remove_all.setChecked(True)
    assert doc.project.remove_audio is True
    doc.undo_stack.undo()
    assert doc.project.remove_audio is False and not bar.remove_all.isChecked()


def test_speech_navigation_and_one_key_to_a_range(timeline, talk, qtbot):
    doc, bar = talk.doc, timeline.audio_bar
    speech = doc.audio_overviews[0].speech
    timeline.canvas.audio.stream = 0
    actions = {a.text(): a for a in timeline.audio_actions()}
    assert {a.shortcut().toString() for a in actions.values()} >= {"S", "Shift+S", "M"}
    tm = timeline.canvas.audio.time_map()
    actions["Next Speech"].trigger()
    assert float(tm.seconds(doc.frame)) == pytest.approx(speech[0][0], abs=0.05)
    actions["Next Speech"].trigger()
    assert float(tm.seconds(doc.frame)) == pytest.approx(speech[1][0], abs=0.05)
    actions["Previous Speech"].trigger()
    assert float(tm.seconds(doc.frame)) == pytest.approx(speech[0][0], abs=0.05)
    actions["Mute Speech at Playhead"].trigger()
    assert [(r.stream, r.start, r.end, r.action) for r in doc.project.audio_ranges] == \
        [(0, speech[0][0], speech[0][1], "mute")]
    doc.undo_stack.undo()
    assert doc.project.audio_ranges == []


def test_time_map_follows_variable_frame_rates():
    class Info:
        pts = (0, 3, 8, 11)
        time_base = 1 / 75
        is_still = False

    tm = TimeMap(Info(), 25.0, 4)
    assert tm.seconds(2) == pytest.approx(8 / 75) and tm.frame_pos(8 / 75) == pytest.approx(2)
    np.testing.assert_allclose(tm.seconds(np.array([0, 1, 3])), [0, 3 / 75, 11 / 75])


def test_ranges_redraw_on_undo_without_view_code(timeline, talk, qtbot):
    doc, canvas = talk.doc, timeline.canvas
    y = lane_y(timeline, 0) + 10

    def colour_at(seconds):
        return canvas.viewport().grab().toImage().pixelColor(x_at(timeline, seconds), y)

    before = colour_at(2.0)
    doc.undo_stack.push(commands.add_audio_range(doc, AudioRange(0, 1.8, 2.4, "disguise", "")))
    qtbot.waitUntil(lambda: colour_at(2.0) != before)
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: colour_at(2.0) == before)


def test_in_and_out_marks_make_a_range_on_the_current_lane(timeline, talk):
    doc = talk.doc
    actions = {a.text(): a for a in timeline.audio_actions()}
    timeline.canvas.audio.stream = 1
    doc.set_frame(25)
    actions["Mark In"].trigger()
    doc.set_frame(49)
    actions["Mark Out"].trigger()
    assert (doc.mark_in, doc.mark_out) == (25, 49)
    actions["Audio Range from Marks"].trigger()
    r = doc.project.audio_ranges[0]
    assert (r.stream, r.action, r.start, r.end) == (1, "mute", pytest.approx(1.0), pytest.approx(2.0))
    doc.set_frame(60)
    actions["Mark In"].trigger()  # past the out mark: the out mark goes
    assert (doc.mark_in, doc.mark_out) == (60, None)
    doc.undo_stack.undo()
    assert doc.project.audio_ranges == []


def test_a_bleep_range_sets_its_tone_and_level_in_the_bar(timeline, talk):
    doc, bar = talk.doc, timeline.audio_bar
    doc.undo_stack.push(commands.add_audio_range(doc, AudioRange(0, 0.5, 1.0, "mute")))
    assert bar.tone_box.isHidden()
    doc.undo_stack.push(commands.set_audio_range_fields(doc, 0, "bleep", action="bleep"))
    assert not bar.tone_box.isHidden() and bar.tone_box.value() == 1000 and bar.level_box.value() == -18
    bar.tone_box.setValue(1500)
    bar.tone_box.editingFinished.emit()
    bar.level_box.setValue(-12)
    bar.level_box.editingFinished.emit()
    r = doc.project.audio_ranges[0]
    assert (r.tone_hz, r.level_dbfs) == (1500.0, -12.0)
    doc.undo_stack.undo()
    assert doc.project.audio_ranges[0].level_dbfs == -18.0 and bar.level_box.value() == -18


def test_dragging_a_range_edge_moves_it_in_one_undo_step(timeline, talk):
    doc, vp = talk.doc, timeline.canvas.viewport()
    doc.undo_stack.push(commands.add_audio_range(doc, AudioRange(0, 1.0, 2.0, "bleep", "a name")))
    y = lane_y(timeline, 0)
    drag(vp, QPoint(x_at(timeline, 2.0), y), QPoint(x_at(timeline, 2.5), y))
    r = doc.project.audio_ranges[0]
    assert r.start == 1.0 and r.end == pytest.approx(2.5, abs=0.03) and (r.action, r.reason) == ("bleep", "a name")
    drag(vp, QPoint(x_at(timeline, 1.0), y), QPoint(x_at(timeline, 0.6), y))
    assert doc.project.audio_ranges[0].start == pytest.approx(0.6, abs=0.03)
    assert len(doc.project.audio_ranges) == 1 and doc.undo_stack.count() == 3
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert (doc.project.audio_ranges[0].start, doc.project.audio_ranges[0].end) == (1.0, 2.0)
