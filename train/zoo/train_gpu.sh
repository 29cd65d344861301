#!/usr/bin/env bash
# Train the whole zoo on one GPU in a single command: every task with a recipe and data, all at once, each through
# train_task.sh with its recipe (pix2pix_hub/recipes.py) at batch 16 and the same number of images (bf16 and
# channels_last through train.py's auto fast paths), weights in OUT.
#
#   python train/zoo/gpu_pack.py                          # here: gpu_pack/ (git-ignored), the train splits, <= 60 MiB
#   bash train/zoo/train_gpu.sh --dry-run                 # print each task's exact train.py command, run nothing
#   bash train/zoo/train_gpu.sh "$OUT"                    # there, with gpu_pack carried; OUT/part-*.tar come back
#   tar -xf part-*.tar -C runs/gpu && python train/zoo/export.py TASK --run_dir runs/gpu/TASK   # here: eval + card
#
# RECIPE_VERSION picks a version for every task (default: each task's newest, the one its zoo model ships). The
# machine that runs it needs this package's imports and the data: the tree that travels to a device is capped (64 MiB
# with the carried folders), so move the zoo's weights aside while the pack travels. Not yet run on a GPU: the device
# was not lent to the sessions that wrote it; it is tested on the CPU with STEPS=2 and --dry-run.
set -euo pipefail
OUT=${1:?usage: train/zoo/train_gpu.sh OUTPUT_DIR | --dry-run}
cd "$(dirname "$0")/../.."
export PYTHON=${PYTHON:-python3}
export BATCH_SIZE=${BATCH_SIZE:-16} EXPORT=no
export RUNS_DIR=${WORK:-$([ "$OUT" = --dry-run ] && echo runs/gpu || mktemp -d)}  # only the tars go to OUT (a device returns <= 8 files)
export PIX2PIX_HUB_DATA=${PIX2PIX_HUB_DATA:-gpu_pack}
read -r -a TASKS <<< "${ZOO_TASKS:-$("$PYTHON" -c "from pix2pix_hub.recipes import RECIPES
from pix2pix_hub.tasks import TASKS
print(*dict.fromkeys(r.task for r in RECIPES.values() if TASKS[r.task].has_data))")}"
recipe() { echo "$1${RECIPE_VERSION:+:$RECIPE_VERSION}"; }

if [ "$OUT" = --dry-run ]; then
  for task in "${TASKS[@]}"; do
    mapfile -t ARGS < <("$PYTHON" -m pix2pix_hub.recipes "$(recipe "$task")" --output_dir "$RUNS_DIR/$task" \
      --batch_size "$BATCH_SIZE" ${STEPS:+--max_train_steps "$STEPS"})
    echo "$task: train/train.py ${ARGS[*]}"
  done
  exit 0
fi
mkdir -p "$RUNS_DIR"
for task in "${TASKS[@]}"; do
  (
    RECIPE=$(recipe "$task") train/zoo/train_task.sh "$task"
    rm -rf "$RUNS_DIR/$task/checkpoints" "$RUNS_DIR/$task/discriminator"
    # fp16, as the zoo ships it, so two runs fit one returned file
    "$PYTHON" -c "import sys; from pix2pix_hub.zoo import cast_weights; cast_weights(sys.argv[1], sys.argv[1])" \
      "$RUNS_DIR/$task/model.safetensors"
  ) > "$RUNS_DIR/$task.log" 2>&1 &
done
wait || true
i=0
for ((k = 0; k < ${#TASKS[@]}; k += 2)); do
  names=()
  for task in "${TASKS[@]:k:2}"; do
    if [ -f "$RUNS_DIR/$task/model.safetensors" ]; then names+=("$task"); else echo "$task: failed" >&2; tail -n 20 "$RUNS_DIR/$task.log" "$RUNS_DIR/$task/log.txt" >&2; fi
  done
  [ ${#names[@]} -eq 0 ] || tar -cf "$OUT/part-$i.tar" -C "$RUNS_DIR" "${names[@]}"
  i=$((i + 1))
done
ls -la "$OUT"
