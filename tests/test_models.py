"""The networks: the paper's exact sizes, receptive fields measured from gradients, Hub save/load and cards."""

from __future__ import annotations

import json

import pytest
import torch
from huggingface_hub import ModelCard

from pix2pix_hub import PatchGANDiscriminator, Pix2PixGenerator, Pix2PixHubError


def num_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_paper_generator_has_reference_unet256_parameter_count():
    assert num_params(Pix2PixGenerator()) == 54_413_955


def test_paper_discriminator_parameter_count_and_30x30_map():
    disc = PatchGANDiscriminator()
    assert num_params(disc) == 2_768_705
    with torch.no_grad():
        logits = disc(torch.zeros(1, 3, 256, 256), torch.zeros(1, 3, 256, 256))
    assert logits.shape == (1, 1, 30, 30)


def measured_receptive_field(disc: PatchGANDiscriminator, size: int) -> int:
    """Side of the input region whose pixels change the centre logit (gradient != 0), in eval mode."""
    disc.eval()
    x = torch.randn(1, 6, size, size, requires_grad=True)
    logits = disc.model(x)
    h, w = logits.shape[-2:]
    logits[0, 0, h // 2, w // 2].backward()
    touched = x.grad.abs().sum(dim=(0, 1)) > 0
    rows = touched.any(dim=1).nonzero()
    cols = touched.any(dim=0).nonzero()
    assert rows.numel() and cols.numel()
    height = int(rows.max() - rows.min() + 1)
    assert height == int(cols.max() - cols.min() + 1)
    return height


@pytest.mark.parametrize("n_layers,expected", [(0, 1), (1, 16), (2, 34), (3, 70), (4, 142), (5, 286)])
def test_receptive_field_property_matches_gradient_measurement(n_layers, expected):
    torch.manual_seed(0)
    disc = PatchGANDiscriminator(ndf=4, n_layers=n_layers)
    assert disc.receptive_field == expected
    assert measured_receptive_field(disc, size=512 if n_layers == 5 else 256) == expected


def test_unet_depth_sets_minimum_input_and_output_shape():
    gen = Pix2PixGenerator(ngf=4, num_downs=7).eval()
    assert gen.min_input_size == 128
    with torch.no_grad():
        assert gen(torch.zeros(2, 3, 128, 256)).shape == (2, 3, 128, 256)


def test_encoder_decoder_ablation_has_no_skips():
    unet = Pix2PixGenerator(ngf=8, num_downs=6)
    encdec = Pix2PixGenerator(ngf=8, num_downs=6, skip_connections=False)
    assert num_params(encdec) < num_params(unet)
    assert encdec.up_blocks[-1].conv.in_channels == 8  # the last decoder step sees only the decoder's 8 channels
    assert unet.up_blocks[-1].conv.in_channels == 16  # ... the U-Net's also sees the 8-channel skip
    with torch.no_grad():
        assert encdec.eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 3, 64, 64)


def test_dropout_only_in_three_decoder_levels_of_unet256():
    gen = Pix2PixGenerator(ngf=4)
    assert sum(isinstance(m, torch.nn.Dropout) for m in gen.modules()) == 3
    assert not any(isinstance(m, torch.nn.Dropout) for m in Pix2PixGenerator(ngf=4, use_dropout=False).modules())


def test_norm_choices_change_parameters_as_the_reference():
    instance = Pix2PixGenerator(ngf=4, num_downs=5, norm="instance")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in instance.modules())
    assert instance.down_blocks[1].conv.bias is not None  # no norm shift to absorb a bias
    batch = Pix2PixGenerator(ngf=4, num_downs=5, norm="batch")
    assert batch.down_blocks[1].conv.bias is None
    with pytest.raises(ValueError, match="norm must be one of"):
        Pix2PixGenerator(norm="group")


def test_init_is_normal_0_002():
    torch.manual_seed(0)
    weights = torch.cat(
        [m.weight.flatten() for m in Pix2PixGenerator(ngf=16).modules() if isinstance(m, torch.nn.Conv2d)]
    )
    assert abs(weights.mean().item()) < 1e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.05)


def test_save_and_load_round_trip_gives_identical_outputs_and_card(tmp_path):
    torch.manual_seed(0)
    gen = Pix2PixGenerator(ngf=4, num_downs=6, norm="instance").eval()
    gen.save_pretrained(tmp_path / "g")
    assert {p.name for p in (tmp_path / "g").iterdir()} == {"config.json", "model.safetensors", "README.md"}
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    assert config["ngf"] == 4 and config["num_downs"] == 6 and config["norm"] == "instance"
    loaded = Pix2PixGenerator.from_pretrained(tmp_path / "g")
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(gen(x), loaded(x))
    card = ModelCard.load(tmp_path / "g" / "README.md")
    assert card.data.pipeline_tag == "image-to-image"
    assert card.data.library_name == "pix2pix_hub"
    assert "pix2pix" in card.data.tags
    assert "arxiv.org/abs/1611.07004" in card.text
    assert "Pix2PixGenerator" in card.text


