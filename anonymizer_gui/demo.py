"""The `--demo` clip: real photographs that ship inside scikit-image, filmed by a known camera path.

A wide "wall" holds the astronaut (Eileen Collins), the cameraman, four small portraits from the
Labeled Faces in the Wild sample, a motorcycle with a number plate and a cup of coffee (something
that must stay unmasked). A virtual camera pans across the wall and zooms in, so faces move and
change size the way they do in real footage. The clip (4 s at 960x540 and 25 fps, kept small so the
first analysis a new user waits for is short; H.264 MP4 with a tone on an AAC track) is written once
to the user cache and reused.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from .core.foundation import user_dir

DEMO_VERSION = 2  # bump when the clip changes, so caches rebuild
WALL_SIZE = (2400, 1100)  # width, height of the scene the camera films

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class DemoScene:
    wall: np.ndarray  # BGR
    faces: tuple[Box, ...]  # face boxes on the wall
    plates: tuple[Box, ...]


def default_demo_path() -> Path:
    return user_dir("cache", "ANONYMIZER_GUI_CACHE_DIR") / "demo" / f"demo-v{DEMO_VERSION}.mp4"


def _rgb_to_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(img, cv2.COLOR_RGB2BGR)


def _paste(wall: np.ndarray, img: np.ndarray, x: int, y: int, width: int) -> float:
    """Paste `img` scaled to `width` at (x, y) with a thin frame; returns the scale used."""
    scale = width / img.shape[1]
    h = int(round(img.shape[0] * scale))
    resized = cv2.resize(img, (width, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    cv2.rectangle(wall, (x - 6, y - 6), (x + width + 5, y + h + 5), (32, 32, 36), -1)
    wall[y:y + h, x:x + width] = resized
    return scale


def _draw_plate(wall: np.ndarray, x: int, y: int, w: int, text: str = "AB 123 CD") -> Box:
    """A European-style plate: white, black border and letters, blue band on the left."""
    h = int(w * 0.22)
    cv2.rectangle(wall, (x, y), (x + w, y + h), (245, 245, 245), -1)
    cv2.rectangle(wall, (x, y), (x + w, y + h), (20, 20, 20), max(2, w // 80))
    band = int(w * 0.09)
    cv2.rectangle(wall, (x + 2, y + 2), (x + band, y + h - 2), (160, 60, 20), -1)
    scale = h / 40.0
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, max(1, int(scale * 2)))
    tx = x + band + (w - band - tw) // 2
    ty = y + (h + th) // 2
    cv2.putText(wall, text, (tx, ty), cv2.FONT_HERSHEY_DUPLEX, scale, (15, 15, 15), max(1, int(scale * 2)),
                cv2.LINE_AA)
    return (float(x), float(y), float(x + w), float(y + h))


def build_scene() -> DemoScene:
    from skimage import data  # the photographs ship inside the scikit-image wheel

    ww, wh = WALL_SIZE
    ys, xs = np.mgrid[0:wh, 0:ww].astype(np.float32)
    wall = np.empty((wh, ww, 3), np.uint8)
    wall[..., 0] = (70 + 30 * xs / ww).astype(np.uint8)  # a softly lit grey-blue wall
    wall[..., 1] = (72 + 20 * ys / wh).astype(np.uint8)
    wall[..., 2] = (78 + 25 * (1 - ys / wh)).astype(np.uint8)

    faces: list[Box] = []
    s = _paste(wall, _rgb_to_bgr(data.astronaut()), 120, 240, 560)
    faces.append(tuple(v * s + o for v, o in zip((165, 40, 260, 160), (120, 240, 120, 240))))
    s = _paste(wall, _rgb_to_bgr(data.camera()), 800, 330, 420)
    faces.append(tuple(v * s + o for v, o in zip((225, 60, 305, 165), (800, 330, 800, 330))))

    portraits = data.lfw_subset()[:4]  # the first half of the sample are faces
    for k, face in enumerate(portraits):
        img = (np.clip(face, 0, 1) * 255).astype(np.uint8) if face.dtype != np.uint8 else face
        x, y, w = 1300 + k * 150, 200, 110
        _paste(wall, _rgb_to_bgr(img), x, y, w)
        faces.append((float(x), float(y), float(x + w), float(y + w)))

    moto = _rgb_to_bgr(data.stereo_motorcycle()[0])
    s = _paste(wall, moto, 1300, 470, 620)
    plates = [_draw_plate(wall, int(1300 + 45 * s), int(470 + 228 * s), int(120 * s * 1.4))]
    _paste(wall, _rgb_to_bgr(data.coffee()), 1980, 560, 360)
    return DemoScene(wall, tuple(faces), tuple(plates))


def camera_matrix(t: float, width: int, height: int) -> np.ndarray:
    """Affine map wall -> frame at time share t in [0, 1]: a pan left to right with a slow zoom-in."""
    ease = 0.5 - 0.5 * np.cos(np.pi * t)
    ww, wh = WALL_SIZE
    view_w = 1500 - 200 * ease  # wall pixels seen across the frame
    view_h = view_w * height / width
    cx = view_w / 2 + 40 + (ww - view_w - 80) * ease
    cy = 545 + 40 * np.sin(2 * np.pi * t)  # keeps the portraits and the whole motorcycle in view
    cy = min(max(cy, view_h / 2), wh - view_h / 2)
    scale = width / view_w
    return np.array([[scale, 0, width / 2 - cx * scale], [0, scale, height / 2 - cy * scale]], np.float64)


def map_box(box: Box, matrix: np.ndarray) -> Box:
    x1, y1, x2, y2 = box
    a, _, tx = matrix[0]
    _, d, ty = matrix[1]
    return (x1 * a + tx, y1 * d + ty, x2 * a + tx, y2 * d + ty)


def build_demo_clip(path: str | os.PathLike | None = None, *, width: int = 960, height: int = 540,
                    seconds: float = 4.0, fps: int = 25, force: bool = False) -> Path:
    """Write the demo clip (once) and return its path; an existing file is reused unless `force`."""
    path = Path(path) if path is not None else default_demo_path()
    if path.is_file() and path.stat().st_size > 0 and not force:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = build_scene()
    frames = max(1, int(round(seconds * fps)))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".mp4", dir=path.parent)
    os.close(fd)
    try:
        _encode(Path(tmp), scene, width, height, frames, fps)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _encode(path: Path, scene: DemoScene, width: int, height: int, frames: int, fps: int) -> None:
    rate = Fraction(fps)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=rate, options={"crf": "20", "preset": "veryfast"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for i in range(frames):
            m = camera_matrix(i / max(1, frames - 1), width, height)
            img = cv2.warpAffine(scene.wall, m, (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24").reformat(format="yuv420p")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        _write_tone(out, audio, frames / fps)


def _write_tone(out, stream, seconds: float, freq: float = 440.0, sample_rate: int = 48000) -> None:
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    wave = (0.2 * np.sin(2 * np.pi * freq * t) * np.minimum(1, np.minimum(t, seconds - t) * 20)).astype(np.float32)
    chunk = 1024
    for start in range(0, n, chunk):
        part = np.ascontiguousarray(np.repeat(wave[None, start:start + chunk], 2, axis=0))
        frame = av.AudioFrame.from_ndarray(part, format="fltp", layout="stereo")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def demo_truth(width: int = 960, height: int = 540, seconds: float = 4.0, fps: int = 25
               ) -> list[tuple[tuple[Box, ...], tuple[Box, ...]]]:
    """(faces, plates) boxes in frame pixels for every frame of a clip built with these arguments."""
    scene_faces, scene_plates = build_scene_boxes()
    frames = max(1, int(round(seconds * fps)))
    out = []
    for i in range(frames):
        m = camera_matrix(i / max(1, frames - 1), width, height)
        out.append((tuple(map_box(b, m) for b in scene_faces), tuple(map_box(b, m) for b in scene_plates)))
    return out


def build_scene_boxes() -> tuple[tuple[Box, ...], tuple[Box, ...]]:
    scene = build_scene()
    return scene.faces, scene.plates
