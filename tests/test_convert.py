"""Conversion of pytorch-CycleGAN-and-pix2pix checkpoints: detection, legacy quirks, bad inputs, equivalence.

The reference's code may not be copied here, so `RefUnet`, `RefNLayerD` and `RefPixelD` below re-state its
networks from the public source (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py: `get_norm_layer`,
`UnetGenerator`, `UnetSkipConnectionBlock`, `NLayerDiscriminator`, `PixelDiscriminator`). What matters is kept
exactly: the module nesting (hence the state-dict keys, e.g. `model.model.1.model.1.weight`), the rule
`use_bias = norm is InstanceNorm2d`, the in-place activations, the skip concatenation order, batch norm with
running stats and instance norm without affine or stats. Each test builds one with random weights and random
running statistics, saves its state dict as the reference does, converts it and compares outputs in eval mode.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest
import torch
from conftest import run_python
from PIL import Image
from torch import nn

from pix2pix_hub import PatchGANDiscriminator, Pix2PixGenerator, Pix2PixHubError, cli, tasks
from pix2pix_hub.convert import (
    CONVERSION_FILE,
    convert_checkpoint,
    file_sha256,
    load_reference_checkpoint,
)
from pix2pix_hub.pipeline import Pix2PixPipeline

TOLERANCE = 1e-5


def ref_norm(norm: str, channels: int) -> nn.Module:
    """The reference's `get_norm_layer` choices ('none' is an Identity that still takes a Sequential slot)."""
    if norm == "batch":
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


