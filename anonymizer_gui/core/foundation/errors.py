"""Errors a user can cause. Their message is shown as is: one clear sentence, no traceback."""


class AnonymizerError(Exception):
    """Base of every error caused by input, settings or environment (CLI exit code 1)."""


class MediaError(AnonymizerError):
    """A file cannot be opened, probed or decoded as media."""


class ProjectFormatError(AnonymizerError):
    """A project file is not valid; the message names the exact field."""


class OutputError(AnonymizerError):
    """A file cannot be written where asked (the path, the folder, the disk)."""


class ExportError(OutputError):
    """An export cannot be written (output path, disk, codec)."""


class ModelError(AnonymizerError):
    """A detector model is missing, fails verification or cannot be loaded."""


class Cancelled(Exception):
    """Long work stopped because the user asked; not an error."""
