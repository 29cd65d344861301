#!/usr/bin/env bash
# Retrain every zoo task from scratch with its v2 recipe (pix2pix_hub/recipes.py; the v3 models then continue from
# these with `RECIPE=TASK:v3`), in two lanes side by side (one torch thread each, so both cores of a 2-core machine
# are busy), exporting to model_zoo/. Runs go to runs/zoo-VERSION/TASK (a folder of other settings is refused).
#
#   nohup train/zoo/train_all.sh > runs/train_all.log 2>&1 &     # rerun to resume; finished runs are skipped
#   VERSION=v3 train/zoo/train_all.sh                             # the tasks that have a v3 recipe, from the zoo
set -uo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-.venv/bin/python}
VERSION=${VERSION:-v2}
# the tasks that have a VERSION recipe, in the registry's order
read -r -a TASKS <<< "$("$PYTHON" -c 'import sys
from pix2pix_hub.recipes import RECIPES
print(*(r.task for r in RECIPES.values() if r.version == sys.argv[1]))' "$VERSION")"

run_lane() {
  for task in "$@"; do
    if [ -f "runs/zoo-$VERSION/$task/model.safetensors" ]; then
      echo "$task: trained already (runs/zoo-$VERSION/$task)"
      continue
    fi
    echo "$(date -u +%FT%TZ) $task: training $task:$VERSION"
    RECIPE=$task:$VERSION RUNS_DIR=runs/zoo-$VERSION train/zoo/train_task.sh "$task" || echo "$task: failed, see runs/zoo-$VERSION/$task/log.txt"
  done
}

LANE_A=() LANE_B=()
for i in "${!TASKS[@]}"; do
  if ((i % 2 == 0)); then LANE_A+=("${TASKS[$i]}"); else LANE_B+=("${TASKS[$i]}"); fi
done
run_lane "${LANE_A[@]}" &
run_lane "${LANE_B[@]}" &
wait
