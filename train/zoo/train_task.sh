#!/usr/bin/env bash
# Train one zoo model on CPU and export it to model_zoo/TASK (fp16 weights, config, card, metrics).
#
#   train/zoo/train_task.sh TASK            # e.g. facades-labels2photo; rerun the same command to resume
#   STEPS=2000 RUNS_DIR=runs/short train/zoo/train_task.sh TASK  # another length, in a new folder
#   GAN_MODE=vanilla EXTRA_ARGS="--lambda_l1 25" EXPORT=no train/zoo/train_task.sh TASK  # a recipe variant, not exported
#
# This script is the one home of the zoo's recipe (v2, chosen by measuring quality per CPU-hour, docs/zoo.md): a U-Net
# with ngf 16 and the resize-convolution decoder (2.5M parameters, 4.7 MB in fp16, so all ten fit the 80 MB budget),
# a 70x70 PatchGAN with ndf 16 (not shipped), L1 + lsgan, 286 -> 256 jitter, batch 2, 20,000 steps (40,000 images,
# about 35-48 minutes of one core). train_all.sh and train_gpu.sh call it with other variables only.
# DATA_ROOT (default: prepare_data.py's) holds the combined training folders of multi-dataset tasks.
# Outputs go to RUNS_DIR/TASK/ (git-ignored): the full train.py folder, checkpoints every 250 steps, log.txt.
set -euo pipefail

TASK=${1:?usage: train/zoo/train_task.sh TASK}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
RUN=${RUNS_DIR:-runs}/$TASK
STEPS=${STEPS:-20000}
UPSAMPLING=${UPSAMPLING:-resize}
GAN_MODE=${GAN_MODE:-lsgan}
BATCH_SIZE=${BATCH_SIZE:-2}
EXPORT=${EXPORT:-yes}
read -r -a EXTRA <<< "${EXTRA_ARGS:-}"
mkdir -p "$RUN"
# a checkpoint restores its run's learning-rate schedule, so resuming with another STEPS would run past its end
"$PYTHON" - "$RUN" "$STEPS" <<'PY'
import sys
from pix2pix_hub.training import latest_checkpoint
from pix2pix_hub.training.checkpoints import read_checkpoint_state

run, steps = sys.argv[1], int(sys.argv[2])
checkpoint = latest_checkpoint(f"{run}/checkpoints")
if checkpoint is not None and read_checkpoint_state(checkpoint)["args"]["max_train_steps"] != steps:
    sys.exit(f"train_task.sh: {checkpoint} belongs to a run of other length; resume it with its own STEPS, or "
             "train this length in a new folder (RUNS_DIR=runs/long).")
PY

# multi-dataset tasks train on a combined folder built from the registries (train/zoo/prepare_data.py); exit 2 if
# the task has no data here (see docs/zoo.md for training it on your own pairs: DATASET=path/to/pairs)
ROOT_ARGS=()
[ -z "${DATA_ROOT:-}" ] || ROOT_ARGS=(--root "$DATA_ROOT")
DATASET=${DATASET:-$("$PYTHON" train/zoo/prepare_data.py "$TASK" "${ROOT_ARGS[@]}")} || exit 2
DATA=()
[ -z "$DATASET" ] || DATA=(--dataset "$DATASET")

COMMAND=(nice -n 10 "$PYTHON" train/train.py --task "$TASK" "${DATA[@]}" --output_dir "$RUN"
  --ngf 16 --ndf 16 --upsampling "$UPSAMPLING" --gan_mode "$GAN_MODE" --load_size 286 --crop_size 256 --batch_size "$BATCH_SIZE" --max_train_steps "$STEPS"
  --num_threads 1 --validation_split none --report_to tensorboard
  --checkpointing_steps 250 --checkpoints_total_limit 2 --resume_from_checkpoint latest "${EXTRA[@]}")
echo "${COMMAND[*]}" > "$RUN/command.txt"
echo "$(date -u +%FT%TZ) start: ${COMMAND[*]}" >> "$RUN/log.txt"
"${COMMAND[@]}" >> "$RUN/log.txt" 2>&1
[ "$EXPORT" = yes ] || exit 0
"$PYTHON" train/zoo/export.py "$TASK" --run_dir "$RUN" >> "$RUN/log.txt" 2>&1
echo "$(date -u +%FT%TZ) exported model_zoo/$TASK" >> "$RUN/log.txt"
