"""File ▸ Export Tracks… and Import Tracks… through the real window: a CVAT round trip, one undo step."""

from __future__ import annotations

from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.shell import prompts
from anonymizer_gui.ui.shell.error_dialog import open_error_dialogs
from tests.ui.shell_support import open_and_wait, shell_env, window  # noqa: F401
from tests.ui.test_project_io import add_manual_track


def test_export_then_import_tracks_from_the_file_menu(qtbot, window, tmp_clip, tmp_path, monkeypatch):
    win = window
    assert not win.menus.export_tracks.isEnabled()  # nothing open
    open_and_wait(qtbot, win, tmp_clip.path)
    track = add_manual_track(win, (2, 12))
    target = tmp_path / "tracks.xml"
    monkeypatch.setattr(prompts, "choose_save_file", lambda *a, **k: str(target))
    win.menus.export_tracks.trigger()
    assert b"<version>1.1</version>" in target.read_bytes()

    win.doc.undo_stack.push(commands.delete_tracks(win.doc, [track.id]))
    assert win.doc.project.tracks == []
    depth = win.doc.undo_stack.count()
    monkeypatch.setattr(prompts, "choose_open_file", lambda *a, **k: str(target))
    win.menus.import_tracks.trigger()
    (back,) = win.doc.project.tracks
    assert [(k.frame, k.shape.points, k.outside) for k in back.keyframes] == \
        [(k.frame, k.shape.points, k.outside) for k in track.keyframes]
    assert win.doc.undo_stack.count() == depth + 1 and win.doc.is_modified
    win.doc.undo_stack.undo()
    assert win.doc.project.tracks == []

    bad = tmp_path / "bad.xml"
    bad.write_text("<annotations><image id='0'/></annotations>")
    monkeypatch.setattr(prompts, "choose_open_file", lambda *a, **k: str(bad))
    win.menus.import_tracks.trigger()
    assert any("CVAT for images" in box.text() for box in open_error_dialogs())
    for box in open_error_dialogs():
        box.close()
    assert win.doc.project.tracks == []
