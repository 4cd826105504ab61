#!/usr/bin/env bash
# The main job on the embedded toy data (run by `make demo`, after set-up and toy data):
# train the tiny model, then test it with the Tube-Boundary AP and print where outputs went.
#   bash tools/demo.sh PYTHON CONFIG WORK_DIR
# DEMO_EVAL: the metrics (short names); the default compares VMT's refined masks with its
# base detector's coarse ones. For a model without coarse outputs: DEMO_EVAL=tube_boundary_ap
# DEMO_ITERS: training iterations of the main job (default 600; the config has 1800).
# Then the refiner on a style it never saw (docs/experiments.md, Table 3 protocol): a
# class-agnostic refiner trains DEMO_REFINER_ITERS iterations (default 1000, as its config)
# on the variety-style toy videos, corrects the coarse annotations of the garden-style
# videos once, and the table compares coarse and corrected masks with the exact ones.
# DEMO_REFINER_ITERS=0 skips that part. The refiner trains on one CPU thread in the
# background while the main job trains on the others (DEMO_PARALLEL=0: one after the
# other): two one-thread jobs get more out of 2 cores than one two-thread job.
set -euo pipefail
PY=${1:-.venv/bin/python}
CONFIG=${2:-configs/vmt/vmt_tiny_r18_1xb2-toy_vis.py}
WORK_DIR=${3:-work_dirs/demo}
DEMO_EVAL=${DEMO_EVAL:-tube_boundary_ap coarse_tube_boundary_ap}
DEMO_ITERS=${DEMO_ITERS:-600}
DEMO_REFINER_ITERS=${DEMO_REFINER_ITERS:-1000}
DEMO_PARALLEL=${DEMO_PARALLEL:-1}
cd "$(dirname "$0")/.."
demo_start=$(date +%s)

