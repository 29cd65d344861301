"""Int8 quantization (pix2pix_hub.quantization): the QDQ graph runs at any size with the web interface, its check
is stored with the weights' hash, `backend="int8"` runs it end to end, and auto considers int8 only where the
stored check passed."""

from __future__ import annotations

import json

import onnx
import pytest
import torch
from conftest import draw_pair
from test_backends import CPU, psnr, tiny_generator

from pix2pix_hub import Pix2PixGenerator, Pix2PixHubError, Pix2PixPipeline
from pix2pix_hub.backends import backend_installed, int8_passed, make_runner
from pix2pix_hub.graph_cache import weights_hash
from pix2pix_hub.quantization import (
    CHECK_FILE,
    CHECK_SHEET,
    FP32_FILE,
    INT8_FILE,
    ONNX_DIR,
    onnx_session,
    read_check,
    write_onnx_files,
)
from pix2pix_hub.space.models import ModelStore
from pix2pix_hub.tasks import get_task
from pix2pix_hub.web_export import WEB_HEADING, export_task, web_section, with_web_section
from pix2pix_hub.zoo import ONNX_CHECK_FILE

pytestmark = pytest.mark.skipif(not backend_installed("onnxruntime"), reason="needs the onnx extra")


def smooth_inputs(count: int, size: int = 64, seed: int = 0) -> torch.Tensor:
    """Smooth random images in [-1, 1] (calibration and check inputs for a tiny generator)."""
    torch.manual_seed(seed)
    coarse = torch.rand(count, 3, 4, 4) * 2 - 1
    return torch.nn.functional.interpolate(coarse, size=size, mode="bilinear", align_corners=False)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> tuple[Pix2PixGenerator, object]:
    """A tiny model saved as a model folder, with its onnx/ files made from 4 calibration images."""
    folder = tmp_path_factory.mktemp("model")
    generator = tiny_generator(3)
    generator.save_pretrained(folder)
    write_onnx_files(generator, folder / ONNX_DIR, smooth_inputs(4), smooth_inputs(4, seed=1), "smooth noise")
    return generator, folder


def test_export_writes_both_files_with_the_web_interface_and_a_check(model_folder):
    generator, folder = model_folder
    check = read_check(folder / ONNX_DIR)
    assert check is not None and check.weights_hash == weights_hash(generator) and check.images == 4
    assert check.psnr_fp32_min_db >= 40 and check.fp32_passed
    for name in (FP32_FILE, INT8_FILE):
        graph = onnx.load(folder / ONNX_DIR / name).graph
        (inp,), (out,) = graph.input, graph.output
        dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
        assert (inp.name, out.name, dims) == ("input", "output", ["batch", 3, "height", "width"])
        # only standard ONNX operators, so onnxruntime-web's WASM backend runs it
        assert {node.domain for node in graph.node} <= {"", "ai.onnx"}, name
    ops = {node.op_type for node in onnx.load(folder / ONNX_DIR / INT8_FILE).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    session = onnx_session(folder / ONNX_DIR / INT8_FILE)
    x = smooth_inputs(2, size=96, seed=2)[..., :64]  # another batch, height and width than the export's
    got = torch.from_numpy(session.run(["output"], {"input": x.numpy()})[0])
    with torch.no_grad():
        assert psnr(got, generator(x)) >= 20  # int8: close, not exact (tiny random models are the hard case)


def test_int8_backend_runs_end_to_end_from_the_model_folder(model_folder):
    _, folder = model_folder
    pipe = Pix2PixPipeline.from_pretrained(str(folder), device="cpu", backend="int8")
    reference = Pix2PixPipeline.from_pretrained(str(folder), device="cpu", backend="torch", precision="fp32")
    images = [draw_pair(64, seed=i)[0] for i in range(3)]
    got, expected = pipe(images, output_type="pt").images, reference(images, output_type="pt").images
    assert pipe.backend_used.startswith("int8 (")
    assert psnr(torch.stack(got), torch.stack(expected)) >= 20


def test_a_model_without_int8_graph_or_zoo_task_is_told_how_to_make_one():
    with pytest.raises(Pix2PixHubError, match="export-web"):
        make_runner("int8", tiny_generator(4), CPU, bf16=False)


@pytest.mark.parametrize("passed", [True, False])
def test_auto_considers_int8_only_where_the_stored_check_passed(model_folder, passed, tmp_path):
    generator, folder = model_folder
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("config.json", "model.safetensors"):
        (copy / name).write_bytes((folder / name).read_bytes())
    (copy / ONNX_DIR).mkdir()
    for name in (FP32_FILE, INT8_FILE):
        (copy / ONNX_DIR / name).write_bytes((folder / ONNX_DIR / name).read_bytes())
    check = json.loads((folder / ONNX_DIR / CHECK_FILE).read_text())
    check["psnr_int8_min_db"] = 35.0 if passed else 12.0
    (copy / ONNX_DIR / CHECK_FILE).write_text(json.dumps(check))
    pipe = Pix2PixPipeline.from_pretrained(str(copy), device="cpu", precision="fp32")
    assert int8_passed(pipe.generator, weights_hash(pipe.generator)) is passed
    pipe.choose_backend(draw_pair(64)[0])
    assert any(label.startswith("int8") for label in pipe.backend_choice.timings) is passed


def test_the_space_serves_int8_with_one_argument(model_folder, tmp_path):
    _, folder = model_folder
    zoo = tmp_path / "zoo"
    (zoo / "edges2shoes").mkdir(parents=True)
    for path in folder.rglob("*"):
        if path.is_file():
            target = zoo / "edges2shoes" / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    store = ModelStore(zoo, use_hub=False, backend="int8")
    output = store.translate(get_task("edges2shoes"), draw_pair(64)[0])
    assert output.size == (64, 64)
    assert store.load(get_task("edges2shoes")).backend_used.startswith("int8 (")


def test_export_web_writes_the_card_section_once_and_keeps_current_files(tmp_path):
    task = get_task("facades-labels2photo")
    folder = tmp_path / task.name
    tiny_generator(5).save_pretrained(folder)
    (folder / "README.md").write_text("# a card\n\n## Evaluation\n\nscores\n\n## Training\n\nsteps\n")
    first = export_task(task, zoo_folder=folder)
    assert first.made and first.check.fp32_passed
    assert (folder / ONNX_DIR / INT8_FILE).is_file() and (folder / ONNX_DIR / CHECK_SHEET).is_file()
    figures = json.loads((folder / ONNX_CHECK_FILE).read_text())
    assert figures["int8"]["psnr_db"] == first.check.psnr_int8_db
    card = (folder / "README.md").read_text()
    assert card.index("## Evaluation") < card.index(WEB_HEADING) < card.index("## Training")
    assert f"| `model_quantized.onnx` | {first.check.psnr_int8_db:.1f} |" in card
    again = export_task(task, zoo_folder=folder)  # the same weights: the files are kept, the card not doubled
    assert not again.made and again.check == first.check
    assert (folder / "README.md").read_text() == card
    assert with_web_section(card, web_section(task, folder)) == card
