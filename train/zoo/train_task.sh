#!/usr/bin/env bash
# Train one zoo model on CPU with its recipe (pix2pix_hub/recipes.py, the one home of every recipe value) and export
# it to model_zoo/TASK (fp16 weights, config, card, metrics).
#
#   train/zoo/train_task.sh TASK                 # the recipe its zoo model ships; rerun the same command to resume
#   RECIPE=TASK:v2 train/zoo/train_task.sh TASK  # another version of the task's recipe
#   STEPS=2000 RUNS_DIR=runs/short train/zoo/train_task.sh TASK  # another length, in a new folder
#   EXTRA_ARGS="--gan_mode vanilla --lambda_l1 25" EXPORT=no train/zoo/train_task.sh TASK  # a variant, not exported
#   DRY_RUN=1 train/zoo/train_task.sh TASK       # print the train.py command, run nothing
#
# STEPS (the length at the recipe's batch), BATCH_SIZE (the same images seen at another batch) and EXTRA_ARGS
# (train.py flags) override the recipe; a RECIPE of another task trains that recipe on TASK. A folder holding a run
# of other settings is refused (pix2pix_hub/training/zoo_command.py).
# Outputs go to RUNS_DIR/TASK/ (git-ignored): the full train.py folder, checkpoints every 250 steps, log.txt.
set -euo pipefail

TASK=${1:?usage: train/zoo/train_task.sh TASK}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
RUN=${RUNS_DIR:-runs}/$TASK
EXPORT=${EXPORT:-yes}
read -r -a EXTRA <<< "${EXTRA_ARGS:-}"
OVERRIDES=()
[ -z "${STEPS:-}" ] || OVERRIDES+=(--max_train_steps "$STEPS")
[ -z "${BATCH_SIZE:-}" ] || OVERRIDES+=(--batch_size "$BATCH_SIZE")
# the recipe's train.py arguments; refuses a folder that holds a run of other settings
mapfile -t ARGS < <("$PYTHON" -m pix2pix_hub.training.zoo_command "${RECIPE:-$TASK}" --task "$TASK" --output_dir "$RUN" \
  "${OVERRIDES[@]}" -- "${EXTRA[@]}")
[ ${#ARGS[@]} -gt 0 ] || exit 2

COMMAND=(nice -n 10 "$PYTHON" train/train.py "${ARGS[@]}")
if [ -n "${DRY_RUN:-}" ]; then
  echo "${COMMAND[*]}"
  exit 0
fi
mkdir -p "$RUN"
echo "${COMMAND[*]}" > "$RUN/command.txt"
echo "$(date -u +%FT%TZ) start: ${COMMAND[*]}" >> "$RUN/log.txt"
"${COMMAND[@]}" >> "$RUN/log.txt" 2>&1
[ "$EXPORT" = yes ] || exit 0
"$PYTHON" train/zoo/export.py "$TASK" --run_dir "$RUN" >> "$RUN/log.txt" 2>&1
echo "$(date -u +%FT%TZ) exported model_zoo/$TASK" >> "$RUN/log.txt"
