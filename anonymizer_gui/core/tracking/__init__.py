"""Detections -> tracks: the ByteTrack-style tracker, Kalman smoothing, post-processing into
keyframed project Tracks, and single-object follow for manual masks."""

from .follow import follow_shape
from .postprocess import TrackShapeSettings, tracklet_to_track
from .tracker import IdCounter, LabelTrackers, TrackerSettings, Tracklet

__all__ = ["follow_shape", "TrackShapeSettings", "tracklet_to_track", "IdCounter", "LabelTrackers",
           "TrackerSettings", "Tracklet"]
