"""Data-efficient adversarial training (zoo v3): DiffAugment on the pairs D sees, ADA's controller, spectral norm,
feature matching, R1, TTUR, a frozen generator, and warm starts with --init_from, each through train.py."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import SHARED_DATA
from test_training import make_pairs, read_log, run_training

from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.tasks import get_task
from pix2pix_hub.training.diffaugment import AdaptiveProbability, diff_augment, parse_policy
from pix2pix_hub.training.losses import desaturate, l1_loss

ALL = ("color", "translation", "cutout")
SHORT = ["--max_train_steps", "4", "--validation_split", "none"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_pairs(tmp_path_factory.mktemp("data") / "pairs")


def test_translation_and_cutout_move_condition_and_image_together():
    torch.manual_seed(0)
    condition = torch.zeros(4, 3, 32, 32)
    condition[:, :, 10, 12] = 1.0  # one marked pixel, the same in both halves
    image = condition.clone()
    seen_condition, seen_image = diff_augment(condition, image, policy=("translation", "cutout"))
    assert torch.equal(seen_condition, seen_image)  # the pair still matches
    assert not torch.equal(seen_condition, condition)  # and it was moved or cut


def test_colour_changes_the_image_only_and_every_image_alike():
    torch.manual_seed(1)
    condition, image = torch.rand(3, 3, 16, 16) * 2 - 1, torch.rand(3, 3, 16, 16) * 2 - 1
    seen_condition, first, second = diff_augment(condition, image, image.clone(), policy=("color",))
    assert torch.equal(seen_condition, condition)
    assert torch.equal(first, second) and not torch.equal(first, image)


def test_augmentation_is_differentiable_and_off_at_probability_zero():
    image = (torch.rand(2, 3, 16, 16) * 2 - 1).requires_grad_(True)
    condition = torch.zeros(2, 3, 16, 16)
    _, seen = diff_augment(condition, image, policy=ALL)
    seen.sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    unchanged = diff_augment(condition, image, policy=ALL, probability=0.0)
    assert unchanged[0] is condition and unchanged[1] is image


def test_unknown_policy_names_the_choices():
    assert parse_policy(" color, cutout ") == ("color", "cutout")
    with pytest.raises(ValueError, match="choose among color, translation, cutout"):
        parse_policy("color,rotate")


def test_ada_raises_p_while_d_is_sure_of_real_pairs_and_lowers_it_otherwise():
    ada = AdaptiveProbability(target=0.6, interval=2, images_to_full=8)
    for _ in range(4):  # every real patch on the real side: r_t = 1 > 0.6
        ada.observe(torch.ones(2, 1, 4, 4), threshold=0.5, batch_size=2)
    assert ada.probability == pytest.approx(1.0)
    state = ada.state_dict()
    for _ in range(2):  # every real patch on the fake side: r_t = -1
        ada.observe(torch.zeros(2, 1, 4, 4), threshold=0.5, batch_size=2)
    assert ada.probability == pytest.approx(0.5)
    ada.load_state_dict(state)
    assert ada.probability == pytest.approx(1.0)


def test_spectral_norm_discriminator_saves_loads_and_exposes_features(tmp_path):
    disc = PatchGANDiscriminator(ndf=8, spectral_norm=True)
    disc.save_pretrained(tmp_path)
    loaded = PatchGANDiscriminator.from_pretrained(tmp_path)
    condition, image = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        features = loaded.features(condition, image)
        assert torch.allclose(features[-1], loaded(condition, image))
        assert torch.allclose(loaded(condition, image), disc.eval()(condition, image))
    assert len(features) == 5 and loaded.receptive_field == 70


def test_every_remedy_trains_is_logged_and_named_in_the_card(data, tmp_path):
    remedies = [
        "--diffaugment=color,translation,cutout",
        "--ada_target=0.6",
        "--feature_matching=10",
        "--spectral_norm",
        "--r1_gamma=1",
        "--r1_interval=2",
        "--learning_rate_d=1e-4",
        "--l1_scale=4",
        "--l1_chroma_weight=0.25",
    ]
    proc = run_training(data, tmp_path / "run", *SHORT, *remedies)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = read_log(tmp_path / "run")
    assert {"loss_g_fm", "augment_p"} <= set(log[1]) and "loss_d_r1" in log[1] and "loss_d_r1" not in log[2]
    card = (tmp_path / "run" / "README.md").read_text()
    assert "Adversarial training: DiffAugment color,translation,cutout before D (ADA target 0.6)" in card
    assert "D feature matching x 10; spectral normalisation in D; R1 penalty gamma 1 every 2 D steps" in card
    assert json.loads((tmp_path / "run" / "discriminator" / "config.json").read_text())["spectral_norm"] is True
    assert "100 x L1 of 4x4 block means, colour weighted 0.25" in card
    bad = run_training(data, tmp_path / "bad", *SHORT, "--diffaugment=color,rotate")
    assert bad.returncode == 2 and "choose among color, translation, cutout" in bad.stderr
    bad = run_training(data, tmp_path / "bad", *SHORT, "--l1_scale=0")
    assert bad.returncode == 2 and "--l1_scale must be 1" in bad.stderr
    bad = run_training(data, tmp_path / "bad", *SHORT, "--l1_chroma_weight=1.5")
    assert bad.returncode == 2 and "--l1_chroma_weight must be within 0" in bad.stderr


def test_block_l1_ignores_texture_finer_than_a_block_but_not_layout_or_colour():
    target = torch.rand(2, 3, 16, 16) * 2 - 1
    assert torch.equal(l1_loss(target.flip(-1), target, 1), torch.nn.functional.l1_loss(target.flip(-1), target))
    # the same 4x4 block means with the texture inside each block shuffled: no loss at scale 4, some per pixel
    blocks = target.unfold(2, 4, 4).unfold(3, 4, 4)  # (N, C, 4, 4, 4, 4)
    shuffled = blocks.flip(-1).flip(-2).permute(0, 1, 2, 4, 3, 5).reshape(target.shape)
    assert l1_loss(shuffled, target, 4) < 1e-6 < l1_loss(shuffled, target, 1)
    # a colour shift is paid in full at every scale
    assert torch.allclose(l1_loss(target + 0.1, target, 4), torch.tensor(0.1))


def test_init_from_starts_from_the_saved_g_and_d_and_freeze_trains_d_alone(data, tmp_path):
    first = run_training(data, tmp_path / "first", *SHORT, "--ngf", "16")
    assert first.returncode == 0, first.stderr[-3000:]
    frozen = run_training(
        data, tmp_path / "frozen", *SHORT, "--init_from", str(tmp_path / "first"), "--freeze_generator"
    )
    assert frozen.returncode == 0, frozen.stderr[-3000:]
    assert "G and D loaded from" in frozen.stderr
    start = Pix2PixGenerator.from_pretrained(tmp_path / "first")
    after = Pix2PixGenerator.from_pretrained(tmp_path / "frozen")
    assert after._hub_mixin_config == start._hub_mixin_config  # the architecture came from the folder (ngf 16)
    for (name, before), now in zip(start.named_parameters(), after.parameters(), strict=True):
        assert torch.equal(before, now), name  # G was not trained
    d_start = PatchGANDiscriminator.from_pretrained(tmp_path / "first" / "discriminator")
    d_after = PatchGANDiscriminator.from_pretrained(tmp_path / "frozen" / "discriminator")
    assert any(not torch.equal(a, b) for a, b in zip(d_start.parameters(), d_after.parameters(), strict=True))
    assert set(read_log(tmp_path / "frozen")[1]) == {"step", "epoch", "loss_d", "lr", "step_s", "step_cpu_s"}
    lonely = run_training(data, tmp_path / "lonely", *SHORT, "--freeze_generator")
    assert lonely.returncode == 2 and "--freeze_generator needs --init_from" in lonely.stderr


@pytest.mark.slow
def test_init_from_a_zoo_model_continues_from_its_state_not_a_fresh_start(tmp_path):
    """The first step's losses of `--init_from model_zoo/edges2shoes` are the shipped model's (a low L1, a D that
    tells real from generated pairs), far from a fresh start's."""
    task = get_task("edges2shoes")
    if not (SHARED_DATA / task.datasets[0]).is_dir():
        pytest.skip("../shared/datasets/edges2shoes is not here")
    if not (task.zoo_dir / "discriminator" / "model.safetensors").is_file():
        pytest.skip("the zoo model ships no discriminator yet (train/zoo/fit_discriminators.sh)")
    common = ["--task", "edges2shoes", "--ngf", "16", "--ndf", "16", "--upsampling", "resize", "--gan_mode", "lsgan"]
    common += ["--crop_size", "256", "--load_size", "286", "--batch_size", "2", "--max_train_steps", "1"]
    runs = {}
    for name, extra in (("fresh", []), ("zoo", ["--init_from", str(task.zoo_dir)])):
        proc = run_training(SHARED_DATA / "edges2shoes", tmp_path / name, *common, *extra)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[name] = read_log(tmp_path / name)[1]
    assert runs["zoo"]["loss_g_l1"] < 0.5 * runs["fresh"]["loss_g_l1"]
    # measured: L1 0.29 against 0.64 fresh, D's loss 0.21 against 0.74 (lsgan; 0.25 is a D that cannot tell)
    assert runs["zoo"]["loss_d"] < 0.4 * runs["fresh"]["loss_d"]


