#!/usr/bin/env bash
# Measure tools/refine_results.py on the toy data and print the table of docs/inference.md:
# AP^B / AP^M against the exact masks before and after refining (1) the Mask2Former-VIS
# stand-in's results on toy val, (2) the coarse toy val annotations taken as results, (3) the
# coarse annotations of held-out garden-style videos.
#   bash tools/analysis_tools/toy_refine_results.sh [WORK_DIR]
# Trains what WORK_DIR lacks (the stand-in, 300 iterations; the class-agnostic refiner, 600
# iterations of the toy self-correction config), so a second run only re-measures.
# PYTHON picks the interpreter (default: .venv/bin/python, else python).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] && DEFAULT_PYTHON=.venv/bin/python || DEFAULT_PYTHON=python
PY=${PYTHON:-$DEFAULT_PYTHON}
export PYTHONPATH="$(pwd):${PYTHONPATH:-}"
W=${1:-work_dirs/toy_refine_results}
M2F_CFG=configs/mask2former_vis/mask2former_tiny-r18_1xb2-300i_toy-vis.py
REF_CFG=configs/self_correction/vmt_tiny_self-correction_toy-vis.py
TOY=data/toy_vis
GARDEN=data/toy_vis_garden
mkdir -p "$W"

[ -d "$TOY" ] || "$PY" tools/dataset_converters/make_toy_vis.py --out "$TOY"
[ -d "$GARDEN" ] || "$PY" tools/dataset_converters/make_toy_vis.py --style garden --out "$GARDEN"
[ -f "$W/m2f/iter_300.pth" ] || "$PY" tools/train.py "$M2F_CFG" --work-dir "$W/m2f"
# The self-correction config's refiner training alone (train.py would run every round).
[ -f "$W/refiner/iter_600.pth" ] || "$PY" tools/train.py "$REF_CFG" --work-dir "$W/refiner" \
    --cfg-options self_correction=None

# Coarse annotations as results: score 1, the annotation's category, RLE masks.
coarse_as_results() {
    "$PY" - "$1" "$2" <<'EOF'
import json
import sys

from mmvmt.engine import annotations_as_results
from mmvmt.structures import load_json

with open(sys.argv[2], 'w') as f:
    json.dump(annotations_as_results(load_json(sys.argv[1]), source=sys.argv[1]), f)
EOF
}

rm -f "$W"/*_refined.json "$W"/*.metrics.json
[ -f "$W/m2f_val.json" ] || "$PY" tools/test.py "$M2F_CFG" "$W/m2f/iter_300.pth" \
    --work-dir "$W/m2f_test" --out "$W/m2f_val.json"
[ -f "$W/coarse_val.json" ] || coarse_as_results "$TOY/annotations/val_coarse.json" "$W/coarse_val.json"
[ -f "$W/garden_coarse.json" ] || coarse_as_results "$GARDEN/annotations/val_coarse.json" "$W/garden_coarse.json"

rows=()
for name in m2f_val:$TOY coarse_val:$TOY garden_coarse:$GARDEN; do
    stem=${name%%:*}; data=${name#*:}
    "$PY" tools/refine_results.py "$REF_CFG" "$W/refiner/iter_600.pth" "$W/$stem.json" \
        --videos "$data/annotations/val_hq.json" --img-root "$data/val/JPEGImages" \
        --out "$W/${stem}_refined.json"
    for f in "$stem" "${stem}_refined"; do
        "$PY" tools/analysis_tools/eval_vis.py "$data/annotations/val_hq.json" "$W/$f.json" \
            --out "$W/$f.metrics.json" > /dev/null
        rows+=("$f")
    done
done

echo
echo "| results | AP^B | AP^B_75 | AP^M | AP^M_75 |"
echo "|---|---|---|---|---|"
for f in "${rows[@]}"; do
    "$PY" -c "import json, sys; m = json.load(open(sys.argv[1])); b, s = m['boundary'], m['segm']
print(f\"| {sys.argv[2]} | {b['AP']:.3f} | {b['AP75']:.3f} | {s['AP']:.3f} | {s['AP75']:.3f} |\")" \
        "$W/$f.metrics.json" "$f"
done
