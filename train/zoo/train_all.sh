#!/usr/bin/env bash
# Retrain the zoo as shipped: every model's recorded command (the one its card gives), in two lanes side by side
# (one torch thread each, so both cores of the 2-core machine it was trained on are busy), exporting to model_zoo/.
#
#   nohup train/zoo/train_all.sh > runs/train_all.log 2>&1 &     # rerun to resume; finished runs are skipped
#
# Each entry is "TASK [VAR=VALUE ...]", the variables of train/zoo/train_task.sh; the hardest tasks come first.
set -uo pipefail
cd "$(dirname "$0")/../.."
LANE_A=(
  "maps-aerial2map STEPS=4000 RUNS_DIR=runs/zoo"
  "sketch2photo UPSAMPLING=resize STEPS=3000 RUNS_DIR=runs/resize"
  "colorization STEPS=3000 RUNS_DIR=runs/zoo"
  "facades-labels2photo UPSAMPLING=resize STEPS=2500 RUNS_DIR=runs/resize"
  "edges2handbags UPSAMPLING=resize STEPS=2500 RUNS_DIR=runs/resize"
)
LANE_B=(
  "inpainting STEPS=3500 RUNS_DIR=runs/zoo"
  "maps-map2aerial STEPS=3000 RUNS_DIR=runs/zoo"
  "cityscapes-labels2photo UPSAMPLING=resize STEPS=3000 RUNS_DIR=runs/resize"
  "cityscapes-photo2labels STEPS=3000 RUNS_DIR=runs/zoo"
  "edges2shoes UPSAMPLING=resize STEPS=2500 RUNS_DIR=runs/resize"
)

run_lane() {
  for entry in "$@"; do
    read -r task settings <<< "$entry"
    local run_dir
    run_dir=$(env $settings bash -c 'echo "${RUNS_DIR:-runs}"')/$task
    if [ -f "$run_dir/model.safetensors" ]; then
      echo "$task: trained already ($run_dir)"
      continue
    fi
    echo "$(date -u +%FT%TZ) $task: training ($settings)"
    env $settings train/zoo/train_task.sh "$task" || echo "$task: failed, see $run_dir/log.txt"
  done
}

run_lane "${LANE_A[@]}" &
run_lane "${LANE_B[@]}" &
wait
