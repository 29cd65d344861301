"""The `pix2pix-hub` command line, run as a user would (console script in a subprocess) where it matters."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import draw_pair
from PIL import Image

from pix2pix_hub import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.cli import main


@pytest.fixture
def model_dir(tmp_path):
    torch.manual_seed(0)
    Pix2PixGenerator(ngf=4, num_downs=6).save_pretrained(tmp_path / "model")
    return tmp_path / "model"


def test_console_script_lists_tasks():
    proc = subprocess.run([sys.executable, "-m", "pix2pix_hub", "tasks"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "cityscapes-photo2labels" in proc.stdout and "none here" in proc.stdout


def test_info_shows_parameters_depth_and_card(model_dir, tmp_path, capsys):
    assert main(["info", str(model_dir)]) == 0
    out = capsys.readouterr().out
    assert "Pix2PixGenerator (generator)" in out and "multiples of 64" in out and "ngf: 4" in out
    PatchGANDiscriminator(ndf=4, n_layers=3).save_pretrained(tmp_path / "disc")
    assert main(["info", str(tmp_path / "disc")]) == 0
    assert "receptive field: 70x70" in capsys.readouterr().out


def test_translate_folder_and_files(model_dir, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    for i in range(3):
        draw_pair(48, seed=i)[0].save(tmp_path / "in" / f"{i}.png")
    assert main(["translate", str(model_dir), str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.png", "1.png", "2.png"]
    assert Image.open(tmp_path / "out" / "0.png").size == (48, 48)
    assert "wrote 3 images" in capsys.readouterr().out


def test_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    assert main(["info", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pix2pix-hub info: error:") and "no config.json" in err and "Traceback" not in err
    assert main(["translate", str(tmp_path / "missing"), "x.png", "-o", str(tmp_path / "o")]) == 2


def test_prepare_dataset(side_by_side_dir, tmp_path, capsys):
    assert main(["prepare-dataset", str(side_by_side_dir), "-o", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "train: 6 pairs" in out and "val: 2 pairs" in out
    assert (tmp_path / "ds" / "data" / "val-00000-of-00001.parquet").is_file()


@pytest.mark.parametrize(
    "decoder",
    [
        {"upsampling": "transposed"},
        {"upsampling": "resize"},
        {"upsampling": "resize", "subpixel_levels": 2, "input_skip": True},
    ],
)
def test_export_onnx_matches_torch(tmp_path, capsys, decoder):
    import onnx

    from pix2pix_hub.onnx_export import run_onnx

    torch.manual_seed(0)
    model_dir = tmp_path / "model"
    model = Pix2PixGenerator(ngf=4, num_downs=6, **decoder)
    if model.input_skip is not None:
        torch.nn.init.normal_(model.input_skip.weight, 0.0, 0.1)  # trained: not the zeros it starts from
    model.save_pretrained(model_dir)
    assert main(["export-onnx", str(model_dir), "-o", str(tmp_path / "g.onnx")]) == 0
    assert "max abs difference" in capsys.readouterr().out
    gen = Pix2PixGenerator.from_pretrained(model_dir)
    x = torch.rand(2, 3, 64, 192) * 2 - 1  # another batch size and shape than the export's example
    with torch.no_grad():
        expected = gen(x).numpy()
    assert np.abs(run_onnx(tmp_path / "g.onnx", x.numpy()) - expected).max() < 1e-4
    graph = onnx.load(tmp_path / "g.onnx").graph
    for value in (*graph.input, *graph.output):
        assert [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim] == ["batch", 3, "height", "width"]


def test_help_and_tasks_import_nothing_heavy():
    """`--help` and `tasks` answer without torch, datasets or huggingface_hub: every heavy import is lazy."""
    code = (
        "import sys\nfrom pix2pix_hub.cli import build_parser, main\nbuild_parser()\nmain(['tasks'])\n"
        "heavy = ('torch', 'datasets', 'numpy', 'PIL', 'huggingface_hub', 'gradio', 'torchmetrics', 'diffusers')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_translate_refuses_an_existing_non_image_file_as_output(model_dir, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    draw_pair(48)[0].save(tmp_path / "in" / "0.png")
    (tmp_path / "existing.txt").write_bytes(b"keep me")
    assert main(["translate", str(model_dir), str(tmp_path / "in"), "-o", str(tmp_path / "existing.txt")]) == 2
    err = capsys.readouterr().err
    assert "existing.txt: is a file, and the output must be a folder" in err and "Traceback" not in err
    assert (tmp_path / "existing.txt").read_bytes() == b"keep me"


def test_translate_writes_one_input_to_the_image_file_named(model_dir, tmp_path, capsys):
    draw_pair(48)[0].save(tmp_path / "one.png")
    for name, image_format in (("out.png", "PNG"), ("sub/out.jpg", "JPEG")):
        assert main(["translate", str(model_dir), str(tmp_path / "one.png"), "-o", str(tmp_path / name)]) == 0
        assert "wrote 1 image to" in capsys.readouterr().out
        with Image.open(tmp_path / name) as written:
            assert written.format == image_format and written.size == (48, 48)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["one.png", "out.png"]


def test_translate_explains_a_file_name_for_several_inputs_and_never_writes_over_the_input(model_dir, tmp_path, capsys):
    for i in range(2):
        draw_pair(48, seed=i)[0].save(tmp_path / f"{i}.png")
    args = ["translate", str(model_dir), str(tmp_path / "0.png"), str(tmp_path / "1.png")]
    assert main([*args, "-o", str(tmp_path / "result.png")]) == 2
    err = capsys.readouterr().err
    assert "takes exactly one input, but 2 were given" in err and f"-o {tmp_path / 'result'}," in err
    assert not (tmp_path / "result.png").exists()
    before = (tmp_path / "0.png").read_bytes()
    assert main(["translate", str(model_dir), str(tmp_path / "0.png"), "-o", str(tmp_path / "0.png")]) == 2
    assert "is the input itself" in capsys.readouterr().err
    assert (tmp_path / "0.png").read_bytes() == before


def test_translate_never_overwrites_its_inputs(model_dir, tmp_path, capsys):
    (tmp_path / "inplace").mkdir()
    for i in range(2):
        draw_pair(48, seed=i)[0].save(tmp_path / "inplace" / f"{i}.png")
    before = {p.name: p.read_bytes() for p in (tmp_path / "inplace").iterdir()}
    args = ["translate", str(model_dir), str(tmp_path / "inplace"), "-o", str(tmp_path / "inplace")]
    assert main(args) == 2
    assert "would overwrite the input file(s)" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (tmp_path / "inplace").iterdir()} == before


def test_translate_keeps_both_outputs_of_inputs_sharing_a_stem(model_dir, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    draw_pair(48, seed=0)[0].save(tmp_path / "in" / "x.png")
    draw_pair(48, seed=1)[0].save(tmp_path / "in" / "x.jpg")
    draw_pair(48, seed=2)[0].save(tmp_path / "in" / "y.png")
    assert main(["translate", str(model_dir), str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.jpg.png", "x.png.png", "y.png"]
    assert "wrote 3 images" in capsys.readouterr().out
    # the same file name in two folders cannot be kept apart in one output folder: refused with both names
    (tmp_path / "other").mkdir()
    draw_pair(48, seed=3)[0].save(tmp_path / "other" / "y.png")
    args = ["translate", str(model_dir), str(tmp_path / "in" / "y.png"), str(tmp_path / "other"), "-o", "o2"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'in' / 'y.png'} and {tmp_path / 'other' / 'y.png'}" in err


def test_translate_exits_non_zero_with_a_summary_when_inputs_were_skipped(model_dir, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    draw_pair(48)[0].save(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "empty.png").write_bytes(b"")
    (tmp_path / "in" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    assert main(["translate", str(model_dir), str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "wrote 1 image to" in captured.out
    assert "2 of 3 inputs could not be read and were skipped" in captured.err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good.png"]
