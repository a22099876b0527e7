"""The service's access token: made at first start in the per-user config folder, readable by the
owner only (0600), or given by the operator."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from ..core.foundation import AnonymizerError, user_dir

TOKEN_FILE = "service-token"
MIN_LENGTH = 16


def token_path() -> Path:
    return user_dir("config", "ANONYMIZER_GUI_CONFIG_DIR") / TOKEN_FILE


def load_or_create_token(path: Path | None = None) -> tuple[str, Path, bool]:
    """(token, its file, whether it was just created). Refuses a token file others can read."""
    path = path or token_path()
    if path.exists():
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise AnonymizerError(f"{path} can be read by other users; run `chmod 600 {path}` or delete it")
        token = path.read_text(encoding="utf-8").strip()
        if len(token) < MIN_LENGTH:
            raise AnonymizerError(f"the token in {path} is shorter than {MIN_LENGTH} characters; delete the file")
        return token, path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    # O_EXCL with mode 0600: the file is never readable by others, not even for a moment
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token, path, True


def check_given_token(token: str) -> str:
    if len(token) < MIN_LENGTH:
        raise AnonymizerError(f"--token must be at least {MIN_LENGTH} characters")
    return token


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
