"""Convert pytorch-CycleGAN-and-pix2pix checkpoints (`latest_net_G.pth`, `latest_net_D.pth`) into Hub folders.

The reference saves bare state dicts whose key names spell its nested modules (`model.model.1.model.1.weight`).
The architecture is recovered from those names and the tensor shapes alone, so no training flags are needed;
only dropout leaves no trace in the weights, so it defaults to the reference's pix2pix default (on).
The file is read with `torch.load(weights_only=True)`: tensors only, never arbitrary pickled objects.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .errors import Pix2PixHubError
from .metadata import REFERENCE_URL
from .models import PatchGANDiscriminator, Pix2PixGenerator, Pix2PixHubModel
from .models.discriminator import RECEPTIVE_FIELDS
from .models.layers import default_conv_bias
from .tasks import get_task

#: provenance written beside config.json, for tools that want it without parsing the card
CONVERSION_FILE = "conversion.json"

#: files a conversion writes; `overwrite` removes exactly these first
OUTPUT_FILES = ("config.json", "model.safetensors", "README.md", CONVERSION_FILE)

#: the reference's named U-Net presets (`--netG`), by number of downsamplings
UNET_PRESETS = {7: "unet_128", 8: "unet_256"}

#: key prefixes added by `DataParallel` / `DistributedDataParallel` and by `torch.compile`
WRAPPER_PREFIXES = ("module.", "_orig_mod.")

#: the reference's pix2pix default; dropout is invisible in the weights, so this is what conversion assumes
REFERENCE_DROPOUT_DEFAULT = True

SUPPORTED = (
    "Supported: the reference's U-Net generators (unet_128, unet_256 or any other depth) and its "
    "basic / n_layers PatchGAN and pixel discriminators, saved as state dicts (latest_net_G.pth, latest_net_D.pth)."
)

_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTO = b"\x80"
_NORM_STATS = ("running_mean", "running_var", "num_batches_tracked")


@dataclass(frozen=True)
class DetectedArchitecture:
    """A reference network as recovered from a state dict: everything that shapes the weights."""

    network: str  # "unet", "n_layers" (includes "basic") or "pixel"
    in_channels: int
    width: int  # ngf for the U-Net, ndf for the discriminators
    depth: int  # num_downs for the U-Net, n_layers for the PatchGAN, 0 for pixel
    norm: str  # "batch", "instance" or "none"
    conv_bias: bool  # whether the normalised convolutions carry a bias (reference: only with instance norm)
    out_channels: int | None = None  # generators only

    @property
    def is_generator(self) -> bool:
        return self.network == "unet"

    @property
    def model_class(self) -> type[Pix2PixHubModel]:
        return Pix2PixGenerator if self.is_generator else PatchGANDiscriminator

    @property
    def reference_name(self) -> str:
        """The reference's `--netG` / `--netD` value, or a description where no preset has this shape."""
        if self.is_generator:
            return UNET_PRESETS.get(self.depth, f"unet (num_downs={self.depth}, no --netG preset)")
        if self.network == "pixel":
            return "pixel"
        return "basic" if self.depth == 3 else "n_layers"

    @property
    def reference_flags(self) -> str:
        """The reference's command-line flags that build this network (for the card)."""
        if self.is_generator:
            net = UNET_PRESETS.get(self.depth)
            net_flag = f"--netG {net}" if net else f"UnetGenerator(num_downs={self.depth}) (no --netG preset)"
            return (
                f"{net_flag} --ngf {self.width} --norm {self.norm} "
                f"--input_nc {self.in_channels} --output_nc {self.out_channels}"
            )
        layers = f" --n_layers_D {self.depth}" if self.reference_name == "n_layers" else ""
        return f"--netD {self.reference_name}{layers} --ndf {self.width} --norm {self.norm}"

    def describe(self) -> str:
        """One line naming the network the way the reference does, with its sizes."""
        norm = f"{self.norm} norm" if self.norm != "none" else "no norm"
        if self.is_generator:
            preset = f" `{UNET_PRESETS[self.depth]}`" if self.depth in UNET_PRESETS else ""
            return (
                f"U-Net generator{preset} (num_downs={self.depth}, ngf={self.width}, "
                f"{self.in_channels}->{self.out_channels} channels, {norm})"
            )
        sizes = f"ndf={self.width}, {self.in_channels} input channels, {norm}"
        if self.network == "pixel":
            return f"pixel discriminator `pixel` (1x1 PixelGAN, {sizes})"
        side = RECEPTIVE_FIELDS[self.depth]
        return f"PatchGAN discriminator `{self.reference_name}` (n_layers={self.depth}, {side}x{side} patches, {sizes})"

    def native_config(self, dropout: bool) -> dict[str, Any]:
        """Constructor arguments of the native class; `conv_bias` only where it differs from the class default."""
        if self.is_generator:
            config: dict[str, Any] = {
                "in_channels": self.in_channels,
                "out_channels": self.out_channels,
                "ngf": self.width,
                "num_downs": self.depth,
                "norm": self.norm,
                "use_dropout": dropout,
            }
        else:
            config = {"in_channels": self.in_channels, "ndf": self.width, "n_layers": self.depth, "norm": self.norm}
        if self.conv_bias != default_conv_bias(self.norm):
            config["conv_bias"] = self.conv_bias
        return config


