"""An av.VideoFrame's planes as numpy views, so masks are burnt into the decoded frame itself.

No RGB round trip: the renderer works on Y, U and V where they are (see render.py). A plane's
rows are `line_size` bytes apart, usually more than its width (alignment padding), so a view is
the buffer reshaped to (height, line_size / itemsize) and cut to the plane's width.

Renderable: planar YUV and grey formats with one component per plane, 8 to 16 bits, little
endian (yuv420p, yuvj420p, yuv422p, yuv444p, yuv440p, yuv410p/411p, their 10/12/16-bit forms,
gray, gray10le ...). Anything else (nv12, packed RGB, formats with alpha, big endian) is converted
once per frame by the caller (export picks the target format) before masks are drawn.
"""

from __future__ import annotations

from typing import Sequence

import av
import numpy as np

from .masks import Mask, PlaneLayout, render_planes

# AVColorSpace values (libavutil/pixfmt.h) -> matrix; everything else (unspecified included)
# is read as BT.601, which is what swscale assumes, so the preview and the export agree.
_MATRIX_BY_COLORSPACE = {1: "bt709", 9: "bt2020", 10: "bt2020"}
_MPEG_RANGE, _JPEG_RANGE = 1, 2


def is_renderable(pix_fmt: str) -> bool:
    try:
        fmt = av.VideoFormat(pix_fmt)
    except (ValueError, av.FFmpegError):
        return False
    comps = fmt.components
    planes = [c.plane for c in comps]
    if fmt.is_rgb or fmt.has_palette or fmt.is_big_endian or fmt.is_bit_stream or fmt.is_bayer:
        return False
    if any(c.is_alpha for c in comps) or len(set(planes)) != len(planes):
        return False
    return len(comps) in (1, 3) and all(1 <= c.bits <= 16 for c in comps)


def layout_of(frame: av.VideoFrame) -> PlaneLayout:
    fmt = frame.format
    comps = fmt.components
    scales = tuple((_ratio(c.width, frame.width), _ratio(c.height, frame.height)) for c in comps)
    grey = len(comps) == 1
    # swscale reads grey as full range and yuvj* as full range, whatever the tag says otherwise.
    full = fmt.name.startswith("yuvj") or int(frame.color_range) == _JPEG_RANGE or \
        (grey and int(frame.color_range) != _MPEG_RANGE)
    return PlaneLayout("gray" if grey else "yuv", scales, bits=comps[0].bits,
                       matrix=_MATRIX_BY_COLORSPACE.get(int(frame.colorspace), "bt601"), full_range=full)


def plane_views(frame: av.VideoFrame) -> list[np.ndarray]:
    """Writable (height, width) views of the frame's planes; valid while the frame lives."""
    dtype = np.uint8 if frame.format.components[0].bits <= 8 else np.dtype("<u2")
    views = []
    for plane in frame.planes:
        if plane.line_size <= 0:
            raise ValueError("frames with negative line sizes are not supported")
        flat = np.frombuffer(plane, dtype=dtype)
        views.append(flat.reshape(plane.height, plane.line_size // flat.itemsize)[:, :plane.width])
    return views


def render_frame(frame: av.VideoFrame, masks: Sequence[Mask]) -> None:
    """Burn `masks` (shapes in this frame's coded pixels) into `frame`, in place.

    A decoded frame may share its buffer with the decoder's reference pictures; writing there
    would corrupt the frames predicted from it, so the frame is made writable (copied if shared)
    first.
    """
    if not masks:
        return
    if not is_renderable(frame.format.name):
        raise ValueError(f"cannot draw masks on {frame.format.name} frames; convert them first")
    frame.make_writable()
    render_planes(plane_views(frame), layout_of(frame), masks)


def mirror_frame(frame: av.VideoFrame) -> None:
    """Flip `frame` left to right, in place (a display matrix that mirrors, baked into the pixels)."""
    if not is_renderable(frame.format.name):
        raise ValueError(f"cannot mirror {frame.format.name} frames; convert them first")
    frame.make_writable()
    for view in plane_views(frame):
        view[...] = view[:, ::-1].copy()


def _ratio(plane_size: int, frame_size: int) -> float:
    """Plane pixels per frame pixel: 1, 1/2 or 1/4 (odd sizes round the plane up)."""
    if plane_size >= frame_size:
        return 1.0
    return 1.0 / round(frame_size / plane_size)
