"""The Space's output files: PNGs written once per content, atomically, where Gradio serves files from, and
remembered for identical requests.

Gradio saves a returned PIL image under a hash of its bytes and rewrites that file on every call, so identical
outputs at once (a crowd on the same example) truncate a file while another response is still streaming it: the
client loses the response ("Too little data for declared Content-Length"). Here a PNG is written under a temporary
name and renamed into place, an existing one is reused, and the path returned lies in Gradio's cache folder, so
Gradio neither re-encodes, re-hashes nor copies it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PIL import Image

#: zlib level of the PNGs: 1 encodes a 256x256 output in a third of the time of PIL's default 6, ~20% larger
PNG_COMPRESS_LEVEL = 1
#: translations whose output files are remembered for identical requests
OUTPUT_CACHE_SIZE = 256


def save_png(image: Image.Image, folder: str | os.PathLike, name: str = "image") -> str:
    """`image` as `<folder>/<sha256 of the PNG>/<name>.png`, written atomically unless already there; the path."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    data = buffer.getvalue()
    path = Path(folder) / hashlib.sha256(data).hexdigest() / f"{name}.png"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".png")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(staging, path)  # readers of an older copy keep reading it; new ones see a whole file
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
    return str(path)


class OutputCache:
    """The PNG paths of the last `size` translations by what made them (task, mode, seed, the model input's pixels),
    thread-safe: a request identical to a recent one (a crowd on the same example, a canvas change that changed
    nothing) is answered with the same file, without the model or an encoding."""

    def __init__(self, size: int = OUTPUT_CACHE_SIZE):
        self.size = size
        self._paths: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(task_name: str, model_input: Image.Image, mode: str, seed: int) -> tuple:
        pixels = hashlib.sha256(model_input.tobytes()).hexdigest()
        return task_name, mode, seed, model_input.mode, model_input.size, pixels

    def get_or_make(self, key: tuple, make: Callable[[], str]) -> str:
        """The path stored for `key` if its file is still there, else `make()`'s, stored."""
        with self._lock:
            path = self._paths.get(key)
            if path is not None and os.path.isfile(path):
                self._paths.move_to_end(key)
                return path
        path = make()  # outside the lock: identical requests at once each make it (same content, same file)
        with self._lock:
            self._paths[key] = path
            self._paths.move_to_end(key)
            while len(self._paths) > self.size:
                self._paths.popitem(last=False)
        return path
