#!/usr/bin/env bash
# Set up (idempotent, see scripts/setup.sh) and run the test suite; args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
JCB_SETUP_TEST_TOOLS=1 bash scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"
