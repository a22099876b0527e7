"""Accuracy of the redaction, measured on the output pixels of real-photo clips with exact ground truth.

    python -m benchmarks.accuracy                       # ours vs deface (default and --thresh 0.5)
    python -m benchmarks.accuracy --validate            # check the score itself on reference redactions
    python -m benchmarks.accuracy --only ours --scenes poker_pan,bus_handheld
    python -m benchmarks.accuracy --ours-args "--threshold 0.3"
    python -m benchmarks.accuracy --only ours --variant rgb --variant rgb-640   # other detector settings
    python -m benchmarks.accuracy --only ours --user-manifest M.json  # ours with a user model manifest

For every scene of `scenes.py` it runs each redactor (our CLI `anonymizer-gui redact`, deface in its
own venv), decodes input and output frame by frame and scores them with `scoring.py`: face-frame
coverage, plate-frame coverage (both: share of ground-truth box-frames whose detail is gone) and the
share of the picture changed away from the ground truth. It prints one table per redactor and
scene, a table by face size, and the targets. deface finds no plates: its plate column is shown
for completeness only. Clips, outputs and the deface venv live in the bench cache
($ANONYMIZER_GUI_BENCH_DIR, default ~/.cache/anonymizer-gui/bench).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import scoring, track_audit
from benchmarks.deface_env import bench_dir
from benchmarks.redactors import Deface, OursCLI, Reference, RunResult, decode_bgr, project_path
from benchmarks.scenes import QUICK, SceneClip, build_all
from benchmarks.variants import VARIANTS, variant_manifest

TARGET_FACE, TARGET_HIDDEN, TARGET_PLATE, TARGET_OUTSIDE = 0.995, 0.95, 0.98, 0.02
TARGET_TRACKS_PER_OBJECT, TARGET_FLAGGED = 1.5, 0.10


def score_output(clip: SceneClip, output: Path) -> scoring.ClipScore:
    score = scoring.ClipScore(frames_in=clip.frames)
    outputs = decode_bgr(output)
    for i, img_in in enumerate(decode_bgr(clip.path)):
        img_out = next(outputs, None)
        if img_out is None:
            break  # a shorter output: the missing frames are counted below as unredacted
        if img_out.shape != img_in.shape:
            raise RuntimeError(f"{output} has frames of {img_out.shape}, the input {img_in.shape}")
        score.frames_out += 1
        scoring.score_frame(score, i, img_in, img_out, clip.truth[i], clip.ignore[i])
    score.frames_out += sum(1 for _ in outputs)
    for i in range(score.frames_out if score.frames_out < clip.frames else clip.frames, clip.frames):
        # no output frame: nothing of it was redacted
        for gt in clip.truth[i]:
            if gt.visible >= scoring.MIN_VISIBLE:
                score.boxes.append(scoring.BoxScore(i, gt.label, gt.object_id, gt.box[2] - gt.box[0], 1.0, False))
    return score


def _fmt_cov(score: scoring.ClipScore, label: str, lo: float = 0, hi: float = 1e9, hidden_only: bool = False) -> str:
    ok, n = score.coverage(label, lo, hi, hidden_only)
    return f"{ok / n:.4f} ({n - ok:>3d}/{n:>4d})" if n else f"{'-':>6s}{'':11s}"


@dataclass
class TrackStats:
    """What the operator gets to review: tracks per label, how many flagged, analysis speed."""

    tracks: dict[str, int]
    flagged: int
    analysis_fps: float | None

    @property
    def total(self) -> int:
        return sum(self.tracks.values())


def track_stats(run: RunResult) -> TrackStats | None:
    if run.project is None or not run.project.is_file():
        return None
    from anonymizer_gui.core.project import load_project

    project = load_project(run.project)
    tracks: dict[str, int] = {}
    for t in project.tracks:
        tracks[t.label] = tracks.get(t.label, 0) + 1
    fps = project.analysis.get("timings", {}).get("fps")
    return TrackStats(tracks, sum(t.needs_review for t in project.tracks), fps)


def _per_object(tracks: int, objects: int) -> str:
    if objects == 0:
        return f"{tracks} false" if tracks else "-"
    return f"{tracks / objects:.2f}"


def print_tables(results: dict[str, dict[str, tuple[scoring.ClipScore, RunResult]]], describe: dict[str, str]) -> dict:
    summary = {}
    print("\n== per scene: coverage = share of ground-truth box-frames whose detail is gone; tracks per true "
          "object ('N false': tracks where no such object is) ==")
    print(f"{'redactor':14s} {'scene':20s} {'faces':>18s} {'hidden faces':>18s} {'plates':>18s} {'outside':>8s} "
          f"{'near':>6s} {'far':>6s} {'face tr':>8s} {'plate tr':>8s} {'flagged':>8s} {'an. fps':>7s} {'fps':>6s}")
    for name, per_scene in results.items():
        total = scoring.ClipScore()
        seconds = 0.0
        tracks = {"face": 0, "plate": 0}
        objects = {"face": 0, "plate": 0}
        false_tracks = {"face": 0, "plate": 0}
        flagged, analysed_frames, analysis_s, have_tracks = 0, 0, 0.0, False
        rows = {}
        for scene, (score, run) in per_scene.items():
            total = total.merge(score)
            seconds += run.seconds
            stats = track_stats(run)
            cells = ["", "", "", "", ""]
            if stats is not None:
                have_tracks = True
                for label in tracks:
                    n_obj, n_tr = score.objects(label), stats.tracks.get(label, 0)
                    tracks[label] += n_tr
                    objects[label] += n_obj
                    if n_obj == 0:
                        false_tracks[label] += n_tr
                flagged += stats.flagged
                if stats.analysis_fps:
                    analysed_frames += score.frames_in
                    analysis_s += score.frames_in / stats.analysis_fps
                cells = [_per_object(stats.tracks.get("face", 0), score.objects("face")),
                         _per_object(stats.tracks.get("plate", 0), score.objects("plate")),
                         f"{100 * stats.flagged / stats.total:.0f}%/{stats.total}" if stats.total else "0/0",
                         f"{stats.analysis_fps:.1f}" if stats.analysis_fps else "-"]
            else:
                cells = ["-", "-", "-", "-"]
            wall_fps = score.frames_in / run.seconds if run.seconds == run.seconds and run.seconds > 0 else float("nan")
            rows[scene] = {"face": score.coverage("face"), "hidden_face": score.coverage("face", hidden_only=True),
                           "plate": score.coverage("plate"), "outside": score.outside_share,
                           "cells": cells, "wall_fps": wall_fps}
            print(f"{name:14s} {scene:20s} {_fmt_cov(score, 'face'):>18s} {_fmt_cov(score, 'face', hidden_only=True):>18s} "
                  f"{_fmt_cov(score, 'plate'):>18s} "
                  f"{100 * score.outside_share:7.2f}% {100 * score.outside_near_share:5.2f}% "
                  f"{100 * (score.outside_share - score.outside_near_share):5.2f}% "
                  f"{cells[0]:>8s} {cells[1]:>8s} {cells[2]:>8s} {cells[3]:>7s} {wall_fps:6.1f}")
        face_ok, face_n = total.coverage("face")
        hid_ok, hid_n = total.coverage("face", hidden_only=True)
        plate_ok, plate_n = total.coverage("plate")
        n_tracks = tracks["face"] + tracks["plate"]
        summary[name] = {
            "command": describe[name],
            "face_coverage": face_ok / face_n if face_n else None, "face_box_frames": face_n,
            "hidden_face_coverage": hid_ok / hid_n if hid_n else None, "hidden_face_box_frames": hid_n,
            "plate_coverage": plate_ok / plate_n if plate_n else None, "plate_box_frames": plate_n,
            "outside_changed": total.outside_share, "outside_near": total.outside_near_share,
            "max_outside_scene": max(((sc, sco.outside_share) for sc, (sco, _) in per_scene.items()),
                                     key=lambda kv: kv[1], default=(None, 0.0)),
            "flat_face": total.flat("face"), "flat_plate": total.flat("plate"),
            "frames_in": total.frames_in, "frames_out": total.frames_out, "seconds": seconds,
            "tracks": tracks if have_tracks else None, "objects": objects if have_tracks else None,
            "false_tracks": false_tracks if have_tracks else None,
            "tracks_per_object": n_tracks / max(1, objects["face"] + objects["plate"]) if have_tracks else None,
            "flagged_share": flagged / n_tracks if have_tracks and n_tracks else None,
            "analysis_fps": analysed_frames / analysis_s if analysis_s else None,
            "wall_fps": total.frames_in / seconds if seconds == seconds and seconds > 0 else None,
            "per_scene": rows,
            "by_face_width": {f"{lo}-{hi if hi < 10_000 else ''}": total.coverage("face", lo, hi)
                              for lo, hi in scoring.SIZE_BUCKETS},
        }
    print("\n== totals (outside = near + far: near is within 50 % of a true box's size, i.e. mask margin) ==")
    print(f"{'redactor':14s} {'face cov':>9s} {'hidden':>7s} {'plate cov':>9s} {'outside':>8s} {'near':>6s} {'far':>6s} "
          f"{'worst clip':>26s} {'tr/obj':>6s} {'false tr f/p':>12s} {'flagged':>7s} {'an.fps':>6s} {'fps':>5s}  command")
    fmt = lambda v, f="{:.4f}": "-" if v is None else f.format(v)  # noqa: E731
    for name, s in summary.items():
        worst = f"{s['max_outside_scene'][0]} {100 * s['max_outside_scene'][1]:.2f}%"
        false = f"{s['false_tracks']['face']}/{s['false_tracks']['plate']}" if s["false_tracks"] else "-"
        print(f"{name:14s} {fmt(s['face_coverage']):>9s} {fmt(s['hidden_face_coverage']):>7s} "
              f"{fmt(s['plate_coverage']):>9s} {100 * s['outside_changed']:7.2f}% {100 * s['outside_near']:5.2f}% "
              f"{100 * (s['outside_changed'] - s['outside_near']):5.2f}% {worst:>26s} "
              f"{fmt(s['tracks_per_object'], '{:.2f}'):>6s} {false:>12s} {fmt(s['flagged_share'], '{:.1%}'):>7s} "
              f"{fmt(s['analysis_fps'], '{:.1f}'):>6s} {fmt(s['wall_fps'], '{:.1f}'):>5s}  {s['command']}")
    print("\n== face coverage by face width in the frame (px) ==")
    print(f"{'redactor':14s} " + " ".join(f"{k:>22s}" for k in next(iter(summary.values()))["by_face_width"]))
    for name, s in summary.items():
        cells = []
        for ok, n in s["by_face_width"].values():
            cells.append(f"{ok / n:.4f} ({n - ok:>3d}/{n:>4d})" if n else "-")
        print(f"{name:14s} " + " ".join(f"{c:>22s}" for c in cells))
    return summary


def review_audit(results, clips: list[SceneClip], details: bool = False) -> dict:
    """Per redactor with projects: what its tracks are against the truth (track_audit.py)."""
    from anonymizer_gui.core.project import load_project

    by_name = {c.scene.name: c for c in clips}
    out = {}
    for name, per_scene in results.items():
        audits = {}
        for scene, (_, run) in per_scene.items():
            if run.project is None or not run.project.is_file():
                continue
            clip = by_name[scene]
            audits[scene] = track_audit.audit(load_project(run.project), clip.truth, clip.ignore)
        if audits:
            total = track_audit.print_audit(audits, name, details)
            out[name] = {"tracks": total.tracks, "true": total.true, "extra": total.extra, "false": total.false,
                         "flagged": total.flagged, "flagged_true": total.flagged_true,
                         "flag_precision": total.flag_precision, "flag_recall": total.flag_recall}
    return out


def _worst(ours: dict, key: str, low: bool = True):
    """(scene, value) of the worst clip for a coverage (lowest) or a share (highest)."""
    rows = [(scene, r[key]) for scene, r in ours["per_scene"].items()]
    if key != "outside":
        rows = [(scene, ok / n) for scene, (ok, n) in rows if n]
    if not rows:
        return None
    return min(rows, key=lambda kv: kv[1]) if low else max(rows, key=lambda kv: kv[1])


def print_targets(summary: dict) -> None:
    ours = summary.get("ours")
    if not ours:
        return
    print("\n== targets (issue 10) ==")
    worst_face, worst_plate = _worst(ours, "face"), _worst(ours, "plate")
    worst_out = _worst(ours, "outside", low=False)
    false = ours["false_tracks"] or {}
    checks = [
        ("face coverage >= 0.995 on every clip", worst_face, lambda v: v is None or v[1] >= TARGET_FACE),
        ("partly hidden faces >= 0.95", ours["hidden_face_coverage"], lambda v: v is None or v >= TARGET_HIDDEN),
        ("plate coverage >= 0.98 on every clip", worst_plate, lambda v: v is None or v[1] >= TARGET_PLATE),
        ("changed outside <= 2 % on every clip", worst_out, lambda v: v is None or v[1] <= TARGET_OUTSIDE),
        ("tracks per true object <= 1.5", ours["tracks_per_object"],
         lambda v: v is not None and v <= TARGET_TRACKS_PER_OBJECT),
        ("tracks flagged for review <= 10 %", ours["flagged_share"], lambda v: v is not None and v <= TARGET_FLAGGED),
        ("no face/plate track in a clip without one", (false.get("face"), false.get("plate")),
         lambda v: v == (0, 0)),
    ]
    for name, other in summary.items():
        if name.startswith("deface") and other["face_coverage"] is not None:
            checks.append((f"face coverage > {name} ({other['face_coverage']:.4f})", ours["face_coverage"],
                           lambda v, o=other["face_coverage"]: v is not None and v > o))
    for text, value, ok in checks:
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            shown = f"{value[0]}: " + (f"{100 * value[1]:.2f} %" if "outside" in text else f"{value[1]:.4f}")
        elif isinstance(value, tuple):
            shown = f"face {value[0]}, plate {value[1]}"
        elif value is None:
            shown = "-"
        else:
            shown = f"{100 * value:.1f} %" if "flagged" in text else f"{value:.4f}"
        print(f"  {'HOLDS ' if ok(value) else 'MISSED'}  {text:45s} ours: {shown}")


def run_all(redactors, clips: list[SceneClip], keep: Path, rescore: bool = False, log=print):
    """Run (or with `rescore`, reuse the kept output of) each redactor on each clip, and score it."""
    results: dict[str, dict[str, tuple[scoring.ClipScore, RunResult]]] = {}
    for redactor in redactors:
        results[redactor.name] = {}
        for clip in clips:
            out = keep / redactor.name / f"{clip.scene.name}.mp4"
            sidecar = out.with_suffix(".run.json")
            if rescore and out.is_file() and out.stat().st_mtime > clip.path.stat().st_mtime:
                facts = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
                if facts.get("clip", clip.path.name) != clip.path.name:
                    raise SystemExit(f"{out} was made from {facts.get('clip')}, not {clip.path.name}: run without --rescore")
                run = RunResult(out, facts.get("seconds", float("nan")), facts.get("command", []),
                                project=project_path(out) if project_path(out).is_file() else None)
            else:
                log(f"[{time.strftime('%H:%M:%S')}] {redactor.name}: {clip.scene.name} ...")
                run = redactor.run(clip, out)
                sidecar.write_text(json.dumps({"clip": clip.path.name, "seconds": run.seconds, "command": run.command,
                                               "load_after": os.getloadavg()[0]}))
            score = score_output(clip, out)
            ok, n = score.coverage("face")
            log(f"    {redactor.name} {clip.scene.name}: {run.seconds:.1f} s; faces {ok}/{n}, plates "
                f"{score.coverage('plate')[0]}/{score.coverage('plate')[1]}, outside {100 * score.outside_share:.2f} %")
            results[redactor.name][clip.scene.name] = (score, run)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", help="comma-separated scene names (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"only the scenes of the failures an operator meets: {', '.join(QUICK)}")
    parser.add_argument("--only", help="comma-separated redactors: ours, deface, deface-t0.5 (default: all three), or none")
    parser.add_argument("--ours-args", default="", help="extra arguments for `anonymizer-gui redact`")
    parser.add_argument("--user-manifest", type=Path, action="append", default=[], metavar="JSON",
                        help="also run our CLI with this user model manifest (adds redactor 'ours+<file stem>')")
    parser.add_argument("--variant", action="append", default=[], choices=sorted(VARIANTS),
                        help="also run our CLI with a named detector-setting variant (see variants.py), "
                             "as redactor 'ours+<variant>'")
    parser.add_argument("--validate", action="store_true", help="score reference redactions instead (checks the metric)")
    parser.add_argument("--rescore", action="store_true",
                        help="score the outputs kept from an earlier run instead of running the redactors again")
    parser.add_argument("--tracks", action="store_true",
                        help="list every automatic track with what it is against the truth (review burden)")
    parser.add_argument("--json", type=Path, help="write the summary here as JSON")
    args = parser.parse_args(argv)

    names = args.scenes.split(",") if args.scenes else list(QUICK) if args.quick else None
    clips = build_all(names)
    if args.validate:
        redactors = [Reference(m) for m in Reference.MODES]
    else:
        available = {"ours": OursCLI("ours", tuple(shlex.split(args.ours_args))),
                     "deface": Deface("deface"),
                     "deface-t0.5": Deface("deface-t0.5", ("--thresh", "0.5"))}
        wanted = [] if args.only == "none" else args.only.split(",") if args.only else list(available)
        unknown = [w for w in wanted if w not in available]
        if unknown:
            parser.error(f"unknown redactor(s) {unknown}; choose from {list(available)}")
        redactors = [available[w] for w in wanted]
        extra = tuple(shlex.split(args.ours_args))
        for manifest in args.user_manifest:
            redactors.append(OursCLI(f"ours+{manifest.stem.split('.')[0]}", extra, manifest.resolve()))
        for name in args.variant:
            redactors.append(OursCLI(f"ours+{name}", extra, variant_manifest(name)))
    print(f"machine: {os.cpu_count()} logical CPUs, load average {os.getloadavg()[0]:.2f} at start")
    results = run_all(redactors, clips, bench_dir() / "outputs", rescore=args.rescore)
    summary = print_tables(results, {r.name: r.describe() for r in redactors})
    audit = review_audit(results, clips, args.tracks)
    for name, facts in audit.items():
        summary[name]["review_audit"] = facts
    print_targets(summary)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
