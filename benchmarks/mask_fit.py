"""How tight can a mask be? Mask-shape variants scored on the output pixels, one analysis per scene.

    python -m benchmarks.mask_fit --scenes astronaut_zoom,poker_pan,face_sizes,crowd_small,poker_occluded
    python -m benchmarks.mask_fit --scenes face_sizes --variants default,old,ellipse

Each scene is analysed once (`anonymizer-gui analyze`, kept in the bench cache under mask_fit/); each
variant then rewrites the project's keyframe shapes and default style and exports it
(`anonymizer-gui export`), and the output is scored like `accuracy` does (face, partly hidden face and
plate coverage; changed outside, and its near part). The analysis's own fit (core/tracking/postprocess.py,
DEFAULT_SHAPES) is taken off first, which is exact: every fit is linear in the box.
Variants: the face box kind and scale about its centre, pixels of pad, the plate scale, the style's
margin and feather.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer_gui.core.tracking import DEFAULT_SHAPES, MaskFit
from benchmarks.accuracy import score_output
from benchmarks.deface_env import bench_dir
from benchmarks.scenes import build_all

CLI = [sys.executable, "-m", "anonymizer_gui"]


@dataclass(frozen=True)
class Variant:
    face: MaskFit
    plate: MaskFit
    margin: float
    feather: float


SQRT2 = 2 ** 0.5
VARIANTS = {
    "old": Variant(MaskFit(), MaskFit(), 0.15, 0.1),  # main before issue 10's fit: the box, 15 % margin, 10 % feather
    "ellipse": Variant(MaskFit("ellipse", SQRT2), MaskFit("rect", 1.1), 0.0, 0.1),  # the ellipse that holds the box
    "ellipse_f05": Variant(MaskFit("ellipse", SQRT2), MaskFit("rect", 1.1), 0.0, 0.05),
    "box_f10": Variant(MaskFit(), MaskFit("rect", 1.1), 0.0, 0.1),
    "box_f05": Variant(MaskFit(), MaskFit("rect", 1.1), 0.0, 0.05),
    "box_f035": Variant(MaskFit(), MaskFit("rect", 1.1), 0.0, 0.035),
    "box_f02": Variant(MaskFit(), MaskFit("rect", 1.1), 0.0, 0.02),
    "box_f0": Variant(MaskFit(), MaskFit("rect", 1.1), 0.0, 0.0),
    "box_m03_f02": Variant(MaskFit(), MaskFit("rect", 1.1), 0.03, 0.02),
    "box_m05_f02": Variant(MaskFit(), MaskFit("rect", 1.1), 0.05, 0.02),
    "pad2_f05": Variant(MaskFit("rect", 1.0, 2.0), MaskFit("rect", 1.1), 0.0, 0.05),
    "pad2_f03": Variant(MaskFit("rect", 1.0, 2.0), MaskFit("rect", 1.1), 0.0, 0.03),
    "pad2_f02": Variant(MaskFit("rect", 1.0, 2.0), MaskFit("rect", 1.1), 0.0, 0.02),
    "default": Variant(dict(DEFAULT_SHAPES)["face"], dict(DEFAULT_SHAPES)["plate"], 0.0, 0.04),  # pad 2 px, 4 %
}


def _unfit(points: list[float], fit: MaskFit) -> list[float]:
    """The tracked box before `fit` (pad taken off, then the scale undone)."""
    x1, y1, x2, y2 = points
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    hw, hh = ((x2 - x1) / 2 - fit.pad_px) / fit.scale, ((y2 - y1) / 2 - fit.pad_px) / fit.scale
    return [cx - hw, cy - hh, cx + hw, cy + hh]


def with_variant(project: dict, variant: Variant) -> dict:
    d = copy.deepcopy(project)
    d["default_style"].update(margin=variant.margin, feather=variant.feather)
    fitted = dict(DEFAULT_SHAPES)
    for track in d["tracks"]:
        fit = {"face": variant.face, "plate": variant.plate}.get(track["label"])
        if fit is None or track["source"] != "auto":
            continue
        for key in track["keyframes"]:
            box = _unfit(key["points"], fitted.get(track["label"], MaskFit()))
            key["points"] = [float(v) for v in fit.apply(np.array([box]))[0]]
            key["shape"] = fit.kind
    return d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", default="astronaut_zoom,poker_pan,face_sizes,crowd_small,poker_occluded,sportscars_pan")
    ap.add_argument("--variants", default="old,ellipse,box_f05,box_f02,pad2_f05,default")
    args = ap.parse_args(argv)
    names = args.variants.split(",")
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variant(s) {sorted(unknown)}; known: {', '.join(VARIANTS)}")
    work = bench_dir() / "mask_fit"
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'scene':20s} {'variant':12s} {'faces':>16s} {'hidden':>14s} {'plates':>12s} {'outside':>8s} {'near':>7s}")
    for clip in build_all(args.scenes.split(","), log=lambda *a: None):
        project_file = work / f"{clip.scene.name}.project.json"
        if not project_file.exists():
            subprocess.run(CLI + ["analyze", str(clip.path), "-o", str(project_file), "--quiet"], check=True,
                           stdout=subprocess.DEVNULL)
        project = json.loads(project_file.read_text())
        for name in names:
            variant_file = work / f"{clip.scene.name}.{name}.json"
            variant_file.write_text(json.dumps(with_variant(project, VARIANTS[name])))
            out = work / f"{clip.scene.name}.{name}.mp4"
            subprocess.run(CLI + ["export", str(variant_file), "-o", str(out), "--no-verify", "--force", "--quiet"],
                           check=True, stdout=subprocess.DEVNULL)
            score = score_output(clip, out)
            f, h, p = score.coverage("face"), score.coverage("face", hidden_only=True), score.coverage("plate")
            print(f"{clip.scene.name:20s} {name:12s} {f[0]:>7d}/{f[1]:<8d} {h[0]:>6d}/{h[1]:<7d} {p[0]:>5d}/{p[1]:<6d} "
                  f"{100 * score.outside_share:7.2f}% {100 * score.outside_near_share:6.2f}%", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
