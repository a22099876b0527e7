"""Constant-velocity Kalman filter for boxes, online (tracking) and offline (RTS smoothing).

State of one box: centre x, centre y, width, height, each with its velocity in pixels per frame.
We track width and height rather than ByteTrack's aspect ratio and height because a face that
turns, or a plate seen at an angle, changes its aspect ratio fast, and because the four coordinates
then decouple: motion and measurement act on each coordinate alone, so the filter is four
two-state (position, velocity) filters whose 2x2 algebra numpy does for every box at once.

Arrays: `mean` is (..., 4, 2) [coordinate, (position, velocity)], `cov` is (..., 4, 2, 2).
Noise is proportional to the box size (x-like coordinates to the width, y-like to the height),
as in ByteTrack, so one tuning fits a 20 px face and a 400 px one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_SIZE = 1.0  # px; keeps noise positive and boxes non-degenerate when a size velocity runs away


def boxes_to_cxcywh(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64)
    out = np.empty_like(b)
    out[..., 0] = (b[..., 0] + b[..., 2]) / 2
    out[..., 1] = (b[..., 1] + b[..., 3]) / 2
    out[..., 2] = b[..., 2] - b[..., 0]
    out[..., 3] = b[..., 3] - b[..., 1]
    return out


def cxcywh_to_boxes(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)
    w = np.maximum(c[..., 2], MIN_SIZE)
    h = np.maximum(c[..., 3], MIN_SIZE)
    return np.stack([c[..., 0] - w / 2, c[..., 1] - h / 2, c[..., 0] + w / 2, c[..., 1] + h / 2], axis=-1)


def size_scale(cxcywh: np.ndarray) -> np.ndarray:
    """Per-coordinate noise scale (..., 4): the width for cx and w, the height for cy and h."""
    w = np.maximum(cxcywh[..., 2], MIN_SIZE)
    h = np.maximum(cxcywh[..., 3], MIN_SIZE)
    return np.stack([w, h, w, h], axis=-1)


@dataclass(frozen=True)
class BoxMotionModel:
    """Noise of the constant-velocity model, as shares of the box size.

    pos_noise / vel_noise: process noise per frame. Larger values follow sudden turns faster but
    smooth less. meas_noise: how far a detector box is trusted; larger values smooth more but lag
    more at sudden turns. The defaults are ByteTrack's (1/20, 1/160, 1/20), which trade little lag
    for little smoothing: right for association, where a lagging prediction loses the match.
    """

    pos_noise: float = 1 / 20
    vel_noise: float = 1 / 160
    meas_noise: float = 1 / 20
    init_pos_noise: float = 2 / 20  # a new track's first box is one noisy measurement
    init_vel_noise: float = 10 / 160  # and its velocity is unknown

    def initiate(self, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """State of new tracks from their first boxes (N, 4): zero velocity, wide uncertainty."""
        c = boxes_to_cxcywh(boxes)
        s = size_scale(c)
        mean = np.zeros(c.shape + (2,))
        mean[..., 0] = c
        cov = np.zeros(c.shape + (2, 2))
        cov[..., 0, 0] = (self.init_pos_noise * s) ** 2
        cov[..., 1, 1] = (self.init_vel_noise * s) ** 2
        return mean, cov

    def process_noise(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (self.pos_noise * s) ** 2, (self.vel_noise * s) ** 2

    def predict(self, mean: np.ndarray, cov: np.ndarray, steps: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Advance `steps` frames."""
        mean, cov = mean.copy(), cov.copy()
        for _ in range(steps):
            mean, cov = _predict_step(mean, cov, *self.process_noise(size_scale(mean[..., 0])))
        return mean, cov

    def update(self, mean: np.ndarray, cov: np.ndarray, boxes: np.ndarray,
               meas_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Correct states (N, 4, 2) with their matched boxes (N, 4)."""
        z = boxes_to_cxcywh(boxes)
        r = (self.meas_noise * meas_scale * size_scale(mean[..., 0])) ** 2
        return _update_step(mean, cov, z, r)

    @staticmethod
    def boxes(mean: np.ndarray) -> np.ndarray:
        """x1, y1, x2, y2 of states (..., 4, 2)."""
        return cxcywh_to_boxes(mean[..., 0])


def _predict_step(mean, cov, q_pos, q_vel):
    m = mean.copy()
    m[..., 0] += m[..., 1]
    p00, p01, p11 = cov[..., 0, 0], cov[..., 0, 1], cov[..., 1, 1]
    c = np.empty_like(cov)
    # F P F^T with F = [[1, 1], [0, 1]], plus diagonal Q
    c[..., 0, 0] = p00 + 2 * p01 + p11 + q_pos
    c[..., 0, 1] = c[..., 1, 0] = p01 + p11
    c[..., 1, 1] = p11 + q_vel
    # a size whose velocity ran away must not turn negative (lost tracks drift for max_age frames)
    m[..., 2:, 0] = np.maximum(m[..., 2:, 0], MIN_SIZE)
    return m, c


def _update_step(mean, cov, z, r):
    p00, p01, p11 = cov[..., 0, 0], cov[..., 0, 1], cov[..., 1, 1]
    s = p00 + r
    k0, k1 = p00 / s, p01 / s
    innov = z - mean[..., 0]
    m = mean.copy()
    m[..., 0] += k0 * innov
    m[..., 1] += k1 * innov
    c = np.empty_like(cov)
    # (I - K H) P, written out so it stays symmetric
    c[..., 0, 0] = (1 - k0) * p00
    c[..., 0, 1] = c[..., 1, 0] = (1 - k0) * p01
    c[..., 1, 1] = p11 - k1 * p01
    return m, c


def rts_smooth(observed: np.ndarray, model: BoxMotionModel, meas_scale: float = 1.0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Forward filter + Rauch-Tung-Striebel backward pass over consecutive frames.

    observed: (T, 4) boxes x1y1x2y2 with NaN rows where nothing was detected (the first row must be
    observed). Returns the smoothed state (T, 4, 2) (cx, cy, w, h and their velocities) and the
    smoothed position variance (T, 4). A zero-lag smoother for constant velocity: unlike a causal
    filter it does not trail behind a moving box, and across missed frames it bridges by the motion
    model, with the detections on both sides of the gap pulling the estimate.
    `meas_scale` multiplies the measurement noise: 0 passes exactly through every detection.
    """
    obs = np.asarray(observed, dtype=np.float64)
    t_count = len(obs)
    have = ~np.isnan(obs).any(axis=1)
    if not have[0]:
        raise ValueError("rts_smooth needs a detection on its first frame")
    mean, cov = model.initiate(obs[:1])
    mean, cov = mean[0], cov[0]
    # Noise is scaled by the detected size held across gaps, so it does not depend on the estimate
    # itself and the forward and backward passes see the same model.
    idx = np.maximum.accumulate(np.where(have, np.arange(t_count), 0))
    scale = size_scale(boxes_to_cxcywh(obs[idx]))
    m_pred = np.empty((t_count, 4, 2))
    c_pred = np.empty((t_count, 4, 2, 2))
    m_filt = np.empty_like(m_pred)
    c_filt = np.empty_like(c_pred)
    z_all = boxes_to_cxcywh(obs)
    r_all = (model.meas_noise * meas_scale * scale) ** 2
    for t in range(t_count):
        if t > 0:
            mean, cov = _predict_step(mean, cov, *model.process_noise(scale[t]))
        m_pred[t], c_pred[t] = mean, cov
        if have[t]:
            mean, cov = _update_step(mean, cov, z_all[t], r_all[t])
        m_filt[t], c_filt[t] = mean, cov
    m_s = m_filt.copy()
    c_s = c_filt.copy()
    for t in range(t_count - 2, -1, -1):
        p = c_filt[t]
        # C = P_filt F^T P_pred(t+1)^-1, with the 2x2 inverse written out
        pf = np.empty_like(p)
        pf[..., 0, 0] = p[..., 0, 0] + p[..., 0, 1]
        pf[..., 0, 1] = p[..., 0, 1]
        pf[..., 1, 0] = p[..., 1, 0] + p[..., 1, 1]
        pf[..., 1, 1] = p[..., 1, 1]
        gain = pf @ _inv2(c_pred[t + 1])
        m_s[t] = m_filt[t] + (gain @ (m_s[t + 1] - m_pred[t + 1])[..., None])[..., 0]
        c_s[t] = c_filt[t] + gain @ (c_s[t + 1] - c_pred[t + 1]) @ np.swapaxes(gain, -1, -2)
    return m_s, c_s[..., 0, 0]


def _inv2(a: np.ndarray) -> np.ndarray:
    det = a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
    det = np.where(np.abs(det) < 1e-12, 1e-12, det)
    out = np.empty_like(a)
    out[..., 0, 0] = a[..., 1, 1] / det
    out[..., 1, 1] = a[..., 0, 0] / det
    out[..., 0, 1] = -a[..., 0, 1] / det
    out[..., 1, 0] = -a[..., 1, 0] / det
    return out