def test_chroma_weight_pays_luminance_in_full_and_colour_at_its_weight():
    target = torch.rand(2, 3, 16, 16) * 2 - 1
    assert torch.equal(l1_loss(target.flip(-1), target, 1, 1.0), l1_loss(target.flip(-1), target))
    # the transform itself: all the colour kept at 1, none at 0 (every channel equal to the luma)
    assert torch.allclose(desaturate(target, 1.0), target)
    grayed = desaturate(target, 0.0)
    assert torch.allclose(grayed, grayed[:, :1].expand_as(grayed))
    # a brightness shift (the same in R, G and B) is luminance only: paid in full at any weight
    assert torch.allclose(l1_loss(target + 0.1, target, 1, 0.0), torch.tensor(0.1))
    # a hue swap at equal luma costs per its weight: nothing at 0, a quarter at 0.25
    gray = torch.zeros(1, 3, 4, 4)  # mid-gray in [-1, 1]
    tinted = torch.tensor([0.5, -0.5, 0.0]).view(1, 3, 1, 1).expand(1, 3, 4, 4)
    tinted = tinted - desaturate(tinted, 0.0)  # its luma taken out: pure colour
    assert l1_loss(tinted, gray, 1, 0.0) < 1e-7
    assert torch.allclose(l1_loss(tinted, gray, 1, 0.25), 0.25 * l1_loss(tinted, gray, 1, 1.0))
    # one-channel outputs have no colour to weigh
    assert torch.equal(l1_loss(target[:, :1] + 0.1, target[:, :1], 1, 0.0), l1_loss(target[:, :1] + 0.1, target[:, :1]))
