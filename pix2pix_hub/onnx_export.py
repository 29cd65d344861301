"""ONNX export of a generator (batch, height and width dynamic) and an onnxruntime runner to check it."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from .errors import Pix2PixHubError
from .models import Pix2PixGenerator

#: torch's ONNX exporters: "dynamo" (torch.export, the default) and "torchscript" (the legacy tracer, deprecated
#: but 5-8x faster on a 2-core CPU: 2-4 s against 16-20 s per generator, which lets `export-web` make the whole zoo's
#: files within a minute; both write the same plain Conv/BatchNormalization/Resize graph)
EXPORTERS = ("dynamo", "torchscript")


def export_onnx(
    generator: Pix2PixGenerator, path: str | os.PathLike, opset: int = 18, exporter: str = "dynamo"
) -> Path:
    """Write `generator` in eval mode as ONNX with input "input" (N, C, H, W) in [-1, 1] and output "output";
    N, H and W are dynamic and named batch, height and width (H and W must stay multiples of
    `generator.min_input_size`). `exporter` picks torch's exporter (`EXPORTERS`)."""
    if exporter not in EXPORTERS:
        raise Pix2PixHubError(f"exporter must be one of {', '.join(EXPORTERS)}, got {exporter!r}")
    try:
        import onnx  # noqa: F401  (the exporter needs it; fail here with the fix rather than deep inside torch)
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise Pix2PixHubError("ONNX export needs the onnx extra: pip install 'pix2pix_hub[onnx]'") from exc
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generator = generator.eval()
    # Trace at twice the minimum size: at exactly the minimum the bottleneck is 1x1 and export specialises on it.
    side = 2 * generator.min_input_size
    example = torch.zeros(2, generator.in_channels, side, side)
    if exporter == "torchscript":
        axes = {0: "batch", 2: "height", 3: "width"}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore", DeprecationWarning)  # its notice that dynamo is the default now
            torch.onnx.export(
                generator,
                (example,),
                str(path),
                dynamo=False,
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": axes, "output": axes},
                opset_version=opset,
            )
        return path
    # named dims: the ONNX axes read batch/height/width (Dim.DYNAMIC would name them s77, s53, s0)
    dims = {0: torch.export.Dim("batch"), 2: torch.export.Dim("height"), 3: torch.export.Dim("width")}
    program = torch.onnx.export(
        generator,
        (example,),
        dynamo=True,
        input_names=["input"],
        output_names=["output"],
        dynamic_shapes={"x": dims},
        opset_version=opset,
        optimize=True,
        verbose=False,
    )
    program.save(str(path), external_data=False)
    return path


def run_onnx(path: str | os.PathLike, batch: np.ndarray) -> np.ndarray:
    """Run an exported generator with onnxruntime on a float32 (N, C, H, W) array in [-1, 1]."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": batch.astype(np.float32)})[0]
