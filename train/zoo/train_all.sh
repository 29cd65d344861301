#!/usr/bin/env bash
# Train and export every zoo model that is missing, one at a time, in priority order (the Space's most used first).
#
#   nohup train/zoo/train_all.sh > runs/train_all.log 2>&1 &
set -uo pipefail
cd "$(dirname "$0")/../.."
TASKS=(facades-labels2photo edges2shoes maps-aerial2map cityscapes-labels2photo cityscapes-photo2labels edges2handbags
  maps-map2aerial sketch2photo colorization inpainting)
for task in "${TASKS[@]}"; do
  if [ -f "model_zoo/$task/model.safetensors" ]; then
    echo "$task: in the zoo already"
    continue
  fi
  echo "$(date -u +%FT%TZ) $task: training"
  train/zoo/train_task.sh "$task" || echo "$task: failed, see runs/$task/log.txt"
done