REF_CONFIG=configs/self_correction/vmt_tiny_self-correction_toy-vis-variety.py
GARDEN=data/toy_vis_garden
REF_DIR="$WORK_DIR/refiner"
REF_LOG="$WORK_DIR/refiner_train.log"
REF_PID=""
train_refiner() {
    local start
    start=$(date +%s)
    # The learning-rate step stays at 3/4 of the run, as in the config.
    "$PY" tools/train.py "$REF_CONFIG" --work-dir "$REF_DIR" --cfg-options self_correction=None \
        train_cfg.max_iters="$DEMO_REFINER_ITERS" train_cfg.val_interval="$DEMO_REFINER_ITERS" \
        default_hooks.checkpoint.interval="$DEMO_REFINER_ITERS" \
        param_scheduler.1.end="$DEMO_REFINER_ITERS" \
        "param_scheduler.1.milestones=[$(( DEMO_REFINER_ITERS * 3 / 4 ))]"
    echo "[demo] refiner training took $(( $(date +%s) - start )) s"
}
cleanup() {
    if [ -n "$REF_PID" ]; then kill "$REF_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

MAIN_ENV=(env)  # the main job's environment: its thread count when the refiner runs beside it
if [ "$DEMO_REFINER_ITERS" -gt 0 ]; then
    mkdir -p "$WORK_DIR"
    echo "[demo] the class-agnostic refiner: $DEMO_REFINER_ITERS iterations on the variety-style"
    echo "       toy videos, then it corrects the garden-style coarse annotations (a style it"
    echo "       never trains on)"
    # Both datasets are deterministic and take seconds; regenerated like data/toy_vis.
    "$PY" tools/dataset_converters/make_toy_vis.py --style variety --force
    "$PY" tools/dataset_converters/make_toy_vis.py --style garden --force
    if [ "$DEMO_PARALLEL" = 1 ]; then
        cores=$(nproc 2>/dev/null || echo 2)
        MAIN_ENV=(env OMP_NUM_THREADS=$(( cores > 2 ? cores - 1 : 1 )))
        echo "[demo] the refiner trains in the background (1 thread, log: $REF_LOG)"
        ( export OMP_NUM_THREADS=1; train_refiner ) > "$REF_LOG" 2>&1 &
        REF_PID=$!
    fi
fi

echo "[demo] training $CONFIG on data/toy_vis (CPU, $DEMO_ITERS iterations) -> $WORK_DIR"
start=$(date +%s)
# The learning-rate step stays at 5/6 of the run, as in the config.
"${MAIN_ENV[@]}" "$PY" tools/train.py "$CONFIG" \
    --work-dir "$WORK_DIR" --cfg-options \
    train_cfg.max_iters="$DEMO_ITERS" train_cfg.val_interval="$DEMO_ITERS" \
    default_hooks.checkpoint.interval="$DEMO_ITERS" param_scheduler.1.end="$DEMO_ITERS" \
    "param_scheduler.1.milestones=[$(( DEMO_ITERS * 5 / 6 ))]"
echo "[demo] training took $(( $(date +%s) - start )) s"

CKPT=$(cat "$WORK_DIR/last_checkpoint")
echo "[demo] testing $CKPT on the toy val split with --eval $DEMO_EVAL"
# shellcheck disable=SC2086
"${MAIN_ENV[@]}" "$PY" tools/test.py "$CONFIG" "$CKPT" \
    --work-dir "$WORK_DIR/test" --eval $DEMO_EVAL 2>&1 | tee "$WORK_DIR/test.log"

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
"${MAIN_ENV[@]}" "$PY" demo/video_demo.py \
    "data/toy_vis/val/JPEGImages/$CLIP" "$CONFIG" --weights "$VIDEO_CKPT" \
    --out "$WORK_DIR/video_demo/$CLIP.mp4" --json "$WORK_DIR/video_demo/$CLIP.json" \
    --draw-coarse
echo "[demo] annotated video: $WORK_DIR/video_demo/$CLIP.mp4 (tracks in $WORK_DIR/video_demo/$CLIP.json)"

# --- the refiner on an unseen style: the Table 3 protocol row (docs/experiments.md) ---------
if [ "$DEMO_REFINER_ITERS" -gt 0 ]; then
    echo
    if [ -n "$REF_PID" ]; then
        echo "[demo] waiting for the refiner's training (log: $REF_LOG)"
        pid=$REF_PID
        REF_PID=""
        if ! wait "$pid"; then
            tail -n 30 "$REF_LOG"
            echo "[demo] the refiner's training failed; its log: $REF_LOG" >&2
            exit 1
        fi
        tail -n 1 "$REF_LOG"
    else
        train_refiner
    fi
    rm -f "$REF_DIR/garden_round1.json" "$REF_DIR/garden_round1.provenance.json"
    echo
    echo "[demo] garden-style videos (never trained on): coarse annotations vs one correction"
    "$PY" tools/analysis_tools/correction_rounds.py \
        --exact "$GARDEN/annotations/val_hq.json" --coarse "$GARDEN/annotations/val_coarse.json" \
        --config "$REF_CONFIG" --checkpoint "$REF_DIR/iter_$DEMO_REFINER_ITERS.pth" \
        --img-root "$GARDEN/val/JPEGImages" --corrected-out "$REF_DIR/garden_round1.json" \
        --erode 2 --columns ap_boundary ap_mask thin_recall boundary_iou \
        --out "$REF_DIR/garden_table.json" 2>&1 | grep -v -e '^\[' -e 'mmengine - ' \
        | tee "$WORK_DIR/garden_table.md"
    echo "[demo] table in $WORK_DIR/garden_table.md; rounds and ablations: docs/experiments.md"
    rm -rf "$REF_DIR/garden_review"
    "$PY" tools/analysis_tools/review_corrections.py "$GARDEN/annotations/val_coarse.json" \
        "$REF_DIR/garden_round1.json" --img-root "$GARDEN/val/JPEGImages" \
        --out "$REF_DIR/garden_review" 2>&1 | tail -n 1
    echo "[demo] review the correction in a browser: $REF_DIR/garden_review/index.html" \
        "(docs/review.md; accept / reject, then tools/analysis_tools/apply_review.py)"
fi
echo "[demo] all done in $(( $(date +%s) - demo_start )) s"
