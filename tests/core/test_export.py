"""export_video: what survives (frames, time stamps, rotation, audio), what does not (masked
detail, metadata, subtitles), the audit report, progress, cancel and the atomic write."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from anonymizer_gui.core.foundation.errors import Cancelled, ExportError
from anonymizer_gui.core.export.video import export_video
from anonymizer_gui.core.media import iter_frames, probe
from anonymizer_gui.core.project.model import ExportSettings, Keyframe, Shape
from tests.clips import MovingBox, Tone, detail, read_frame_number
from tests.core.export_fixtures import audio_summary, box_track, frame_times, project_for, sha256

FAST = ExportSettings(preset="ultrafast")
TONES = (Tone(440), Tone(660, channels=2, language="fra"))
pytestmark = pytest.mark.timeout(120)


def assert_masked_everywhere(out_path: Path, truth, threshold: float = 0.08) -> None:
    """Inside every box of every frame the detail is gone; the frame stamp proves the order."""
    n = 0
    for i, img in iter_frames(out_path):
        assert read_frame_number(img) == i
        for box in truth.boxes[i]:
            assert detail(img, box) < threshold * 100, (i, box, detail(img, box))
        n += 1
    assert n == truth.frames


@pytest.mark.parametrize("name, kwargs", [
    ("in.mp4", {}),
    ("in.mov", {"rotation": 90}),
    ("in.mkv", {"vfr": True}),
    ("in.webm", {"rotation": 270}),
    ("in.mp4", {"vfr": True, "rotation": 180, "bframes": 3, "open_gop": True}),
])
def test_frames_time_stamps_rotation_and_audio_survive(clip_factory, tmp_path, name, kwargs):
    truth = clip_factory(name, frames=30, audio=TONES, **kwargs)
    out = tmp_path / ("out" + Path(name).suffix)
    result = export_video(project_for(truth), out, FAST)
    src, dst = probe(truth.path), probe(out)
    assert dst.frame_count == src.frame_count == truth.frames
    assert frame_times(out) == frame_times(truth.path)  # exact: no frame moved, dropped or doubled
    assert dst.vfr == src.vfr == truth.vfr
    assert dst.rotation == src.rotation == truth.rotation
    assert (dst.width, dst.height) == (truth.width, truth.height)
    a_in, a_out = audio_summary(truth.path), audio_summary(out)
    assert len(a_out) == len(TONES)
    for a, b in zip(a_in, a_out):
        assert b == a  # copied packet for packet: same codec, payload, duration, start, language
    assert [d["action"] for d in result.report["streams"]] == ["copy", "copy"]
    assert_masked_everywhere(out, truth)


def test_default_codecs_and_containers(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=10)
    project = project_for(truth)
    expect = {".mp4": ("h264", "mp4"), ".mov": ("h264", "mov"), ".mkv": ("h264", "matroska"),
              ".webm": ("vp9", "webm"), ".avi": ("mpeg4", "avi")}
    for suffix, (codec, container) in expect.items():
        out = tmp_path / f"out{suffix}"
        result = export_video(project, out, FAST)
        info = probe(out)
        assert (info.video_codec, info.container) == (codec, container), suffix
        assert info.frame_count == 10
        assert result.report["settings"]["container"] == ("matroska" if suffix == ".mkv" else container)
    with av.open(str(tmp_path / "out.avi")) as c:  # AVI stores no time stamps of its own: no B-frames
        assert c.streams.video[0].codec_context.has_b_frames == 0


def test_codec_crf_and_preset_are_honoured(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=12)
    project = project_for(truth)
    small = export_video(project, tmp_path / "a.mp4", ExportSettings(crf=40, preset="ultrafast"))
    large = export_video(project, tmp_path / "b.mp4", ExportSettings(crf=10, preset="ultrafast"))
    assert small.report["output"]["size"] < large.report["output"]["size"]
    assert small.report["settings"]["encoder_options"] == {"crf": "40", "preset": "ultrafast"}
    mkv = export_video(project, tmp_path / "c.mkv", ExportSettings(codec="libvpx-vp9", preset="ultrafast"))
    assert probe(mkv.output).video_codec == "vp9"


def test_fail_closed_between_keyframes_and_outside_hides(clip_factory, tmp_path):
    boxes = (MovingBox(x=20, y=40, w=50, h=50, vx=4, texture="checker", seed=1),
             MovingBox(x=220, y=150, w=60, h=60, vx=-3, texture="noise", seed=2))
    truth = clip_factory("in.mp4", frames=30, boxes=boxes)
    project = project_for(truth)
    # Keyframes at 0 and 29 only: every frame between is masked, following the straight path.
    project.tracks[0] = box_track(truth, 0, 1, every=29)
    assert [k.frame for k in project.tracks[0].keyframes] == [0, 29]
    # Shown up to frame 20, then hidden by an `outside` keyframe.
    second = project.tracks[1]
    second.keyframes = [k for k in second.keyframes if k.frame <= 20] + [
        Keyframe(21, Shape("rect", list(truth.boxes[21][1])), outside=True)]
    out = tmp_path / "out.mp4"
    export_video(project, out, FAST)
    frames = dict(iter_frames(out))
    for i in range(30):
        assert detail(frames[i], truth.boxes[i][0]) < 8
        shown = detail(frames[i], truth.boxes[i][1])
        assert (shown < 8) if i <= 20 else (shown > 100), (i, shown)


def test_metadata_is_stripped_by_default_and_kept_on_request(clip_factory, tmp_path):
    tags = {"location": "+48.8584+002.2945/", "title": "Alice at home", "make": "SecretPhone",
            "encoder": "SecretCam 4.2", "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/"}
    truth = clip_factory("in.mov", frames=10, audio=TONES[:1], tags=tags)
    assert {"location", "title", "make"} <= set(probe(truth.path).tags)
    project = project_for(truth)
    stripped = export_video(project, tmp_path / "out.mov", FAST)
    data = (tmp_path / "out.mov").read_bytes()
    for secret in (b"48.8584", b"Alice", b"SecretPhone", b"SecretCam"):
        assert secret not in data
    out_tags = probe(tmp_path / "out.mov").tags
    assert not {"location", "title", "make", "com.apple.quicktime.location.ISO6709"} & set(out_tags)
    meta = stripped.report["metadata"]
    assert meta["kept"] is False
    assert {"location", "title", "make", "encoder", "com.apple.quicktime.location.ISO6709"} <= set(meta["stripped"])
    report_text = stripped.report_path.read_text()
    for secret in ("48.8584", "Alice", "SecretPhone", "SecretCam"):
        assert secret not in report_text  # keys only, never values

    kept = export_video(project, tmp_path / "kept.mov", ExportSettings(preset="ultrafast", keep_metadata=True))
    kept_tags = probe(tmp_path / "kept.mov").tags
    assert kept_tags.get("title") == "Alice at home" and kept_tags.get("make") == "SecretPhone"
    assert "48.8584" in kept_tags.get("com.apple.quicktime.location.ISO6709", "")
    assert kept_tags.get("encoder", "").startswith("Lavf")  # this file was not made by SecretCam
    assert "title" in kept.report["metadata"]["kept_keys"]
    assert kept.report["metadata"]["stripped"] == ["encoder"]  # replaced by FFmpeg's own, always


def test_chapters_are_dropped_unless_metadata_is_kept(clip_factory, tmp_path):
    truth = clip_factory("plain.mkv", frames=25)
    src = tmp_path / "in.mkv"
    with av.open(str(truth.path)) as inp, av.open(str(src), "w") as out:
        mapping = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        out.set_chapters([{"id": 1, "start": 0, "end": 500, "time_base": Fraction(1, 1000),
                           "metadata": {"title": "Alice's birthday"}}])
        for p in inp.demux():
            if p.size:
                p.stream = mapping[p.stream_index]
                out.mux(p)
    project = project_for(truth)
    project.media.path, project.media.size, project.media.sha256 = str(src), src.stat().st_size, sha256(src)
    dropped = export_video(project, tmp_path / "out.mkv", FAST)
    with av.open(str(dropped.output)) as c:
        assert c.chapters() == []
    assert "chapters" in dropped.report["metadata"]["stripped"]
    kept = export_video(project, tmp_path / "kept.mkv", ExportSettings(preset="ultrafast", keep_metadata=True))
    with av.open(str(kept.output)) as c:
        assert [ch["metadata"].get("title") for ch in c.chapters()] == ["Alice's birthday"]


def _remux_with_side_packet(src: Path, dst: Path, add_stream, payload: bytes, duration_ms: int) -> None:
    """Remux `src` into `dst` plus one packet at t=0 on the stream `add_stream(out)` makes."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        mapping = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        side = add_stream(out)
        side.time_base = Fraction(1, 1000)
        packet = av.Packet(payload)
        packet.pts = packet.dts = 0
        packet.duration = duration_ms
        packet.time_base = Fraction(1, 1000)
        packet.stream = side
        out.mux(packet)
        for p in inp.demux():
            if p.size:
                p.stream = mapping[p.stream_index]
                out.mux(p)


