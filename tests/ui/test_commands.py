"""Undo commands: every edit reversible, views told through the document's signals."""

import pytest

from anonymizer_gui.core.project.interpolate import shape_at
from anonymizer_gui.core.project.model import Keyframe, MaskStyle, MediaRef, Project, Shape, Track
from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.document.document import ProjectDocument


@pytest.fixture
def doc(qapp):
    d = ProjectDocument()
    tracks = [Track(i, "face", keyframes=[Keyframe(0, Shape.rect(0, 0, 10, 10)), Keyframe(20, Shape.rect(20, 0, 30, 10))])
              for i in (1, 2, 3)]
    d.set_project(Project(MediaRef("clip.mp4", frame_count=30), tracks))
    return d


def snapshot(doc):
    return [(t.id, t.enabled, t.label, t.style, [(k.frame, k.outside, tuple(k.shape.points)) for k in t.keyframes])
            for t in doc.project.tracks]


EDITS = {
    "set_keyframe": lambda d: commands.set_keyframe(d, 1, 5, Shape.rect(50, 50, 60, 60)),
    "delete_keyframe": lambda d: commands.delete_keyframe(d, 2, 20),
    "hide_from": lambda d: commands.hide_from(d, 1, 10),
    "split": lambda d: commands.split_track(d, 2, 10),
    "merge": lambda d: commands.merge_tracks(d, 1, 3),
    "delete": lambda d: commands.delete_tracks(d, [1, 3]),
    "add": lambda d: commands.add_track(d, Track(9, "manual", source="manual",
                                                   keyframes=[Keyframe(0, Shape.rect(1, 1, 5, 5))])),
    "disable": lambda d: commands.set_enabled(d, [1, 2], False),
    "fields": lambda d: commands.set_track_fields(d, [3], "Restyle", style=MaskStyle("pixelate"), reason="x"),
    "default_style": lambda d: commands.SetDefaultStyle(d, MaskStyle("solid")),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_every_edit_undoes_and_redoes(doc, name):
    before = snapshot(doc), doc.project.default_style
    doc.undo_stack.push(EDITS[name](doc))
    after = snapshot(doc), doc.project.default_style
    assert after != before
    assert doc.is_modified
    doc.undo_stack.undo()
    assert (snapshot(doc), doc.project.default_style) == before
    assert not doc.is_modified
    doc.undo_stack.redo()
    assert (snapshot(doc), doc.project.default_style) == after


def test_split_puts_the_new_track_next_to_the_original_and_keeps_masks(doc):
    doc.undo_stack.push(commands.split_track(doc, 1, 12))
    assert [t.id for t in doc.project.tracks] == [1, 4, 2, 3]
    assert shape_at(doc.track(1), 11) is not None and shape_at(doc.track(4), 12) is not None


def test_signals_tell_views_what_changed(doc, qtbot):
    with qtbot.waitSignal(doc.trackChanged) as changed:
        doc.undo_stack.push(commands.set_enabled(doc, [2], False))
    assert changed.args == [2]
    with qtbot.waitSignal(doc.trackListChanged):
        doc.undo_stack.push(commands.delete_tracks(doc, [3]))


def test_deleting_a_selected_track_updates_the_selection(doc, qtbot):
    doc.select([1, 3])
    with qtbot.waitSignal(doc.selectionChanged) as sel:
        doc.undo_stack.push(commands.delete_tracks(doc, [3]))
    assert sel.args == [[1]] and doc.selected_ids == [1]
