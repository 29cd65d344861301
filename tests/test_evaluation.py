"""Evaluation: metrics on hand-computable cases, the segmenter's round trip, FCN-score plumbing, the command and page."""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, SHARED_DATA
from PIL import Image

from pix2pix_hub.cli import main as cli_main
from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.evaluation import (
    FCNScore,
    ImageScores,
    LabelScores,
    LabelSegmenter,
    evaluate,
    image_metrics,
    load_segmenter,
)
from pix2pix_hub.evaluation.evaluate import check_label_fit, infer_task
from pix2pix_hub.evaluation.fcn import default_segmenter_dir
from pix2pix_hub.evaluation.metrics import PSNR_CAP_DB, gradient_energy
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.palettes import IGNORE_INDEX, PALETTES, OffPaletteWarning, decode_labels, encode_labels
from pix2pix_hub.training import evaluate_generator
from pix2pix_hub.training.checkpoints import STATE_FILE

#: the module (its name is shadowed by the `evaluate` function in the package namespace)
evaluate_module = importlib.import_module("pix2pix_hub.evaluation.evaluate")


def label_pair_dir(
    root: Path, count: int = 5, size: int = 64, palette: str = "cityscapes", splits: tuple[str, ...] = ("val",)
) -> Path:
    """A pix2pix folder of pairs per split: A a textured 'photo', B its exact label map in `palette` (PNG)."""
    rng = np.random.default_rng(0)
    num_classes = PALETTES[palette].num_classes
    for split, i in ((split, i) for split in splits for i in range(count)):
        folder = root / "pairs" / split
        folder.mkdir(parents=True, exist_ok=True)
        ids = np.zeros((size, size), dtype=np.int64)
        for _ in range(4):
            y, x = rng.integers(0, size - 8, 2)
            ids[y : y + rng.integers(8, size // 2), x : x + rng.integers(8, size // 2)] = rng.integers(0, num_classes)
        labels = encode_labels(ids, palette)
        photo = np.clip(labels * 0.7 + 40 + rng.normal(0, 10, labels.shape), 0, 255).astype(np.uint8)
        pair = np.concatenate([photo, labels], axis=1)
        Image.fromarray(pair).save(folder / f"{i + 1}.png")
    return root / "pairs"


def tiny_generator_dir(root: Path) -> Path:
    torch.manual_seed(0)
    folder = root / "generator"
    Pix2PixGenerator(ngf=4, num_downs=5).save_pretrained(folder)
    return folder


def tiny_segmenter(palette: str = "cityscapes") -> LabelSegmenter:
    torch.manual_seed(0)
    return LabelSegmenter(palette=palette, base_channels=4, num_levels=2, stem_downs=1, input_size=64).eval()


class ColourSegmenter(LabelSegmenter):
    """A perfect 'segmenter' for photos that are label maps: it decodes their colours."""

    def predict(self, photos: torch.Tensor) -> torch.Tensor:
        arrays = ((photos.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
        return torch.stack([torch.from_numpy(decode_labels(a, self.palette)) for a in arrays])


# image metrics


def test_identical_images():
    x = torch.rand(2, 3, 32, 32)
    m = image_metrics(x, x)
    assert torch.all(m["l1"] == 0)
    assert torch.all(m["psnr"] == PSNR_CAP_DB)
    assert torch.allclose(m["ssim"], torch.ones(2))


def test_known_shift():
    target = torch.full((1, 3, 32, 32), 0.5)
    m = image_metrics(target + 0.1, target)
    assert m["l1"].item() == pytest.approx(0.1, abs=1e-6)
    assert m["psnr"].item() == pytest.approx(20.0, abs=1e-3)  # 10 log10(1 / 0.1^2)
    c1 = 0.01**2  # constant images: SSIM is the luminance term alone
    assert m["ssim"].item() == pytest.approx((2 * 0.6 * 0.5 + c1) / (0.6**2 + 0.5**2 + c1), abs=1e-4)


def test_image_scores_average_per_image_and_take_ratios_of_totals():
    target = torch.rand(4, 3, 16, 16)
    blur = target.mean(dim=(2, 3), keepdim=True).expand_as(target)  # flat: no detail, little colour
    first, second = ImageScores(), ImageScores()
    per_image = first.update(blur[:3], target[:3])
    second.update(target[3:], target[3:])
    assert per_image["l1"] == pytest.approx(image_metrics(blur[:3], target[:3])["l1"].tolist())
    assert first.compute()["detail_ratio"] == 0 and first.compute()["num_images"] == 3
    together = ImageScores.merged([first, second]).compute()
    assert together["l1"] == pytest.approx(float(image_metrics(blur[:3], target[:3])["l1"].sum()) / 4)
    # one exact image among four: the ratio of totals, not the mean of per-image ratios (which would be 0.25)
    expected = float(gradient_energy(target[3:]).sum() / gradient_energy(target).sum())
    assert together["detail_ratio"] == pytest.approx(expected)
    with pytest.raises(Pix2PixHubError, match="no images were scored"):
        ImageScores().compute()


def test_validation_l1_is_on_the_unit_range():
    """Training validation, the zoo and `pix2pix-hub evaluate` share one L1: on [0, 1] images, half the [-1, 1] loss."""
    generator = Pix2PixGenerator(num_downs=5, ngf=4).eval()
    batch = {"input": torch.rand(2, 3, 32, 32) * 2 - 1, "target": torch.rand(2, 3, 32, 32) * 2 - 1}
    with torch.no_grad():
        loss_scale = (generator(batch["input"]).clamp(-1, 1) - batch["target"]).abs().mean().item()
    assert evaluate_generator(generator, [batch])["l1"] == pytest.approx(loss_scale / 2, rel=1e-5)


def test_prediction_of_wrong_size_is_refused():
    with pytest.raises(Pix2PixHubError, match="resize the output"):
        image_metrics(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 64, 64))
    with pytest.raises(Pix2PixHubError, match="predicted label map"):
        LabelScores(3).update(torch.zeros(4, 4), torch.zeros(8, 8))


# label scores


def test_perfect_segmentation():
    truth = torch.tensor([[0, 0, 1, 2], [2, 2, IGNORE_INDEX, 1]])
    scores = LabelScores(3)
    scores.update(truth.clone(), truth)
    result = scores.compute()
    assert result["pixel_accuracy"] == result["class_accuracy"] == result["class_iou"] == 1.0


def test_wrong_segmentation_by_hand():
    truth = torch.tensor([0, 0, 1, 1, IGNORE_INDEX])
    predicted = torch.tensor([0, 1, 1, 1, 0])  # the void pixel does not count
    scores = LabelScores(3)
    scores.update(predicted, truth)
    result = scores.compute()
    assert result["pixel_accuracy"] == pytest.approx(3 / 4)
    assert result["class_accuracy"] == pytest.approx((1 / 2 + 2 / 2) / 2)
    assert result["class_iou"] == pytest.approx((1 / 2 + 2 / 3) / 2)  # class 0: 1/(2+1-1), class 1: 2/(2+3-2)
    assert result["per_class_iou"][2] is None  # class 2 never occurs in the truth


def test_everything_void_is_an_error():
    scores = LabelScores(3)
    scores.update(torch.zeros(4), torch.full((4,), IGNORE_INDEX))
    with pytest.raises(Pix2PixHubError, match="no labelled pixels"):
        scores.compute()


# segmenter and FCN-score


def test_segmenter_round_trip(tmp_path):
    model = tiny_segmenter()
    photos = torch.rand(2, 3, 64, 64) * 2 - 1
    model.save_pretrained(tmp_path / "seg")
    loaded = LabelSegmenter.from_pretrained(tmp_path / "seg")
    with torch.no_grad():
        assert torch.equal(model(photos), loaded(photos))
    assert model(photos).shape == (2, PALETTES["cityscapes"].num_classes, 64, 64)
    assert loaded.predict(torch.rand(1, 3, 50, 70) * 2 - 1).shape == (1, 50, 70)  # any size, resized back


def test_fp16_weights_load_into_fp32(tmp_path):
    model = tiny_segmenter()
    model.half().save_pretrained(tmp_path / "seg")
    loaded = LabelSegmenter.from_pretrained(tmp_path / "seg")
    assert next(loaded.parameters()).dtype == torch.float32
    with torch.no_grad():
        assert torch.allclose(loaded(torch.zeros(1, 3, 64, 64)), model.float()(torch.zeros(1, 3, 64, 64)), atol=1e-3)


def test_segmenter_of_another_palette_is_refused(tmp_path):
    tiny_segmenter("facades").save_pretrained(tmp_path / "seg")
    with pytest.raises(Pix2PixHubError, match="predicts 'facades' classes"):
        load_segmenter("cityscapes", tmp_path / "seg")


def test_fcn_score_of_perfect_photos():
    palette = PALETTES["cityscapes"]
    ids = torch.from_numpy(np.kron(np.arange(16).reshape(4, 4), np.ones((16, 16), dtype=np.int64)))
    photos = torch.from_numpy(encode_labels(ids.numpy(), palette)).permute(2, 0, 1)[None].float() / 127.5 - 1
    fcn = FCNScore(ColourSegmenter(input_size=64))
    assert fcn.update(photos, ids[None]) == [1.0]
    result = fcn.compute()
    assert result["fcn_pixel_accuracy"] == result["fcn_class_accuracy"] == result["fcn_class_iou"] == 1.0


def test_train_segmenter_script_trains_and_resumes(tmp_path):
    spec = importlib.util.spec_from_file_location("train_segmenter", REPO_ROOT / "train" / "train_segmenter.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    data = label_pair_dir(tmp_path, count=6, splits=("train", "val"))
    out = tmp_path / "seg"
    flags = [
        "--dataset",
        str(data),
        "--holdout",
        "2",
        "--batch_size",
        "2",
        "--image_size",
        "64",
        "--base_channels",
        "4",
    ]
    script.main(script.parse_args([*flags, "--epochs", "1", "--output_dir", str(out)]))
    assert json.loads((out / "checkpoints" / "checkpoint-1" / STATE_FILE).read_text())["epoch"] == 1
    script.main(script.parse_args([*flags, "--epochs", "2", "--output_dir", str(out)]))  # resumes after epoch 1
    assert sorted(p.name for p in (out / "checkpoints").glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]
    scores = json.loads((out / "scores.json").read_text())
    assert scores["train_pairs"] == 4 and scores["holdout_pairs"] == 2 and set(scores["scores"]) == {"holdout", "val"}
    model = LabelSegmenter.from_pretrained(out)
    card = (out / "README.md").read_text()
    assert model.palette.name == "cityscapes" and "paper's FCN-8s" in card
    # the card is the resumed run's (2 epochs, its command), not the first run's, and Cityscapes data is flagged
    assert "epochs: 2," in card and "--epochs=2 " in card and "non-commercial-training-data" in card
    states = [json.loads((out / "checkpoints" / f"checkpoint-{n}" / STATE_FILE).read_text()) for n in (1, 2)]
    assert 0 < states[0]["train_seconds"] < states[1]["train_seconds"]  # the time of both runs, summed


# the evaluate function and command


def test_real_targets_score_perfectly_and_page_shows_them(tmp_path):
    data = label_pair_dir(tmp_path)
    out = tmp_path / "out"
    metrics = evaluate(data, real=True, task="cityscapes-photo2labels", batch_size=2, output_dir=out, progress=False)
    assert metrics["pixel_accuracy"] == metrics["class_accuracy"] == metrics["class_iou"] == 1.0
    assert metrics["l1"] == 0 and metrics["num_images"] == 5 and metrics["direction"] == "AtoB"
    saved = json.loads((out / "metrics.json").read_text())
    for key in ("l1", "psnr", "ssim", "pixel_accuracy", "class_accuracy", "class_iou", "num_images", "seconds"):
        assert key in saved
    assert saved["model"] == "real targets" and saved["split"] == "val" and len(saved["per_image"]) == 5
    page = (out / "index.html").read_text()
    assert "<table" in page and "pixel_accuracy" in page and "0.83" in page  # the paper's L1+cGAN row
    assert "Worst 4 by pixel_accuracy" in page and "Best 4 by pixel_accuracy" in page
    assert page.count("data:image/jpeg;base64,") == 3 * (5 + 4 + 4)  # first rows, worst, best: 3 images each


def test_generator_image_metrics_and_saved_images(tmp_path, side_by_side_dir):
    model = tiny_generator_dir(tmp_path)
    metrics = evaluate(
        side_by_side_dir,
        model,
        batch_size=3,
        save_images=tmp_path / "images",
        output_dir=tmp_path / "o",
        backend="torch",
    )
    assert metrics["evaluation"] == "image" and metrics["task"] is None
    assert 0 < metrics["l1"] < 1 and 0 < metrics["psnr"] < PSNR_CAP_DB and -1 <= metrics["ssim"] <= 1
    assert "pixel_accuracy" not in metrics and "fcn_pixel_accuracy" not in metrics
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["1.png", "2.png"]
    assert "Worst 2 by l1" in (tmp_path / "o" / "index.html").read_text()


def test_generator_fcn_score(tmp_path):
    data = label_pair_dir(tmp_path)
    tiny_segmenter().save_pretrained(tmp_path / "seg")
    metrics = evaluate(
        data,
        tiny_generator_dir(tmp_path),
        task="cityscapes-labels2photo",
        segmenter=tmp_path / "seg",
        batch_size=4,
        backend="torch",
    )
    assert metrics["direction"] == "BtoA" and metrics["num_images"] == 5
    for key in ("fcn_pixel_accuracy", "fcn_class_accuracy", "fcn_class_iou"):
        assert 0 <= metrics[key] <= 1
    assert "pixel_accuracy" not in metrics


def test_fcn_task_without_a_segmenter_falls_back_to_image_metrics(tmp_path, monkeypatch):
    data = label_pair_dir(tmp_path)
    monkeypatch.setattr(evaluate_module, "default_segmenter_dir", lambda palette: tmp_path / "missing")
    with pytest.warns(UserWarning, match="no bundled FCN-score segmenter"):
        metrics = evaluate(data, real=True, task="cityscapes-labels2photo", progress=False)
    assert metrics["evaluation"] == "image" and "fcn_pixel_accuracy" not in metrics and metrics["l1"] == 0


def test_direction_not_matching_the_task(tmp_path):
    data = label_pair_dir(tmp_path)
    with pytest.raises(Pix2PixHubError, match="direction BtoA of its data, but --direction AtoB"):
        evaluate(data, real=True, task="cityscapes-labels2photo", direction="AtoB")
    with pytest.raises(Pix2PixHubError, match="give --task or --direction"):
        infer_task("cityscapes", None)
    assert infer_task("cityscapes", "BtoA").name == "cityscapes-labels2photo"


def test_a_zoo_model_named_by_its_task_sets_the_task(tmp_path):
    # `evaluate cityscapes --model cityscapes-photo2labels` needs no --task: the model's name is the task
    metrics = evaluate(label_pair_dir(tmp_path), "cityscapes-photo2labels", max_images=2, progress=False)
    assert metrics["task"] == "cityscapes-photo2labels" and metrics["evaluation"] == "labels"
    assert 0 <= metrics["pixel_accuracy"] <= 1


def test_photos_given_as_label_maps_are_refused(tmp_path):
    # halves swapped: labels -> photo reads B as its input label maps, and B holds (noise) photos
    data = label_pair_dir(tmp_path)
    rng = np.random.default_rng(1)
    for path in (data / "val").iterdir():
        pair = np.asarray(Image.open(path)).copy()
        pair[:, 64:] = rng.integers(0, 256, (64, 64, 3))
        Image.fromarray(pair).save(path)
    tiny_segmenter().save_pretrained(tmp_path / "seg")
    with pytest.raises(Pix2PixHubError, match="inputs \\(direction BtoA\\) are not 'cityscapes' label maps"):
        evaluate(data, real=True, task="cityscapes-labels2photo", segmenter=tmp_path / "seg", progress=False)


def test_outputs_of_the_other_direction_warn():
    facades = PALETTES["facades"]
    with pytest.warns(OffPaletteWarning, match="other direction"):
        check_label_fit(facades, "labels", [], [0.9, 0.8], "AtoB")  # photo -> labels model making photos
    with pytest.warns(OffPaletteWarning, match="look like 'facades' label maps"):
        check_label_fit(facades, "fcn", [0.01], [0.02, 0.01], "BtoA")  # labels -> photo model making label maps
    with warnings.catch_warnings():
        warnings.simplefilter("error", OffPaletteWarning)
        check_label_fit(facades, "labels", [], [0.01], "AtoB")
        check_label_fit(facades, "fcn", [0.01], [0.9], "BtoA")


def test_empty_or_missing_split(tmp_path, side_by_side_dir):
    with pytest.raises(Pix2PixHubError, match="no split 'test'; it has train, val"):
        evaluate(side_by_side_dir, real=True, split="test")
    (side_by_side_dir / "empty").mkdir()
    (side_by_side_dir / "empty" / "notes.txt").write_text("no images")
    with pytest.raises(Pix2PixHubError):
        evaluate(side_by_side_dir, real=True, split="empty")


def test_model_and_real_together_are_refused(tmp_path, side_by_side_dir):
    with pytest.raises(Pix2PixHubError, match="not both"):
        evaluate(side_by_side_dir, "some/model", real=True)
    with pytest.raises(SystemExit):
        cli_main(["evaluate", str(side_by_side_dir), "--real", "--model", "x", "-o", str(tmp_path)])


def test_cli(tmp_path, capsys):
    data = label_pair_dir(tmp_path)
    code = cli_main(["evaluate", str(data), "--real", "--task", "cityscapes-photo2labels", "-o", str(tmp_path / "o")])
    assert code == 0
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["pixel_accuracy"] == 1.0
    code = cli_main(["evaluate", str(data), "--real", "--split", "nope", "-o", str(tmp_path / "o2")])
    assert code == 2 and "no split 'nope'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dataset", "task", "min_pixel_accuracy"),
    [("cityscapes", "cityscapes-labels2photo", 0.6), ("facades", "facades-labels2photo", 0.45)],
)
def test_bundled_segmenter_on_real_photos(dataset, task, min_pixel_accuracy):
    if not (SHARED_DATA / dataset).is_dir():
        pytest.skip(f"{SHARED_DATA / dataset} is absent")
    if not default_segmenter_dir(dataset).is_dir():
        pytest.skip(f"no bundled {dataset} segmenter in model_zoo/")
    metrics = evaluate(SHARED_DATA / dataset, real=True, task=task, max_images=8, progress=False)
    assert metrics["fcn_pixel_accuracy"] > min_pixel_accuracy and not math.isnan(metrics["fcn_class_iou"])


def test_reaching_the_papers_row_is_judged_per_measure_and_fcn_scores_relative_to_real_photos():
    from pix2pix_hub.paper_results import reaches_paper

    # label accuracy: every one of the three must reach the paper's L1+cGAN row (0.83, 0.36, 0.29)
    assert reaches_paper("cityscapes-photo2labels", (0.834, 0.46, 0.38))
    assert not reaches_paper("cityscapes-photo2labels", (0.82, 0.46, 0.38))
    # FCN-score: as a fraction of the same segmenter's score of real photos, against the paper's 0.66/0.80, ...
    assert reaches_paper("cityscapes-labels2photo", (0.62, 0.24, 0.17), real_scores=(0.74, 0.26, 0.18))
    assert not reaches_paper("cityscapes-labels2photo", (0.55, 0.24, 0.17), real_scores=(0.74, 0.26, 0.18))
    assert not reaches_paper("cityscapes-labels2photo", (0.82, 0.32, 0.24))  # no real photos' score to scale by
    # no comparable figure in the paper
    assert not reaches_paper("maps-aerial2map", (1.0, 1.0, 1.0))
    assert not reaches_paper("facades-labels2photo", (1.0, 1.0, 1.0), real_scores=(0.5, 0.3, 0.2))