def _with_subtitles(src: Path, dst: Path, codec: str) -> None:
    """Remux `src` into `dst` with a subtitle stream that names someone."""
    text = b"Alice Smith, 12 Rue Example"
    if codec == "mov_text":
        text = len(text).to_bytes(2, "big") + text

    def subtitle_stream(out):
        sub = out.add_mux_stream(codec)
        sub.metadata["language"] = "eng"
        return sub

    _remux_with_side_packet(src, dst, subtitle_stream, text, 500)


def test_subtitles_are_dropped_with_a_notice_unless_kept(clip_factory, tmp_path):
    truth = clip_factory("plain.mkv", frames=10, audio=TONES[:1])
    src = tmp_path / "in.mkv"
    _with_subtitles(truth.path, src, "subrip")
    assert len(probe(src).subtitles) == 1
    project = project_for(truth)
    project.media.path, project.media.size, project.media.sha256 = str(src), src.stat().st_size, sha256(src)
    dropped = export_video(project, tmp_path / "out.mkv", FAST)
    assert probe(tmp_path / "out.mkv").subtitles == ()
    assert b"Alice Smith" not in (tmp_path / "out.mkv").read_bytes()
    assert any("subtitle stream #2" in n and "dropped" in n for n in dropped.notices)
    decision = dropped.report["streams"][-1]
    assert (decision["index"], decision["kind"], decision["action"]) == (2, "subtitle", "drop")
    assert decision["codec"] in ("subrip", "srt") and "names" in decision["reason"]
    kept = export_video(project, tmp_path / "kept.mkv", ExportSettings(preset="ultrafast", keep_subtitles=True))
    assert len(probe(kept.output).subtitles) == 1
    assert b"Alice Smith" in kept.output.read_bytes()
    # MP4 cannot hold SubRip: kept subtitles that do not fit are dropped with a warning.
    mp4 = export_video(project, tmp_path / "kept.mp4", ExportSettings(preset="ultrafast", keep_subtitles=True))
    assert probe(mp4.output).subtitles == ()
    assert any("subtitle" in w for w in mp4.warnings)


