#!/usr/bin/env bash
# Give each zoo model a discriminator that matches its generator, for models whose own D was not kept (the v2 zoo):
# D alone trains for STEPS steps (train.py --freeze_generator) against the frozen zoo generator, with the zoo
# task's v2 recipe's D (pix2pix_hub/recipes.py: 70x70 PatchGAN, ndf 16, lsgan), then ships in fp16 in model_zoo/TASK/discriminator/,
# so that `train.py --init_from model_zoo/TASK` continues training from the shipped state.
#
#   nohup train/zoo/fit_discriminators.sh > runs/fit_discriminators.log 2>&1 &   # every zoo task lacking one
#   STEPS=20 train/zoo/fit_discriminators.sh edges2shoes                        # one task, a quick check
set -uo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-.venv/bin/python}
STEPS=${STEPS:-1000}
RUNS_DIR=${RUNS_DIR:-runs/fit_discriminators}
TASKS=("$@")
if [ ${#TASKS[@]} -eq 0 ]; then
  read -r -a TASKS <<< "$("$PYTHON" -c 'from pix2pix_hub.zoo import zoo_tasks; print(*(t.name for t in zoo_tasks()))')"
fi
for task in "${TASKS[@]}"; do
  if [ -f "model_zoo/$task/discriminator/model.safetensors" ]; then
    echo "$task: ships a discriminator already"
    continue
  fi
  echo "$(date -u +%FT%TZ) $task: fitting a discriminator for $STEPS steps"
  RECIPE=$task:v2 RUNS_DIR=$RUNS_DIR STEPS=$STEPS EXPORT=no EXTRA_ARGS="--init_from=model_zoo/$task --freeze_generator" \
    train/zoo/train_task.sh "$task" || { echo "$task: failed, see $RUNS_DIR/$task/log.txt"; continue; }
  "$PYTHON" - "$RUNS_DIR/$task" "model_zoo/$task" "$STEPS" <<'PY'
import sys

from pix2pix_hub.zoo import export_discriminator

run, folder, steps = sys.argv[1:]
note = (
    f"The generator's own discriminator was not kept when it was trained, so this one was fitted to the finished "
    f"generator: {steps} steps of batch 2 training D alone (`train.py --init_from {folder} --freeze_generator`, "
    "train/zoo/fit_discriminators.sh)."
)
print(export_discriminator(run, folder, note=note))
PY
done
