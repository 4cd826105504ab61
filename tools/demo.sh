#!/usr/bin/env bash
# The main job on the embedded toy data (run by `make demo`, after set-up and toy data):
# train the tiny model, then test it with the Tube-Boundary AP and print where outputs went.
#   bash tools/demo.sh PYTHON CONFIG WORK_DIR
set -euo pipefail
PY=${1:-.venv/bin/python}
CONFIG=${2:-configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py}
WORK_DIR=${3:-work_dirs/demo}
cd "$(dirname "$0")/.."

echo "[demo] training $CONFIG on data/toy_vis (CPU) -> $WORK_DIR"
start=$(date +%s)
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
echo "[demo] training took $(( $(date +%s) - start )) s"

CKPT=$(cat "$WORK_DIR/last_checkpoint")
echo "[demo] testing $CKPT on the toy val split with --eval tube_boundary_ap"
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test" \
    --eval tube_boundary_ap ${DEMO_EVAL_EXTRA:-} | tee "$WORK_DIR/test.log"

echo
echo "[demo] done. Outputs:"
echo "  checkpoints and training log: $WORK_DIR/"
echo "  test log with the metric tables: $WORK_DIR/test.log"
echo "  toy dataset: data/toy_vis/ (YouTube-VIS format; *_hq.json exact, *_coarse.json coarse)"
