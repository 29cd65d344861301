"""Where translated images go: one PNG per input in an output folder, or, for a single input, the image file named
(its format from the suffix); never over an input file and never over another input's output, with an error naming
the files before anything is written."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .errors import Pix2PixHubError
from .images import IMAGE_EXTENSIONS

logger = logging.getLogger(__name__)

OUTPUT_SUFFIX = ".png"


def names_an_image_file(output: str | os.PathLike) -> bool:
    """`-o result.png`: an image file name (a known image suffix, and no existing folder of that name)."""
    output = Path(output)
    return not output.is_dir() and output.suffix.lower() in IMAGE_EXTENSIONS


def check_output_dir(output_dir: str | os.PathLike) -> Path:
    """The output folder as a Path; an existing file that is not an image is refused, since outputs are written
    inside a folder under their inputs' names."""
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise Pix2PixHubError(
            f"{output_dir}: is a file, and the output must be a folder (one PNG per input, named after it) or, "
            "for one input, an image file name. Give a folder name, e.g. -o outputs."
        )
    return output_dir


def single_output(files: Sequence[Path], output: Path) -> Path:
    """The image file `output` for the only input; several inputs, or the input itself, are refused."""
    if len(files) != 1:
        shown = ", ".join(str(path) for path in files[:3]) + (" ..." if len(files) > 3 else "")
        raise Pix2PixHubError(
            f"{output}: an image file name takes exactly one input, but {len(files)} were given ({shown}). "
            f"For several inputs give a folder, e.g. -o {output.with_suffix('')}, and each gets a PNG named after it."
        )
    if output.resolve() == files[0].resolve():
        raise Pix2PixHubError(f"{output}: is the input itself; give another output file name.")
    output.parent.mkdir(parents=True, exist_ok=True)
    return output


def plan_outputs(files: Sequence[Path], output_dir: str | os.PathLike) -> dict[Path, Path]:
    """Input file -> output PNG in `output_dir`: `<stem>.png`, or `<stem>.<ext>.png` for inputs that share a stem
    (x.png and x.jpg give x.png.png and x.jpg.png, so both are kept). Refuses, naming the files, to write over an
    input or to give two inputs one output (same file name in two folders). Creates the folder once all is well.
    An image file name as `output_dir` (`-o out.png`) is the output of a single input."""
    files = list(dict.fromkeys(files))  # a file named twice (alone and in its folder) is translated once
    if names_an_image_file(output_dir):
        return {files[0]: single_output(files, Path(output_dir))} if files else {}
    output_dir = check_output_dir(output_dir)
    stems = Counter(path.stem for path in files)
    targets = {
        path: output_dir / ((path.name if stems[path.stem] > 1 else path.stem) + OUTPUT_SUFFIX) for path in files
    }
    renamed = sorted(str(path) for path in files if stems[path.stem] > 1)
    if renamed:
        logger.warning("inputs share a file stem, so their outputs keep the extension: %s", ", ".join(renamed))
    by_target: dict[Path, list[Path]] = {}
    for path, target in targets.items():
        by_target.setdefault(target.resolve(), []).append(path)
    clashes = [sources for sources in by_target.values() if len(sources) > 1]
    if clashes:
        names = "; ".join(" and ".join(map(str, sources)) for sources in clashes)
        raise Pix2PixHubError(
            f"these inputs would be written to the same output file: {names}. Translate them into separate "
            "folders (one command each) or rename them."
        )
    inputs = {path.resolve() for path in files}
    overwritten = [str(path) for path, target in targets.items() if target.resolve() in inputs]
    if overwritten:
        raise Pix2PixHubError(
            f"{output_dir}: writing here would overwrite the input file(s) {', '.join(overwritten[:5])}"
            f"{' ...' if len(overwritten) > 5 else ''}. Give another output folder."
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    return targets
