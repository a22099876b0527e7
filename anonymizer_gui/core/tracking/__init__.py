"""Detections -> tracks: the ByteTrack-style tracker, Kalman smoothing, post-processing into
keyframed project Tracks, and single-object follow for manual masks."""

from .camera import CameraMotion
from .follow import follow_shape
from .linking import LinkSettings, TrackletLinker
from .postprocess import DEFAULT_SHAPES, MaskFit, TrackShapeSettings, tracklet_to_track
from .tracker import IdCounter, LabelTrackers, Tracker, TrackerSettings, Tracklet, box_iou

__all__ = ["CameraMotion", "follow_shape", "LinkSettings", "TrackletLinker", "DEFAULT_SHAPES", "MaskFit", "TrackShapeSettings", "tracklet_to_track",
           "IdCounter", "LabelTrackers", "Tracker",
           "TrackerSettings", "Tracklet", "box_iou"]
