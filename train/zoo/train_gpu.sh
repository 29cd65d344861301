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
export PIX2PIX_HUB_DATA=${PIX2PIX_HUB_DATA:-gpu_pack}
mkdir -p "$OUT/runs"
read -r -a TASKS <<< "${ZOO_TASKS:-$("$PYTHON" -c "from pix2pix_hub.tasks import TASKS
print(' '.join(t.name for t in TASKS.values() if t.has_data))")}"

for task in "${TASKS[@]}"; do
  (
    dataset=$("$PYTHON" train/zoo/prepare_data.py "$task" --root "$OUT/runs/data")
    "$PYTHON" train/train.py --task "$task" ${dataset:+--dataset "$dataset"} --output_dir "$OUT/runs/$task" \
      --ngf 16 --ndf 16 --upsampling resize --gan_mode lsgan --load_size 286 --crop_size 256 \
      --batch_size "$BATCH_SIZE" --max_train_steps "$STEPS" --num_workers 1 --validation_split none \
      --report_to none --checkpointing_steps "$STEPS" --checkpoints_total_limit 1
    rm -rf "$OUT/runs/$task/checkpoints"
    "$PYTHON" -c "import sys; from safetensors.torch import load_file, save_file
w = load_file(sys.argv[1]); save_file({k: v.half() if v.is_floating_point() else v for k, v in w.items()}, sys.argv[1])" \
      "$OUT/runs/$task/model.safetensors"  # fp16, as the zoo ships it, so two runs fit one returned file
  ) > "$OUT/$task.log" 2>&1 &
done
wait
# what comes back from a device is at most 8 files of 16 MiB: two runs a tar
i=0
for ((k = 0; k < ${#TASKS[@]}; k += 2)); do
  tar -cf "$OUT/part-$i.tar" -C "$OUT/runs" --exclude discriminator "${TASKS[@]:k:2}"
  i=$((i + 1))
done
tail -n 2 "$OUT"/*.log
