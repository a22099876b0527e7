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
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import scoring
from benchmarks.deface_env import bench_dir
from benchmarks.redactors import Deface, OursCLI, Reference, RunResult, decode_bgr
from benchmarks.scenes import SceneClip, build_all
from benchmarks.variants import VARIANTS, variant_manifest

TARGET_FACE, TARGET_PLATE, TARGET_OUTSIDE = 0.995, 0.98, 0.02


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


def _fmt_cov(score: scoring.ClipScore, label: str, lo: float = 0, hi: float = 1e9) -> str:
    ok, n = score.coverage(label, lo, hi)
    return f"{ok / n:.4f} ({n - ok:>3d} miss/{n:>4d})" if n else f"{'-':>6s}{'':17s}"


def print_tables(results: dict[str, dict[str, tuple[scoring.ClipScore, RunResult]]], describe: dict[str, str]) -> dict:
    summary = {}
    print("\n== per scene: coverage = share of ground-truth box-frames whose detail is gone ==")
    print(f"{'redactor':14s} {'scene':18s} {'faces':>24s} {'plates':>24s} {'outside':>8s} {'near':>6s} {'far':>6s} "
          f"{'frames':>9s} {'time s':>7s}")
    for name, per_scene in results.items():
        total = scoring.ClipScore()
        seconds = 0.0
        for scene, (score, run) in per_scene.items():
            total = total.merge(score)
            seconds += run.seconds
            print(f"{name:14s} {scene:18s} {_fmt_cov(score, 'face'):>24s} {_fmt_cov(score, 'plate'):>24s} "
                  f"{100 * score.outside_share:7.2f}% {100 * score.outside_near_share:5.2f}% "
                  f"{100 * (score.outside_share - score.outside_near_share):5.2f}% "
                  f"{score.frames_out:>4d}/{score.frames_in:<4d} {run.seconds:7.1f}")
        face_ok, face_n = total.coverage("face")
        plate_ok, plate_n = total.coverage("plate")
        summary[name] = {
            "command": describe[name],
            "face_coverage": face_ok / face_n if face_n else None, "face_box_frames": face_n,
            "plate_coverage": plate_ok / plate_n if plate_n else None, "plate_box_frames": plate_n,
            "outside_changed": total.outside_share, "outside_near": total.outside_near_share, "flat_face": total.flat("face"), "flat_plate": total.flat("plate"),
            "frames_in": total.frames_in, "frames_out": total.frames_out, "seconds": seconds,
            "by_face_width": {f"{lo}-{hi if hi < 10_000 else ''}": total.coverage("face", lo, hi)
                              for lo, hi in scoring.SIZE_BUCKETS},
        }
    print("\n== totals (outside = near + far: near is within 50 % of a true box's size, i.e. mask margin) ==")
    print(f"{'redactor':14s} {'face cov':>9s} {'plate cov':>9s} {'outside':>8s} {'near':>6s} {'far':>6s} "
          f"{'frames':>11s} {'time s':>7s}  command")
    for name, s in summary.items():
        face = f"{s['face_coverage']:.4f}" if s["face_coverage"] is not None else "-"
        plate = f"{s['plate_coverage']:.4f}" if s["plate_coverage"] is not None else "-"
        print(f"{name:14s} {face:>9s} {plate:>9s} {100 * s['outside_changed']:7.2f}% {100 * s['outside_near']:5.2f}% "
              f"{100 * (s['outside_changed'] - s['outside_near']):5.2f}% "
              f"{s['frames_out']:>5d}/{s['frames_in']:<5d} {s['seconds']:7.1f}  {s['command']}")
    print("\n== face coverage by face width in the frame (px) ==")
    print(f"{'redactor':14s} " + " ".join(f"{k:>22s}" for k in next(iter(summary.values()))["by_face_width"]))
    for name, s in summary.items():
        cells = []
        for ok, n in s["by_face_width"].values():
            cells.append(f"{ok / n:.4f} ({n - ok:>3d}/{n:>4d})" if n else "-")
        print(f"{name:14s} " + " ".join(f"{c:>22s}" for c in cells))
    return summary


def print_targets(summary: dict) -> None:
    ours = summary.get("ours")
    if not ours:
        return
    print("\n== targets ==")
    checks = [("face coverage >= 0.995", ours["face_coverage"], lambda v: v is not None and v >= TARGET_FACE),
              ("plate coverage >= 0.98", ours["plate_coverage"], lambda v: v is not None and v >= TARGET_PLATE),
              ("changed outside <= 2 %", ours["outside_changed"], lambda v: v <= TARGET_OUTSIDE)]
    for name, other in summary.items():
        if name.startswith("deface") and other["face_coverage"] is not None:
            checks.append((f"face coverage > {name} ({other['face_coverage']:.4f})", ours["face_coverage"],
                           lambda v, o=other["face_coverage"]: v is not None and v > o))
    for text, value, ok in checks:
        shown = "-" if value is None else (f"{100 * value:.2f} %" if "outside" in text else f"{value:.4f}")
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
                run = RunResult(out, facts.get("seconds", float("nan")), facts.get("command", []))
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
    parser.add_argument("--json", type=Path, help="write the summary here as JSON")
    args = parser.parse_args(argv)

    clips = build_all(args.scenes.split(",") if args.scenes else None)
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
    print_targets(summary)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