def test_audio_the_container_cannot_hold_is_re_encoded_with_a_warning(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=25, audio=TONES)
    result = export_video(project_for(truth), tmp_path / "out.webm", FAST)
    audio = audio_summary(result.output)
    assert [a["codec"] for a in audio] == ["opus", "opus"]
    assert [a["channels"] for a in audio] == [1, 2]
    for a in audio:
        assert abs(a["duration"] - 1.0) < 0.1
    assert len(result.warnings) >= 2 and all("re-encoded as libopus" in w for w in result.warnings[-2:])
    assert [d["action"] for d in result.report["streams"]] == ["encode", "encode"]


@pytest.mark.parametrize("name, pix_fmt, out_name, expect_fmt, converted", [
    ("in.mp4", "yuv444p", "out.mp4", "yuv444p", False),
    ("in.mp4", "yuvj420p", "out.mp4", "yuvj420p", False),
    ("in.mp4", "yuv420p10le", "out.mkv", "yuv420p10le", False),
    ("in.mp4", "yuv422p", "out.webm", "yuv422p", False),
    ("in.mp4", "yuv444p", "out.avi", "yuv420p", True),
    ("in.mp4", "yuv420p10le", "out.webm", "yuv420p", True),
])
def test_pixel_formats_are_kept_where_the_encoder_takes_them(clip_factory, tmp_path, name, pix_fmt, out_name,
                                                              expect_fmt, converted):
    truth = clip_factory(name, frames=12, pix_fmt=pix_fmt)
    result = export_video(project_for(truth), tmp_path / out_name, FAST)
    assert probe(result.output).pix_fmt == expect_fmt
    assert (result.report["settings"]["converted_from"] == pix_fmt) is converted
    assert any("converted" in n for n in result.notices) is converted
    assert_masked_everywhere(result.output, truth)


