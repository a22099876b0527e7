"""720p test clips made from the real photos in `photos.py`, moved by known camera paths.

Every frame is one affine warp (scale, pan, a little roll for shake) of a "world" image: a photo, or
a photo with face copies pasted into it at known places and sizes. The same warp applied to the
hand-drawn boxes gives the exact ground truth of every frame, so no frame needs annotating.

Clips are H.264 (libx264, CRF 18, yuv420p, 25 fps) written with PyAV into the bench cache together
with their ground truth (JSON); both are rebuilt when the scene definition changes.

    python -m benchmarks.scenes            # build all clips, print where they are
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.deface_env import bench_dir
from benchmarks.overlays import Occluder, Sticker, hidden_share, paste_occluder, paste_sticker, visible_part
from benchmarks.photos import PHOTOS, Box, load_photo

WIDTH, HEIGHT, FPS = 1280, 720, 25
CRF = 18
BORDER_BGR = (110, 110, 110)  # where a shake shows past the world's edge: flat, so it hides no detail
SCENE_FORMAT = 1  # bump when the rendering code changes in a way the scene hash cannot see


@dataclass(frozen=True)
class CameraKey:
    """Where the camera looks at time `t` (0..1 of the clip): world centre and zoom (frame px per world px)."""

    t: float
    cx: float
    cy: float
    scale: float
    roll: float = 0.0  # degrees, turns the picture (a plate seen at an angle); added to the shake's roll


@dataclass(frozen=True)
class Shake:
    """Hand-held wobble: smooth pseudo-random offsets (frame px) and roll (degrees)."""

    amplitude_px: float = 0.0
    roll_deg: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class FaceCopy:
    """A copy of face `index` of photo `photo`, pasted into the world with a feathered oval edge.

    `width` is the face box width in world pixels; the copy drifts by (vx, vy) world px per frame.
    """

    photo: str
    index: int
    width: float
    x: float  # face box centre in the world at frame 0
    y: float
    vx: float = 0.0
    vy: float = 0.0


@dataclass(frozen=True)
class Night:
    """Low light: exposure cut to `gain` in linear light, a sodium-lamp tint, and sensor noise
    (luma and chroma, new on every frame) of a camera pushed to a high gain."""

    gain: float = 0.08
    noise: float = 9.0  # std of the luma noise, 8-bit levels, after darkening
    chroma_noise: float = 4.0  # std of the per-channel noise
    tint_bgr: tuple[float, float, float] = (0.75, 0.95, 1.1)
    seed: int = 0

    def apply(self, img: np.ndarray, frame: int) -> np.ndarray:
        linear = (img.astype(np.float32) / 255.0) ** 2.2 * self.gain * np.asarray(self.tint_bgr, np.float32)
        out = 255.0 * np.clip(linear, 0.0, 1.0) ** (1 / 2.2)
        rng = np.random.default_rng((self.seed, frame))
        out += rng.normal(0.0, self.noise, out.shape[:2])[..., None].astype(np.float32)
        out += rng.normal(0.0, self.chroma_noise, out.shape).astype(np.float32)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Scene:
    name: str
    photo: str
    frames: int
    path: tuple[CameraKey, ...]
    shake: Shake = Shake()
    world_scale: float = 1.0  # the photo is resized by this before anything else
    copies: tuple[FaceCopy, ...] = ()
    about: str = ""
    # motion blur: each frame averages this many warps spread over `shutter` of the frame interval
    blur_samples: int = 1
    shutter: float = 0.5
    stickers: tuple[Sticker, ...] = ()  # lettering and signs pasted where nothing is to be masked
    occluders: tuple[Occluder, ...] = ()  # hide part of a face (see overlays.py)
    plates_hidden: bool = False  # the photo's plates are covered by stickers: not ground truth
    night: Night | None = None  # low light and sensor noise over the whole picture


@dataclass
class GroundTruthBox:
    label: str  # "face" | "plate"
    object_id: str
    box: Box  # frame pixels, clipped to the frame
    visible: float  # share of the unclipped box inside the frame
    hidden: float = 0.0  # share of the face hidden by an occluder (the box is the part in view)


@dataclass
class SceneClip:
    scene: Scene
    path: Path
    width: int
    height: int
    frames: int
    truth: list[list[GroundTruthBox]] = field(default_factory=list)  # per frame
    ignore: list[list[Box]] = field(default_factory=list)  # per frame


SCENES: tuple[Scene, ...] = (
    Scene("astronaut_zoom", "astronaut", 100,
          (CameraKey(0.0, 256, 196, 2.6), CameraKey(0.5, 226, 140, 3.6), CameraKey(1.0, 246, 176, 2.7)),
          Shake(2.0, 0.3, 1),
          about="one large frontal face, 245-340 px, slow zoom in and out"),
    Scene("poker_pan", "poker", 125,
          (CameraKey(0.0, 620, 380, 1.05), CameraKey(0.5, 500, 330, 1.35), CameraKey(1.0, 780, 350, 1.3)),
          Shake(4.0, 0.5, 2),
          about="six faces 100-180 px (frontal, tilted, profile), pan and zoom; faces leave and re-enter"),
    Scene("bus_handheld", "bus", 100,
          (CameraKey(0.0, 405, 330, 1.65), CameraKey(0.5, 405, 600, 1.65), CameraKey(1.0, 405, 450, 1.7)),
          Shake(8.0, 1.0, 3),
          about="street, two small faces with sunglasses (65-90 px), strong hand-held shake and tilt"),
    Scene("touchline_zoomout", "touchline", 100,
          (CameraKey(0.0, 780, 270, 1.9), CameraKey(1.0, 640, 360, 1.0)),
          Shake(3.0, 0.3, 4),
          about="profile + frontal face, zoom out from 300 to 130 px"),
    Scene("face_sizes", "motorcycle", 150,
          (CameraKey(0.0, 740, 500, 1.0), CameraKey(0.6, 760, 470, 1.15), CameraKey(1.0, 820, 520, 1.6)),
          Shake(3.0, 0.3, 5), world_scale=2.0,
          copies=(FaceCopy("poker", 2, 20, 240, 250, 0.3, 0.0), FaceCopy("astronaut", 0, 24, 360, 230),
                  FaceCopy("touchline", 1, 28, 480, 260, 0.0, 0.2), FaceCopy("poker", 5, 34, 610, 240),
                  FaceCopy("hopper", 0, 40, 760, 250, -0.2, 0.0), FaceCopy("poker", 3, 48, 920, 240),
                  FaceCopy("bus", 0, 58, 1090, 260, 0.0, 0.3), FaceCopy("poker", 0, 70, 280, 520),
                  FaceCopy("poker", 1, 84, 470, 540, 0.4, 0.0), FaceCopy("touchline", 0, 100, 690, 560),
                  FaceCopy("astronaut", 0, 124, 900, 560, -0.3, 0.1), FaceCopy("hopper", 0, 180, 1170, 560)),
          about="twelve pasted face copies 20-180 px wide in a garage, zoom in to x1.6 (32-290 px)"),
    Scene("sportscars_pan", "sportscars", 125,
          (CameraKey(0.0, 600, 400, 1.1), CameraKey(0.6, 400, 470, 1.9), CameraKey(1.0, 640, 480, 2.2)),
          Shake(3.0, 0.3, 6),
          about="two plates (front, rear) 100-280 px, pan and zoom; one leaves the frame"),
    Scene("carpark_tilt", "carpark", 100,
          (CameraKey(0.0, 600, 900, 1.07), CameraKey(0.5, 600, 650, 1.07), CameraKey(1.0, 470, 450, 1.4)),
          Shake(5.0, 0.6, 7),
          about="a large skewed car plate (340 px) and a small two-line scooter plate (80-110 px), tilt up"),
    Scene("bus_whip", "bus", 100,
          (CameraKey(0.0, 405, 420, 1.65), CameraKey(0.2, 405, 440, 1.65), CameraKey(0.3, 405, 760, 1.65),
           CameraKey(0.5, 405, 740, 1.7), CameraKey(0.6, 405, 430, 1.7), CameraKey(0.8, 405, 450, 2.1),
           CameraKey(0.9, 405, 700, 1.7), CameraKey(1.0, 405, 460, 1.65)),
          Shake(10.0, 1.5, 8), blur_samples=8, shutter=0.5,
          about="whip tilts (up to ~100 px per frame) with motion blur (half-frame shutter): faces smeared, "
                "leaving and re-entering the frame"),
    Scene("crowd_small", "motorcycle", 100,
          (CameraKey(0.0, 740, 500, 1.0), CameraKey(1.0, 700, 480, 1.05)),
          Shake(2.0, 0.2, 9), world_scale=2.0,
          copies=tuple(FaceCopy(photo, index, width, 180 + 150 * (n % 8), 300 + 260 * (n // 8), 0.2 * ((n % 3) - 1), 0.0)
                       for n, (photo, index, width) in enumerate((
                           ("poker", 0, 14), ("poker", 1, 15), ("poker", 2, 16), ("poker", 3, 17),
                           ("poker", 4, 18), ("poker", 5, 19), ("astronaut", 0, 20), ("hopper", 0, 21),
                           ("touchline", 1, 22), ("bus", 0, 23), ("bus", 1, 24), ("poker", 2, 26),
                           ("poker", 3, 28), ("astronaut", 0, 30), ("hopper", 0, 32), ("touchline", 1, 34)))),
          about="sixteen face copies only 14-34 px wide (people far away in a 720p frame), slow drift"),

    # -- issue 10: the failures an operator meets (occlusion, lettering, cars, hard plates) --
    Scene("poker_occluded", "poker", 100,
          (CameraKey(0.0, 640, 330, 1.0), CameraKey(0.5, 560, 320, 1.2), CameraKey(1.0, 700, 340, 1.1)),
          Shake(3.0, 0.4, 10),
          occluders=(
              Occluder(2, "left", 0.25, "touchline", (180, 470, 430, 700), sweep=0.35, about="a shoulder (dark jacket)"),
              Occluder(3, "bottom", 0.30, "poker", (128, 378, 230, 485), sweep=0.2, about="a hand holding cards"),
              Occluder(0, "right", 0.30, "bus", (428, 657, 457, 757), about="a microphone-like dark post"),
              Occluder(1, "left", 0.45, "hopper", face=0, sweep=-0.2, about="another head in front"),
              Occluder(5, "right", 0.35, "poker", (730, 478, 793, 550), sweep=0.3, about="a hand with a chip"),
          ),
          about="five of six real faces partly hidden (25-65 %) by a shoulder, hands, a post and another head"),
    Scene("lettering_touchline", "touchline", 100,
          (CameraKey(0.0, 700, 330, 1.5), CameraKey(1.0, 640, 360, 1.0)),
          Shake(3.0, 0.3, 11),
          stickers=(
              Sticker("bus", (555, 540, 685, 615), 330, 600, 170, "'cero emisiones' on a jacket"),
              Sticker("bus", (40, 325, 152, 372), 950, 610, 150, "'M1 SOL/SEVILLA' on a shirt"),
              Sticker("text", (0, 0, 448, 172), 190, 130, 270, "handwriting as a shop sign"),
              Sticker("bus", (590, 390, 760, 490), 1170, 560, 150, "'electricaEMT' logo board"),
              Sticker("bus", (540, 325, 775, 355), 640, 50, 440, "a shop-front band of small lettering"),
          ),
          about="two faces and five pieces of real lettering (shirts, signs, a shop front): nothing else to mask"),
    Scene("cars_noplate", "sportscars", 100,
          (CameraKey(0.0, 600, 420, 1.1), CameraKey(0.6, 420, 470, 1.8), CameraKey(1.0, 640, 470, 2.0)),
          Shake(3.0, 0.3, 12), plates_hidden=True,
          stickers=(Sticker("sportscars", (300, 640, 420, 670), 131, 502, 125, "asphalt over the front plate"),
                    Sticker("sportscars", (300, 640, 420, 670), 641, 513, 165, "asphalt over the rear plate")),
          about="two cars, plates covered: no face and no plate to mask"),
    Scene("plates_whip_angle", "sportscars", 100,
          (CameraKey(0.0, 600, 420, 1.2, 0.0), CameraKey(0.25, 420, 470, 1.8, 12.0),
           CameraKey(0.4, 700, 480, 1.8, 12.0), CameraKey(0.5, 380, 480, 2.0, -10.0),
           CameraKey(0.75, 500, 480, 2.2, -14.0), CameraKey(1.0, 640, 470, 1.5, 5.0)),
          Shake(6.0, 1.0, 13), blur_samples=8, shutter=0.5,
          about="the two plates turned up to 14 degrees, fast pans (up to ~60 px/frame) with motion blur"),
    Scene("street_night", "motorcycle", 100,
          (CameraKey(0.0, 700, 520, 1.0), CameraKey(0.5, 760, 500, 1.1), CameraKey(1.0, 820, 520, 1.05)),
          Shake(4.0, 0.4, 14), world_scale=2.0, night=Night(seed=14),
          copies=tuple(FaceCopy(photo, index, width, 230 + 210 * (n % 5), 300 + 330 * (n // 5), 0.25 * ((n % 3) - 1), 0.0)
                       for n, (photo, index, width) in enumerate((
                           ("poker", 0, 28), ("astronaut", 0, 34), ("hopper", 0, 40), ("poker", 3, 46),
                           ("touchline", 1, 52), ("bus", 0, 60), ("poker", 1, 68), ("touchline", 0, 76),
                           ("poker", 5, 84), ("hopper", 0, 92)))),
          about="ten face copies 28-92 px at night: exposure cut to 8 %, sodium tint, sensor noise on every frame"),
)


# Speed-only scenes: built by name (`build_all(["crowd_street"])`), never part of the accuracy set,
# so adding one does not change the accuracy totals.
SPEED_SCENES: tuple[Scene, ...] = (
    Scene("crowd_street", "motorcycle", 200,
          (CameraKey(0.0, 740, 500, 1.0), CameraKey(0.5, 760, 490, 1.08), CameraKey(1.0, 720, 510, 1.02)),
          Shake(3.0, 0.3, 10), world_scale=2.0,
          copies=tuple(FaceCopy(photo, index, width, 200 + 250 * (n % 5), 250 + 175 * (n // 5),
                                0.3 * ((n % 3) - 1), 0.2 * ((n % 2) * 2 - 1))
                       for n, (photo, index, width) in enumerate((
                           ("poker", 0, 30), ("poker", 1, 36), ("poker", 2, 44), ("poker", 3, 52),
                           ("poker", 4, 60), ("poker", 5, 70), ("astronaut", 0, 80), ("hopper", 0, 90),
                           ("touchline", 1, 100), ("bus", 0, 110), ("bus", 1, 34), ("poker", 2, 40),
                           ("poker", 3, 48), ("astronaut", 0, 56), ("hopper", 0, 66), ("touchline", 0, 76),
                           ("poker", 0, 86), ("poker", 1, 96), ("touchline", 1, 106), ("hopper", 0, 120)))),
          about="twenty face copies 30-120 px wide (a 720p street crowd), 8 s, slow drift and shake: the "
                "speed benchmark's clip"),
)


# --- camera ------------------------------------------------------------------------------------

def _smoothstep(u: float) -> float:
    return u * u * (3.0 - 2.0 * u)


def camera_at(scene: Scene, frame: float) -> tuple[float, float, float, float]:
    """World centre x, y, zoom and roll (degrees) at `frame`."""
    t = frame / max(1, scene.frames - 1)
    keys = scene.path
    if t <= keys[0].t:
        k = keys[0]
        return k.cx, k.cy, k.scale, k.roll
    for a, b in zip(keys, keys[1:]):
        if t <= b.t:
            u = _smoothstep((t - a.t) / (b.t - a.t))
            # zoom interpolates geometrically, so a constant-speed zoom looks constant
            return (a.cx + (b.cx - a.cx) * u, a.cy + (b.cy - a.cy) * u,
                    a.scale * (b.scale / a.scale) ** u, a.roll + (b.roll - a.roll) * u)
    k = keys[-1]
    return k.cx, k.cy, k.scale, k.roll


def _wobble(seed: int, frame: int) -> float:
    """Smooth noise in [-1, 1]: three incommensurate sines with seeded phases."""
    rng = np.random.default_rng(seed)
    freqs = (0.11, 0.29, 0.53)  # radians per frame: 0.4-2 Hz at 25 fps, like a hand
    phases = rng.uniform(0, 2 * math.pi, size=3)
    return float(sum(math.sin(f * frame + p) for f, p in zip(freqs, phases)) / 3.0)


def world_to_frame(scene: Scene, frame: float) -> np.ndarray:
    """The 2x3 affine matrix mapping world pixels to frame pixels at `frame`."""
    cx, cy, s, key_roll = camera_at(scene, frame)
    sh = scene.shake
    dx = sh.amplitude_px * _wobble(sh.seed * 3 + 0, frame)
    dy = sh.amplitude_px * _wobble(sh.seed * 3 + 1, frame)
    roll = math.radians(key_roll + sh.roll_deg * _wobble(sh.seed * 3 + 2, frame))
    c, si = math.cos(roll), math.sin(roll)
    linear = s * np.array([[c, -si], [si, c]])
    offset = np.array([WIDTH / 2 + dx, HEIGHT / 2 + dy]) - linear @ np.array([cx, cy])
    return np.hstack([linear, offset[:, None]])


def transform_box(matrix: np.ndarray, box: Box) -> tuple[Box, float]:
    """Axis-aligned bounds of the warped box, clipped to the frame, and the share of it inside."""
    x1, y1, x2, y2 = box
    corners = np.array([[x1, y1, 1], [x2, y1, 1], [x2, y2, 1], [x1, y2, 1]], float)
    pts = corners @ matrix.T
    bx1, by1 = pts.min(axis=0)
    bx2, by2 = pts.max(axis=0)
    area = max(1e-9, (bx2 - bx1) * (by2 - by1))
    cx1, cy1 = max(0.0, bx1), max(0.0, by1)
    cx2, cy2 = min(float(WIDTH), bx2), min(float(HEIGHT), by2)
    inside = max(0.0, cx2 - cx1) * max(0.0, cy2 - cy1)
    return (float(cx1), float(cy1), float(cx2), float(cy2)), inside / area


# --- world -------------------------------------------------------------------------------------

_COPY_PAD = 0.35  # context kept round a pasted face (hair, ears), as a share of the face box size


def _face_sprite(copy: FaceCopy) -> tuple[np.ndarray, np.ndarray, Box]:
    """The resized copy (BGR), its alpha (float 0..1) and the face box inside the sprite."""
    photo = PHOTOS[copy.photo]
    img = load_photo(copy.photo)
    x1, y1, x2, y2 = photo.faces[copy.index]
    fw, fh = x2 - x1, y2 - y1
    px, py = fw * _COPY_PAD, fh * _COPY_PAD
    sx1, sy1 = max(0, int(x1 - px)), max(0, int(y1 - py))
    sx2, sy2 = min(img.shape[1], int(math.ceil(x2 + px))), min(img.shape[0], int(math.ceil(y2 + py)))
    crop = img[sy1:sy2, sx1:sx2]
    k = copy.width / fw
    size = (max(2, round(crop.shape[1] * k)), max(2, round(crop.shape[0] * k)))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    sprite = cv2.resize(crop, size, interpolation=interp)
    kx, ky = size[0] / crop.shape[1], size[1] / crop.shape[0]
    face = ((x1 - sx1) * kx, (y1 - sy1) * ky, (x2 - sx1) * kx, (y2 - sy1) * ky)
    # oval alpha that is fully opaque over the face box and fades out in the padding
    h, w = sprite.shape[:2]
    alpha = np.zeros((h, w), np.float32)
    centre = (int(round((face[0] + face[2]) / 2)), int(round((face[1] + face[3]) / 2)))
    axes = (max(1, int(round((face[2] - face[0]) * 0.5 * 1.25))), max(1, int(round((face[3] - face[1]) * 0.5 * 1.2))))
    cv2.ellipse(alpha, centre, axes, 0, 0, 360, 1.0, -1)
    feather = max(1.0, 0.12 * copy.width)
    alpha = cv2.GaussianBlur(alpha, (0, 0), feather)
    inner = cv2.ellipse(np.zeros((h, w), np.uint8), centre, axes, 0, 0, 360, 1, -1).astype(bool)
    fx1, fy1, fx2, fy2 = (int(v) for v in face)
    core = np.zeros((h, w), bool)
    core[max(0, fy1):fy2 + 1, max(0, fx1):fx2 + 1] = True
    alpha[core & inner] = 1.0
    return sprite, alpha, face


class World:
    """The scene's world image at any frame (the photo, with face copies pasted where they are)."""

    def __init__(self, scene: Scene):
        self.scene = scene
        base = load_photo(scene.photo)
        if scene.world_scale != 1.0:
            base = cv2.resize(base, None, fx=scene.world_scale, fy=scene.world_scale, interpolation=cv2.INTER_CUBIC)
        for sticker in scene.stickers:  # static: pasted once
            paste_sticker(base, sticker)
        self.base = base
        self.sprites = [_face_sprite(c) for c in scene.copies]
        photo = PHOTOS[scene.photo]
        k = scene.world_scale
        scaled = lambda b: tuple(v * k for v in b)  # noqa: E731
        plates = () if scene.plates_hidden else photo.plates
        self.static_truth = ([("face", f"{scene.photo}.face{i}", scaled(b)) for i, b in enumerate(photo.faces)]
                             + [("plate", f"{scene.photo}.plate{i}", scaled(b)) for i, b in enumerate(plates)])
        self.static_ignore = [scaled(b) for b in photo.ignore]
        widths = [b[2] - b[0] for label, _, b in self.static_truth if label == "face"] + [c.width for c in scene.copies]
        self.heads = {i: _face_sprite(FaceCopy(o.photo, o.face, widths[o.covers], 0, 0))
                      for i, o in enumerate(scene.occluders) if o.face >= 0}

    def at(self, frame: int) -> tuple[np.ndarray, list[tuple[str, str, Box, float]], list[Box]]:
        """The world image, its truth (label, id, box, hidden share) and extra ignore regions at `frame`."""
        moving = self.sprites or self.scene.occluders
        img = self.base.copy() if moving else self.base
        truth = [(label, oid, box, 0.0) for label, oid, box in self.static_truth]
        ignore: list[Box] = []
        for i, (copy, (sprite, alpha, face)) in enumerate(zip(self.scene.copies, self.sprites)):
            fcx, fcy = copy.x + copy.vx * frame, copy.y + copy.vy * frame
            ox = int(round(fcx - (face[0] + face[2]) / 2))
            oy = int(round(fcy - (face[1] + face[3]) / 2))
            h, w = sprite.shape[:2]
            region = img[oy:oy + h, ox:ox + w]
            if region.shape[:2] != (h, w) or ox < 0 or oy < 0:
                raise ValueError(f"face copy {i} of scene {self.scene.name} leaves the world at frame {frame}")
            a = alpha[..., None]
            region[:] = (sprite * a + region * (1 - a) + 0.5).astype(np.uint8)
            truth.append(("face", f"copy{i}.{copy.photo}.face{copy.index}",
                          (ox + face[0], oy + face[1], ox + face[2], oy + face[3]), 0.0))
        faces = [n for n, t in enumerate(truth) if t[0] == "face"]
        for i, occ in enumerate(self.scene.occluders):
            n = faces[occ.covers]
            label, oid, box, _ = truth[n]
            share = hidden_share(occ, frame, self.scene.frames)
            head = None
            if occ.face >= 0:  # another head, as large as the covered face
                head = self.heads[i]
            other = paste_occluder(img, occ, box, share, head)
            truth[n] = (label, oid, visible_part(box, occ.side, share), share)
            ignore.append(box)
            if other is not None:
                truth.append(("face", f"occluder{i}.{occ.photo}.face{occ.face}", other, 0.0))
        return img, truth, ignore


