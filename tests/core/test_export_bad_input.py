"""Exports that must be refused or fail cleanly: each asserts the exact error and message, that
nothing is left behind, and (through pytest-timeout) that nothing hangs.

The tests run as root, for whom chmod does not take write access away; an unwritable folder is
therefore simulated where the program asks for it (os.access, or the creation of the temporary
file failing with EACCES), which is the same path a normal user's refused write takes.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from anonymizer_gui.cli import main
from anonymizer_gui.core.export import pipeline as export_pipeline
from anonymizer_gui.core.foundation import output_check
from anonymizer_gui.core.foundation import atomic_file
from anonymizer_gui.core.foundation.errors import ExportError, MediaError, ProjectFormatError
from anonymizer_gui.core.export.video import export_video
from anonymizer_gui.core.project.model import ExportSettings, Keyframe, Shape
from tests.clips import Tone, make_clip
from tests.core.export_fixtures import project_for
from anonymizer_gui.core.project import save_project, project_to_dict

FAST = ExportSettings(preset="ultrafast")
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def clip(clip_factory):
    return clip_factory("in.mp4", frames=20, audio=[Tone()])


def leftovers(folder: Path, *keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def run_cli(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, expected: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [f"error: {expected}"], err
    assert "Traceback" not in err


# -- the output is the input ---------------------------------------------------------------------
def test_output_equal_to_input_is_refused(clip):
    before = clip.path.read_bytes()
    with pytest.raises(ExportError) as exc:
        export_video(project_for(clip), clip.path, FAST)
    assert str(exc.value) == (f"the output {clip.path} is the input video ({clip.path}); choose another file "
                              "name, the input is never overwritten")
    assert clip.path.read_bytes() == before
    assert leftovers(clip.path.parent) == ["in.mp4"]


def test_output_through_another_spelling_of_the_input_is_refused(clip):
    (clip.path.parent / "sub").mkdir()
    other = clip.path.parent / "sub" / ".." / "in.mp4"
    with pytest.raises(ExportError, match="is the input video"):
        export_video(project_for(clip), other, FAST)


def test_output_through_a_symlink_to_the_input_is_refused(clip, tmp_path):
    link = tmp_path / "link.mp4"
    link.symlink_to(clip.path)
    with pytest.raises(ExportError, match=r"the output .*link\.mp4 is the input video"):
        export_video(project_for(clip), link, FAST)
    assert link.is_symlink() and clip.path.stat().st_size > 0


def test_output_through_a_hard_link_to_the_input_is_refused(clip, tmp_path):
    twin = tmp_path / "twin.mp4"
    os.link(clip.path, twin)
    before = clip.path.read_bytes()
    with pytest.raises(ExportError, match=r"the output .*twin\.mp4 is the input video"):
        export_video(project_for(clip), twin, FAST)
    assert clip.path.read_bytes() == before == twin.read_bytes()


def test_a_report_over_the_input_is_refused(clip, tmp_path):
    with pytest.raises(ExportError, match="is the input video"):
        export_video(project_for(clip), tmp_path / "out.mp4", FAST, report_path=clip.path)
    assert leftovers(tmp_path) == ["in.mp4"]


# -- the output folder ---------------------------------------------------------------------------
def test_output_folder_missing(clip, tmp_path):
    missing = tmp_path / "nope" / "deeper"
    with pytest.raises(ExportError) as exc:
        export_video(project_for(clip), missing / "out.mp4", FAST)
    assert str(exc.value) == f"the output folder {missing} does not exist"


def test_output_is_a_folder(clip, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    with pytest.raises(ExportError, match=r"is a folder; give a file name inside it"):
        export_video(project_for(clip), folder, FAST)


def test_output_folder_not_writable(clip, tmp_path, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(output_check.os, "access",
                        lambda p, mode: False if mode & os.W_OK else real_access(p, mode))
    with pytest.raises(ExportError) as exc:
        export_video(project_for(clip), tmp_path / "out.mp4", FAST)
    assert str(exc.value) == f"cannot write into the output folder {tmp_path}: permission denied"
    assert leftovers(tmp_path) == ["in.mp4"]


def test_output_folder_refusing_the_write_itself(clip, tmp_path, monkeypatch):
    """os.access can say yes while the write is still refused (ACLs, read-only mounts)."""
    def refuse(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(atomic_file, "create_exclusive", refuse)
    with pytest.raises(ExportError) as exc:
        export_video(project_for(clip), tmp_path / "out.mp4", FAST)
    assert str(exc.value) == f"cannot write into the output folder {tmp_path}: permission denied"
    assert leftovers(tmp_path) == ["in.mp4"]


# -- a full disk ---------------------------------------------------------------------------------
def test_full_disk_mid_export(clip, tmp_path, monkeypatch):
    real_mux = export_pipeline.mux_packets
    calls = {"n": 0}

    def mux_until_full(container, packets):
        calls["n"] += 1
        if calls["n"] > 15:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_mux(container, packets)

    monkeypatch.setattr(export_pipeline, "mux_packets", mux_until_full)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ExportError) as exc:
        export_video(project_for(clip), out_dir / "out.mp4", FAST)
    assert str(exc.value) == (f"the disk is full: out.mp4 could not be written to {out_dir}; "
                              "free some space and export again")
    assert calls["n"] > 15
    assert leftovers(out_dir) == []


def test_full_disk_as_ffmpeg_reports_it(clip, tmp_path, monkeypatch):
    """The temporary file is a link to /dev/full, where every write fails with ENOSPC."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    monkeypatch.setattr(atomic_file, "create_exclusive", lambda path: os.symlink("/dev/full", path))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ExportError, match=r"^the disk is full: out\.mp4 could not be written to "):
        export_video(project_for(clip), out_dir / "out.mp4", FAST)
    assert leftovers(out_dir) == []


