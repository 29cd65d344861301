"""`Pix2PixPipeline`: any-size, batched inference with a generator, in the shape of a diffusers pipeline."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .backends import Choice, check_backend, resolve_runner, torch_runner
from .defaults import DEFAULT_BATCH_SIZE
from .errors import Pix2PixHubError
from .hardware import bf16_is_fast
from .images import IMAGE_EXTENSIONS, ImageLike, list_images, load_image, pil_to_tensor, tensor_to_pil, tensor_to_uint8
from .models import Pix2PixGenerator
from .outputs import plan_outputs

MODES = ("deterministic", "paper")
OUTPUT_TYPES = ("pil", "np", "pt")


def pad_to_multiple(batch: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad (N, C, H, W) on the bottom/right to multiples of `multiple`: reflection where the image allows it,
    edge replication otherwise, so the U-Net's skips line up without distorting the content."""
    height, width = batch.shape[-2:]
    pad_h, pad_w = -height % multiple, -width % multiple
    if not pad_h and not pad_w:
        return batch
    mode = "reflect" if pad_h < height and pad_w < width else "replicate"
    return F.pad(batch, (0, pad_w, 0, pad_h), mode=mode)


@contextlib.contextmanager
def paper_mode(model: torch.nn.Module, seed: int | None) -> Iterator[None]:
    """The paper's test-time behaviour: dropout on and batch norm on batch statistics, without touching the saved
    running statistics or the caller's global RNG."""
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        model.train()
        try:
            yield
        finally:
            model.eval()
            with torch.no_grad():
                for name, value in model.named_buffers():
                    value.copy_(buffers[name])


@dataclass
class Pix2PixPipelineOutput:
    """What `Pix2PixPipeline` returns, shaped like diffusers' `ImagePipelineOutput`: `images`, one output per input,
    in input order (PIL images, uint8 arrays or tensors, as `output_type` asked). Not diffusers' `BaseOutput`
    itself: importing diffusers costs 1.5 s, which every `pix2pix-hub translate` would pay."""

    images: list[Any]

    def to_tuple(self) -> tuple[list[Any]]:
        """`(images,)`, as `return_dict=False` gives."""
        return (self.images,)

    @property
    def image(self) -> Any:
        """The output of a one-input call (`pipe("labels.png").image`), the common case; an error for several."""
        if len(self.images) != 1:
            raise Pix2PixHubError(f"this call made {len(self.images)} outputs; read them from .images")
        return self.images[0]


