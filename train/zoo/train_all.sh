#!/usr/bin/env bash
# Retrain the whole zoo as shipped: every task with its step count, in two lanes side by side (one torch thread
# each, so the two cores of the machine it was trained on are both busy), into runs/zoo/, exporting to model_zoo/.
#
#   nohup train/zoo/train_all.sh > runs/train_all.log 2>&1 &     # rerun to resume; finished runs are skipped
#
# The hardest tasks come first in each lane and get the most steps.
set -uo pipefail
cd "$(dirname "$0")/../.."
export RUNS_DIR=${RUNS_DIR:-runs/zoo}
LANE_A=(maps-aerial2map:4000 sketch2photo:4000 colorization:3000 facades-labels2photo:2500 edges2handbags:2500)
LANE_B=(inpainting:3500 maps-map2aerial:3000 cityscapes-labels2photo:3000 cityscapes-photo2labels:3000 edges2shoes:3000)

run_lane() {
  for spec in "$@"; do
    local task=${spec%%:*} steps=${spec##*:}
    if [ -f "$RUNS_DIR/$task/model.safetensors" ]; then
      echo "$task: trained already ($RUNS_DIR/$task)"
      continue
    fi
    echo "$(date -u +%FT%TZ) $task: training $steps steps"
    STEPS=$steps train/zoo/train_task.sh "$task" || echo "$task: failed, see $RUNS_DIR/$task/log.txt"
  done
}

run_lane "${LANE_A[@]}" &
run_lane "${LANE_B[@]}" &
wait
