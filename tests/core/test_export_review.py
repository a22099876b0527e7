"""Issue 11: the export checks the review and the report tells it (JSON + exemption log CSV)."""

from __future__ import annotations

import csv
import json

import pytest

from anonymizer_gui.cli import main
from anonymizer_gui.core.export import export_video
from anonymizer_gui.core.foundation import ExportError
from anonymizer_gui.core.project import CaseDetails, ExportSettings, save_project
from tests.core.export_fixtures import project_for

FAST = ExportSettings(preset="ultrafast")


def _reviewed_project(truth):
    p = project_for(truth)  # two boxes -> tracks 1 and 2
    p.tracks[0].review, p.tracks[0].review_by, p.tracks[0].review_at = "accepted", "ana", "2026-12-01T10:00:00+00:00"
    t = p.tracks[1]
    t.review, t.reason_code, t.review_by, t.review_at = "visible", "requester", "ana", "2026-12-01T10:01:00+00:00"
    t.reason = "=HYPERLINK(\"x\")"  # operator text that a spreadsheet would run
    p.case = CaseDetails("CASE-17", "J. Doe", "ana", "SAR")
    return p


def test_report_and_exemption_log_tell_the_review(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=20)
    result = export_video(_reviewed_project(truth), tmp_path / "out.mp4", FAST)
    assert result.exemptions_path == tmp_path / "out.mp4.exemptions.csv"
    report = json.loads(result.report_path.read_text())
    review = report["review"]
    assert {k: review[k] for k in ("total", "reviewed", "accepted", "rejected", "visible", "unreviewed")} == {
        "total": 2, "reviewed": 2, "accepted": 1, "rejected": 0, "visible": 1, "unreviewed": 0}
    assert review["unreviewed_tracks"] == [] and review["case"]["reference"] == "CASE-17"
    tracks = {t["id"]: t for t in report["tracks"]}
    assert (tracks[2]["review"], tracks[2]["reason_code"], tracks[2]["reason_text"], tracks[2]["review_by"],
            tracks[2]["review_at"]) == ("visible", "requester", "Requester kept visible", "ana",
                                        "2026-12-01T10:01:00+00:00")
    assert "Art. 15" in tracks[2]["legal_basis"] and tracks[1]["review"] == "accepted"
    assert report["warnings"] == []
    rows = list(csv.DictReader(result.exemptions_path.open()))
    assert len(rows) == 1
    row = rows[0]
    assert (row["track"], row["object"], row["decision"], row["reason_code"], row["start_frame"], row["end_frame"]) \
        == ("2", "face", "visible", "requester", "0", "19")
    assert row["start"] == "00:00:00.000" and row["end"].startswith("00:00:0")
    assert row["note"].startswith("'=")  # never a formula
    for text in (result.report_path.read_text(), result.exemptions_path.read_text()):
        assert str(tmp_path) not in text  # no folders (user names)


def test_unreviewed_tracks_warn_and_require_review_refuses(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=10)
    p = project_for(truth)
    result = export_video(p, tmp_path / "out.mp4", FAST)
    assert result.warnings[0] == "2 of 2 tracks were not reviewed (masked, fail closed): track 1, 2"
    assert json.loads(result.report_path.read_text())["review"]["unreviewed_tracks"] == [1, 2]
    with pytest.raises(ExportError, match="2 of 2 tracks were not reviewed.*review them first"):
        export_video(p, tmp_path / "strict.mp4", ExportSettings(preset="ultrafast", require_review=True))
    assert not (tmp_path / "strict.mp4").exists()


def test_cli_require_review(clip_factory, tmp_path, capsys):
    truth = clip_factory("in.mp4", frames=10)
    p = project_for(truth)
    save_project(p, tmp_path / "p.json")
    assert main(["export", str(tmp_path / "p.json"), "-o", str(tmp_path / "a.mp4"), "-q", "--require-review"]) == 1
    assert "not reviewed" in capsys.readouterr().err and not (tmp_path / "a.mp4").exists()
    assert main(["export", str(tmp_path / "p.json"), "-o", str(tmp_path / "a.mp4"), "-q"]) == 0
    captured = capsys.readouterr()
    assert "warning: 2 of 2 tracks were not reviewed" in captured.err
    assert "exemption log:" in captured.out and (tmp_path / "a.mp4.exemptions.csv").exists()
    p.tracks = [t for t in p.tracks]
    for t in p.tracks:
        t.review = "accepted"
    save_project(p, tmp_path / "p.json")
    assert main(["export", str(tmp_path / "p.json"), "-o", str(tmp_path / "b.mp4"), "-q", "--require-review"]) == 0