def render_frame(world: World, frame: int) -> tuple[np.ndarray, list[GroundTruthBox], list[Box]]:
    """The frame and its truth; the truth is where things are at the middle of the exposure."""
    img, truth, extra_ignore = world.at(frame)
    m = world_to_frame(world.scene, frame)
    n = world.scene.blur_samples
    if n <= 1:
        out = cv2.warpAffine(img, m, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=BORDER_BGR)
    else:
        acc = np.zeros((HEIGHT, WIDTH, 3), np.float32)
        for k in range(n):
            t = frame + world.scene.shutter * ((k + 0.5) / n - 0.5)
            acc += cv2.warpAffine(img, world_to_frame(world.scene, t), (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=BORDER_BGR)
        out = (acc / n + 0.5).astype(np.uint8)
    if world.scene.night is not None:
        out = world.scene.night.apply(out, frame)
    boxes = []
    for label, oid, box, hidden in truth:
        fbox, visible = transform_box(m, box)
        if visible > 0:
            boxes.append(GroundTruthBox(label, oid, fbox, visible, hidden))
    ignore = [b for b, v in (transform_box(m, box) for box in [*world.static_ignore, *extra_ignore]) if v > 0]
    return out, boxes, ignore


# --- clips -------------------------------------------------------------------------------------

def _scene_hash(scene: Scene) -> str:
    photos = {k: (PHOTOS[k].sha256, PHOTOS[k].faces, PHOTOS[k].plates, PHOTOS[k].ignore)
              for k in {scene.photo, *(c.photo for c in scene.copies), *(x.photo for x in scene.stickers),
                        *(x.photo for x in scene.occluders)}}
    fields = asdict(scene)
    if scene.blur_samples == 1:  # keeps the names (and cached clips) of scenes made before blur existed
        del fields["blur_samples"], fields["shutter"]
    for name in ("stickers", "occluders", "plates_hidden", "night"):  # the same for fields added later
        if not fields[name]:
            del fields[name]
    for key in fields["path"]:
        if key["roll"] == 0.0:
            del key["roll"]
    text = json.dumps([SCENE_FORMAT, WIDTH, HEIGHT, FPS, CRF, fields, sorted(photos.items())], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def clips_dir() -> Path:
    return bench_dir() / "clips"


def build_clip(scene: Scene, log=print) -> SceneClip:
    """Write (or reuse) the clip of `scene` and return it with its per-frame ground truth."""
    digest = _scene_hash(scene)
    path = clips_dir() / f"{scene.name}-{digest}.mp4"
    truth_path = path.with_suffix(".truth.json")
    if path.is_file() and truth_path.is_file():
        return _load_clip(scene, path, truth_path)
    log(f"building {path.name} ({scene.frames} frames)")
    path.parent.mkdir(parents=True, exist_ok=True)
    world = World(scene)
    truth, ignore = [], []
    tmp = path.with_name(path.stem + ".part.mp4")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": str(CRF), "preset": "medium"}
        for i in range(scene.frames):
            img, boxes, ign = render_frame(world, i)
            truth.append(boxes)
            ignore.append(ign)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    truth_path.write_text(json.dumps({"scene": scene.name, "frames": scene.frames,
                                      "truth": [[asdict(b) for b in f] for f in truth],
                                      "ignore": ignore}))
    return SceneClip(scene, path, WIDTH, HEIGHT, scene.frames, truth, ignore)


def _load_clip(scene: Scene, path: Path, truth_path: Path) -> SceneClip:
    data = json.loads(truth_path.read_text())
    truth = [[GroundTruthBox(b["label"], b["object_id"], tuple(b["box"]), b["visible"], b.get("hidden", 0.0))
              for b in f]
             for f in data["truth"]]
    ignore = [[tuple(b) for b in f] for f in data["ignore"]]
    return SceneClip(scene, path, WIDTH, HEIGHT, data["frames"], truth, ignore)


QUICK = ("poker_occluded", "lettering_touchline", "cars_noplate", "plates_whip_angle", "bus_handheld")


def build_all(names: list[str] | None = None, log=print) -> list[SceneClip]:
    known = SCENES + SPEED_SCENES
    chosen = [s for s in SCENES if not names or s.name in names] + [s for s in SPEED_SCENES if names and s.name in names]
    unknown = set(names or ()) - {s.name for s in known}
    if unknown:
        raise SystemExit(f"unknown scene(s): {', '.join(sorted(unknown))}; known: {', '.join(s.name for s in known)}")
    return [build_clip(s, log) for s in chosen]


if __name__ == "__main__":
    for clip in build_all():
        sizes = [b.box[2] - b.box[0] for f in clip.truth for b in f]
        print(f"{clip.path}  frames={clip.frames}  boxes={len(sizes)}  "
              f"width {min(sizes):.0f}-{max(sizes):.0f} px")
