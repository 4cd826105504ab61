#!/usr/bin/env bash
# Set up mmvmt's virtual environment: torch, mmcv 2.1.0 built with its ops, mmengine, mmdet,
# and mmvmt itself (editable). Idempotent: a second run checks and returns in seconds.
#
# Environment variables (all optional):
#   VENV            where the virtual environment lives          (default: .venv)
#   PYTHON          the interpreter that creates it              (default: python3)
#   TORCH_SPEC      what pip installs when the venv has no torch (default: torch==2.13.0)
#   SYSTEM_TORCH    1 to reuse the torch of $PYTHON (e.g. a CUDA build already installed):
#                   the venv is then made with --system-site-packages
#   MMVMT_CACHE     where built mmcv wheels are kept between set-ups (default: ~/.cache/mmvmt)
#   MMCV_MAX_JOBS   parallel compile jobs for mmcv               (default: number of cores)
#   FORCE_CUDA      1 to build mmcv's CUDA ops; default: 1 when torch sees CUDA and nvcc exists
set -euo pipefail

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
MMCV_VERSION=2.1.0
MMVMT_CACHE=${MMVMT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmvmt}
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- what a build of mmcv needs from the system -------------------------------------------
command -v "$PYTHON" >/dev/null || die "no '$PYTHON' on PATH. Install Python >= 3.8 (Debian: apt-get install python3 python3-venv python3-dev)."
"$PYTHON" - <<'EOF' || die "Python headers (Python.h) are missing. Install them (Debian/Ubuntu: apt-get install python3-dev; Fedora: dnf install python3-devel)."
import os, sys, sysconfig
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
EOF
command -v g++ >/dev/null || command -v c++ >/dev/null || die "no C++ compiler found: mmcv's ops are compiled from source. Install one (Debian/Ubuntu: apt-get install build-essential)."

# --- the virtual environment ---------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    VENV_ARGS=()
    if [ "${SYSTEM_TORCH:-0}" = 1 ]; then
        "$PYTHON" -c 'import torch' 2>/dev/null || die "SYSTEM_TORCH=1 but '$PYTHON' cannot import torch."
        VENV_ARGS=(--system-site-packages)
    fi
    say "creating virtual environment $VENV ${VENV_ARGS[*]}"
    "$PYTHON" -m venv "${VENV_ARGS[@]}" "$VENV" || die "could not create a venv (Debian/Ubuntu: apt-get install python3-venv)."
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check -q)
"${PIP[@]}" install -r requirements/build.txt

if ! "$PY" -c 'import torch' 2>/dev/null; then
    say "installing $TORCH_SPEC"
    "${PIP[@]}" install "$TORCH_SPEC"
fi
TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__)')

# --- mmcv with its compiled ops, from a wheel cached outside the repository -----------------
if [ -z "${FORCE_CUDA:-}" ]; then
    if "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() and torch.version.cuda else 1)' \
        && command -v nvcc >/dev/null; then FORCE_CUDA=1; else FORCE_CUDA=0; fi
fi
if "$PY" -c "import mmcv, mmcv._ext, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
    say "mmcv $MMCV_VERSION with ops: already installed"
else
    PYTAG=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
    WHEEL_DIR="$MMVMT_CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$PYTAG-cuda$FORCE_CUDA-$(uname -m)"
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        say "building mmcv $MMCV_VERSION with ops (CUDA ops: $FORCE_CUDA) for torch $TORCH_VERSION:"
        say "  this takes about 10 minutes on 2 cores, once; the wheel is cached in $WHEEL_DIR"
        TMP_DIR=$(mktemp -d)
        trap 'rm -rf "$TMP_DIR"' EXIT
        MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA MAX_JOBS=${MMCV_MAX_JOBS:-$(nproc)} \
            "${PIP[@]}" wheel --no-deps --no-build-isolation "mmcv==$MMCV_VERSION" -w "$TMP_DIR" \
            || die "building mmcv failed (see above). It needs a C++ compiler, Python headers and torch."
        mkdir -p "$WHEEL_DIR"
        mv "$TMP_DIR"/mmcv-*.whl "$WHEEL_DIR"/
    fi
    say "installing mmcv from $WHEEL_DIR"
    "${PIP[@]}" install --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
fi

# --- the rest of the stack and mmvmt itself -------------------------------------------------
"${PIP[@]}" install -r requirements/runtime.txt -r requirements/mminstall.txt -r requirements/optional.txt -r requirements/tests.txt
"${PIP[@]}" install --no-deps --no-build-isolation -e .
"$PY" - <<'EOF'
import mmcv, mmcv.ops, mmdet, mmengine, torch
import mmvmt
print(f"[setup] ready: torch {torch.__version__}, mmcv {mmcv.__version__} (ops), "
      f"mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmvmt {mmvmt.__version__}")
EOF
