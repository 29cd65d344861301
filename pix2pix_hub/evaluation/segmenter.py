"""This project's stand-in for the paper's FCN-8s: a small U-Net that segments photos into palette classes.

The FCN-score runs it on generated photos; it is trained on real photos (train/train_segmenter.py) and shipped in
`model_zoo/segmenter-<palette>/`.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import Pix2PixHubError
from ..models.hub_model import Pix2PixHubModel
from ..palettes import get_palette
from ..paper_results import ground_truth_scores


class ConvBlock(nn.Module):
    """Two 3x3 conv -> batch norm -> ReLU layers; keeps the spatial size."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class SegmenterDownBlock(nn.Module):
    """2x2 max pool, then a `ConvBlock`: halves the spatial size."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = ConvBlock(in_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pool(x))


class SegmenterUpBlock(nn.Module):
    """Bilinear 2x upsampling, concatenation with the encoder's skip, then a `ConvBlock`."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int):
        super().__init__()
        self.conv = ConvBlock(in_channels + skip_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip], dim=1))


class LabelSegmenter(Pix2PixHubModel):
    """Small U-Net: photo in [-1, 1] -> per-pixel class logits at the input's size.

    A stem of `stem_downs` stride-2 convolutions brings the photo to its working resolution (64x64 for 256x256
    photos by default, which keeps CPU training and inference cheap), `num_levels` encoder levels double the channels
    from `base_channels`, and the logits are upsampled bilinearly back to the input size.
    """

    role = "segmentation network (FCN-score)"

    def __init__(
        self,
        palette: str = "cityscapes",
        in_channels: int = 3,
        base_channels: int = 16,
        num_levels: int = 3,
        stem_downs: int = 2,
        input_size: int = 256,
    ):
        super().__init__()
        if min(num_levels, base_channels, stem_downs) < 1:
            raise ValueError("num_levels, base_channels and stem_downs must be positive")
        self.palette = get_palette(palette)
        self.input_size = input_size
        widths = [base_channels * 2**level for level in range(num_levels + 1)]
        stem: list[nn.Module] = []
        for i in range(stem_downs):
            stem += [
                nn.Conv2d(in_channels if i == 0 else widths[0], widths[0], 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(widths[0]),
                nn.ReLU(inplace=True),
            ]
        self.stem = nn.Sequential(*stem, ConvBlock(widths[0], widths[0]))
        self.down_blocks = nn.ModuleList(SegmenterDownBlock(widths[i], widths[i + 1]) for i in range(num_levels))
        self.up_blocks = nn.ModuleList(
            SegmenterUpBlock(widths[i + 1], widths[i], widths[i]) for i in reversed(range(num_levels))
        )
        self.classifier = nn.Conv2d(widths[0], self.palette.num_classes, 1)

    @property
    def num_classes(self) -> int:
        return self.palette.num_classes

    def card_facts(self) -> dict[str, Any]:
        return {**super().card_facts(), "palette": self.palette.name, "num_classes": self.num_classes}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, 3, H, W) in [-1, 1]; H and W need not be multiples of anything
        skips = [self.stem(x)]  # (N, base, H/2^stem_downs, W/2^stem_downs)
        for block in self.down_blocks:
            skips.append(block(skips[-1]))
        h = skips.pop()
        for block in self.up_blocks:
            h = block(h, skips.pop())
        logits = self.classifier(h)  # (N, classes, H/2^stem_downs, W/2^stem_downs)
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)

    @torch.no_grad()
    def predict(self, photos: torch.Tensor) -> torch.Tensor:
        """Class ids (N, H, W) for photos (N, 3, H, W) in [-1, 1]; runs at `input_size` and resizes back (nearest)."""
        if photos.ndim != 4 or photos.shape[1] != self.stem[0].in_channels:
            raise Pix2PixHubError(
                f"the segmenter takes (N, {self.stem[0].in_channels}, H, W) photos in [-1, 1], got {tuple(photos.shape)}"
            )
        size = photos.shape[-2:]
        x = photos
        if tuple(size) != (self.input_size, self.input_size):
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        ids = self(x).argmax(1)
        if ids.shape[-2:] != size:
            ids = F.interpolate(ids[:, None].float(), size=size, mode="nearest")[:, 0].long()
        return ids


