#!/usr/bin/env bash
# Creates .venv with Python 3.10 (Rasa 3.6 does not run on 3.11+) and installs the
# pinned environment from requirements.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

works() { "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; }

find_python() {
  local candidate
  if [ -n "${PYTHON:-}" ] && works "$PYTHON"; then echo "$PYTHON"; return; fi
  if command -v python3.10 >/dev/null 2>&1 && works python3.10; then command -v python3.10; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.10*/bin/python3.10; do
      if works "$candidate"; then echo "$candidate"; return; fi
    done
  fi
  for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
    if works "$candidate"; then echo "$candidate"; return; fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! works .venv/bin/python; then
  if ! python=$(find_python); then
    cat >&2 <<'MSG'
No Python 3.10 found. Rasa 3.6 needs Python 3.10 exactly (3.11 and newer are not supported).
Install it, for example with `pyenv install 3.10.13`, or point PYTHON at one:
  make PYTHON=/path/to/python3.10 run
MSG
    exit 1
  fi
  echo "Creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --no-deps -r requirements.lock
.venv/bin/python -m pip check
