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


@pytest.mark.parametrize("upsampling", ["transposed", "resize"])
def test_export_onnx_matches_torch(tmp_path, capsys, upsampling):
    from pix2pix_hub.onnx_export import run_onnx

    torch.manual_seed(0)
    model_dir = tmp_path / "model"
    Pix2PixGenerator(ngf=4, num_downs=6, upsampling=upsampling).save_pretrained(model_dir)
    assert main(["export-onnx", str(model_dir), "-o", str(tmp_path / "g.onnx")]) == 0
    assert "max abs difference" in capsys.readouterr().out
    gen = Pix2PixGenerator.from_pretrained(model_dir)
    x = torch.rand(2, 3, 64, 192) * 2 - 1  # another batch size and shape than the export's example
    with torch.no_grad():
        expected = gen(x).numpy()
    assert np.abs(run_onnx(tmp_path / "g.onnx", x.numpy()) - expected).max() < 1e-4