def test_odd_sizes_that_libx264_cannot_subsample_go_to_444(clip_factory, tmp_path):
    truth = clip_factory("in.webm", width=161, height=121, frames=10)
    result = export_video(project_for(truth), tmp_path / "out.mp4", FAST)
    info = probe(result.output)
    assert (info.width, info.height, info.pix_fmt) == (161, 121, "yuv444p")
    assert any("odd" in n for n in result.notices)


def test_the_input_is_not_touched(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=10, audio=TONES[:1])
    before = (truth.path.read_bytes(), os.stat(truth.path).st_mtime_ns)
    export_video(project_for(truth), tmp_path / "out.mp4", FAST)
    assert (truth.path.read_bytes(), os.stat(truth.path).st_mtime_ns) == before


def test_cancel_leaves_no_output_and_no_temporary_file(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=40, audio=TONES[:1])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    reports = []
    with pytest.raises(Cancelled):
        export_video(project_for(truth), out_dir / "out.mp4", FAST, progress=reports.append,
                     cancel=lambda: bool(reports) and reports[-1].done >= 10)
    assert list(out_dir.iterdir()) == []
    # An earlier export at the same place stays as it was.
    export_video(project_for(truth), out_dir / "out.mp4", FAST)
    earlier = (out_dir / "out.mp4").read_bytes()
    with pytest.raises(Cancelled):
        export_video(project_for(truth), out_dir / "out.mp4", ExportSettings(crf=30, preset="ultrafast"),
                     cancel=lambda: True)
    assert (out_dir / "out.mp4").read_bytes() == earlier
    assert sorted(p.name for p in out_dir.iterdir()) == ["out.mp4", "out.mp4.audit.json", "out.mp4.exemptions.csv"]


def test_progress_reports_frames_rate_and_time_left(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=30)
    reports = []
    export_video(project_for(truth), tmp_path / "out.mp4", FAST, progress=reports.append)
    assert reports and all(r.stage == "export" and r.total == 30 for r in reports)
    assert [r.done for r in reports] == sorted(r.done for r in reports)
    assert reports[-1].done == 30 and reports[-1].fps > 0 and reports[-1].eta_s == 0


