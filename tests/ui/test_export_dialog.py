"""Export through the dialog: path validation, settings as undoable edits, and the output's pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from anonymizer_gui.core.media import probe
from anonymizer_gui.core.project.model import Keyframe, Shape, Track
from anonymizer_gui.core.export.report import default_report_path
from anonymizer_gui.ui.shell import export_flow as export_job
from anonymizer_gui.ui.shell.export_dialog import ExportDialog
from anonymizer_gui.ui.shell.project_files import new_project
from tests.clips import detail, make_still
from tests.ui.shell_support import frames_of, open_and_wait, shell_env, window  # noqa: F401
from anonymizer_gui.core.project import save_project


def project_masking_first_box(clip, path):
    project = new_project(clip.path, probe(clip.path), "")
    project.tracks = [Track(1, "face", "auto",
                            keyframes=[Keyframe(i, Shape.rect(*boxes[0])) for i, boxes in enumerate(clip.boxes)])]
    save_project(project, path)
    return path


def open_dialog(qtbot, win) -> ExportDialog:
    dialog = win.show_export_dialog()
    qtbot.waitExposed(dialog)
    return dialog


def done_dialog() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == export_job.DONE_DIALOG_NAME and w.isVisible()),
                None)


def grown(box, share=0.45):
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * share, (y2 - y1) * share
    return x1 - dx, y1 - dy, x2 + dx, y2 + dy


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def outside_mask(shape_hw, box) -> np.ndarray:
    keep = np.ones(shape_hw, bool)
    x1, y1, x2, y2 = (int(round(v)) for v in grown(box))
    keep[max(0, y1):max(0, y2), max(0, x1):max(0, x2)] = False
    return keep


def test_output_path_is_validated_live(qtbot, window, tmp_clip, tmp_path):
    open_and_wait(qtbot, window, tmp_clip.path)
    dialog = open_dialog(qtbot, window)
    assert dialog.output_path() == tmp_path / "clip.redacted.mp4"
    assert dialog.ok_button.isEnabled()
    dialog.path_edit.setText(str(tmp_clip.path))
    assert not dialog.ok_button.isEnabled() and "input video" in dialog.problem_label.text()
    (tmp_path / "link.mp4").symlink_to(tmp_clip.path)  # the input through another path
    dialog.path_edit.setText(str(tmp_path / "link.mp4"))
    assert not dialog.ok_button.isEnabled() and "input video" in dialog.problem_label.text()
    dialog.path_edit.setText(str(tmp_path / "nowhere" / "out.mp4"))
    assert not dialog.ok_button.isEnabled() and "does not exist" in dialog.problem_label.text()
    dialog.path_edit.setText(str(tmp_path / "out.mkv"))
    assert "must end in .mp4" in dialog.problem_label.text()
    dialog.path_edit.setText(str(tmp_path / "out.mp4"))
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("vp9"))
    assert dialog.path_edit.text().endswith("out.webm") and dialog.ok_button.isEnabled()
    assert dialog.crf_slider.maximum() == 63
    dialog.reject()


def test_the_encoder_choice_is_offered_checked_and_kept(qtbot, window, tmp_clip, tmp_path, monkeypatch):
    from anonymizer_gui.core.export import hardware_encoder

    monkeypatch.setattr(hardware_encoder, "nvidia_driver_loads", lambda: False)
    project = project_masking_first_box(tmp_clip, tmp_path / "p.json")
    open_and_wait(qtbot, window, project)
    dialog = open_dialog(qtbot, window)
    assert dialog.hardware_combo.currentData() == "auto" and dialog.ok_button.isEnabled()
    dialog.hardware_combo.setCurrentIndex(dialog.hardware_combo.findData("nvenc"))
    dialog.validate()
    assert not dialog.ok_button.isEnabled() and "no NVIDIA driver" in dialog.problem_label.text()
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("vp9"))
    assert not dialog.hardware_combo.isEnabled()  # NVENC stands in for H.264 only
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("h264"))
    dialog.hardware_combo.setCurrentIndex(dialog.hardware_combo.findData("off"))
    dialog.validate()
    assert dialog.ok_button.isEnabled()
    output = dialog.output_path()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: done_dialog() is not None, timeout=60000)
    assert window.doc.project.export.hardware_encoder == "off"  # saved with the project's other choices
    assert json.loads(default_report_path(output).read_text())["settings"]["hardware"] is False
    done_dialog().close()
    again = open_dialog(qtbot, window)
    assert again.hardware_combo.currentData() == "off"
    again.reject()


def test_export_through_the_dialog_masks_every_frame_and_keeps_the_rest(qtbot, window, tmp_clip, tmp_path,
                                                                        monkeypatch):
    opened_urls = []
    monkeypatch.setattr(export_job, "open_url", lambda path: opened_urls.append(path) or True)
    project = project_masking_first_box(tmp_clip, tmp_path / "p.json")
    open_and_wait(qtbot, window, project)
    dialog = open_dialog(qtbot, window)
    dialog.preset_combo.setCurrentText("veryfast")
    dialog.style_combo.setCurrentIndex(dialog.style_combo.findData("pixelate"))
    output = dialog.output_path()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: done_dialog() is not None, timeout=60000)

    # The dialog's choices are one undoable edit of the project.
    assert window.doc.project.default_style.kind == "pixelate"
    assert window.doc.project.export.preset == "veryfast"
    window.edit.undo.trigger()
    assert window.doc.project.default_style.kind == "blur" and window.doc.project.export.preset == "medium"

    source, redacted = frames_of(tmp_clip.path), frames_of(output)
    assert len(redacted) == len(source) == tmp_clip.frames
    for i, (src, out) in enumerate(zip(source, redacted)):
        masked, kept = tmp_clip.boxes[i]
        assert detail(out, masked) < 0.35 * detail(src, masked), f"detail left in the mask at frame {i}"
        if not overlaps(grown(masked), kept):  # the boxes bounce and sometimes cross
            assert detail(out, kept) > 0.7 * detail(src, kept), f"unmasked box lost detail at frame {i}"
        outside = outside_mask(src.shape[:2], masked)
        diff = np.abs(src.astype(np.int16) - out.astype(np.int16))[outside]
        assert diff.mean() < 4.0, f"frame {i} changed outside the mask"
    box = done_dialog()
    assert output.name in box.text()
    qtbot.mouseClick(box.findChild(type(dialog.ok_button), "openFolder"), Qt.MouseButton.LeftButton)
    assert opened_urls == [output.parent]
    report = json.loads(default_report_path(output).read_text())
    assert [t["id"] for t in report["tracks"]] == [1]


def test_still_exports_with_its_own_format(qtbot, window, tmp_path):
    still = make_still(tmp_path / "photo.png")
    project = new_project(still.path, probe(still.path), "")
    project.tracks = [Track(1, "face", "auto", keyframes=[Keyframe(0, Shape.rect(*still.boxes[0][0]))])]
    save_project(project, tmp_path / "photo.json")
    open_and_wait(qtbot, window, tmp_path / "photo.json")
    dialog = open_dialog(qtbot, window)
    assert dialog.output_path() == tmp_path / "photo.redacted.png"
    assert not dialog.format_combo.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: done_dialog() is not None, timeout=30000)
    import cv2

    src, out = cv2.imread(str(still.path)), cv2.imread(str(tmp_path / "photo.redacted.png"))
    masked, kept = still.boxes[0]
    assert detail(out, masked) < 0.35 * detail(src, masked)
    assert detail(out, kept) == pytest.approx(detail(src, kept), rel=0.05)
    done_dialog().close()
