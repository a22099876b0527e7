"""Issue 11 in the main window: operator name, status count, case details, review settings, analysis
settings (kept in the settings and the project), the export dialog's review check."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QLabel

from anonymizer_gui.core.analysis import AnalysisSettings
from anonymizer_gui.core.project import CaseDetails, Keyframe, MediaRef, Project, Reason, Shape, Track
from anonymizer_gui.ui.app import settings as S
from anonymizer_gui.ui.document import commands
from anonymizer_gui.ui.shell.analysis_dialog import AnalysisSettingsDialog, load_saved
from anonymizer_gui.ui.shell.export_dialog import ExportDialog
from anonymizer_gui.ui.shell.review_dialogs import CaseDialog, ReviewSettingsDialog
from tests.ui.shell_support import close_window, make_window, shell_env, window  # noqa: F401


def _project(path, n=3):
    tracks = [Track(i, "face", keyframes=[Keyframe(0, Shape.rect(10, 10, 40, 40))], scores={0: 0.9})
              for i in range(1, n + 1)]
    return Project(MediaRef(str(path), width=320, height=240, frame_count=10, fps=25.0), tracks)


def test_status_bar_counts_reviewed_and_operator_comes_from_settings(qtbot, shell_env, tmp_path):
    S.app_settings().setValue(S.OPERATOR, "Ana Example")
    win = make_window(qtbot)
    try:
        win.set_document(_project(tmp_path / "v.mp4"))
        status = win.findChild(QLabel, "reviewStatus")
        assert status.text() == "0 / 3 reviewed"
        assert win.doc.operator == "Ana Example"
        win.doc.undo_stack.push(commands.set_review(win.doc, [1, 2], "accepted"))
        assert status.text() == "2 / 3 reviewed" and win.doc.track(1).review_by == "Ana Example"
        assert win.findChild(QLabel, "reviewSummary").text() == "3 tracks, 2 / 3 reviewed"
    finally:
        close_window(win, shell_env)


def test_default_operator_is_the_os_user(window):
    import getpass

    assert window.doc.operator == getpass.getuser()


def test_case_details_are_one_undo_step(window, tmp_path, qtbot):
    window.set_document(_project(tmp_path / "v.mp4"))
    dialog = CaseDialog(window.doc, window)
    dialog.reference.setText("CASE-17")
    dialog.requester.setText("J. Doe")
    dialog.accept()
    assert window.doc.project.case == CaseDetails("CASE-17", "J. Doe", window.doc.operator, "")
    window.doc.undo_stack.undo()
    assert window.doc.project.case == CaseDetails()


def test_review_settings_keep_operator_reasons_and_require_review(window, tmp_path):
    dialog = ReviewSettingsDialog(window)
    dialog.operator.setText("Bo")
    dialog.require_review.setChecked(True)
    dialog._add_row(Reason("", "Police officer on duty", "Sec. 23 KUG"))
    dialog.accepted.connect(window.apply_review_settings)
    dialog.accept()
    settings = S.app_settings()
    assert settings.value(S.OPERATOR) == "Bo" and S.read_bool(settings, S.REQUIRE_REVIEW, False)
    reasons = S.read_reasons(settings)
    assert reasons[-1] == Reason("police_officer_on_duty", "Police officer on duty", "Sec. 23 KUG")
    assert window.doc.operator == "Bo"
    window.set_document(_project(tmp_path / "v.mp4"))
    assert window.doc.project.reason("police_officer_on_duty") is not None  # the project takes the list
    export = ExportDialog(window.doc, lambda *a: None, window, require_review=True)
    export.path_edit.setText(str(tmp_path / "out.mp4"))
    assert not export.validate() and "3 of 3 tracks are unreviewed" in export.problem_label.text()
    export.require_review.setChecked(False)
    assert export.validate() and "unreviewed" in export.problem_label.text()  # a warning only
    assert export.settings().require_review is False


def test_analysis_settings_dialog_keeps_settings_and_project(window, tmp_path):
    window.set_document(_project(tmp_path / "v.mp4"))
    dialog = AnalysisSettingsDialog(window.analysis, window.doc, window)
    dialog.class_boxes["plate"].setChecked(False)
    dialog.thresholds["face"].setValue(0.35)
    dialog.device.setCurrentText("cpu")
    dialog.detect_every.setValue(3)
    assert dialog.full_every.value() == 3 and dialog.close_look.currentData() == "verify"  # the defaults
    dialog.full_every.setValue(1)
    dialog.close_look.setCurrentIndex(dialog.close_look.findData("off"))
    dialog.accepted.connect(window.menus.sync_classes)
    dialog.accept()
    runner = window.analysis
    assert runner.classes == ("face",) and runner.settings.thresholds["face"] == 0.35
    assert runner.settings.device == "cpu" and runner.settings.detect_every == 3
    assert runner.settings.full_every == 1 and runner.settings.close_look == "off"
    assert not window.menus.find_plates.isChecked() and window.menus.find_faces.isChecked()
    saved = load_saved()
    assert saved.classes == ("face",) and saved.detect_every == 3
    assert saved.full_every == 1 and saved.close_look == "off"
    assert window.doc.project.analysis["requested_settings"]["detect_every"] == 3
    window.doc.undo_stack.undo()
    assert "requested_settings" not in window.doc.project.analysis
    # a project brings its own (last run's) settings back
    other = _project(tmp_path / "w.mp4")
    other.analysis = {"settings": AnalysisSettings(classes=("plate",), detect_every=2).to_json()}
    window.set_document(other)
    assert runner.classes == ("plate",) and runner.settings.detect_every == 2
    assert window.menus.find_plates.isChecked() and not window.menus.find_faces.isChecked()


def test_find_switches_are_kept_for_the_next_start(qtbot, shell_env):
    win = make_window(qtbot)
    try:
        win.menus.find_plates.setChecked(False)
    finally:
        close_window(win, shell_env)
    again = make_window(qtbot)
    try:
        assert again.analysis.classes == ("face",) and not again.menus.find_plates.isChecked()
        assert json.loads(S.app_settings().value(S.ANALYSIS_SETTINGS))["classes"] == ["face"]
    finally:
        close_window(again, shell_env)


def test_group_people_again_joins_new_tracks_and_keeps_groups(window, tmp_path, qtbot):
    from anonymizer_gui.core.media import probe
    from tests.clips import MovingBox, make_clip
    from tests.ui.shell_support import wait_jobs_done

    clip = make_clip(tmp_path / "c.mp4", width=320, height=240, frames=30,
                     boxes=(MovingBox(20, 40, 44, 44, vx=2, texture="checker", cell=4, seed=1),
                            MovingBox(40, 170, 50, 50, texture="noise", seed=2)))

    def on(box, a, b, tid, group=None):
        kfs = [Keyframe(f, Shape.rect(*clip.boxes[f][box])) for f in (a, b)]
        return Track(tid, "face", keyframes=kfs, scores={f: 0.9 for f in range(a, b + 1)}, group=group)

    project = Project(MediaRef(str(clip.path), width=320, height=240, frame_count=30, fps=clip.fps),
                      [on(0, 0, 10, 1, group=4), on(1, 0, 29, 2, group=5), on(0, 16, 29, 3)])  # 3: new, ungrouped
    window.set_document(project, probe(clip.path))
    window.regroup_people()
    wait_jobs_done(qtbot, window)
    assert [window.doc.track(i).group for i in (1, 2, 3)] == [4, 5, 4]  # joined person 4; groups stand
    assert window.doc.undo_stack.count() == 1 and window.doc.undo_stack.text(0) == "Group people"