# -- the media is not the project's -------------------------------------------------------------
def test_media_changed_since_the_project_was_made(clip, tmp_path):
    project = project_for(clip)
    project.media.sha256 = "0" * 64
    with pytest.raises(ExportError) as exc:
        export_video(project, tmp_path / "out.mp4", FAST)
    assert str(exc.value) == ("in.mp4 is not the video this project was made from (its SHA-256 differs); "
                              "masks would land in the wrong places")
    assert leftovers(tmp_path) == ["in.mp4"]


def test_media_with_another_frame_count(clip, tmp_path):
    project = project_for(clip)
    project.media.frame_count = 25
    with pytest.raises(ExportError) as exc:
        export_video(project, tmp_path / "out.mp4", FAST)
    assert str(exc.value) == ("in.mp4 has 20 frames but the project expects 25; it is not the video this "
                              "project was made from")


def test_media_of_another_size(clip, tmp_path):
    project = project_for(clip)
    project.media.size += 1
    with pytest.raises(ExportError, match=r"^in\.mp4 is not the video this project was made from: it has \d+ bytes"):
        export_video(project, tmp_path / "out.mp4", FAST)


def test_media_missing(clip, tmp_path):
    project = project_for(clip)
    project.media.path = str(tmp_path / "gone.mp4")
    with pytest.raises(MediaError, match=r"^File not found: .*gone\.mp4\.$"):
        export_video(project, tmp_path / "out.mp4", FAST)


def test_tracks_past_the_last_frame(clip, tmp_path):
    project = project_for(clip)
    project.tracks[0].keyframes.append(Keyframe(40, Shape("rect", [0, 0, 10, 10])))
    with pytest.raises(ProjectFormatError) as exc:
        export_video(project, tmp_path / "out.mp4", FAST)
    assert str(exc.value) == ("track 1 (face) has a keyframe at frame 40, but the video has 20 frames (0-19); "
                              "the project does not belong to this video")


def test_tracks_past_the_last_frame_when_the_project_records_no_frame_count(clip, tmp_path):
    project = project_for(clip)
    project.media.frame_count = 0
    project.tracks[0].keyframes.append(Keyframe(20, Shape("rect", [0, 0, 10, 10])))
    with pytest.raises(ProjectFormatError, match="has a keyframe at frame 20, but the video has 20 frames"):
        export_video(project, tmp_path / "out.mp4", FAST)


# -- settings ------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings, message", [
    (ExportSettings(codec="nosuchcodec"), "the video encoder 'nosuchcodec' is not available in this build of FFmpeg"),
    (ExportSettings(codec="aac"), "'aac' is not a video encoder"),
    (ExportSettings(preset="warp"), "unknown preset 'warp'; use one of ultrafast, superfast, veryfast, faster, "
                                    "fast, medium, slow, slower, veryslow, placebo"),
    (ExportSettings(crf=99), "crf must be between 0 and 63, got 99"),
    # refused by the muxer when the stream was added: an internal error, mid-export, before
    (ExportSettings(codec="h263"), "'.mp4' files cannot hold h263 video; write a .mov or .avi file, or choose "
                                   "another codec"),
])
def test_bad_settings(clip, tmp_path, settings, message):
    with pytest.raises(ExportError) as exc:
        export_video(project_for(clip), tmp_path / "out.mp4", settings)
    assert str(exc.value) == message
    assert leftovers(tmp_path) == ["in.mp4"]


