#!/usr/bin/env bash
# Train the whole zoo on one GPU in a single command: every task with a recipe and data, all at once, each through
# train_task.sh with its v2 recipe (pix2pix_hub/recipes.py: every per-task setting) at batch 16 and the same number
# of images (bf16 and channels_last through train.py's auto fast paths), weights in OUT.
#
#   python train/zoo/gpu_pack.py                          # here: gpu_pack/ (git-ignored), the train splits, <= 60 MiB
#   bash train/zoo/train_gpu.sh --dry-run                 # print each task's exact train.py command, run nothing
#   bash train/zoo/train_gpu.sh "$OUT"                    # there, with gpu_pack carried; OUT/part-*.tar come back
#   tar -xf part-*.tar -C runs/gpu && python train/zoo/export.py TASK --run_dir runs/gpu/TASK   # here: eval + card
#
# RECIPE_VERSION picks another version for every task that has it (default v2, from scratch: v3 continues the model in
# model_zoo/, whose weights stay here). STEPS is the length at the recipe's batch of 2, rescaled to BATCH_SIZE. The
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
import sys
print(*dict.fromkeys(r.task for r in RECIPES.values() if TASKS[r.task].has_data and r.version == sys.argv[1]))" \
  "${RECIPE_VERSION:-v2}")}"

if [ "$OUT" = --dry-run ]; then  # the exact command of each run, from train_task.sh itself
  for task in "${TASKS[@]}"; do
    command=$(DRY_RUN=1 RECIPE="$task:${RECIPE_VERSION:-v2}" train/zoo/train_task.sh "$task") || exit 2
    echo "$task: $command"
  done
  exit 0
fi
mkdir -p "$RUNS_DIR"
for task in "${TASKS[@]}"; do
  (
    RECIPE="$task:${RECIPE_VERSION:-v2}" train/zoo/train_task.sh "$task"
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
