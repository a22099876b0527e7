#!/usr/bin/env bash
# Quick start for developers: set up .venv with the test tools and models, then run the whole test suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup_env.sh --dev
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