@pytest.mark.parametrize("codec, formats", [("qtrle", "rgb24, rgb555be, argb, gray"),
                                            ("png", "rgb24, rgba, rgb48be, rgba64be, pal8, gray, ya8, gray16be, "
                                                    "ya16be, monob")])
def test_a_codec_that_takes_only_rgb_or_grey_is_refused_for_a_colour_video(clip, tmp_path, codec, formats):
    # Before: grey pictures and a notice (qtrle's grey even decoded all black), written as a success.
    with pytest.raises(ExportError) as exc:
        export_video(project_for(clip), tmp_path / "out.mov", ExportSettings(codec=codec))
    assert str(exc.value) == (f"the {codec} encoder takes no colour format that masks can be drawn on ({formats}); "
                              "choose another codec, e.g. ffv1 (lossless) or libx264")
    assert leftovers(tmp_path) == ["in.mp4"]


def test_a_grey_video_still_goes_to_a_codec_that_takes_grey(tmp_path):
    truth = make_clip(tmp_path / "grey.mkv", frames=4, codec="ffv1", pix_fmt="gray")
    result = export_video(project_for(truth), tmp_path / "out.mov", ExportSettings(codec="png"))
    assert result.report["settings"]["pix_fmt"] == "gray"


# -- through the command line ----------------------------------------------------------------------
def test_cli_corrupt_project_json(tmp_path, capsys):
    bad = tmp_path / "p.json"
    bad.write_text('{"schema_version": 1, "media": {', encoding="utf-8")
    code, out, err = run_cli(["export", str(bad), "-o", str(tmp_path / "out.mp4")], capsys)
    assert code == 1
    assert_one_line_error(err, "p.json is not valid JSON (line 1, column 33: Expecting property name enclosed "
                               "in double quotes)")
    assert leftovers(tmp_path) == ["p.json"]


def test_cli_project_from_a_newer_schema(clip, tmp_path, capsys):
    data = project_to_dict(project_for(clip))
    data["schema_version"] = 99
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run_cli(["export", str(path), "-o", str(tmp_path / "out.mp4")], capsys)
    assert code == 1
    assert_one_line_error(err, "this project was written by a newer version of anonymizer-gui (schema 99; this "
                               "version reads up to 2); please update the program")


def test_cli_tracks_past_the_last_frame(clip, tmp_path, capsys):
    project = project_for(clip)
    project.tracks[1].keyframes.append(Keyframe(99, Shape("rect", [0, 0, 10, 10])))
    path = tmp_path / "p.json"
    save_project(project, path)
    code, out, err = run_cli(["export", str(path), "-o", str(tmp_path / "out.mp4")], capsys)
    assert code == 1
    assert_one_line_error(err, "track 2 (face) has a keyframe at frame 99, but the video has 20 frames (0-19); "
                               "the project does not belong to this video")
    assert leftovers(tmp_path) == ["in.mp4", "p.json"]


def test_cli_output_equal_to_input(clip, tmp_path, capsys):
    path = tmp_path / "p.json"
    save_project(project_for(clip), path)
    code, out, err = run_cli(["export", str(path), "-o", str(clip.path)], capsys)
    assert code == 1
    assert_one_line_error(err, f"the output {clip.path} is the input video ({clip.path}); choose another file "
                               "name, the input is never overwritten")


def test_cli_missing_project_file(tmp_path, capsys):
    code, out, err = run_cli(["export", str(tmp_path / "none.json"), "-o", str(tmp_path / "o.mp4")], capsys)
    assert code == 1
    assert_one_line_error(err, f"project file not found: {tmp_path / 'none.json'}")


def test_cli_report_over_the_project_file(clip, tmp_path, capsys):
    path = tmp_path / "p.json"
    save_project(project_for(clip), path)
    before = path.read_bytes()
    code, out, err = run_cli(["export", str(path), "-o", str(tmp_path / "out.mp4"), "--report", str(path)], capsys)
    assert code == 1
    assert_one_line_error(err, f"the report {path} is the project file ({path}); choose another file name, "
                               "the input is never overwritten")
    assert path.read_bytes() == before and leftovers(tmp_path) == ["in.mp4", "p.json"]
