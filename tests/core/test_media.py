"""probe, FrameReader and iter_frames against generated clips whose every fact is known."""

from __future__ import annotations

import importlib
import random

import av
import numpy as np
import pytest

from anonymizer_gui.core.media import frame_index
from anonymizer_gui.core.media import FrameReader, iter_frames, probe, rotate_to_display
from tests.clips import Tone, detail, make_clip, make_still, make_truncated, read_frame_number

# name -> make_clip keyword arguments; one clip per kind of trouble a decoder can have.
CLIPS = {
    "bframes.mp4": dict(bframes=3, gop=10, frames=40),
    "vfr.mp4": dict(vfr=True, frames=30),
    "vfr.mkv": dict(vfr=True, frames=30),
    "rot90.mp4": dict(rotation=90, width=240, height=160),
    "rot180.mov": dict(rotation=180, width=240, height=160),
    "rot270.mkv": dict(rotation=270, width=240, height=160),
    "vp9.webm": dict(audio=[Tone(440, 1, 48000, "eng")], frames=30),
    "plain.mkv": dict(frames=30),
    "mpeg4.avi": dict(width=321, height=241, frames=30),
    "plain.mov": dict(frames=30),
    "odd444.mp4": dict(width=853, height=480, pix_fmt="yuv444p", frames=12, gop=6),
    "odd.webm": dict(width=853, height=480, frames=12),
    "opengop.mp4": dict(open_gop=True, gop=6, frames=40),
    "opengop.mkv": dict(open_gop=True, gop=6, frames=40),
    "noB.mp4": dict(bframes=0, frames=20),
    "vfr_rot90_b.mp4": dict(vfr=True, rotation=90, bframes=3, frames=30, width=160, height=120),
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    return {name: make_clip(folder / name, **kw) for name, kw in CLIPS.items()}


@pytest.fixture(scope="module")
def decoded(clips):
    """Every clip's frames decoded sequentially once: the reference for random access."""
    return {name: [img for _, img in iter_frames(t.path)] for name, t in clips.items()}


@pytest.mark.parametrize("name", CLIPS)
def test_probe_reports_the_clip_facts(clips, name):
    truth = clips[name]
    info = probe(truth.path)
    assert info.frame_count == truth.frames
    assert info.pts == truth.pts
    assert info.time_base == truth.time_base
    assert (info.width, info.height) == (truth.width, truth.height)
    assert (info.coded_width, info.coded_height) == (truth.coded_width, truth.coded_height)
    assert info.rotation == truth.rotation
    assert info.vfr == truth.vfr
    assert info.pix_fmt == truth.pix_fmt
    assert info.fps == pytest.approx(truth.fps, rel=0.05 if truth.vfr else 0.001)  # VFR: last frame guessed
    # Matroska stores no per-frame duration, so a VFR clip's last frame gets the average one.
    assert info.duration == pytest.approx(truth.duration, abs=0.07 if truth.vfr else 0.002)
    assert len(info.audio) == len(truth.audio)
    assert not info.is_still


@pytest.mark.parametrize("name", CLIPS)
def test_sequential_decode_yields_every_frame_in_order(clips, decoded, name):
    truth = clips[name]
    frames = decoded[name]
    assert len(frames) == truth.frames
    assert [read_frame_number(img) for img in frames] == list(range(truth.frames))
    assert frames[0].shape == (truth.height, truth.width, 3)
    assert frames[0].dtype == np.uint8 and frames[0].flags.c_contiguous and frames[0].flags.writeable


@pytest.mark.parametrize("name", CLIPS)
def test_random_access_returns_exactly_the_sequential_frame(clips, decoded, name):
    truth = clips[name]
    rng = random.Random(name)
    order = [rng.randrange(truth.frames) for _ in range(15)] + list(range(truth.frames - 1, -1, -4))
    with FrameReader(truth.path) as reader:
        for i in order:
            img = reader.read(i)
            assert read_frame_number(img) == i, f"{name}: read({i})"
            assert np.array_equal(img, decoded[name][i]), f"{name}: read({i}) differs from sequential decode"


def test_clips_really_hold_b_frames_and_open_gops(clips):
    for name in ("bframes.mp4", "opengop.mp4", "opengop.mkv"):
        with av.open(str(clips[name].path)) as c:
            packets = [(p.pts, p.is_keyframe) for p in c.demux(video=0) if p.size]
        decode_order = [pts for pts, _ in packets]
        assert decode_order != sorted(decode_order), f"{name} has no reordered (B) frames"
    with av.open(str(clips["opengop.mp4"].path)) as c:
        packets = [(p.pts, p.is_keyframe) for p in c.demux(video=0) if p.size]
    leading = [pts for (kpts, key), (pts, _) in zip(packets, packets[1:]) if key and pts < kpts and kpts > 0]
    assert leading, "no open-GOP leading frame follows a keyframe"


def test_display_orientation_puts_the_boxes_where_the_truth_says(clips, decoded):
    for name in ("rot90.mp4", "rot180.mov", "rot270.mkv", "vfr_rot90_b.mp4", "plain.mkv"):
        truth = clips[name]
        img = decoded[name][7]
        for box in truth.boxes[7]:
            assert detail(img, box) > 20, f"{name}: no texture at {box}"
        x2 = max(b[2] for b in truth.boxes[7])
        empty = (x2 + 2, truth.height // 2, truth.width, truth.height)
        if empty[2] - empty[0] > 8:
            assert detail(img, empty) < 5


def test_rotate_to_display_turns_clockwise():
    img = np.zeros((2, 3, 3), np.uint8)
    img[0, 0] = 255  # top-left pixel
    assert rotate_to_display(img, 0) is img
    assert rotate_to_display(img, 90).shape == (3, 2, 3) and rotate_to_display(img, 90)[0, 1, 0] == 255
    assert rotate_to_display(img, 180)[1, 2, 0] == 255
    assert rotate_to_display(img, 270)[2, 0, 0] == 255
    assert rotate_to_display(img, -90)[2, 0, 0] == 255


def test_sequential_reads_do_not_seek_and_far_reads_do_not_decode_from_the_start(clips):
    truth = clips["opengop.mp4"]  # 40 frames, keyframe every 6
    with FrameReader(truth.path) as reader:
        reader.read(10)
        seeks = reader.seeks
        for i in range(11, 25):
            reader.read(i)
        assert reader.seeks == seeks
        before = reader.decoded_frames
        reader.read(38)
        assert reader.decoded_frames - before < 20
        before = reader.decoded_frames
        reader.read(2)
        assert reader.decoded_frames - before < 12


def test_iter_frames_start_and_stop(clips):
    truth = clips["bframes.mp4"]
    got = list(iter_frames(truth.path, start=13, stop=27))
    assert [i for i, _ in got] == list(range(13, 27))
    assert [read_frame_number(img) for _, img in got] == list(range(13, 27))
    assert list(iter_frames(truth.path, start=5, stop=5)) == []
    assert [i for i, _ in iter_frames(truth.path, start=35, stop=1000)] == list(range(35, 40))


def test_reader_frames_survive_an_interleaved_read(clips):
    truth = clips["bframes.mp4"]
    with FrameReader(truth.path) as reader:
        it = reader.frames(0, 10)
        first = [next(it) for _ in range(3)]
        assert read_frame_number(reader.read(30)) == 30
        rest = list(it)
    assert [i for i, _ in first + rest] == list(range(10))
    assert all(read_frame_number(img) == i for i, img in first + rest)


def test_read_outside_the_clip_raises_index_error(clips):
    truth = clips["noB.mp4"]
    with FrameReader(truth.path) as reader:
        with pytest.raises(IndexError):
            reader.read(truth.frames)
        with pytest.raises(IndexError):
            reader.read(-1)


def test_reader_builds_its_own_index_when_probe_did_not_run_in_this_process(clips):
    truth = clips["opengop.mkv"]
    info = probe(truth.path)
    frame_index._CACHE.clear()
    with FrameReader(truth.path, info) as reader:
        assert [read_frame_number(reader.read(i)) for i in (39, 3, 20)] == [39, 3, 20]


def test_vfr_timestamps_and_index_at_time(clips):
    truth = clips["vfr.mkv"]
    info = probe(truth.path)
    assert info.vfr
    for i in range(info.frame_count):
        assert info.timestamp(i) == pytest.approx(truth.times[i] - truth.times[0], abs=0.0011)
        assert info.index_at_time(info.timestamp(i)) == i
    middle = (info.timestamp(4) + info.timestamp(5)) / 2
    assert info.index_at_time(middle) == 4
    assert info.index_at_time(-1.0) == 0
    assert info.index_at_time(1e6) == info.frame_count - 1
    with pytest.raises(IndexError):
        info.timestamp(info.frame_count)


def test_constant_rate_clip_in_a_coarse_time_base_is_not_vfr(tmp_path):
    truth = make_clip(tmp_path / "ntsc.mkv", fps=30000 / 1001, frames=40, bframes=0)
    info = probe(truth.path)  # 33/34 ms durations in Matroska's 1 ms time base are rounding
    assert not info.vfr
    assert info.fps == pytest.approx(29.97, abs=0.01)


def test_audio_streams_languages_and_location_tags(tmp_path):
    truth = make_clip(tmp_path / "multi.mp4", frames=10,
                      audio=[Tone(440, 1, 48000, "eng"), Tone(660, 2, 44100, "fra"), Tone(880, 2, 48000, None)],
                      tags={"location": "+48.8577+002.2950/", "title": "walk"})
    info = probe(truth.path)
    assert [(a.codec, a.channels, a.sample_rate, a.language) for a in info.audio] == [
        ("aac", 1, 48000, "eng"), ("aac", 2, 44100, "fra"), ("aac", 2, 48000, None)]
    assert [a.index for a in info.audio] == [1, 2, 3]
    assert info.tags["location"] == "+48.8577+002.2950/"
    assert info.tags["title"] == "walk"
    assert info.tags["stream1:language"] == "eng"
    mov = make_clip(tmp_path / "geo.mov", frames=5,
                    tags={"com.apple.quicktime.location.ISO6709": "+48.8577+002.2950+035.000/"})
    assert probe(mov.path).tags["com.apple.quicktime.location.ISO6709"] == "+48.8577+002.2950+035.000/"
    assert probe(mov.path).container == "mov"


def test_subtitle_data_and_attachment_streams_are_listed(tmp_path):
    mp4 = probe(make_clip(tmp_path / "s.mp4", frames=5, subtitles=("eng", "fra"), data=True,
                          audio=[Tone()]).path)
    assert [(s.kind, s.codec, s.language) for s in mp4.subtitles] == [
        ("subtitle", "mov_text", "eng"), ("subtitle", "mov_text", "fra")]
    assert [s.kind for s in mp4.data] == ["data"]
    mkv = probe(make_clip(tmp_path / "s.mkv", frames=5, subtitles=("deu",), data=True).path)
    assert [(s.codec, s.language) for s in mkv.subtitles] == [("srt", "deu")]
    assert [s.kind for s in mkv.data] == ["attachment"]
    assert mkv.frame_count == 5


@pytest.mark.parametrize("suffix, orientation, rotation", [
    (".png", None, 0), (".jpg", None, 0), (".jpg", 6, 90), (".jpg", 3, 180), (".jpg", 8, 270)])
def test_stills_open_as_one_frame_media(tmp_path, suffix, orientation, rotation):
    truth = make_still(tmp_path / f"still{suffix}", width=240, height=160, index=37,
                       exif_orientation=orientation)
    info = probe(truth.path)
    assert info.is_still and info.frame_count == 1 and info.pts == (0,)
    assert (info.width, info.height) == (240, 160)
    assert info.rotation == rotation
    assert (info.coded_width, info.coded_height) == (truth.coded_width, truth.coded_height)
    with FrameReader(truth.path) as reader:
        img = reader.read(0)
        with pytest.raises(IndexError):
            reader.read(1)
    assert img.shape == (160, 240, 3)
    assert read_frame_number(img) == 37
    assert [i for i, _ in iter_frames(truth.path)] == [0]


def test_truncated_download_with_index_first_counts_only_frames_that_decode(tmp_path):
    full = make_clip(tmp_path / "full.mp4", frames=40, faststart=True)
    cut = make_truncated(full.path, tmp_path / "cut.mp4", keep=0.55)
    info = probe(cut)
    decodable = []
    with av.open(str(cut)) as c:
        for packet in c.demux(video=0):
            try:
                decodable += [f.pts for f in packet.decode()]
            except av.InvalidDataError:
                pass
    assert 0 < info.frame_count < full.frames
    assert info.frame_count == len(decodable)
    assert set(info.pts) <= set(full.pts)
    frames = list(iter_frames(cut, info=info))
    assert [i for i, _ in frames] == list(range(info.frame_count))
    stamps = [read_frame_number(img) for _, img in frames]
    assert stamps == sorted(stamps) and stamps[0] == 0
    with FrameReader(cut, info) as reader:
        assert read_frame_number(reader.read(info.frame_count - 1)) == stamps[-1]


@pytest.mark.parametrize("name", ["bframes.mp4", "opengop.mkv", "vfr_rot90_b.mp4"])
def test_index_rebuilt_by_decoding_agrees_with_the_packet_index(clips, decoded, monkeypatch, name):
    # The full-decode index is what probe falls back to when packets cannot be trusted.
    truth = clips[name]
    scan = frame_index._scan_packets

    def untrusted(*args):
        entries, keyframes, last_duration, _ = scan(*args)
        return entries, keyframes, last_duration, True

    monkeypatch.setattr(frame_index, "_scan_packets", untrusted)
    frame_index._CACHE.clear()
    info = probe(truth.path)
    assert frame_index.recall(str(truth.path), info.video_stream_index).from_full_decode
    assert info.pts == truth.pts and info.frame_count == truth.frames
    with FrameReader(truth.path, info) as reader:
        for i in (truth.frames - 1, 1, truth.frames // 2, 0):
            assert np.array_equal(reader.read(i), decoded[name][i])


@pytest.mark.parametrize("name", ["bframes.mp4", "opengop.mkv", "noB.mp4"])
def test_probe_checks_the_tail_from_the_last_keyframe_not_the_gop_before(clips, monkeypatch, name):
    # MP4 indexes keyframes by dts; seeking to the last keyframe's dts lands a GOP early when
    # B-frames delay presentation, and the tail check would decode that GOP as well.
    truth = clips[name]
    decoded = []
    decode = frame_index.decode_frames

    def counting(*args, **kwargs):
        for frame in decode(*args, **kwargs):
            decoded.append(frame_index.decoded_key(frame))
            yield frame

    monkeypatch.setattr(frame_index, "decode_frames", counting)
    frame_index._CACHE.clear()
    info = probe(truth.path)
    assert info.pts == truth.pts
    index = frame_index.recall(str(truth.path), info.video_stream_index)
    assert not index.from_full_decode
    last = index.keyframes[-1].key
    # Open-GOP leading frames of the last keyframe may be decoded too; nothing from the GOP before.
    tail = [k for k in truth.pts if k >= last]
    assert len(tail) < truth.frames // 2
    assert len(decoded) <= len(tail) + 2, (len(decoded), len(tail))


def test_probe_indexes_an_unchanged_file_once_and_a_replaced_one_again(tmp_path, monkeypatch):
    # `redact` probes its source for the analysis, the export and the leak check: indexing
    # decodes the last GOP, so an unchanged file is indexed once per process.
    path = tmp_path / "clip.mp4"
    make_clip(path, frames=20, gop=30)
    built = []
    build = frame_index.build_frame_index

    def counting(*args, **kwargs):
        built.append(args)
        return build(*args, **kwargs)

    monkeypatch.setattr(importlib.import_module("anonymizer_gui.core.media.probe"), "build_frame_index", counting)
    frame_index._CACHE.clear()
    first, again = probe(path), probe(path)
    assert len(built) == 1 and again == first
    replaced = make_clip(tmp_path / "other.mp4", frames=33, gop=30)
    replaced.path.replace(path)  # another file under the same name: a new size and mtime
    info = probe(path)
    assert len(built) == 2 and info.frame_count == 33 and info.pts == replaced.pts


def test_the_packet_scan_takes_the_last_duration_from_the_latest_frame():
    """In decode order (B-frames: the last packet is not the last frame) the duration that ends the
    clip is the one of the packet with the greatest time stamp. The scan keeps that maximum as it
    goes (it used to re-slice its whole list on every packet, quadratic in the frame count: an
    hour at 25 fps took 12.8 s to index, now 0.54 s; see benchmarks/README.md)."""
    from types import SimpleNamespace

    order = [0, 3, 1, 2, 6, 4, 5]  # presentation stamps in decode order
    packets = [SimpleNamespace(size=10, is_corrupt=False, is_discard=False, pts=p, dts=n - 1, is_keyframe=n == 0,
                               duration=100 + p) for n, p in enumerate(order)]
    container = SimpleNamespace(demux=lambda stream: iter(packets))
    stream = SimpleNamespace(codec_context=SimpleNamespace(name="h264"))
    entries, keyframes, last_duration, needs_decode = frame_index._scan_packets(
        container, stream, frame_index.Deadline("clip", 10))
    assert entries == order and not needs_decode
    assert last_duration == 106  # the packet of pts 6, not the last one demuxed (pts 5)
    assert [k.key for k in keyframes] == [0]