DIFFERENCES_FROM_FCN8S = """\
- The paper scores generated photos with FCN-8s (Long et al.), a VGG-16 network of about 134M parameters trained in
  caffe on the full Cityscapes train set. Those weights cannot be had here, so this is a much smaller U-Net
  (stride-4 stem, three levels) trained from scratch on the pix2pix release's 256x256 JPEG pairs: {train_pairs}
  photos of the {dataset} train subset, with the labels decoded from the colour label halves by nearest palette
  colour (the paper's FCN used the original label ids).
- Its absolute numbers are therefore not the paper's numbers: compare generators with each other through the
  same segmenter, and read its own score on real photos (above) as the ceiling, as the paper's ground-truth row.
- Means run over the classes present in the ground truth; void pixels are skipped."""


def segmenter_card_kwargs(model: LabelSegmenter, facts: dict[str, Any], scores: dict[str, dict]) -> dict[str, Any]:
    """Title, summary and sections of the segmenter's model card: its scores next to the paper's and its caveats."""
    rows = [
        f"| real photos, {split} ({facts['holdout_pairs'] if split == 'holdout' else facts['eval_pairs']} pairs) "
        f"| {s['pixel_accuracy']:.3f} | {s['class_accuracy']:.3f} | {s['class_iou']:.3f} |"
        for split, s in scores.items()
    ]
    paper = ground_truth_scores(model.palette.name)
    if paper:
        rows.append(
            f"| paper's FCN-8s on real photos (Table 1, ground truth) | {paper[0]:.2f} | {paper[1]:.2f} | {paper[2]:.2f} |"
        )
    per_class = "\n".join(
        f"| {name} | {'-' if acc is None else f'{acc:.3f}'} | {'-' if iou is None else f'{iou:.3f}'} |"
        for name, acc, iou in zip(
            model.palette.class_names,
            scores["holdout"]["per_class_accuracy"],
            scores["holdout"]["per_class_iou"],
            strict=True,
        )
    )
    missed = [
        name
        for name, acc in zip(model.palette.class_names, scores["holdout"]["per_class_accuracy"], strict=True)
        if acc == 0
    ]
    sections = (
        "## Scores\n\n"
        "The FCN-score protocol of the paper (sec. 4.2): per-pixel accuracy, mean per-class accuracy and mean class "
        "IoU of this network's segmentation of photos. On real photos this is the ceiling a generator's photos can "
        "reach (the paper's ground-truth row).\n\n"
        "| photos | per-pixel acc. | per-class acc. | class IoU |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "<details><summary>Per class (held-out photos)</summary>\n\n| class | accuracy | IoU |\n|---|---|---|\n"
        + per_class
        + "\n</details>\n\n## How it differs from the paper's FCN-8s\n\n"
        + DIFFERENCES_FROM_FCN8S.format(**facts)
        + (
            f"\n- It never finds {len(missed)} of the {model.num_classes} classes on the held-out photos ({', '.join(missed)}):"
            " small or rare objects at its 1/4 working resolution. The per-class means are carried by the others."
            if missed
            else ""
        )
        + (
            ""
            if paper
            else "\n- The paper reports FCN-scores for Cityscapes only; this segmenter is the project's extension of "
            "the protocol to this dataset, with no figure of the paper to compare with."
        )
        + "\n\n## Training\n\n"
        + ", ".join(f"{k}: {v}" for k, v in facts.items() if k != "command")
        + f".\n\n```bash\n{facts['command']}\n```\n"
    )
    return {
        "title": f"FCN-score segmenter ({model.palette.name})",
        "summary": (
            f"Segments {facts['dataset']} photos into the {model.num_classes} `{model.palette.name}` palette classes "
            "for `pix2pix-hub evaluate`'s FCN-score of labels -> photo generators."
        ),
        "extra_sections": sections,
    }
