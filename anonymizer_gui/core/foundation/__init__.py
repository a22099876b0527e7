"""The floor every engine package stands on: errors a user can cause, progress and cancel, file
hashing, whether an NVIDIA driver loads, a thread that reads ahead (prefetched), the one output-safety check (check_output), the one atomic writer and the per-user folders."""

from .atomic_file import AtomicFile, write_bytes_atomic, write_text_atomic
from .errors import (AnonymizerError, Cancelled, ExportError, MediaError, ModelError, OutputError,
                     ProjectFormatError)
from .file_hash import file_sha256
from .nvidia import nvidia_driver_loads
from .output_check import check_output, same_file
from .package_data import package_file
from .prefetch import prefetched
from .progress import CancelFn, Progress, ProgressFn, ProgressMeter
from .user_dirs import user_dir

__all__ = [
    "AtomicFile", "write_bytes_atomic", "write_text_atomic", "AnonymizerError", "Cancelled", "ExportError",
    "MediaError", "ModelError", "OutputError", "ProjectFormatError", "file_sha256", "nvidia_driver_loads", "check_output", "same_file", "package_file", "prefetched", "CancelFn", "Progress",
    "ProgressFn", "ProgressMeter", "user_dir",
]