def test_discriminator_card_states_receptive_field(tmp_path):
    PatchGANDiscriminator(ndf=4, n_layers=1).save_pretrained(tmp_path / "d")
    assert "Receptive field: 16x16" in (tmp_path / "d" / "README.md").read_text()
    loaded = PatchGANDiscriminator.from_pretrained(tmp_path / "d")
    assert loaded.receptive_field == 16


def test_half_precision_weights_load_into_fp32_modules(tmp_path):
    from safetensors.torch import save_file

    gen = Pix2PixGenerator(ngf=4, num_downs=5)
    gen.save_pretrained(tmp_path / "g")
    save_file(
        {k: v.half() if v.is_floating_point() else v for k, v in gen.state_dict().items()},
        tmp_path / "g" / "model.safetensors",
    )
    loaded = Pix2PixGenerator.from_pretrained(tmp_path / "g")
    assert loaded.down_blocks[0].conv.weight.dtype == torch.float32


def test_unknown_config_key_is_refused(tmp_path):
    Pix2PixGenerator(ngf=4, num_downs=5).save_pretrained(tmp_path / "g")
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    (tmp_path / "g" / "config.json").write_text(json.dumps({**config, "attention": True}))
    with pytest.raises(Pix2PixHubError, match=r"config.json has keys \['attention'\]"):
        Pix2PixGenerator.from_pretrained(tmp_path / "g")


def test_weights_that_do_not_match_the_config_name_file_and_shapes(tmp_path):
    Pix2PixGenerator(ngf=4, num_downs=5).save_pretrained(tmp_path / "g")
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    (tmp_path / "g" / "config.json").write_text(json.dumps({**config, "ngf": 8}))
    with pytest.raises(Pix2PixHubError, match=r"model.safetensors: the weights do not match .*wrong shape"):
        Pix2PixGenerator.from_pretrained(tmp_path / "g")


def test_folder_that_is_not_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(Pix2PixHubError, match="no config.json"):
        Pix2PixGenerator.from_pretrained(tmp_path)
    with pytest.raises(Pix2PixHubError, match="no such model folder"):
        Pix2PixGenerator.from_pretrained(tmp_path / "missing")
    Pix2PixGenerator(ngf=4, num_downs=5).save_pretrained(tmp_path / "g")
    (tmp_path / "g" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(Pix2PixHubError, match="not a readable safetensors file"):
        Pix2PixGenerator.from_pretrained(tmp_path / "g")


def test_resize_decoder_has_no_transposed_convolutions_and_round_trips(tmp_path):
    gen = Pix2PixGenerator(ngf=4, num_downs=6, upsampling="resize").eval()
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in gen.modules())
    assert num_params(gen) < num_params(Pix2PixGenerator(ngf=4, num_downs=6))  # 3x3 kernels instead of 4x4
    gen.save_pretrained(tmp_path / "g")
    assert json.loads((tmp_path / "g" / "config.json").read_text())["upsampling"] == "resize"
    x = torch.rand(1, 3, 64, 128) * 2 - 1
    with torch.no_grad():
        assert torch.equal(Pix2PixGenerator.from_pretrained(tmp_path / "g")(x), gen(x))
    with pytest.raises(ValueError, match="upsampling must be one of transposed, resize"):
        Pix2PixGenerator(upsampling="bilinear")


def test_invalid_architecture_in_config(tmp_path):
    Pix2PixGenerator(ngf=4, num_downs=5).save_pretrained(tmp_path / "g")
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    (tmp_path / "g" / "config.json").write_text(json.dumps({**config, "num_downs": 2}))
    with pytest.raises(Pix2PixHubError, match="does not describe a valid Pix2PixGenerator"):
        Pix2PixGenerator.from_pretrained(tmp_path / "g")


def test_saving_a_loaded_model_keeps_its_card_unless_new_card_arguments_are_given(tmp_path):
    Pix2PixGenerator(ngf=4, num_downs=5).save_pretrained(tmp_path / "g", model_card_kwargs={"summary": "Trained on X."})
    loaded = Pix2PixGenerator.from_pretrained(tmp_path / "g")
    loaded.save_pretrained(tmp_path / "again")
    assert "Trained on X." in (tmp_path / "again" / "README.md").read_text()
    loaded.save_pretrained(tmp_path / "new", model_card_kwargs={"summary": "Fine-tuned on Y."})
    text = (tmp_path / "new" / "README.md").read_text()
    assert "Fine-tuned on Y." in text and "Trained on X." not in text


def test_segmenter_card_import_line_works_without_loading_evaluation_eagerly():
    import subprocess
    import sys

    code = (
        "import sys, pix2pix_hub; a = 'torchmetrics' in sys.modules; from pix2pix_hub import LabelSegmenter; print(a)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "False"
