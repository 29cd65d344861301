"""`pix2pix-hub export-onnx MODEL -o FILE`: the generator as ONNX, checked against torch with onnxruntime."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export-onnx", help="export a generator to ONNX (needs the onnx extra)")
    parser.add_argument("model", help="task name, model folder, or Hub repo id")
    parser.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=18, help="ONNX opset version")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from ..models import Pix2PixGenerator
    from ..onnx_export import export_onnx, run_onnx

    generator = Pix2PixGenerator.from_pretrained(args.model)
    path = export_onnx(generator, args.output, opset=args.opset)
    side = generator.min_input_size
    probe = torch.rand(1, generator.in_channels, side, side) * 2 - 1
    with torch.inference_mode():
        expected = generator(probe).numpy()
    diff = float(np.abs(run_onnx(path, probe.numpy()) - expected).max())
    print(f"wrote {path}; onnxruntime vs torch max abs difference {diff:.2e} on a {side}x{side} input")
    return 0
