"""Display rotation: reading it from decoded frames, writing it into output streams, applying it.

One convention for the whole program: `rotation` is the CLOCKWISE angle (0, 90, 180, 270) by
which the coded picture must be turned to be shown upright; a phone's portrait video is 90.
A display matrix may also mirror the picture (a "flip" edit, some front cameras): `mirrored` then
says that the coded picture is flipped left to right first, and `rotation` turns the flipped one.
This is FFmpeg's old `rotate` tag and the opposite sign of `av_display_rotation_get()`, which
PyAV exposes as `VideoFrame.rotation` (counter-clockwise) and takes in
`VideoStream.set_display_rotation()` (counter-clockwise as well).
"""

from __future__ import annotations

import math
import struct

import av
import cv2
import numpy as np

_CV2_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def normalize_rotation(degrees: float) -> int:
    """Clockwise angle rounded to the nearest quarter turn, in 0..270."""
    return int(round(float(degrees) / 90.0)) % 4 * 90


def rotation_of_frame(frame) -> int:
    """Clockwise display rotation carried by a decoded av.VideoFrame (0 when it has none)."""
    return display_transform_of_frame(frame)[0]


def display_transform_of_frame(frame) -> tuple[int, bool]:
    """(clockwise rotation, mirrored) of a decoded av.VideoFrame's display matrix (see above).

    FFmpeg's av_display_rotation_get() reads a mirror as a half turn (a left-right flip is the
    matrix diag(-1, 1)): a mirrored video was shown upside down. A matrix with a negative
    determinant is split into the flip and the rotation of the flipped picture, as FFmpeg's own
    autorotation does."""
    matrix = _display_matrix(frame)
    if matrix is None:
        return normalize_rotation(-frame.rotation), False
    a, b, c, d = matrix[0], matrix[1], matrix[3], matrix[4]
    mirrored = a * d - b * c < 0
    if mirrored:  # the rotation that follows a left-right flip of the coded picture
        a, b = -a, -b
    ax, bx = math.hypot(a, c), math.hypot(b, d)
    if not ax or not bx:
        return 0, False
    return normalize_rotation(math.degrees(math.atan2(b / bx, a / ax))), mirrored


def _display_matrix(frame) -> tuple[int, ...] | None:
    for item in list(frame.side_data):
        if item.type == av.sidedata.sidedata.Type.DISPLAYMATRIX:
            raw = bytes(item)
            if len(raw) == 36:
                return struct.unpack("=9i", raw)
    return None


def set_display_rotation(stream, rotation: int) -> None:
    """Make an output av.VideoStream carry `rotation` (clockwise) in its display matrix.

    Call it after `add_stream()` and before the first `encode()`: PyAV writes the matrix into
    the stream's coded side data when the header is written. MP4/MOV store it as the track
    header matrix, Matroska/WebM as projection/rotation elements. Frames are encoded in coded
    orientation (as decoded), so the output shows exactly what the input showed.
    """
    rotation = normalize_rotation(rotation)
    if rotation:
        stream.set_display_rotation(-rotation)


def rotate_to_display(img: np.ndarray, rotation: int, mirrored: bool = False) -> np.ndarray:
    """Turn a coded-orientation image clockwise by `rotation` degrees, after flipping it left to
    right where `mirrored` (a copy when turned or flipped)."""
    if mirrored:
        img = cv2.flip(img, 1)
    rotation = normalize_rotation(rotation)
    if rotation == 0:
        return img
    return cv2.rotate(img, _CV2_ROTATE[rotation])


def display_size(coded_width: int, coded_height: int, rotation: int) -> tuple[int, int]:
    """(width, height) as shown once `rotation` is applied."""
    if normalize_rotation(rotation) in (90, 270):
        return coded_height, coded_width
    return coded_width, coded_height
