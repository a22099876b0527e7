"""anonymizer_gui: review-and-redact video editor."""

__version__ = "0.1.0"
