"""The on-disk cache of converted generator graphs (OpenVINO IR, ONNX) and of `backend="auto"`'s choices, so that
a second process (a restarted Space, the next `translate`) reuses both instead of converting and timing again.

Where: `$PIX2PIX_HUB_CACHE`, else `<HF_HOME>/pix2pix_hub` (HF_HOME follows huggingface_hub: `$HF_HOME`, else
`$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`). Clear it by deleting that folder; `cache_dir()` says
where it is. Layout: `graphs/<weights hash>-<backend>-<precision>/` holds a graph and its `meta.json`;
`choices/<weights hash>-<device>-<precision>-<threads> threads-batch <n>.json` holds auto's choice and timings;
`training/<configuration hash>.json` holds a training configuration's timed fast paths (training.path_probe).

Each entry records what it was built with (library versions, CPU kind); an entry built by another version or on
another CPU is stale and rebuilt, with a one-line notice, as is one that cannot be read (corrupt). Entries are
written into a temporary folder or file beside their final name and renamed into place, so two processes never
read half an entry: the first rename wins and the other process's copy is dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import constants

from .hardware import cpu_features

logger = logging.getLogger(__name__)

CACHE_ENV = "PIX2PIX_HUB_CACHE"
META_FILE = "meta.json"


def cache_dir() -> Path:
    """The cache's root folder (not created until something is written)."""
    return Path(os.environ.get(CACHE_ENV) or Path(constants.HF_HOME) / "pix2pix_hub")


def weights_hash(generator: torch.nn.Module) -> str:
    """SHA-256 of the generator's architecture and every weight and buffer: the same model gets the same key in
    any process, a changed weight a new one."""
    digest = hashlib.sha256(json.dumps(getattr(generator, "_hub_mixin_config", None) or {}, sort_keys=True).encode())
    for name, tensor in generator.state_dict().items():
        digest.update(name.encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:32]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


#: the graph runtimes whose versions an auto choice depends on (it compared torch with one of them)
CHOICE_RUNTIMES = ("openvino", "onnxruntime")


def build_facts(*runtimes: str) -> dict[str, Any]:
    """What an entry depends on besides the weights: pix2pix_hub, torch and the graph `runtimes` that made and run
    it, and the CPU kind."""
    facts: dict[str, Any] = {"pix2pix_hub": _version("pix2pix_hub"), "torch": torch.__version__}
    facts.update({name: _version(name) for name in runtimes if name != "torch"})
    facts["cpu"] = cpu_features().describe()
    return facts


def _stale_reason(meta: dict[str, Any], facts: dict[str, Any]) -> str | None:
    changed = [f"{key} {meta.get(key)} -> {value}" for key, value in facts.items() if meta.get(key) != value]
    return ", ".join(changed) or None


def _publish(temporary: Path, final: Path) -> Path:
    """Rename a finished entry into place; when another process got there first, keep its entry."""
    try:
        os.replace(temporary, final) if temporary.is_file() else temporary.rename(final)
    except OSError:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
        if final.is_dir() and (final / META_FILE).is_file():
            return final  # written by another process meanwhile: the same content
        raise
    return final


def cached_graph(
    key: str, backend: str, build: Callable[[Path], None], load: Callable[[Path], Any], root: Path | None = None
) -> tuple[Any, bool]:
    """`load(folder)` of the entry `key` (a graph built by `build(folder)` into a fresh folder when missing, stale or
    corrupt); returns the loaded object and whether it came from the cache. Never raises for a bad entry: it is
    rebuilt; when the cache cannot be written at all (read-only disk), the graph is built in a temporary folder."""
    root = root or cache_dir()
    final = root / "graphs" / key
    facts = build_facts(backend)
    if (final / META_FILE).is_file():
        try:
            reason = _stale_reason(json.loads((final / META_FILE).read_text()), facts)
            if reason is None:
                loaded = load(final)
                logger.info("graph cache: reusing %s", final)
                return loaded, True
            logger.warning("graph cache: %s is stale (%s); rebuilding it", final, reason)
        except Exception as exc:  # any unreadable file (truncated, garbage) means: rebuild
            logger.warning("graph cache: %s cannot be read (%s); rebuilding it", final, str(exc).splitlines()[0])
        shutil.rmtree(final, ignore_errors=True)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
    except OSError as exc:
        logger.warning("graph cache: %s is not writable (%s); converting without caching", root, exc)
        with tempfile.TemporaryDirectory() as scratch:
            build(Path(scratch))
            return load(Path(scratch)), False
    try:
        build(temporary)
        (temporary / META_FILE).write_text(json.dumps(facts, indent=2))
        return load(_publish(temporary, final)), False
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


def read_record(folder: str, key: str, runtimes: tuple[str, ...] = (), root: Path | None = None) -> dict | None:
    """The stored JSON record `folder/key.json`, or None when missing, stale (written by other versions of
    pix2pix_hub, torch or `runtimes`, or on another CPU) or unreadable; then it is measured again and rewritten."""
    path = (root or cache_dir()) / folder / f"{key}.json"
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
        reason = _stale_reason(stored["facts"], build_facts(*runtimes))
        if reason is None:
            return stored
        logger.warning("graph cache: %s is stale (%s); measuring again", path.name, reason)
    except Exception as exc:
        logger.warning("graph cache: %s cannot be read (%s); measuring again", path, str(exc).splitlines()[0])
    return None


def write_record(
    folder: str, key: str, record: dict[str, Any], runtimes: tuple[str, ...] = (), root: Path | None = None
) -> None:
    """Store `record` (with the facts it depends on) atomically as `folder/key.json`; a cache that cannot be written
    only costs the next process a measurement."""
    directory = (root or cache_dir()) / folder
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".record.", dir=directory)
        with os.fdopen(handle, "w") as file:
            json.dump({**record, "facts": build_facts(*runtimes)}, file, indent=2)
        os.replace(temporary, directory / f"{key}.json")
    except OSError as exc:
        logger.warning("graph cache: could not store %s in %s (%s)", key, directory, exc)


def read_choice(key: str, root: Path | None = None) -> dict[str, Any] | None:
    """Auto's stored choice for `key` ({"backend", "timings", "batch_size"}), or None when missing, stale or
    unreadable (then it is measured again and rewritten)."""
    stored = read_record("choices", key, CHOICE_RUNTIMES, root)
    try:
        return None if stored is None else {k: stored[k] for k in ("backend", "timings", "batch_size")}
    except KeyError as exc:
        logger.warning("graph cache: auto's choice %s lacks %s; measuring again", key, exc)
        return None


def write_choice(key: str, backend: str, timings: dict[str, float], batch_size: int, root: Path | None = None) -> None:
    """Store auto's choice atomically; a cache that cannot be written only costs the next process a measurement."""
    record = {"backend": backend, "timings": timings, "batch_size": batch_size}
    write_record("choices", key, record, CHOICE_RUNTIMES, root)


__all__ = [
    "CACHE_ENV",
    "cache_dir",
    "cached_graph",
    "read_choice",
    "read_record",
    "weights_hash",
    "write_choice",
    "write_record",
]
