#!/usr/bin/env bash
# Compare training recipes at equal CPU time on the zoo's weakest tasks (docs/zoo.md, "Choosing the recipe"): the
# task's v2 recipe (pix2pix_hub/recipes.py) with one change per variant, each a train/zoo/train_task.sh run that is
# scored, not exported.
#
#   nohup train/zoo/compare_recipes.sh > runs/recipes.log 2>&1 &     # rerun to resume; finished runs are skipped
#   train/zoo/score_runs.py runs/recipes/*/*                          # the table (also run at the end)
#
# STEPS is the step count at batch 2; a variant with batch 4 sees the same images in half the steps.
set -uo pipefail
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-3000}
TASKS=${TASKS:-"edges2handbags maps-aerial2map"}
#: name|train.py flags added to the v2 recipe (BATCH_SIZE=N as a first word changes the batch); VARIANT_SET=v3
#: measures the data-efficient remedies of zoo v3 against the v2 recipe instead (docs/zoo.md, "Zoo v3")
VARIANTS_V2=(
  "v1|--gan_mode=vanilla"
  "batch4|BATCH_SIZE=4 --gan_mode=vanilla"
  "lsgan|"
  "ema|--gan_mode=vanilla --use_ema"
  "lsgan-l25|--lambda_l1=25"
)
DA="--diffaugment=color,translation,cutout"
VARIANTS_V3=(
  "v2|"
  "da|$DA"
  "da-fm|$DA --feature_matching=10"
  "da-l25|$DA --lambda_l1=25"
  "ada|$DA --ada_target=0.6"
  "fm|--feature_matching=10"
  "sn|--spectral_norm"
  "r1|--r1_gamma=1"
  "ttur|--learning_rate_d=5e-5"
)
if [ "${VARIANT_SET:-v2}" = v3 ]; then VARIANTS=("${VARIANTS_V3[@]}"); else VARIANTS=("${VARIANTS_V2[@]}"); fi
RECIPES_DIR=${RECIPES_DIR:-runs/recipes}

run_variant() {
  local task=$1 entry=$2 name flags batch="" run_dir
  name=${entry%%|*}
  flags=${entry#*|}
  if [[ $flags == BATCH_SIZE=* ]]; then
    batch=${flags%% *}
    batch=${batch#BATCH_SIZE=}
    flags=${flags#* }
  fi
  run_dir=$RECIPES_DIR/$name/$task
  if [ -f "$run_dir/model.safetensors" ]; then
    echo "$task $name: trained already"
    return
  fi
  echo "$(date -u +%FT%TZ) $task $name: training ($task:v2 $flags${batch:+ batch $batch})"
  RECIPE=$task:v2 STEPS=$STEPS BATCH_SIZE=$batch EXTRA_ARGS=$flags RUNS_DIR=$RECIPES_DIR/$name EXPORT=no \
    train/zoo/train_task.sh "$task" || echo "$task $name: failed, see $run_dir/log.txt"
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