def test_the_audit_report(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=30, audio=TONES, tags={"location": "+01.0+002.0/"})
    project = project_for(truth)
    project.tracks[1].review, project.tracks[1].reason_code = "rejected", "false_detection"
    project.tracks[0].review = "accepted"
    project.tracks[0].reason = "bystander in the background"
    project.tracks.append(box_track(truth, 0, 7, every=10, kind="ellipse", source="manual"))
    project.tracks[-1].review = "accepted"
    project.tracks[-1].keyframes = [Keyframe(3, Shape("ellipse", [10, 60, 50, 100])),
                                    Keyframe(8, Shape("ellipse", [10, 60, 50, 100]), outside=True),
                                    Keyframe(12, Shape("ellipse", [20, 60, 60, 100]))]
    project.analysis = {"tool": "anonymizer-gui 0.1.0", "thresholds": {"face": 0.5},
                        "models": [{"class": "face", "name": "centerface", "family": "centerface",
                                    "sha256": "ab" * 32, "licence": "MIT"}]}
    result = export_video(project, tmp_path / "out.mp4", FAST)
    assert result.report_path == tmp_path / "out.mp4.audit.json"
    report = json.loads(result.report_path.read_text())
    assert report == json.loads(json.dumps(result.report))
    assert report["program"]["name"] == "anonymizer-gui" and report["program"]["version"]
    assert report["input"]["name"] == "in.mp4" and report["input"]["sha256"] == sha256(truth.path)
    assert report["input"]["size"] == truth.path.stat().st_size
    assert report["output"]["sha256"] == sha256(result.output) and report["output"]["name"] == "out.mp4"
    assert report["input"]["probe"]["frame_count"] == report["output"]["probe"]["frame_count"] == 30
    assert report["input"]["probe"]["path"] == "in.mp4"  # no folders: they often name the user
    assert str(tmp_path) not in result.report_path.read_text()
    assert "location" in report["input"]["probe"]["tag_keys"] and "tags" not in report["input"]["probe"]
    # the model's hash is measured from its file at export, not copied from the editable project
    [model] = report["analysis"]["models"]
    assert {k: model[k] for k in ("class", "name", "family", "sha256_in_project")} == {
        "class": "face", "name": "centerface", "family": "centerface", "sha256_in_project": "ab" * 32}
    assert model["sha256"] != "ab" * 32 and model["manifest_sha256"] != "ab" * 32
    assert model["sha256_matches"] is (model["sha256"] == model["manifest_sha256"] is not None)
    tracks = {t["id"]: t for t in report["tracks"]}
    assert tracks[1]["masked_ranges"] == [[0, 29]] and tracks[1]["masked_frames"] == 30
    assert tracks[1]["reason"] == "bystander in the background" and tracks[1]["source"] == "auto"
    assert tracks[2]["enabled"] is False and tracks[2]["visible_by_decision"] is True
    assert "masked_ranges" not in tracks[2] and tracks[2]["visible_ranges"] == [[0, 29]]
    assert tracks[7]["masked_ranges"] == [[3, 7], [12, 12]] and tracks[7]["masked_frames"] == 6
    assert tracks[7]["source"] == "manual" and tracks[7]["label"] == "face"
    assert report["frames"] == {"total": 30, "with_mask": 30, "ranges": [[0, 29]]}
    assert "location" in report["metadata"]["stripped"]
    assert report["settings"]["codec"] == "libx264" and report["settings"]["crf"] == 18
    assert {"verify_input_s", "encode_s", "total_s", "fps"} <= set(report["timings"])
    assert report["warnings"] == [] and isinstance(report["notices"], list)


def test_a_project_without_checksum_exports_with_a_warning(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=10)
    result = export_video(project_for(truth, with_sha=False), tmp_path / "out.mp4", FAST)
    assert any("SHA-256" in w for w in result.warnings)
    assert result.report["input"]["sha256"] == sha256(truth.path)


def test_a_report_path_can_be_chosen(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=10)
    result = export_video(project_for(truth), tmp_path / "out.mp4", FAST, report_path=tmp_path / "audit.json")
    assert result.report_path == tmp_path / "audit.json" and result.report_path.exists()
    assert not (tmp_path / "out.mp4.audit.json").exists()


