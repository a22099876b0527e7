"""The Project: the one source of truth (plain dataclasses), its JSON files, interpolation between
keyframes (CVAT's rules, fail closed), every track edit as a pure function, and tracks in CVAT
and MOT files."""

from . import audio_edits, track_edits
from .cvat import tracks_from_cvat_xml, tracks_to_cvat_xml
from .interchange import TRACK_FORMATS, format_of, read_tracks, write_tracks
from .interpolate import MaskSchedule, covering_outline, masked_ranges, masks_at, shape_at
from .json_io import load_project, project_from_dict, project_to_dict, save_project
from .mot import tracks_from_mot_csv, tracks_to_mot_csv
from .model import (MIN_STRENGTH, AUDIO_ACTIONS, DEFAULT_LEVEL_DBFS, DEFAULT_REASONS, DEFAULT_TONE_HZ, MASKED_STATES,
                    REASON_REQUIRED_STATES, REVIEW_MIN_FRAMES, REVIEW_MIN_MEAN_SCORE, REVIEW_STATES, SCHEMA_VERSION,
                    SHAPE_KINDS, SOURCES, STYLE_KINDS, AudioRange, CaseDetails, ExportSettings, Keyframe, MaskStyle,
                    MediaRef, Project, Reason, Shape, Track)

__all__ = [
    "MIN_STRENGTH", "audio_edits", "AUDIO_ACTIONS", "DEFAULT_LEVEL_DBFS", "DEFAULT_TONE_HZ", "AudioRange",
    "track_edits",
    "tracks_from_cvat_xml", "tracks_to_cvat_xml", "tracks_from_mot_csv", "tracks_to_mot_csv", "TRACK_FORMATS",
    "format_of", "read_tracks", "write_tracks", "covering_outline", "masked_ranges", "masks_at", "MaskSchedule", "shape_at", "load_project", "project_from_dict",
    "project_to_dict", "save_project", "REVIEW_MIN_FRAMES", "REVIEW_MIN_MEAN_SCORE", "SCHEMA_VERSION",
    "SHAPE_KINDS", "SOURCES", "STYLE_KINDS", "ExportSettings", "Keyframe", "MaskStyle", "MediaRef", "Project",
    "Shape", "Track", "DEFAULT_REASONS", "MASKED_STATES", "REASON_REQUIRED_STATES", "REVIEW_STATES",
    "CaseDetails", "Reason",
]
