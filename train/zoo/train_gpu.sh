#!/usr/bin/env bash
# Train the whole zoo on one GPU in a single command: every task with data at once, through train_task.sh (the one
# home of the recipe) at GPU batch sizes (bf16 + channels_last through train.py's auto fast paths), weights in OUT.
#
#   python train/zoo/gpu_pack.py                          # here: gpu_pack/ (git-ignored), the train splits, <= 60 MiB
#   bash train/zoo/train_gpu.sh "$OUT"                    # there, with gpu_pack carried; OUT/part-*.tar come back
#   tar -xf part-*.tar -C runs/gpu && python train/zoo/export.py TASK --run_dir runs/gpu/TASK   # here: eval + card
#
# STEPS x BATCH_SIZE images per task (default 2500 x 16 = 40,000, the v2 length). The machine that runs it needs
# this package's imports (datasets, diffusers, tensorboard, ...) and the data: the tree that travels to a device is
# capped (64 MiB with the carried folders), so move the zoo's weights aside while the pack travels. Each run is a
# train_task.sh run (checkpoints every 250 steps, tensorboard logs, nice 10, its log in TASK/log.txt). Not yet run on a
# GPU: the device was not lent to the sessions that wrote it; it is tested on the CPU with STEPS=2.
set -euo pipefail
OUT=${1:?usage: train/zoo/train_gpu.sh OUTPUT_DIR}
cd "$(dirname "$0")/../.."
export PYTHON=${PYTHON:-python3}
export STEPS=${STEPS:-2500} BATCH_SIZE=${BATCH_SIZE:-16} EXPORT=no
export RUNS_DIR=${WORK:-$(mktemp -d)}  # the runs; only the tars go to OUT (a device returns at most 8 files)
mkdir -p "$RUNS_DIR"
export DATA_ROOT=$RUNS_DIR/data  # the pack's photos never mix with the checkout's runs/data
export PIX2PIX_HUB_DATA=${PIX2PIX_HUB_DATA:-gpu_pack}
read -r -a TASKS <<< "${ZOO_TASKS:-$("$PYTHON" -c "from pix2pix_hub.tasks import TASKS
print(' '.join(t.name for t in TASKS.values() if t.has_data))")}"

for task in "${TASKS[@]}"; do  # one after another first: tasks share prepared folders
  "$PYTHON" train/zoo/prepare_data.py "$task" --root "$DATA_ROOT" > /dev/null
done
for task in "${TASKS[@]}"; do
  (
    train/zoo/train_task.sh "$task"
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