class Pix2PixPipeline:
    """Translate images with a `Pix2PixGenerator`.

    >>> pipe = Pix2PixPipeline.from_pretrained("facades-labels2photo")
    >>> photo = pipe("labels.png").image                # PIL in, PIL out, at the input's size
    >>> photos = pipe(["a.png", "b.png"]).images        # a list in, a list out

    Inputs of any size are padded to a multiple of the U-Net's `min_input_size` and cropped back. Deterministic
    mode (the default) uses eval mode: dropout off, batch norm on running statistics. `mode="paper"` reproduces
    the paper's test time (dropout on, batch statistics, batch size 1) with an optional `seed`.
    Speed: batches of same-size inputs, bf16 where the hardware runs it natively (`precision="auto"`), and
    `backend="auto"`, which times torch (channels_last, autocast) against OpenVINO (or onnxruntime) on the CPU
    once (on the first batch) and keeps the faster, stored on disk for later processes (`pix2pix_hub.graph_cache`);
    a call of fewer than `backends.AUTO_MIN_IMAGES` images with no stored choice runs on torch rather than pay
    for a conversion. `backend="int8"` runs the model's int8 graph (`pix2pix_hub.quantization`: its onnx/ files from
    `pix2pix-hub export-web`, or made at load for a zoo model); "auto" considers int8 only where the model's stored
    int8 quality check passed. `backend_used` says what ran. Paper mode always runs on torch.
    """

    def __init__(
        self,
        generator: Pix2PixGenerator,
        device: str | torch.device | None = None,
        precision: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        backend: str = "auto",
    ):
        """
        Args:
            generator: the `Pix2PixGenerator` to run (put in eval mode and channels_last on `device`).
            device: "cpu", "cuda", ... (default: CUDA where available, else the CPU).
            precision: "auto" (bf16 where the device runs it natively), "fp32" or "bf16".
            batch_size: same-size inputs per forward pass.
            backend: "auto", "torch", "openvino" or "onnxruntime" (`pix2pix_hub.backends`; the last two on CPU).
        """
        if precision not in ("auto", "fp32", "bf16"):
            raise Pix2PixHubError(f"precision must be auto, fp32 or bf16, got {precision!r}")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        check_backend(backend, self.device)
        self.generator = generator.to(self.device, memory_format=torch.channels_last).eval()
        self.use_bf16 = precision == "bf16" or (precision == "auto" and bf16_is_fast(self.device))
        self.batch_size = batch_size
        self.backend = backend
        #: what deterministic mode ran on last, with auto's measurements; None before the first call
        self.backend_choice: Choice | None = None

    @property
    def backend_used(self) -> str | None:
        """The backend and precision deterministic mode runs on ("openvino bf16", "torch fp32", ...); None until
        the first deterministic call when `backend="auto"` still has to measure."""
        return self.backend_choice.runner.label if self.backend_choice else None

    @classmethod
    def from_pretrained(cls, model: str | os.PathLike, **kwargs: Any) -> Pix2PixPipeline:
        """Load from a task name (its zoo folder or Hub repo), a model folder or a Hub repo id.

        Args:
            model: e.g. "edges2shoes", "model_zoo/edges2shoes", "runs/my-run" or "user/repo".
            kwargs: `revision`, `cache_dir`, `token` and `local_files_only` go to the Hub download; the rest
                (`device`, `precision`, `batch_size`, `backend`) to the pipeline.
        """
        hub_kwargs = {k: kwargs.pop(k) for k in ("revision", "cache_dir", "token", "local_files_only") if k in kwargs}
        return cls(Pix2PixGenerator.from_pretrained(str(model), **hub_kwargs), **kwargs)

    @property
    def in_channels(self) -> int:
        return self.generator.down_blocks[0].conv.in_channels

    def preprocess(self, image: ImageLike) -> torch.Tensor:
        """One input as a (C, H, W) tensor in [-1, 1] with the generator's channel count."""
        if isinstance(image, torch.Tensor):
            if image.ndim != 3 or image.shape[0] != self.in_channels:
                raise Pix2PixHubError(
                    f"tensor input must be ({self.in_channels}, H, W) in [-1, 1], got {tuple(image.shape)}"
                )
            return image.float()
        return pil_to_tensor(load_image(image, channels=self.in_channels))

    def _forward(self, batch: torch.Tensor, mode: str = "deterministic", job_images: int | None = None) -> torch.Tensor:
        height, width = batch.shape[-2:]
        x = pad_to_multiple(batch.to(self.device), self.generator.min_input_size)
        if mode == "paper":  # dropout and batch statistics: only torch runs the generator in training mode
            y = torch_runner(self.generator, self.device, self.use_bf16)(x)
        else:
            self.backend_choice = resolve_runner(
                self.generator, self.device, self.backend, self.use_bf16, x, job_images=job_images
            )
            y = self.backend_choice.runner(x)
        return y[..., :height, :width].contiguous()

    def choose_backend(self, images: ImageLike | Sequence[ImageLike]) -> Choice:
        """Settle `backend="auto"` now, on a batch of `images` (convert, time and store the choice whatever the
        job's size), so that later calls of any size use it; the Space does this in the background."""
        items = list(images) if isinstance(images, (list, tuple)) else [images]
        batch = pad_to_multiple(torch.stack([self.preprocess(item) for item in items]), self.generator.min_input_size)
        self.backend_choice = resolve_runner(self.generator, self.device, self.backend, self.use_bf16, batch)
        return self.backend_choice

    def __call__(
        self,
        images: ImageLike | Sequence[ImageLike],
        *,
        mode: str = "deterministic",
        seed: int | None = None,
        output_type: str = "pil",
        batch_size: int | None = None,
        return_dict: bool = True,
    ) -> Pix2PixPipelineOutput | tuple[list[Any]]:
        """Translate one input or a list of them.

        Args:
            images: an image file path, PIL image, uint8 HxWxC array or (C, H, W) tensor in [-1, 1], or a list of them.
            mode: "deterministic" (eval mode) or "paper" (dropout on, batch statistics, batch size 1).
            seed: the seed of paper mode's dropout; None draws a fresh one.
            output_type: "pil" (PIL images), "np" (uint8 HxWxC arrays) or "pt" ((C, H, W) float tensors in [-1, 1]).
            batch_size: same-size inputs translated per forward pass (default: the pipeline's).
            return_dict: False returns the tuple `(images,)` instead of a `Pix2PixPipelineOutput`.

        Returns:
            `Pix2PixPipelineOutput` whose `.images` lists the outputs in input order, each at its input's size.
        """
        if mode not in MODES:
            raise Pix2PixHubError(f"mode must be one of {MODES}, got {mode!r}")
        if output_type not in OUTPUT_TYPES:
            raise Pix2PixHubError(f"output_type must be one of {OUTPUT_TYPES}, got {output_type!r}")
        items = list(images) if isinstance(images, (list, tuple)) else [images]
        converted = []
        if items:
            tensors = [self.preprocess(item) for item in items]
            outputs = self._translate_tensors(tensors, mode, seed, batch_size or self.batch_size, len(items))
            converted = [self._postprocess(out, output_type) for out in outputs]
        output = Pix2PixPipelineOutput(images=converted)
        return output if return_dict else output.to_tuple()

    def _translate_tensors(
        self, tensors: list[torch.Tensor], mode: str, seed: int | None, batch_size: int, job_images: int
    ) -> list[torch.Tensor]:
        outputs: list[torch.Tensor | None] = [None] * len(tensors)
        if mode == "paper":  # batch size 1, as in the paper, so batch statistics are the image's own
            with paper_mode(self.generator, seed):
                for i, t in enumerate(tensors):
                    outputs[i] = self._forward(t[None], mode)[0]
            return outputs  # type: ignore[return-value]
        by_shape: dict[tuple, list[int]] = {}
        for i, t in enumerate(tensors):
            by_shape.setdefault(tuple(t.shape), []).append(i)
        for indices in by_shape.values():
            for start in range(0, len(indices), batch_size):
                chunk = indices[start : start + batch_size]
                result = self._forward(torch.stack([tensors[i] for i in chunk]), job_images=job_images)
                for i, out in zip(chunk, result, strict=True):
                    outputs[i] = out.cpu()
        return outputs  # type: ignore[return-value]

    @staticmethod
    def _postprocess(output: torch.Tensor, output_type: str) -> Any:
        if output_type == "pt":
            return output
        if output_type == "np":
            return tensor_to_uint8(output)
        return tensor_to_pil(output)

    def translate_folder(
        self,
        inputs: Sequence[str | os.PathLike],
        output_dir: str | os.PathLike,
        *,
        mode: str = "deterministic",
        seed: int | None = None,
        batch_size: int | None = None,
        progress: bool = True,
    ) -> list[Path]:
        """Translate files and folders of images into `output_dir` as PNG (same stem), or one image into the file
        `output_dir` names (`out.png`, `out.jpg`), batch by batch; never over an input or another output
        (`outputs.plan_outputs`). Unreadable files are reported and skipped.

        Args:
            inputs: image files and folders of images.
            output_dir: the folder to write into, or one image file's name for a single input.
            mode, seed, batch_size: as for `__call__`.
            progress: show a progress bar.

        Returns:
            The paths written.
        """
        files = expand_inputs(inputs)
        targets = plan_outputs(files, output_dir)
        written: list[Path] = []
        failures: list[str] = []
        step = batch_size or self.batch_size
        with tqdm(total=len(files), desc="translate", unit="img", disable=not progress) as bar:
            for start in range(0, len(files), step):
                chunk, tensors = [], []
                for path in files[start : start + step]:
                    try:
                        tensors.append(self.preprocess(path))
                        chunk.append(path)
                    except Pix2PixHubError as exc:
                        failures.append(str(exc))
                outputs = self._translate_tensors(tensors, mode, seed, step, len(files))
                for path, out in zip(chunk, outputs, strict=True):
                    target = targets[path]
                    # PNG at level 1: lossless, and level 6 costs 3x the time; other formats from the suffix
                    tensor_to_pil(out).save(
                        target, **({"compress_level": 1} if target.suffix.lower() == ".png" else {})
                    )
                    written.append(target)
                bar.update(len(files[start : start + step]))
        for failure in failures:
            tqdm.write(f"skipped: {failure}")
        return written


def expand_inputs(inputs: Sequence[str | os.PathLike]) -> list[Path]:
    """Files as given and the images directly inside given folders; a missing path is an error."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files.extend(list_images(path))
        elif path.is_file():
            files.append(path)
        else:
            raise Pix2PixHubError(f"{path}: no such file or folder")
    if not files:
        raise Pix2PixHubError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found in {', '.join(map(str, inputs))}")
    return files


__all__ = [
    "Pix2PixPipeline",
    "expand_inputs",
    "pad_to_multiple",
    "paper_mode",
]
