#!/usr/bin/env bash
# Compare training recipes at equal CPU time on the zoo's weakest tasks (docs/zoo.md, "Choosing the recipe"):
# the first zoo's recipe (v1: vanilla GAN) against variants, each a train/zoo/train_task.sh run that is scored,
# not exported.
#
#   nohup train/zoo/compare_recipes.sh > runs/recipes.log 2>&1 &     # rerun to resume; finished runs are skipped
#   train/zoo/score_runs.py runs/recipes/*/*                          # the table (also run at the end)
#
# STEPS is the step count at batch 2; a variant with batch 4 gets half the steps (same CPU time).
set -uo pipefail
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-3000}
TASKS=${TASKS:-"edges2handbags maps-aerial2map"}
#: name|settings for train_task.sh (the task's shipped decoder is added per task below); VARIANT_SET=v3 measures
#: the data-efficient remedies of zoo v3 against the v2 recipe instead (docs/zoo.md, "Zoo v3")
VARIANTS_V2=(
  "v1|GAN_MODE=vanilla"
  "batch4|GAN_MODE=vanilla BATCH_SIZE=4 HALF_STEPS=1"
  "lsgan|GAN_MODE=lsgan"
  "ema|GAN_MODE=vanilla EXTRA_ARGS=--use_ema"
  "lsgan-l25|GAN_MODE=lsgan EXTRA_ARGS=--lambda_l1=25"
)
DA="--diffaugment=color,translation,cutout"
VARIANTS_V3=(
  "v2|GAN_MODE=lsgan"
  "da|GAN_MODE=lsgan EXTRA_ARGS=$DA"
  "da-fm|GAN_MODE=lsgan EXTRA_ARGS='$DA --feature_matching=10'"
  "da-l25|GAN_MODE=lsgan EXTRA_ARGS='$DA --lambda_l1=25'"
  "ada|GAN_MODE=lsgan EXTRA_ARGS='$DA --ada_target=0.6'"
  "fm|GAN_MODE=lsgan EXTRA_ARGS=--feature_matching=10"
  "sn|GAN_MODE=lsgan EXTRA_ARGS=--spectral_norm"
  "r1|GAN_MODE=lsgan EXTRA_ARGS=--r1_gamma=1"
  "ttur|GAN_MODE=lsgan EXTRA_ARGS=--learning_rate_d=5e-5"
)
if [ "${VARIANT_SET:-v2}" = v3 ]; then VARIANTS=("${VARIANTS_V3[@]}"); else VARIANTS=("${VARIANTS_V2[@]}"); fi
RECIPES_DIR=${RECIPES_DIR:-runs/recipes}

run_variant() {
  local task=$1 entry=$2 name settings steps upsampling run_dir
  name=${entry%%|*}
  settings=${entry#*|}
  steps=$STEPS
  [[ $settings == *HALF_STEPS=1* ]] && steps=$((STEPS / 2))
  upsampling=$(grep -o '"upsampling": "[a-z]*"' "model_zoo/$task/config.json" | cut -d'"' -f4)
  run_dir=$RECIPES_DIR/$name/$task
  if [ -f "$run_dir/model.safetensors" ]; then
    echo "$task $name: trained already"
    return
  fi
  echo "$(date -u +%FT%TZ) $task $name: training ($settings STEPS=$steps)"
  # eval: a variant's EXTRA_ARGS may hold several quoted options
  eval "env $settings UPSAMPLING=\"\${upsampling:-transposed}\" STEPS=\$steps RUNS_DIR=\$RECIPES_DIR/\$name EXPORT=no \
    train/zoo/train_task.sh \"\$task\"" || echo "$task $name: failed, see $run_dir/log.txt"
}

lane() {
  for job in "$@"; do
    run_variant "${job%% *}" "${job#* }"
  done
}

JOBS=()
for task in $TASKS; do
  for variant in "${VARIANTS[@]}"; do
    JOBS+=("$task $variant")
  done
done
HALF=$(((${#JOBS[@]} + 1) / 2))
lane "${JOBS[@]:0:$HALF}" &
lane "${JOBS[@]:$HALF}" &
wait
.venv/bin/python train/zoo/score_runs.py "$RECIPES_DIR"/*/*
