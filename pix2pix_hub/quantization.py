"""Int8 post-training quantization of a generator, shared by the Python int8 backend and the web export.

One path: the generator exported as ONNX (`onnx_export.export_onnx`, fp32), then onnxruntime's static quantization
to a QDQ graph (QuantizeLinear/DequantizeLinear around the convolutions: int8 per-channel weights, uint8
activations; the first and last convolutions stay fp32) calibrated on the task's own training inputs. The same two files serve every consumer: onnxruntime
(Python and onnxruntime-web's WASM backend) and OpenVINO, which reads QDQ ONNX and runs its convolutions in int8.

Each export is checked on held-out inputs (the task's evaluation split) against the torch generator in fp32: the
PSNR of each file's outputs, stored as `quantization.json` beside the files with the weights' hash, so that a
later process knows which weights the files belong to and whether the int8 graph passed (`backend="auto"` only
considers int8 for a model whose check passed).
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from PIL import Image

from .errors import Pix2PixHubError
from .evaluation.metrics import image_metrics
from .images import image_grid, tensor_to_pil
from .models import Pix2PixGenerator
from .onnx_export import export_onnx

T = TypeVar("T")

#: the folder, inside a model folder, and the file names transformers.js uses in Hub repos
ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model_quantized.onnx"
#: the quality check of both files, with the weights' hash (see `QualityCheck`), and its contact sheet
CHECK_FILE = "quantization.json"
CHECK_SHEET = "check.png"
#: held-out images in the contact sheet, and how much it amplifies the int8 output's difference from fp32
SHEET_ROWS = 4
SHEET_DIFF_GAIN = 8
#: the least held-out PSNR (dB) against torch fp32 that each file must reach
MIN_PSNR_DB = {FP32_FILE: 40.0, INT8_FILE: 30.0}
#: names how `quantize_onnx` quantizes; files made by another recipe are made again by `export-web`
RECIPE = "qdq-s8-weights-per-channel-u8-activations-percentile-99.999-first-last-conv-fp32"
#: calibration and check images at the zoo's resolution (enough for stable ranges; more costs export time)
CALIBRATION_IMAGES = 8
CHECK_IMAGES = 8
IMAGE_SIZE = 256


@dataclass(frozen=True)
class QualityCheck:
    """How a model's ONNX files compare with its torch generator in fp32 on held-out inputs."""

    #: `graph_cache.weights_hash` of the generator the files were made from
    weights_hash: str
    #: mean and lowest per-image PSNR (dB, on [0, 1] images) of the fp32 file's and the int8 file's outputs
    psnr_fp32_db: float
    psnr_fp32_min_db: float
    psnr_int8_db: float
    psnr_int8_min_db: float
    #: held-out images checked, and where they and the calibration images came from
    images: int
    inputs: str
    #: the quantization recipe (`RECIPE`) the int8 file was made with
    recipe: str

    @property
    def fp32_passed(self) -> bool:
        return self.psnr_fp32_min_db >= MIN_PSNR_DB[FP32_FILE]

    @property
    def int8_passed(self) -> bool:
        """Whether the int8 graph may replace torch where nobody asked for it (`backend="auto"`)."""
        return self.psnr_int8_min_db >= MIN_PSNR_DB[INT8_FILE]

    def describe(self) -> str:
        def verdict(passed: bool) -> str:
            return "passed" if passed else "FAILED"

        return (
            f"fp32 {self.psnr_fp32_db:.1f} dB (lowest {self.psnr_fp32_min_db:.1f}, {verdict(self.fp32_passed)}), "
            f"int8 {self.psnr_int8_db:.1f} dB (lowest {self.psnr_int8_min_db:.1f}, {verdict(self.int8_passed)}) "
            f"on {self.images} held-out images"
        )


