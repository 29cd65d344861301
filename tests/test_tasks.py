"""The task registry: the paper's tasks by name, each resolvable to its data."""

from __future__ import annotations

import pytest
from conftest import SHARED_DATA

from pix2pix_hub import TASKS, Pix2PixHubError, get_task
from pix2pix_hub.data import DIRECTIONS
from pix2pix_hub.input_kinds import INPUT_KINDS
from pix2pix_hub.paired_datasets import eval_split_of
from pix2pix_hub.tasks import find_dataset_dir

PAPER_TASKS = [
    "facades-labels2photo",
    "cityscapes-labels2photo",
    "cityscapes-photo2labels",
    "maps-map2aerial",
    "maps-aerial2map",
    "edges2shoes",
    "edges2handbags",
    "sketch2photo",
    "colorization",
    "inpainting",
    "day2night",
    "thermal2color",
]


def test_registry_has_exactly_the_papers_tasks():
    assert list(TASKS) == PAPER_TASKS


def test_every_task_is_well_formed():
    for task in TASKS.values():
        assert task.direction in DIRECTIONS and task.input_kind in INPUT_KINDS
        assert task.hub_repo_id.endswith("/" + task.name)
        assert task.zoo_dir.name == task.name and task.zoo_dir.parent.name == "model_zoo"
        assert "-" not in task.api_name
        assert task.has_data or task.note  # no data here -> the registry says why
        assert (task.palette is not None) == (task.input_kind == "label_map" or task.output_kind == "label_map")


def test_unknown_task_lists_known_ones():
    with pytest.raises(Pix2PixHubError, match="known tasks: facades-labels2photo"):
        get_task("facades")
    with pytest.raises(Pix2PixHubError, match=r"unknown task 'edges2shoe' \(did you mean 'edges2shoes'\?\)"):
        get_task("edges2shoe")


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/datasets is not present")
def test_every_dataset_named_by_a_task_is_found_with_its_eval_split():
    for task in TASKS.values():
        for name in task.datasets:
            assert (find_dataset_dir(name) / eval_split_of(name)).is_dir()
        assert not task.datasets or task.eval_split == eval_split_of(task.datasets[0])
