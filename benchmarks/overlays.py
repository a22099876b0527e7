"""Things pasted into a scene's world besides face copies: lettering and signs, and occluders.

Both are crops of the real photos in `photos.py`, never drawn:
- a `Sticker` is lettering or a sign put where no face or plate is (a shirt, a shop front, a wall):
  it must not be masked, so any change there counts as "changed outside";
- an `Occluder` hides one side of a face (a shoulder, a hand, a microphone, another head). The
  face's ground truth becomes the part still visible; the whole face box is an ignore region, so
  a mask over the hidden part is neither right nor wrong. The hidden share may sweep over the clip
  (a head moving behind a shoulder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from benchmarks.photos import PHOTOS, Box, load_photo

SIDES = ("left", "right", "top", "bottom")


@dataclass(frozen=True)
class Sticker:
    """Crop `crop` of photo `photo` pasted with its centre at world (x, y), `width` world px wide."""

    photo: str
    crop: Box
    x: float
    y: float
    width: float
    about: str = ""


@dataclass(frozen=True)
class Occluder:
    """Hides `side` of face `covers` (an index into the scene's faces: the photo's, then the copies').

    `share` of the face box is hidden at frame 0, `share + sweep` at the last frame. The occluder
    is the crop `crop` of `photo`, or, when `face` >= 0, that face of `photo` (another head, which
    is then ground truth itself).
    """

    covers: int
    side: str
    share: float
    photo: str
    crop: Box = (0, 0, 0, 0)
    face: int = -1
    sweep: float = 0.0
    about: str = ""


def _crop(photo: str, box: Box) -> np.ndarray:
    img = load_photo(photo)
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    return img[max(0, y1):y2, max(0, x1):x2]


def _paste(world: np.ndarray, patch: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Alpha-blend `patch` into `world` with its top-left at (x, y), clipped to the world."""
    h, w = patch.shape[:2]
    X1, Y1 = max(0, x), max(0, y)
    X2, Y2 = min(world.shape[1], x + w), min(world.shape[0], y + h)
    if X2 <= X1 or Y2 <= Y1:
        return
    p = patch[Y1 - y:Y2 - y, X1 - x:X2 - x].astype(np.float32)
    a = alpha[Y1 - y:Y2 - y, X1 - x:X2 - x, None]
    region = world[Y1:Y2, X1:X2]
    region[:] = (p * a + region * (1 - a) + 0.5).astype(np.uint8)


def _hard_alpha(h: int, w: int) -> np.ndarray:
    """Opaque, with a 1 px soft edge: real occluders and signs have sharp outlines."""
    alpha = np.zeros((h + 4, w + 4), np.float32)
    alpha[2:-2, 2:-2] = 1.0
    return cv2.GaussianBlur(alpha, (0, 0), 0.8)[2:-2, 2:-2]


def paste_sticker(world: np.ndarray, sticker: Sticker, scale: float = 1.0) -> None:
    crop = _crop(sticker.photo, sticker.crop)
    width = sticker.width * scale
    k = width / crop.shape[1]
    patch = cv2.resize(crop, (max(2, round(width)), max(2, round(crop.shape[0] * k))),
                       interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    h, w = patch.shape[:2]
    _paste(world, patch, _hard_alpha(h, w), round(sticker.x * scale - w / 2), round(sticker.y * scale - h / 2))


def hidden_share(occ: Occluder, frame: int, frames: int) -> float:
    return occ.share + occ.sweep * frame / max(1, frames - 1)


def visible_part(face: Box, side: str, share: float) -> Box:
    """The part of the face box the occluder leaves in view."""
    x1, y1, x2, y2 = face
    w, h = x2 - x1, y2 - y1
    if side == "left":
        return (x1 + share * w, y1, x2, y2)
    if side == "right":
        return (x1, y1, x2 - share * w, y2)
    if side == "top":
        return (x1, y1 + share * h, x2, y2)
    if side == "bottom":
        return (x1, y1, x2, y2 - share * h)
    raise ValueError(f"side must be one of {SIDES}, not {side!r}")


def paste_occluder(world: np.ndarray, occ: Occluder, face: Box, share: float,
                   face_sprite=None) -> Box | None:
    """Paste the occluder over `face` (world px); returns the occluding head's face box, if it is one."""
    x1, y1, x2, y2 = face
    w, h = x2 - x1, y2 - y1
    if occ.face >= 0:
        sprite, alpha, sface = face_sprite
        sw, sh = sface[2] - sface[0], sface[3] - sface[1]
        # the other head's face box ends where the hidden band ends, a little lower (nearer the camera)
        if occ.side == "left":
            fx2 = x1 + share * w
            box = (fx2 - sw, y1 + 0.1 * h, fx2, y1 + 0.1 * h + sh)
        elif occ.side == "right":
            fx1 = x2 - share * w
            box = (fx1, y1 + 0.1 * h, fx1 + sw, y1 + 0.1 * h + sh)
        else:
            raise ValueError("a head occludes from the left or the right")
        _paste(world, sprite, alpha, round(box[0] - sface[0]), round(box[1] - sface[1]))
        return box
    crop = _crop(occ.photo, occ.crop)
    # the occluder reaches past the face on its own side and along the hidden edge
    if occ.side in ("left", "right"):
        pw, ph = share * w + 0.6 * w, 1.6 * h
        px = x1 - 0.6 * w if occ.side == "left" else x2 - share * w
        py = y1 - 0.3 * h
    else:
        pw, ph = 1.6 * w, share * h + 0.6 * h
        px = x1 - 0.3 * w
        py = y1 - 0.6 * h if occ.side == "top" else y2 - share * h
    patch = cv2.resize(crop, (max(2, round(pw)), max(2, round(ph))), interpolation=cv2.INTER_AREA)
    _paste(world, patch, _hard_alpha(*patch.shape[:2]), math.floor(px), math.floor(py))
    return None


def face_box_of(photo: str, index: int) -> Box:
    return PHOTOS[photo].faces[index]