def read_check(folder: str | os.PathLike) -> QualityCheck | None:
    """The stored check of the ONNX files in `folder`, or None when it has none (or an unreadable one)."""
    path = Path(folder) / CHECK_FILE
    try:
        return QualityCheck(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


class InputReader:
    """onnxruntime's `CalibrationDataReader` protocol over (N, C, H, W) inputs, one image per call."""

    def __init__(self, inputs: torch.Tensor):
        self._rows: Iterator[torch.Tensor] = iter(inputs)

    def get_next(self) -> dict[str, np.ndarray] | None:
        row = next(self._rows, None)
        return None if row is None else {"input": row[None].float().numpy()}


def quantize_onnx(fp32_path: str | os.PathLike, int8_path: str | os.PathLike, calibration: torch.Tensor) -> Path:
    """Write the int8 QDQ version of the fp32 ONNX graph at `fp32_path`, its activation ranges calibrated on
    `calibration` ((N, C, H, W) model inputs in [-1, 1]): int8 symmetric per-channel weights and uint8
    activations, the pairing that x86 VNNI kernels (onnxruntime, OpenVINO) and onnxruntime-web's WASM run.

    Measured on the zoo (held-out PSNR against fp32, 16 images): ranges from the 99.999th percentile instead of
    min/max, and the first and last convolutions kept in fp32 (the image in, the image out: a few percent of the
    work), lift the worst model from 16 to 37 dB and the mean from 30-32 to 33-41 dB."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    int8_path = Path(int8_path)
    with tempfile.TemporaryDirectory() as tmp:
        # folds batch norm into the convolutions first, so one scale covers each folded weight
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        convolutions = [n.name for n in onnx.load(prepared).graph.node if n.op_type in ("Conv", "ConvTranspose")]
        quantize_static(
            str(prepared),
            str(int8_path),
            InputReader(calibration),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            nodes_to_exclude=[convolutions[0], convolutions[-1]],
        )
    return int8_path


def onnx_session(path: str | os.PathLike, threads: int | None = None):  # -> onnxruntime.InferenceSession
    """An onnxruntime CPU session of an exported generator with `threads` threads (default: torch's count)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _psnr(outputs: np.ndarray, reference: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR of [-1, 1] outputs against the reference, on [0, 1] images as the evaluation measures."""
    return image_metrics((torch.from_numpy(outputs) + 1) / 2, (reference + 1) / 2)["psnr"]


def write_onnx_files(
    generator: Pix2PixGenerator,
    folder: str | os.PathLike,
    calibration: torch.Tensor,
    heldout: torch.Tensor,
    inputs: str,
) -> QualityCheck:
    """Export `generator` into `folder` as `model.onnx` (fp32) and `model_quantized.onnx` (int8, calibrated on
    `calibration`), check both against the generator in fp32 on `heldout` inputs and store the check
    (`quantization.json`, `inputs` says where the inputs came from); returns the check."""
    from .graph_cache import weights_hash

    if importlib.util.find_spec("onnxruntime") is None:
        raise Pix2PixHubError("int8 quantization needs the onnx extra: pip install 'pix2pix_hub[onnx]'")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    generator = generator.float().eval()
    export_onnx(generator, folder / FP32_FILE, exporter="torchscript")
    quantize_onnx(folder / FP32_FILE, folder / INT8_FILE, calibration)
    with torch.inference_mode():  # one batch, channels_last: a third of the time of one image after another
        reference = generator.to(memory_format=torch.channels_last)(
            heldout.contiguous(memory_format=torch.channels_last)
        )
        reference = reference.contiguous()
    scores, outputs = {}, {}
    for name in (FP32_FILE, INT8_FILE):
        session = onnx_session(folder / name)
        outputs[name] = np.concatenate([session.run(["output"], {"input": row[None].numpy()})[0] for row in heldout])
        scores[name] = _psnr(outputs[name], reference)
    contact_sheet(heldout, reference, torch.from_numpy(outputs[INT8_FILE])).save(folder / CHECK_SHEET)
    check = QualityCheck(
        weights_hash=weights_hash(generator),
        psnr_fp32_db=round(float(scores[FP32_FILE].mean()), 2),
        psnr_fp32_min_db=round(float(scores[FP32_FILE].min()), 2),
        psnr_int8_db=round(float(scores[INT8_FILE].mean()), 2),
        psnr_int8_min_db=round(float(scores[INT8_FILE].min()), 2),
        images=len(heldout),
        inputs=inputs,
        recipe=RECIPE,
    )
    (folder / CHECK_FILE).write_text(json.dumps(asdict(check), indent=2) + "\n")
    return check


def contact_sheet(inputs: torch.Tensor, fp32: torch.Tensor, int8: torch.Tensor) -> Image.Image:
    """The first `SHEET_ROWS` held-out images, one per row: input, fp32 output, int8 output, and their difference
    amplified `SHEET_DIFF_GAIN` times (mid-grey: none), to look at before trusting the PSNR."""
    rows = []
    for x, a, b in list(zip(inputs, fp32, int8, strict=True))[:SHEET_ROWS]:
        difference = ((b - a) * SHEET_DIFF_GAIN).clamp(-1, 1)
        rows.append([tensor_to_pil(t) for t in (x, a, b, difference)])
    return image_grid(rows)


def source_folder(generator: Pix2PixGenerator) -> Path | None:
    """The model folder `generator` was loaded from (a zoo folder, a Hub snapshot, a training run), if any."""
    return getattr(generator, "_source_dir", None)


def find_int8_folder(generator: Pix2PixGenerator, weights: str) -> Path | None:
    """A folder holding an int8 graph of these weights (hashed `weights`) with its check: the onnx/ of the folder
    the generator was loaded from, of any zoo folder (the same weights fetched from the Hub), or the graph cache's
    entry made at load time; None when there is none yet."""
    from .graph_cache import cache_dir
    from .tasks import ZOO_DIR

    source = source_folder(generator)
    folders = [source / ONNX_DIR] if source is not None else []
    folders += sorted(ZOO_DIR.glob(f"*/{ONNX_DIR}")) + [cache_dir() / "graphs" / f"{weights}-int8"]
    for folder in folders:
        check = read_check(folder)
        if check is not None and check.weights_hash == weights and (folder / INT8_FILE).is_file():
            return folder
    return None
