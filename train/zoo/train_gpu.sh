#!/usr/bin/env bash
# Train the whole zoo on one GPU in a single command: every task with data at once, the v2 recipe (docs/zoo.md) at
# GPU batch sizes (bf16 + channels_last through --mixed_precision/--channels_last auto), weights written to one folder.
#
#   python train/zoo/gpu_pack.py                          # here: gpu_pack/ (git-ignored), the train splits, <= 60 MiB
#   bash train/zoo/train_gpu.sh "$OUT"                    # there, with gpu_pack carried; OUT/part-*.tar come back
#   tar -xf part-*.tar -C runs/gpu && python train/zoo/export.py TASK --run_dir runs/gpu/TASK   # here: eval + card
#
# STEPS x BATCH_SIZE images per task (default 2500 x 16 = 40,000, the v2 length). The machine that runs it needs
# this package's imports (datasets, diffusers, ...) and the data: the tree that travels to a device is capped
# (64 MiB with the carried folders), so move the zoo's weights aside while the pack travels. Not yet run on a GPU:
# the device was not lent to the sessions that wrote it; it is tested on the CPU with STEPS=2.
set -euo pipefail
OUT=${1:?usage: train/zoo/train_gpu.sh OUTPUT_DIR}
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
STEPS=${STEPS:-2500}
BATCH_SIZE=${BATCH_SIZE:-16}
WORK=${WORK:-$(mktemp -d)}  # runs and prepared data; only the tars go to OUT (a device returns at most 8 files)
export PIX2PIX_HUB_DATA=${PIX2PIX_HUB_DATA:-gpu_pack}
read -r -a TASKS <<< "${ZOO_TASKS:-$("$PYTHON" -c "from pix2pix_hub.tasks import TASKS
print(' '.join(t.name for t in TASKS.values() if t.has_data))")}"

declare -A DATA
for task in "${TASKS[@]}"; do  # one after another: tasks share prepared folders
  DATA[$task]=$("$PYTHON" train/zoo/prepare_data.py "$task" --root "$WORK/data")
done
for task in "${TASKS[@]}"; do
  (
    dataset=${DATA[$task]}
    "$PYTHON" train/train.py --task "$task" ${dataset:+--dataset "$dataset"} --output_dir "$WORK/$task" \
      --ngf 16 --ndf 16 --upsampling resize --gan_mode lsgan --load_size 286 --crop_size 256 \
      --batch_size "$BATCH_SIZE" --max_train_steps "$STEPS" --num_threads 1 --num_workers 1 \
      --validation_split none --report_to none --checkpointing_steps "$STEPS" --checkpoints_total_limit 1
    rm -rf "$WORK/$task/checkpoints" "$WORK/$task/discriminator"
    "$PYTHON" -c "import sys; from safetensors.torch import load_file, save_file
w = load_file(sys.argv[1]); save_file({k: v.half() if v.is_floating_point() else v for k, v in w.items()}, sys.argv[1])" \
      "$WORK/$task/model.safetensors"  # fp16, as the zoo ships it, so two runs fit one returned file
  ) > "$WORK/$task.log" 2>&1 &
done
wait || true
i=0
for ((k = 0; k < ${#TASKS[@]}; k += 2)); do
  names=()
  for task in "${TASKS[@]:k:2}"; do
    cp "$WORK/$task.log" "$WORK/$task/" 2>/dev/null || true
    if [ -f "$WORK/$task/model.safetensors" ]; then names+=("$task"); else echo "$task: failed" >&2; tail -n 5 "$WORK/$task.log" >&2; fi
  done
  [ ${#names[@]} -eq 0 ] || tar -cf "$OUT/part-$i.tar" -C "$WORK" "${names[@]}"
  i=$((i + 1))
done
ls -la "$OUT"
