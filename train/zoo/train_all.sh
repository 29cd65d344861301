#!/usr/bin/env bash
# Retrain every zoo task with train_task.sh's recipe (zoo v2), in two lanes side by side (one torch thread each, so
# both cores of a 2-core machine are busy), exporting to model_zoo/. Each card's own line repeats its model's run.
#
#   nohup train/zoo/train_all.sh > runs/train_all.log 2>&1 &     # rerun to resume; finished runs are skipped
#
# Each entry is "TASK [VAR=VALUE ...]", the variables of train/zoo/train_task.sh; the weakest tasks come first.
# The recipe is train_task.sh's default (zoo v2, docs/zoo.md: lsgan, batch 2, 20,000 steps, the resize-conv decoder),
# about 35-48 min of one core each; V2 only names the v2 runs' folder. L25 is the same recipe with lambda_l1 25, which
# keeps D engaged and brings back detail on sketches, street scenes and both maps directions (docs/zoo.md), in a
# folder of its own so that a lambda-100 run of the same task in runs/v2 is not taken for it; L10 (lambda_l1 10)
# goes further on facades.
# cityscapes-photo2labels trains a generator twice as wide (ngf 32) for 30,000 steps and keeps the EMA of its weights,
# the changes that lifted its label accuracy past the paper's; maps-aerial2map trains the ngf-32 generator at lambda 25
# for 20,000 steps, which draws more of the street grid (docs/zoo.md). Entries are eval'd, so values may be quoted.
set -uo pipefail
cd "$(dirname "$0")/../.."
V2="RUNS_DIR=runs/v2"
L25="RUNS_DIR=runs/l25 EXTRA_ARGS=--lambda_l1=25"
L10="RUNS_DIR=runs/l10 EXTRA_ARGS=--lambda_l1=10"
LANE_A=(
  "maps-aerial2map RUNS_DIR=runs/l25ngf32 EXTRA_ARGS='--lambda_l1=25 --ngf=32'"
  "edges2shoes $V2"
  "facades-labels2photo $L10"
  "cityscapes-photo2labels RUNS_DIR=runs/ngf32_ema_long STEPS=30000 EXTRA_ARGS='--ngf=32 --use_ema'"
)
LANE_B=(
  "edges2handbags $V2"
  "sketch2photo $L25"
  "cityscapes-labels2photo $L25"
  "colorization $V2"
  "maps-map2aerial $L25"
  "inpainting $V2"
)

run_lane() {
  for entry in "$@"; do
    read -r task settings <<< "$entry"
    local run_dir
    run_dir=$(eval "$settings"; echo "${RUNS_DIR:-runs}")/$task  # a subshell: the settings stay in it
    if [ -f "$run_dir/model.safetensors" ]; then
      echo "$task: trained already ($run_dir)"
      continue
    fi
    echo "$(date -u +%FT%TZ) $task: training ($settings)"
    eval "env $settings train/zoo/train_task.sh \"\$task\"" || echo "$task: failed, see $run_dir/log.txt"
  done
}

run_lane "${LANE_A[@]}" &
run_lane "${LANE_B[@]}" &
wait