def test_stills_are_exported_upright_without_exif(still_factory, tmp_path):
    truth = still_factory("in.jpg", exif_orientation=6)
    from tests.core.export_fixtures import media_ref
    from anonymizer_gui.core.project.model import Project, Track

    project = Project(media=media_ref(truth), tracks=[Track(1, "face", keyframes=[
        Keyframe(0, Shape("rect", list(truth.boxes[0][0])))])])
    result = export_video(project, tmp_path / "out.png", FAST)
    img = next(iter_frames(result.output))[1]
    assert img.shape[:2] == (truth.height, truth.width)
    assert detail(img, truth.boxes[0][0]) < 8 and detail(img, truth.boxes[0][1]) > 50
    with pytest.raises(ExportError, match="still image"):
        export_video(project, tmp_path / "out.mp4", FAST)


def test_outputs_with_an_unknown_suffix_are_refused(clip_factory, tmp_path):
    truth = clip_factory("in.mp4", frames=10)
    with pytest.raises(ExportError, match=r"cannot write '\.gif' files; name the output with one of"):
        export_video(project_for(truth), tmp_path / "out.gif", FAST)
    assert list(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_avi_refuses_what_it_cannot_store(clip_factory, tmp_path):
    vfr = clip_factory("vfr.mp4", frames=10, vfr=True)
    with pytest.raises(ExportError, match="AVI cannot store a variable frame rate"):
        export_video(project_for(vfr), tmp_path / "out.avi", FAST)
    rotated = clip_factory("rot.mp4", frames=10, rotation=90)
    with pytest.raises(ExportError, match="AVI cannot store a display rotation"):
        export_video(project_for(rotated), tmp_path / "out.avi", FAST)


def test_masks_look_the_same_in_the_preview_and_the_export(clip_factory, tmp_path):
    from anonymizer_gui.core.project.interpolate import masks_at
    from anonymizer_gui.core.media import FrameReader
    from anonymizer_gui.core.render.masks import render_bgr

    truth = clip_factory("in.mp4", frames=12, rotation=90)
    project = project_for(truth)
    result = export_video(project, tmp_path / "out.mp4", ExportSettings(crf=10, preset="ultrafast"))
    with FrameReader(truth.path) as src, FrameReader(result.output) as out:
        for i in (0, 5, 11):
            preview = render_bgr(src.read(i), [(s, st) for _, s, st in masks_at(project, i)])
            diff = np.abs(out.read(i).astype(int) - preview.astype(int))
            assert diff.mean() < 1.5 and np.percentile(diff, 99) < 16


def test_data_streams_are_dropped_with_a_notice(clip_factory, tmp_path):
    truth = clip_factory("plain.mp4", frames=10, audio=TONES[:1])
    src = tmp_path / "in.mp4"
    _remux_with_side_packet(truth.path, src, lambda out: out.add_data_stream("bin_data"),
                            b"GPS 48.8584,2.2945 device SN-0042", 100)
    assert len(probe(src).data) == 1 and b"SN-0042" in src.read_bytes()
    project = project_for(truth)
    project.media.path, project.media.size, project.media.sha256 = str(src), src.stat().st_size, sha256(src)
    result = export_video(project, tmp_path / "out.mp4", ExportSettings(preset="ultrafast", keep_metadata=True,
                                                                      keep_subtitles=True))
    assert probe(result.output).data == () and len(probe(result.output).audio) == 1
    assert b"SN-0042" not in result.output.read_bytes()
    assert any(n.startswith("data stream #2") and "dropped" in n for n in result.notices), result.notices


def test_other_encoders_that_take_a_crf_are_given_it(clip_factory, tmp_path):
    """An encoder without settings of its own here (SVT-AV1) still gets the CRF where it has the
    option (it was silently dropped: PyAV 18's codecs no longer list their options)."""
    if "libsvtav1" not in av.codecs_available:
        pytest.skip("this FFmpeg has no SVT-AV1")
    truth = clip_factory("in.mp4", frames=6)
    result = export_video(project_for(truth), tmp_path / "out.mkv", ExportSettings(codec="libsvtav1", crf=40))
    assert result.report["settings"]["encoder_options"] == {"crf": "40"}
    assert probe(result.output).video_codec in ("av1", "libdav1d")  # named by its decoder
