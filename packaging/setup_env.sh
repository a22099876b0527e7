#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment in .venv and fetch the model weights.
# Idempotent: a second run only checks. Usage: packaging/setup_env.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "anonymizer-gui needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "== installing anonymizer-gui${extras} into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras}"
  touch "$stamp"
fi

echo "== model weights"
.venv/bin/anonymizer-gui models fetch