class RefUnetBlock(nn.Module):
    """One U-Net level as the reference nests it: `model` = down path, inner level, up path; skip by concatenation."""

    def __init__(self, outer, inner, norm, input_nc=None, sub=None, outermost=False, innermost=False, dropout=False):
        super().__init__()
        self.outermost = outermost
        bias = norm == "instance"
        down_conv = nn.Conv2d(input_nc or outer, inner, kernel_size=4, stride=2, padding=1, bias=bias)
        if outermost:
            up_conv = nn.ConvTranspose2d(inner * 2, outer, kernel_size=4, stride=2, padding=1)
            layers = [down_conv, sub, nn.ReLU(True), up_conv, nn.Tanh()]
        elif innermost:
            up_conv = nn.ConvTranspose2d(inner, outer, kernel_size=4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2, True), down_conv, nn.ReLU(True), up_conv, ref_norm(norm, outer)]
        else:
            up_conv = nn.ConvTranspose2d(inner * 2, outer, kernel_size=4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2, True), down_conv, ref_norm(norm, inner), sub]
            layers += [nn.ReLU(True), up_conv, ref_norm(norm, outer)] + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class RefUnet(nn.Module):
    """The reference `UnetGenerator`: built from the innermost level outwards; num_downs 7 = unet_128, 8 = unet_256."""

    def __init__(self, input_nc, output_nc, num_downs, ngf, norm, dropout=True):
        super().__init__()
        block = RefUnetBlock(ngf * 8, ngf * 8, norm, innermost=True)
        for _ in range(num_downs - 5):
            block = RefUnetBlock(ngf * 8, ngf * 8, norm, sub=block, dropout=dropout)
        block = RefUnetBlock(ngf * 4, ngf * 8, norm, sub=block)
        block = RefUnetBlock(ngf * 2, ngf * 4, norm, sub=block)
        block = RefUnetBlock(ngf, ngf * 2, norm, sub=block)
        self.model = RefUnetBlock(output_nc, ngf, norm, input_nc=input_nc, sub=block, outermost=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class RefNLayerD(nn.Module):
    """The reference `NLayerDiscriminator` (`basic` is n_layers=3): `model` Sequential of conv, norm, LeakyReLU."""

    def __init__(self, input_nc, ndf, n_layers, norm):
        super().__init__()
        bias = norm == "instance"
        layers = [nn.Conv2d(input_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1, bias=bias)]
            layers += [ref_norm(norm, ndf * mult), nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class RefPixelD(nn.Module):
    """The reference `PixelDiscriminator` (1x1 PixelGAN); its Sequential is called `net`, not `model`."""

    def __init__(self, input_nc, ndf, norm):
        super().__init__()
        bias = norm == "instance"
        self.net = nn.Sequential(
            nn.Conv2d(input_nc, ndf, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 1, bias=bias),
            ref_norm(norm, ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, 1, bias=bias),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def randomized(net: nn.Module, seed: int = 0) -> nn.Module:
    """Random biases, norm affines and running statistics, so a wrong mapping cannot hide behind init values."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) and module.bias is not None:
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=gen))
            if isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(1 + 0.2 * torch.randn(module.weight.shape, generator=gen))
                module.bias.copy_(0.2 * torch.randn(module.bias.shape, generator=gen))
                module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=gen))
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=gen))
                module.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=gen)))
    return net.eval()


def save_reference(net: nn.Module, path: pathlib.Path, state_dict: dict | None = None) -> pathlib.Path:
    """Save as the reference's `save_networks` does: the bare state dict, on the CPU."""
    torch.save(net.state_dict() if state_dict is None else state_dict, path)
    return path


def max_diff_generator(ref: nn.Module, native: nn.Module, channels: int, size: int = 256) -> float:
    x = torch.rand(1, channels, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        return (ref(x) - native(x)).abs().max().item()


def max_diff_discriminator(ref: nn.Module, native: nn.Module, channels: int, size: int = 256) -> float:
    gen = torch.Generator().manual_seed(2)
    condition = torch.rand(1, channels - 3, size, size, generator=gen) * 2 - 1
    image = torch.rand(1, 3, size, size, generator=gen) * 2 - 1
    with torch.no_grad():
        return (ref(torch.cat([condition, image], 1)) - native(condition, image)).abs().max().item()


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


GENERATORS = [  # (name, num_downs, ngf, norm, in, out, reference name)
    ("unet_256-batch", 8, 8, "batch", 3, 3, "unet_256"),
    ("unet_128-instance", 7, 8, "instance", 1, 3, "unet_128"),
    ("unet6-none", 6, 8, "none", 3, 2, "unet (num_downs=6, no --netG preset)"),
]


@pytest.mark.parametrize(("name", "num_downs", "ngf", "norm", "in_nc", "out_nc", "ref_name"), GENERATORS)
def test_generator_equivalence(tmp_path, name, num_downs, ngf, norm, in_nc, out_nc, ref_name):
    ref = randomized(RefUnet(in_nc, out_nc, num_downs, ngf, norm))
    path = save_reference(ref, tmp_path / "latest_net_G.pth")

    model, report = load_reference_checkpoint(path)

    arch = report.architecture
    assert (arch.network, arch.depth, arch.width, arch.norm) == ("unet", num_downs, ngf, norm)
    assert (arch.in_channels, arch.out_channels, arch.reference_name) == (in_nc, out_nc, ref_name)
    assert isinstance(model, Pix2PixGenerator) and not model.training
    assert n_params(model) == n_params(ref)
    assert max_diff_generator(ref, model, in_nc) <= TOLERANCE


def test_norm_none_generator_keeps_reference_conv_bias(tmp_path):
    """The reference gives 'none' no conv biases (use_bias only for instance norm); the config must say so."""
    path = save_reference(randomized(RefUnet(3, 3, 5, 4, "none")), tmp_path / "g.pth")
    _, report = load_reference_checkpoint(path)
    assert report.config["conv_bias"] is False
    assert (
        "conv_bias"
        not in load_reference_checkpoint(save_reference(randomized(RefUnet(3, 3, 5, 4, "batch")), tmp_path / "b.pth"))[
            1
        ].config
    )


DISCRIMINATORS = [  # (name, reference builder, in channels, detected network, n_layers, norm, reference name)
    ("basic-batch", lambda: RefNLayerD(6, 8, 3, "batch"), 6, "n_layers", 3, "batch", "basic"),
    ("n_layers1-instance", lambda: RefNLayerD(4, 8, 1, "instance"), 4, "n_layers", 1, "instance", "n_layers"),
    ("pixel-batch", lambda: RefPixelD(6, 8, "batch"), 6, "pixel", 0, "batch", "pixel"),
]


@pytest.mark.parametrize(("name", "build", "in_nc", "network", "n_layers", "norm", "ref_name"), DISCRIMINATORS)
def test_discriminator_equivalence(tmp_path, name, build, in_nc, network, n_layers, norm, ref_name):
    ref = randomized(build())
    path = save_reference(ref, tmp_path / "latest_net_D.pth")

    model, report = load_reference_checkpoint(path)

    arch = report.architecture
    assert (arch.network, arch.depth, arch.width, arch.norm, arch.in_channels) == (network, n_layers, 8, norm, in_nc)
    assert arch.reference_name == ref_name
    assert isinstance(model, PatchGANDiscriminator) and not model.training
    assert n_params(model) == n_params(ref)
    assert max_diff_discriminator(ref, model, in_nc) <= TOLERANCE


def test_dataparallel_prefix_and_legacy_serialization(tmp_path):
    ref = randomized(RefNLayerD(6, 8, 2, "batch"))
    state = {f"module.{key}": value for key, value in ref.state_dict().items()}
    path = tmp_path / "latest_net_D.pth"
    torch.save(state, path, _use_new_zipfile_serialization=False)  # pre-1.6 file format as well

    model, report = load_reference_checkpoint(path)

    assert any("'module.'" in note for note in report.notes)
    assert max_diff_discriminator(ref, model, 6, size=64) <= TOLERANCE


def test_missing_num_batches_tracked_is_filled(tmp_path):
    ref = randomized(RefUnet(3, 3, 6, 4, "batch"))
    state = {k: v for k, v in ref.state_dict().items() if not k.endswith("num_batches_tracked")}
    path = save_reference(ref, tmp_path / "latest_net_G.pth", state)

    model, report = load_reference_checkpoint(path)

    assert any("num_batches_tracked" in note for note in report.notes)
    assert max_diff_generator(ref, model, 3, size=64) <= TOLERANCE


def test_instance_norm_running_stats_are_dropped(tmp_path):
    """Old files (PyTorch < 0.4, or the reference's former track_running_stats=True) carry unused instance stats."""
    ref = randomized(RefUnet(3, 3, 6, 4, "instance"))
    state = dict(ref.state_dict())
    norms = [name for name, module in ref.named_modules() if isinstance(module, nn.InstanceNorm2d)]
    for name in norms:
        channels = ref.get_submodule(name).num_features
        state[f"{name}.running_mean"] = torch.randn(channels)
        state[f"{name}.running_var"] = torch.rand(channels) + 0.5
        state[f"{name}.num_batches_tracked"] = torch.tensor(7)
    path = save_reference(ref, tmp_path / "latest_net_G.pth", state)

    model, report = load_reference_checkpoint(path)

    assert report.architecture.norm == "instance"
    assert any(f"{len(norms)} instance-norm layers" in note for note in report.notes)
    assert max_diff_generator(ref, model, 3, size=64) <= TOLERANCE


def test_convert_writes_hub_folder_that_loads_strictly(tmp_path):
    ref = randomized(RefUnet(3, 3, 8, 8, "batch"))
    path = save_reference(ref, tmp_path / "latest_net_G.pth")

    report = convert_checkpoint(path, tmp_path / "out", task="facades-labels2photo")

    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "README.md", CONVERSION_FILE}
    config = json.loads((out / "config.json").read_text())
    expected = {"in_channels": 3, "out_channels": 3, "ngf": 8, "num_downs": 8, "norm": "batch", "use_dropout": True}
    assert config.items() >= expected.items() and config.get("conv_bias") is None
    card = (out / "README.md").read_text()
    for fact in ("latest_net_G.pth", file_sha256(path), report.architecture.describe(), "facades-labels2photo"):
        assert fact in card
    assert "Dropout: on (assumed" in card
    provenance = json.loads((out / CONVERSION_FILE).read_text())
    assert provenance["sha256"] == report.sha256 and provenance["reference_network"] == "unet_256"
    loaded = Pix2PixGenerator.from_pretrained(out)
    assert max_diff_generator(ref, loaded, 3) <= TOLERANCE


def test_no_dropout_flag_and_overwrite(tmp_path):
    path = save_reference(randomized(RefUnet(3, 3, 5, 4, "batch")), tmp_path / "latest_net_G.pth")
    convert_checkpoint(path, tmp_path / "out")
    with pytest.raises(Pix2PixHubError, match="already holds"):
        convert_checkpoint(path, tmp_path / "out", dropout=False)

    report = convert_checkpoint(path, tmp_path / "out", dropout=False, overwrite=True)

    assert report.config["use_dropout"] is False and not report.dropout_assumed
    assert json.loads((tmp_path / "out" / "config.json").read_text())["use_dropout"] is False
    assert "Dropout: off (as requested)" in (tmp_path / "out" / "README.md").read_text()


@pytest.fixture
def convert_cli(monkeypatch):
    """`pix2pix-hub` with only the convert subcommand registered, so these tests do not depend on the others."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["convert"])
    return cli.main


def test_cli_convert_prints_detection(tmp_path, capsys, convert_cli):
    path = save_reference(randomized(RefPixelD(6, 4, "instance")), tmp_path / "latest_net_D.pth")

    assert convert_cli(["convert", str(path), "-o", str(tmp_path / "out")]) == 0

    printed = capsys.readouterr().out
    assert "Detected: pixel discriminator `pixel`" in printed and "instance norm" in printed
    assert PatchGANDiscriminator.from_pretrained(tmp_path / "out").n_layers == 0


def test_cli_generator_says_dropout_is_assumed(tmp_path, capsys, convert_cli):
    path = save_reference(randomized(RefUnet(3, 3, 7, 4, "batch")), tmp_path / "latest_net_G.pth")
    assert convert_cli(["convert", str(path), "-o", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "Detected: U-Net generator `unet_128`" in printed and "Dropout: on (assumed" in printed


# --- bad inputs: each a Pix2PixHubError naming the file and what is supported -------------------------------


def resnet_state_dict(n_blocks: int = 9, ngf: int = 4) -> dict[str, torch.Tensor]:
    """Keys and shapes of the reference `ResnetGenerator` (CycleGAN's default), batch norm, without building it."""
    state = {"model.1.weight": torch.zeros(ngf, 3, 7, 7)}
    for i in range(n_blocks):
        for conv in (1, 5):
            state[f"model.{10 + i}.conv_block.{conv}.weight"] = torch.zeros(ngf * 4, ngf * 4, 3, 3)
            for stat in ("weight", "bias", "running_mean", "running_var"):
                state[f"model.{10 + i}.conv_block.{conv + 1}.{stat}"] = torch.zeros(ngf * 4)
    return state


def test_resnet_generator_is_refused(tmp_path):
    path = save_reference(nn.Identity(), tmp_path / "latest_net_G.pth", resnet_state_dict())
    with pytest.raises(Pix2PixHubError, match=r"latest_net_G\.pth: a ResNet generator \(resnet_9blocks") as err:
        load_reference_checkpoint(path)
    assert "does not support" in str(err.value) and "unet_256" in str(err.value)


def test_cyclegan_file_is_refused(tmp_path):
    path = save_reference(RefNLayerD(3, 4, 3, "instance"), tmp_path / "latest_net_D_A.pth")
    with pytest.raises(Pix2PixHubError, match="CycleGAN"):
        load_reference_checkpoint(path)


def test_truncated_file(tmp_path):
    full = save_reference(RefNLayerD(6, 4, 3, "batch"), tmp_path / "full.pth").read_bytes()
    path = tmp_path / "latest_net_D.pth"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(Pix2PixHubError, match=r"latest_net_D\.pth: truncated or corrupt"):
        load_reference_checkpoint(path)


def test_text_file_renamed_pth(tmp_path):
    path = tmp_path / "latest_net_G.pth"
    path.write_text("<html>404 Not Found</html>\n")
    with pytest.raises(Pix2PixHubError, match=r"latest_net_G\.pth: not a PyTorch checkpoint"):
        load_reference_checkpoint(path)


class _TouchOnUnpickle:
    """Unpickling this would create a file: proof that convert never unpickles arbitrary objects."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_arbitrary_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "unpickled"
    path = save_reference(nn.Identity(), tmp_path / "latest_net_G.pth", {"net": _TouchOnUnpickle(marker)})
    with pytest.raises(
        Pix2PixHubError, match=r"latest_net_G\.pth: holds non-tensor Python objects .*refused for safety"
    ) as err:
        load_reference_checkpoint(path)
    assert "weights_only" in str(err.value) and "state_dict" in str(err.value)
    assert not marker.exists()


class _RemoveOnUnpickle:
    """Unpickling this would delete a file through `os.remove`, whose module torch blocks outright (another error
    message than a merely unlisted global)."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (os.remove, (str(self.marker),))


def test_pickle_of_a_blocked_module_is_refused_for_safety_not_called_corrupt(tmp_path):
    marker = tmp_path / "keep-me"
    marker.touch()
    path = save_reference(nn.Identity(), tmp_path / "latest_net_G.pth", {"net": _RemoveOnUnpickle(marker)})
    with pytest.raises(Pix2PixHubError) as err:
        load_reference_checkpoint(path)
    message = str(err.value)
    assert "holds non-tensor Python objects (posix.remove)" in message and "refused for safety" in message
    assert "corrupt" not in message
    assert marker.exists()


def test_whole_pickled_network_is_refused(tmp_path):
    path = tmp_path / "latest_net_G.pth"
    torch.save(RefPixelD(6, 4, "batch"), path)
    with pytest.raises(Pix2PixHubError, match="RefPixelD"):
        load_reference_checkpoint(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"epoch": 3, "model.0.weight": torch.zeros(1)}, "key 'epoch' holds a value of type int"),
        ({"encoder.weight": torch.zeros(4, 3, 3, 3)}, "no reference pix2pix network"),
        ({}, "empty dict"),
        (torch.zeros(3), "holds a Tensor, not a state dict"),
    ],
)
def test_other_contents_are_refused(tmp_path, content, message):
    path = save_reference(nn.Identity(), tmp_path / "weights.pth", content)
    with pytest.raises(Pix2PixHubError, match=message):
        load_reference_checkpoint(path)


def test_missing_tensor_is_reported_in_reference_names(tmp_path):
    ref = RefUnet(3, 3, 5, 4, "batch")
    state = dict(ref.state_dict())
    del state["model.model.1.model.2.running_var"]
    path = save_reference(ref, tmp_path / "latest_net_G.pth", state)
    with pytest.raises(Pix2PixHubError, match=r"missing \(1, e\.g\. model\.model\.1\.model\.2\.running_var\)"):
        load_reference_checkpoint(path)


def test_bad_arguments(tmp_path, capsys, convert_cli):
    d_path = save_reference(RefNLayerD(6, 4, 3, "batch"), tmp_path / "latest_net_D.pth")
    with pytest.raises(Pix2PixHubError, match="generators only"):
        load_reference_checkpoint(d_path, dropout=False)
    with pytest.raises(Pix2PixHubError, match="unknown task"):
        convert_checkpoint(d_path, tmp_path / "out", task="no-such-task")
    assert convert_cli(["convert", str(tmp_path / "nope.pth"), "-o", str(tmp_path / "out")]) == 2
    assert "nope.pth: no such file" in capsys.readouterr().err


# --- a converted folder works where a native one does ------------------------------------------------------


def test_converted_folder_runs_in_pipeline_and_from_task_registry(tmp_path, monkeypatch):
    """Pix2PixPipeline takes the folder directly, and a task whose zoo entry is the folder resolves to it."""
    ref = randomized(RefUnet(3, 3, 8, 8, "batch"))
    monkeypatch.setattr(tasks, "ZOO_DIR", tmp_path / "zoo")
    task = "facades-labels2photo"
    convert_checkpoint(save_reference(ref, tmp_path / "latest_net_G.pth"), tmp_path / "zoo" / task, task=task)
    x = torch.rand(3, 256, 256, generator=torch.Generator().manual_seed(3)) * 2 - 1
    with torch.no_grad():
        expected = ref(x[None])[0]

    for source in (tmp_path / "zoo" / task, task):
        pipe = Pix2PixPipeline.from_pretrained(source, precision="fp32", device="cpu")
        assert (pipe(x, output_type="pt").image - expected).abs().max().item() <= TOLERANCE


def test_info_shows_the_conversion(tmp_path, capsys):
    path = save_reference(randomized(RefNLayerD(6, 4, 2, "instance")), tmp_path / "latest_net_D.pth")
    report = convert_checkpoint(path, tmp_path / "out")

    assert cli.main(["info", str(tmp_path / "out")]) == 0

    printed = capsys.readouterr().out
    assert "PatchGANDiscriminator" in printed and report.architecture.describe() in printed
    assert "latest_net_D.pth" in printed and report.sha256 in printed


PUSH_AND_RELOAD = """
import json, torch
from huggingface_hub import HfApi
from pix2pix_hub import Pix2PixGenerator
data = torch.load(IO_FILE)
Pix2PixGenerator.from_pretrained(FOLDER).push_to_hub("someone/converted-mixin")
HfApi().create_repo("someone/converted-folder")
HfApi().upload_folder(repo_id="someone/converted-folder", folder_path=FOLDER)  # what `hf upload` does
result = {}
for repo in ("someone/converted-mixin", "someone/converted-folder"):
    with torch.no_grad():
        result[repo] = (Pix2PixGenerator.from_pretrained(repo)(data["x"]) - data["y"]).abs().max().item()
card = open(HfApi().hf_hub_download("someone/converted-folder", "README.md")).read()
result["card_has_sha"] = data["sha"] in card
print(json.dumps(result))
"""


def test_push_to_hub_round_trip(tmp_path, hub_env):
    """Both push routes (the mixin's push_to_hub, and uploading the folder as is) reload with identical outputs."""
    ref = randomized(RefUnet(3, 3, 8, 8, "batch"))
    report = convert_checkpoint(save_reference(ref, tmp_path / "latest_net_G.pth"), tmp_path / "out")
    x = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(4)) * 2 - 1
    with torch.no_grad():
        torch.save({"x": x, "y": ref(x), "sha": report.sha256}, tmp_path / "io.pt")

    code = f"FOLDER, IO_FILE = {str(tmp_path / 'out')!r}, {str(tmp_path / 'io.pt')!r}\n" + PUSH_AND_RELOAD
    result = run_python(code, hub_env)

    assert result["someone/converted-mixin"] == 0.0 and result["someone/converted-folder"] == 0.0
    assert result["card_has_sha"]


def test_translate_cli_runs_a_converted_folder(tmp_path):
    path = save_reference(randomized(RefUnet(3, 3, 5, 4, "instance")), tmp_path / "latest_net_G.pth")
    convert_checkpoint(path, tmp_path / "model")
    Image.new("RGB", (48, 40), (200, 30, 30)).save(tmp_path / "input.png")

    assert (
        cli.main(["translate", str(tmp_path / "model"), str(tmp_path / "input.png"), "-o", str(tmp_path / "out")]) == 0
    )

    assert Image.open(tmp_path / "out" / "input.png").size == (48, 40)
