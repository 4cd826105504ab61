#!/usr/bin/env bash
# The main job on the embedded toy data (run by `make demo`, after set-up and toy data):
# train the tiny model, then test it with the Tube-Boundary AP and print where outputs went.
#   bash tools/demo.sh PYTHON CONFIG WORK_DIR
# DEMO_EVAL: the metrics (short names); the default compares VMT's refined masks with its
# base detector's coarse ones. For a model without coarse outputs: DEMO_EVAL=tube_boundary_ap
set -euo pipefail
PY=${1:-.venv/bin/python}
CONFIG=${2:-configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py}
WORK_DIR=${3:-work_dirs/demo}
DEMO_EVAL=${DEMO_EVAL:-tube_boundary_ap coarse_tube_boundary_ap}
cd "$(dirname "$0")/.."

echo "[demo] training $CONFIG on data/toy_vis (CPU) -> $WORK_DIR"
start=$(date +%s)
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
echo "[demo] training took $(( $(date +%s) - start )) s"

CKPT=$(cat "$WORK_DIR/last_checkpoint")
echo "[demo] testing $CKPT on the toy val split with --eval $DEMO_EVAL"
# shellcheck disable=SC2086
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test" --eval $DEMO_EVAL \
    2>&1 | tee "$WORK_DIR/test.log"

echo
echo "[demo] done. Outputs:"
echo "  checkpoints and training log: $WORK_DIR/"
echo "  test log with the metric tables: $WORK_DIR/test.log"
echo "  toy dataset: data/toy_vis/ (YouTube-VIS format; *_hq.json exact, *_coarse.json coarse)"

# --- the annotated video of a toy val clip (demo/video_demo.py) -----------------------------
CLIPS=(data/toy_vis/val/JPEGImages/*)
CLIP=$(basename "${CLIPS[0]}")
VIDEO_CKPT=$(cat "$WORK_DIR/last_checkpoint")
echo
echo "[demo] drawing the tracks of toy val clip $CLIP with $VIDEO_CKPT"
"$PY" demo/video_demo.py "data/toy_vis/val/JPEGImages/$CLIP" "$CONFIG" --weights "$VIDEO_CKPT" \
    --out "$WORK_DIR/video_demo/$CLIP.mp4" --json "$WORK_DIR/video_demo/$CLIP.json" \
    --draw-coarse
echo "[demo] annotated video: $WORK_DIR/video_demo/$CLIP.mp4 (tracks in $WORK_DIR/video_demo/$CLIP.json)"
