"""Export fails closed (issue 9): incomplete analyses, what the report and the project file say."""

from __future__ import annotations

import json

import pytest

from anonymizer_gui.core.export.video import export_video
from anonymizer_gui.core.foundation.errors import ExportError
from anonymizer_gui.core.project import load_project, save_project
from anonymizer_gui.core.project.model import ExportSettings
from tests.core.export_fixtures import project_for

FAST = ExportSettings(preset="ultrafast")


@pytest.mark.parametrize("analysis", [{"cancelled": True, "frames_analyzed": 4},
                                      {"cancelled": False, "frames_analyzed": 6}])
def test_an_incomplete_analysis_is_refused_unless_allowed_and_the_report_says_it(clip_factory, tmp_path, analysis):
    truth = clip_factory("in.mp4", frames=10)
    project = project_for(truth)
    project.analysis = {"tool": "anonymizer-gui", **analysis}
    with pytest.raises(ExportError, match="--allow-incomplete"):
        export_video(project, tmp_path / "out.mp4", FAST)
    assert not (tmp_path / "out.mp4").exists()
    result = export_video(project, tmp_path / "out.mp4", FAST, allow_incomplete=True)
    state = result.report["analysis"]
    assert state["complete"] is False and state["exported_incomplete"] is True
    assert state["cancelled"] is analysis["cancelled"] and state["frames_analyzed"] == analysis["frames_analyzed"]
    assert any("incomplete" in w for w in result.report["warnings"])


def test_a_complete_analysis_exports_and_the_report_says_so(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=10)
    project = project_for(truth)
    project.analysis = {"tool": "anonymizer-gui", "cancelled": False, "frames_analyzed": 10}
    state = export_video(project, tmp_path / "out.mp4", FAST).report["analysis"]
    assert state["complete"] is True and state["cancelled"] is False and state["frames_analyzed"] == 10


def test_the_project_file_keeps_no_folder_path_and_no_tag_values(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=5, tags={"location": "+48.8577+002.2950/", "title": "secret"})
    project = project_for(truth)
    assert project.media.probe["tags"]  # what probe gives, values included
    save_project(project, tmp_path / "p.json")
    text = (tmp_path / "p.json").read_text()
    data = json.loads(text)
    assert data["media"]["path"] == "in.mp4" and str(tmp_path) not in text
    assert "+48.8577" not in text and "secret" not in text
    assert "location" in data["media"]["probe"]["tag_keys"] and "tags" not in data["media"]["probe"]
    assert load_project(tmp_path / "p.json").media.path == str(truth.path.resolve())
