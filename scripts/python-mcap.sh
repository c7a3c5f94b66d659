#!/usr/bin/env bash
# Prints the path of a Python that has the `mcap` package (the recordings interop test reads
# and writes MCAP with it). Uses python3 if it already has it; otherwise makes a virtualenv
# under target/python-mcap and installs the package from PyPI there.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v python3 >/dev/null && python3 -c "import mcap" 2>/dev/null; then
  command -v python3
  exit 0
fi
venv=target/python-mcap
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import mcap" 2>/dev/null; then
  scripts/apt-ensure.sh python3 python3-venv >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet mcap >&2
fi
echo "$PWD/$venv/bin/python"
