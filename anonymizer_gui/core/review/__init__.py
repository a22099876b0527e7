"""Review aids: the queue's risk order and person groups (appearance + motion)."""

from .groups import (Signature, crop_hist, distance, group_people, link_groups, read_signatures, region, sample_frames,
                     signatures)
from .risk import Risk, best_frame, risk_of, risk_order

__all__ = ["Signature", "crop_hist", "distance", "group_people", "link_groups", "read_signatures", "region", "sample_frames",
           "signatures", "Risk", "best_frame", "risk_of", "risk_order"]
