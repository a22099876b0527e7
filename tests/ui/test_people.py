"""Issue 11: person groups as one row with a gallery of crops; keep a person visible; merge and split."""

from __future__ import annotations

import pytest

from anonymizer_gui.ui.panels.people_panel import PeoplePanel
from anonymizer_gui.ui.panels.review_queue import ReviewQueue
from tests.ui.views_support import show_widget


@pytest.fixture
def people(editor, qtbot):
    editor.doc.operator = "ana"
    for t in editor.doc.project.tracks[:2]:
        t.group = 1  # tracks 1 and 2: one person
    editor.doc.project.tracks[2].group = 2
    editor.doc.set_project(editor.doc.project, editor.doc.media_info)
    return show_widget(qtbot, PeoplePanel(editor.doc, editor.frames), 420, 300)


def test_one_row_per_person_with_a_gallery_of_crops(people, qtbot):
    assert people.list.count() == 2 and people.summary.text() == "2 people"
    row = people.row(1)
    assert row.title.text().startswith("Person 1  \u00b7  2 tracks  \u00b7  2 to review")
    qtbot.waitUntil(lambda: all(lbl.pixmap() is not None and not lbl.pixmap().isNull()
                                for lbl in people.row(1).crop_labels), timeout=5000)
    assert len(people.row(1).crop_labels) == 2


def test_choosing_a_person_selects_its_tracks(people, editor):
    people.select_group(1)
    assert editor.doc.selected_ids == [1, 2]


def test_keep_this_person_visible_with_one_reason_one_undo_step(people, editor):
    queue = ReviewQueue(editor.doc)
    asked = []
    queue.ask_reason = lambda state, default, note: asked.append((state, default)) or ("requester", "")
    queue.confirm = lambda q: True
    people.keepVisibleRequested.connect(queue.keep_person_visible)
    people.select_group(1)
    people.keep_visible.click()
    assert asked == [("visible", "requester")]
    assert [(t.review, t.reason_code) for t in editor.doc.project.tracks[:2]] == [("visible", "requester")] * 2
    assert editor.doc.undo_stack.count() == 1
    assert "visible" in people.row(1).title.text()


def test_merge_and_split_people(people, editor):
    people.list.selectAll()
    assert people.merge_selected()
    assert {t.group for t in editor.doc.project.tracks} == {1} and people.list.count() == 1
    editor.doc.select([3])
    assert people.split_selected_track()
    assert editor.doc.track(3).group == 2 and people.list.count() == 2
    editor.doc.undo_stack.undo()
    editor.doc.undo_stack.undo()
    assert [t.group for t in editor.doc.project.tracks] == [1, 1, 2]