@dataclass
class ConversionReport:
    """What a conversion read, recognised, assumed and wrote; the CLI prints it and the card repeats it."""

    source: Path
    sha256: str
    architecture: DetectedArchitecture
    config: dict[str, Any]
    dropout_assumed: bool
    notes: list[str] = field(default_factory=list)
    task: str | None = None
    output_dir: Path | None = None

    def dropout_line(self) -> str | None:
        if not self.architecture.is_generator:
            return None
        state = "on" if self.config["use_dropout"] else "off"
        if self.dropout_assumed:
            return (
                f"Dropout: {state} (assumed: dropout leaves no trace in the weights and the reference's pix2pix "
                "default is on; convert with --no-dropout if the model was trained with --no_dropout)"
            )
        return f"Dropout: {state} (as requested)"

    def summary_lines(self) -> list[str]:
        lines = [
            f"Source: {self.source.name} (SHA-256 {self.sha256})",
            f"Detected: {self.architecture.describe()}",
            f"Reference flags: {self.architecture.reference_flags}",
            f"Converted to: {self.architecture.model_class.__name__} {json.dumps(self.config, sort_keys=True)}",
        ]
        if self.dropout_line():
            lines.append(self.dropout_line())
        if self.task:
            lines.append(f"Task: {self.task}")
        lines += [f"Note: {note}" for note in self.notes]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "source_file": self.source.name,
            "sha256": self.sha256,
            "reference_repo": REFERENCE_URL,
            "reference_network": self.architecture.reference_name,
            "reference_flags": self.architecture.reference_flags,
            "architecture": self.architecture.describe(),
            "model_class": self.architecture.model_class.__name__,
            "dropout_assumed": self.dropout_assumed,
            "task": self.task,
            "notes": self.notes,
        }

    def card_summary(self, role: str) -> str:
        """The card's opening paragraph: source, checksum, architecture and task, the facts `info` shows."""
        task = f" Task: `{self.task}`." if self.task else ""
        return (
            f"A pix2pix {role} converted from the pytorch-CycleGAN-and-pix2pix checkpoint `{self.source.name}` "
            f"(SHA-256 `{self.sha256}`): {self.architecture.describe()}.{task}"
        )

    def card_section(self) -> str:
        lines = [
            "## Conversion",
            "",
            f"Converted from a [pytorch-CycleGAN-and-pix2pix]({REFERENCE_URL}) checkpoint with `pix2pix-hub convert`.",
            "",
            f"- Source file: `{self.source.name}`",
            f"- SHA-256: `{self.sha256}`",
            f"- Detected architecture: {self.architecture.describe()}",
            f"- Reference flags: `{self.architecture.reference_flags}`",
        ]
        if self.dropout_line():
            lines.append(f"- {self.dropout_line()}")
        if self.task:
            lines.append(f"- Task: `{self.task}` ({get_task(self.task).description})")
        lines += [f"- Note: {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_reference_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a `.pth` state dict with `weights_only=True`; anything else is a `Pix2PixHubError` saying what it is."""
    path = Path(path)
    if not path.is_file():
        raise Pix2PixHubError(
            f"{path}: no such file. Give a reference checkpoint such as checkpoints/NAME/latest_net_G.pth."
        )
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        raise Pix2PixHubError(f"{path}: the file is empty, so not a checkpoint. Copy the .pth file again.")
    if not head.startswith((_ZIP_MAGIC, _PICKLE_PROTO)):
        raise Pix2PixHubError(
            f"{path}: not a PyTorch checkpoint (it starts with {head!r}, neither a torch.save zip archive nor a "
            f"pickle). Give the .pth file the reference wrote under checkpoints/. {SUPPORTED}"
        )
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch names the refused global as "Unsupported global: GLOBAL x.y" or "unsupported GLOBAL x.y whose ..."
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        if found is None:
            raise Pix2PixHubError(
                f"{path}: corrupt checkpoint ({_first_line(exc)}). Copy or download the file again."
            ) from exc
        raise Pix2PixHubError(
            f"{path}: holds non-tensor Python objects ({found.group(1)}), so it was refused for safety: loading "
            "it could run arbitrary code (convert reads with weights_only=True). If it is a whole network from a "
            "source you trust, re-save just its weights with torch.save(net.state_dict(), 'latest_net_G.pth')."
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, KeyError) as exc:
        raise Pix2PixHubError(
            f"{path}: truncated or corrupt checkpoint ({_first_line(exc) or type(exc).__name__}). "
            f"Copy or download the file again and check its size."
        ) from exc
    if not isinstance(loaded, dict) or not loaded:
        what = "an empty dict" if isinstance(loaded, dict) else f"a {type(loaded).__name__}"
        raise Pix2PixHubError(f"{path}: holds {what}, not a state dict. {SUPPORTED}")
    not_tensors = [k for k, v in loaded.items() if not (isinstance(k, str) and isinstance(v, torch.Tensor))]
    if not_tensors:
        key = not_tensors[0]
        raise Pix2PixHubError(
            f"{path}: not a bare state dict: key {key!r} holds a value of type {type(loaded[key]).__name__}, "
            f"not a tensor (top-level keys: {_sample(loaded)}). Save the network's own state dict, as the "
            f"reference does: torch.save(net.state_dict(), path). {SUPPORTED}"
        )
    return dict(loaded)


def normalize_reference_state_dict(state_dict: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Undo the legacy quirks the reference's own loader tolerates; returns the clean dict and what was changed.

    - `module.` prefixes of DataParallel/DDP saves are stripped;
    - instance norm's running statistics (old PyTorch, or the reference's old `track_running_stats=True`) are dropped,
      since current instance norm does not track them;
    - batch norm's `num_batches_tracked` (absent before PyTorch 0.4.1) is added as 0; eval mode never reads it.
    """
    notes = []
    state_dict = dict(state_dict)
    for prefix in WRAPPER_PREFIXES:
        if all(key.startswith(prefix) for key in state_dict):
            state_dict = {key[len(prefix) :]: value for key, value in state_dict.items()}
            notes.append(f"stripped the {prefix!r} key prefix (saved from a DataParallel/DDP or compiled wrapper)")

    dropped = [
        key
        for key in state_dict
        if key.rpartition(".")[2] in _NORM_STATS and f"{key.rpartition('.')[0]}.weight" not in state_dict
    ]
    for key in dropped:
        del state_dict[key]
    if dropped:
        layers = len({key.rpartition(".")[0] for key in dropped})
        notes.append(f"dropped the running statistics of {layers} instance-norm layers (unused, as in the reference)")

    added = 0
    for key in list(state_dict):
        module, _, name = key.rpartition(".")
        if name == "running_mean" and f"{module}.num_batches_tracked" not in state_dict:
            state_dict[f"{module}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
            added += 1
    if added:
        notes.append(f"added num_batches_tracked to {added} batch-norm layers (saved by PyTorch before 0.4.1)")
    return state_dict, notes


def detect_architecture(state_dict: dict[str, torch.Tensor], source: str = "checkpoint") -> DetectedArchitecture:
    """Recognise a normalised reference state dict from its key names and shapes, or say what it is instead."""
    keys = set(state_dict)
    if any(key.startswith("model.model.0.") for key in keys):
        return _detect_unet(state_dict, source)
    resnet_blocks = {m.group(1) for key in keys if (m := re.match(r"model\.(\d+)\.conv_block\.", key))}
    if resnet_blocks:
        raise Pix2PixHubError(
            f"{source}: a ResNet generator (resnet_{len(resnet_blocks)}blocks in the reference, CycleGAN's default), "
            f"which pix2pix_hub does not support: Pix2PixGenerator is the paper's U-Net. {SUPPORTED}"
        )
    if "net.0.weight" in keys:
        return _detect_pixel(state_dict, source)
    if "model.0.weight" in keys:
        return _detect_n_layers(state_dict, source)
    raise Pix2PixHubError(
        f"{source}: a state dict of {len(keys)} tensors that is no reference pix2pix network "
        f"(keys such as {_sample(state_dict)}). {SUPPORTED}"
    )


def reference_module_map(arch: DetectedArchitecture) -> dict[str, str]:
    """Reference module path -> this project's module path, for every module that holds tensors."""
    if not arch.is_generator:  # same Sequential indices; only the pixel discriminator's attribute name differs
        old, length = ("net", 6) if arch.network == "pixel" else ("model", 3 * arch.depth + 3)
        return {f"{old}.{i}": f"model.{i}" for i in range(length)}
    prefixes = _unet_level_prefixes(arch.depth)
    last = arch.depth - 1
    mapping = {f"{prefixes[0]}0": "down_blocks.0.conv", f"{prefixes[0]}3": f"up_blocks.{last}.conv"}
    for level in range(1, last):
        up = last - level
        mapping |= {
            f"{prefixes[level]}1": f"down_blocks.{level}.conv",
            f"{prefixes[level]}2": f"down_blocks.{level}.norm",
            f"{prefixes[level]}5": f"up_blocks.{up}.conv",
            f"{prefixes[level]}6": f"up_blocks.{up}.norm",
        }
    mapping |= {
        f"{prefixes[last]}1": f"down_blocks.{last}.conv",
        f"{prefixes[last]}3": "up_blocks.0.conv",
        f"{prefixes[last]}4": "up_blocks.0.norm",
    }
    return mapping


def to_native_model(
    state_dict: dict[str, torch.Tensor], arch: DetectedArchitecture, dropout: bool, source: str = "checkpoint"
) -> Pix2PixHubModel:
    """Build the native model for `arch` and load the renamed weights strictly: every tensor mapped, shapes equal."""
    model = arch.model_class(**arch.native_config(dropout))
    module_map = reference_module_map(arch)
    native, unmapped = {}, []
    for key, tensor in state_dict.items():
        module, _, name = key.rpartition(".")
        if module in module_map:
            native[f"{module_map[module]}.{name}"] = tensor
        else:
            unmapped.append(key)
    expected = model.state_dict()
    back = {native_module: ref for ref, native_module in module_map.items()}
    missing = [_rename(key, back) for key in expected if key not in native]
    unexpected = unmapped + [_rename(key, back) for key in native if key not in expected]
    wrong = [
        f"{_rename(key, back)}: file {tuple(native[key].shape)}, expected {tuple(expected[key].shape)}"
        for key in expected
        if key in native and native[key].shape != expected[key].shape
    ]
    if missing or unexpected or wrong:
        problems = [
            f"{label} ({len(items)}, e.g. {items[0]})"
            for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
            if items
        ]
        raise Pix2PixHubError(
            f"{source}: looks like a {arch.describe()}, but its tensors do not fit that network: "
            f"{'; '.join(problems)}. It may be from a modified copy of the reference. {SUPPORTED}"
        )
    model.load_state_dict(native, strict=True)
    return model.eval()


def load_reference_checkpoint(
    checkpoint: str | Path, dropout: bool | None = None
) -> tuple[Pix2PixHubModel, ConversionReport]:
    """Read, recognise and load a reference checkpoint into the native class (eval mode); nothing is written."""
    checkpoint = Path(checkpoint)
    state_dict, notes = normalize_reference_state_dict(load_reference_state_dict(checkpoint))
    arch = detect_architecture(state_dict, str(checkpoint))
    if re.search(r"net_[GD]_[AB]$", checkpoint.stem):
        raise Pix2PixHubError(
            f"{checkpoint}: named like a CycleGAN checkpoint (net_G_A / net_G_B / net_D_A / net_D_B). CycleGAN's "
            "unpaired generators and unconditional discriminators are not pix2pix models, so convert does not take "
            f"them. {SUPPORTED}"
        )
    if dropout is not None and not arch.is_generator:
        raise Pix2PixHubError(
            f"{checkpoint}: --dropout/--no-dropout applies to generators only, and this is a {arch.describe()}."
        )
    use_dropout = REFERENCE_DROPOUT_DEFAULT if dropout is None else dropout
    model = to_native_model(state_dict, arch, use_dropout, str(checkpoint))
    report = ConversionReport(
        source=checkpoint,
        sha256=file_sha256(checkpoint),
        architecture=arch,
        config=arch.native_config(use_dropout),
        dropout_assumed=dropout is None and arch.is_generator,
        notes=notes,
    )
    return model, report


def convert_checkpoint(
    checkpoint: str | Path,
    output_dir: str | Path,
    task: str | None = None,
    dropout: bool | None = None,
    overwrite: bool = False,
) -> ConversionReport:
    """Convert a reference `.pth` into a Hub folder: config.json, model.safetensors, README.md card, conversion.json."""
    output_dir = Path(output_dir)
    if task is not None:
        get_task(task)
    existing = [name for name in OUTPUT_FILES if (output_dir / name).exists()]
    if existing and not overwrite:
        raise Pix2PixHubError(
            f"{output_dir}: already holds {', '.join(existing)}. Choose another folder or pass overwrite=True "
            "(--overwrite)."
        )
    model, report = load_reference_checkpoint(checkpoint, dropout)
    report.task, report.output_dir = task, output_dir
    for name in existing:
        (output_dir / name).unlink()
    model.save_pretrained(
        output_dir,
        model_card_kwargs={
            "title": f"{type(model).__name__} converted from {report.source.name}",
            "summary": report.card_summary(model.role),
            "extra_sections": report.card_section(),
        },
    )
    (output_dir / CONVERSION_FILE).write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


def _detect_unet(state_dict: dict[str, torch.Tensor], source: str) -> DetectedArchitecture:
    depth = 1
    while any(key.startswith(_unet_level_prefixes(depth + 1)[-1]) for key in state_dict):
        depth += 1
    first = _conv_weight(state_dict, "model.model.0.weight", 4, source)
    last = _conv_weight(state_dict, "model.model.3.weight", 4, source)
    if depth < 5:
        raise Pix2PixHubError(
            f"{source}: a U-Net with {depth} levels; the reference's UnetGenerator has at least 5 "
            f"(num_downs >= 5). {SUPPORTED}"
        )
    level1 = _unet_level_prefixes(depth)[1]
    conv_bias = f"{level1}1.bias" in state_dict
    return DetectedArchitecture(
        network="unet",
        in_channels=first.shape[1],
        out_channels=last.shape[1],  # ConvTranspose2d weights are (in, out, kh, kw)
        width=first.shape[0],
        depth=depth,
        norm=_norm_kind(state_dict, f"{level1}2", conv_bias),
        conv_bias=conv_bias,
    )


def _detect_n_layers(state_dict: dict[str, torch.Tensor], source: str) -> DetectedArchitecture:
    convs = sorted(int(m.group(1)) for key in state_dict if (m := re.fullmatch(r"model\.(\d+)\.weight", key)))
    convs = [i for i in convs if state_dict[f"model.{i}.weight"].ndim == 4]
    n_layers = len(convs) - 2
    if n_layers < 1 or convs != [0, *range(2, 3 * n_layers + 3, 3)]:
        raise Pix2PixHubError(
            f"{source}: convolutions at model.{convs} do not form the reference's n-layer PatchGAN "
            f"(model.0, model.2, model.5, ...). {SUPPORTED}"
        )
    if n_layers not in RECEPTIVE_FIELDS:
        raise Pix2PixHubError(
            f"{source}: a PatchGAN with n_layers={n_layers}; PatchGANDiscriminator supports 1..5 "
            f"(receptive fields {RECEPTIVE_FIELDS}). {SUPPORTED}"
        )
    return _detected_patchgan(state_dict, source, "n_layers", "model", kernel=4, depth=n_layers)


def _detect_pixel(state_dict: dict[str, torch.Tensor], source: str) -> DetectedArchitecture:
    return _detected_patchgan(state_dict, source, "pixel", "net", kernel=1, depth=0)


def _detected_patchgan(
    state_dict: dict[str, torch.Tensor], source: str, network: str, prefix: str, kernel: int, depth: int
) -> DetectedArchitecture:
    """A reference PatchGAN's architecture, read from its layers under `prefix`: the first conv (channels, width),
    the second conv's bias and the first norm layer."""
    first = _conv_weight(state_dict, f"{prefix}.0.weight", kernel, source)
    conv_bias = f"{prefix}.2.bias" in state_dict
    return DetectedArchitecture(
        network=network,
        in_channels=first.shape[1],
        width=first.shape[0],
        depth=depth,
        norm=_norm_kind(state_dict, f"{prefix}.3", conv_bias),
        conv_bias=conv_bias,
    )


def _unet_level_prefixes(depth: int) -> list[str]:
    """Key prefixes of the reference U-Net's levels, outermost first: each level nests the next as a submodule
    (index 1 in the outermost block's Sequential, index 3 in the others')."""
    prefixes = ["model.model."]
    for level in range(1, depth):
        prefixes.append(prefixes[-1] + ("1" if level == 1 else "3") + ".model.")
    return prefixes


def _norm_kind(state_dict: dict[str, torch.Tensor], norm_module: str, conv_bias: bool) -> str:
    """Batch norm leaves affine weights; instance norm leaves none but its conv has a bias; no norm leaves neither.

    Relies on the reference's rule `use_bias = norm is InstanceNorm2d`; stats were already dropped from instance norms.
    """
    if f"{norm_module}.weight" in state_dict:
        return "batch"
    return "instance" if conv_bias else "none"


def _conv_weight(state_dict: dict[str, torch.Tensor], key: str, kernel: int, source: str) -> torch.Tensor:
    weight = state_dict.get(key)
    if weight is None or weight.ndim != 4 or tuple(weight.shape[2:]) != (kernel, kernel):
        found = "missing" if weight is None else f"of shape {tuple(weight.shape)}"
        raise Pix2PixHubError(
            f"{source}: {key} is {found}, expected a {kernel}x{kernel} convolution as in the reference. {SUPPORTED}"
        )
    return weight


def _rename(key: str, module_map: dict[str, str]) -> str:
    module, _, name = key.rpartition(".")
    return f"{module_map.get(module, module)}.{name}"


def _sample(mapping: dict[str, Any], count: int = 4) -> str:
    keys = list(mapping)
    return ", ".join(keys[:count]) + (f", ... ({len(keys)} in all)" if len(keys) > count else "")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""
