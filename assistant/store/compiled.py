"""The embedding model compiled by OpenVINO: the packaged model's own weights, converted once on this machine.

Texts in, L2-normalised float32 vectors out, as `SentenceTransformer.encode` gives them (its Transformer module,
then mean or CLS pooling, then normalising). sentence-transformers' own OpenVINO backend needs optimum-intel,
which pins versions of transformers below what the rest of the stack needs, so the Transformer module is
converted here with `openvino.convert_model` (from the local weights, nothing downloaded) and the pooling is
done in NumPy. The converted model is kept under the model cache folder, so later processes skip torch.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except (ImportError, OSError):  # not installed, or its native libraries do not load here
        return False
    return True


def max_seq_length(path: Path) -> int | None:
    """The model's input length in tokens, from its folder (what sentence-transformers truncates to)."""
    try:
        value = json.loads((path / "sentence_bert_config.json").read_text()).get("max_seq_length")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and value > 0 else None


def pooling(path: Path) -> str | None:
    """'mean' or 'cls' when the model folder is a Transformer, that pooling and a Normalize (the shape this module
    reproduces exactly) with a known input length, else None."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        types = [m["type"] for m in modules]
        if types != [_TRANSFORMER, _POOLING, _NORMALIZE] or modules[0]["path"] or not max_seq_length(path):
            return None
        config = json.loads((path / modules[1]["path"] / "config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    modes = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
    if len(modes) != 1:
        return None
    return {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(modes[0])


class CompiledEncoder:
    """One compiled copy of a sentence-transformers model folder; thread-safe `encode`."""

    def __init__(
        self,
        path: Path,
        tokenizer: Any,
        pad_id: int,
        cache_dir: Path,
        bfloat16: bool,
        latency: bool = False,
        int8: bool = False,
    ) -> None:
        import openvino as ov

        self.mode = pooling(path)
        if self.mode is None:
            raise ValueError(f"{path} is not a Transformer + Pooling + Normalize model")
        self.tokenizer = tokenizer  # a `tokenizers.Tokenizer` that truncates to the model's length and never pads
        self.pad_id = pad_id
        core = ov.Core()
        converted = _converted(path, tokenizer, pad_id, cache_dir)
        model = core.read_model(_quantized(converted, tokenizer) if int8 else converted)
        self.inputs = {i.get_any_name() for i in model.inputs}
        # THROUGHPUT (archives): one stream per core, each with its own batch in flight. LATENCY (questions,
        # evidence): every core on one batch, a question in 2.5 ms against 7 on one stream's core (2 cores,
        # all-MiniLM-L6-v2); as fast up to a few hundred sentences in one call. bf16 uses AMX where there is one.
        hint = "LATENCY" if latency else "THROUGHPUT"
        self._compiled = core.compile_model(
            model, "CPU", {"INFERENCE_PRECISION_HINT": "bf16" if bfloat16 else "f32", "PERFORMANCE_HINT": hint}
        )
        self.requests = int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self.dimension = int(self._compiled.outputs[0].get_partial_shape()[-1].get_length())

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch([t.strip() for t in texts], add_special_tokens=True)
        # longest first, as sentence-transformers sorts: batches of similar lengths pad little
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Plain requests, two per stream so that a stream has its next batch while this thread pools the last
        # one, each read back on this thread. Not AsyncInferQueue: its Python callback is released on OpenVINO's
        # own stream threads, which need the GIL for that; dropping the compiled model then deadlocks, or aborts
        # the process when a stream thread holds the last reference (both seen: std::thread::join in
        # ~CPUStreamsExecutor, "Resource deadlock avoided").
        requests = [self._compiled.create_infer_request() for _ in range(2 * self.requests)]
        pending: list[tuple[Any, list[int], np.ndarray] | None] = [None] * len(requests)
        for n, lo in enumerate(range(0, len(order), batch_size)):
            slot = n % len(requests)
            busy = pending[slot]
            if busy is not None:
                self._collect(*busy, out)
            rows = order[lo : lo + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                k = len(encodings[i].ids)
                ids[r, :k] = encodings[i].ids
                mask[r, :k] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            requests[slot].start_async({k: v for k, v in feed.items() if k in self.inputs})
            pending[slot] = (requests[slot], rows, mask)
        for item in pending:
            if item is not None:
                self._collect(*item, out)
        return out

    def _collect(self, request: Any, rows: list[int], mask: np.ndarray, out: np.ndarray) -> None:
        """Waits for one batch and writes its pooled, normalised vectors into `out` at `rows`."""
        request.wait()
        hidden = request.get_output_tensor(0).data
        if self.mode == "cls":
            pooled = hidden[:, 0, :]
        else:
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out[rows] = pooled / np.maximum(norms, 1e-12)


def _converted(path: Path, tokenizer: Any, pad_id: int, cache_dir: Path) -> Path:
    """The OpenVINO model of the folder's Transformer module, converted at first use and kept in `cache_dir`
    under a key of the weights and the OpenVINO version (a changed model converts again)."""
    import openvino as ov

    stamp = [ov.__version__] + [
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(path.iterdir()) if p.is_file()
    ]
    key = hashlib.sha256("|".join([str(path.resolve()), *stamp]).encode()).hexdigest()[:16]
    target = cache_dir / "openvino" / key
    if (target / "model.xml").exists() and (target / "model.bin").exists():
        return target / "model.xml"
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    takes = inspect.signature(model.forward).parameters
    sample = tokenizer.encode_batch(["an example sentence", "another"], add_special_tokens=True)
    width = max(len(e.ids) for e in sample)
    ids = torch.tensor([e.ids + [pad_id] * (width - len(e.ids)) for e in sample])
    mask = torch.tensor([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in sample])
    example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    example = {k: v for k, v in example.items() if k in takes}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python branches in transformers' masking code
        converted = ov.convert_model(model, example_input=example)
    return _saved(converted, target, fp16=False)  # the weights as they are


def _saved(model: Any, target: Path, fp16: bool) -> Path:
    """`model` saved as the folder `target` (model.xml and model.bin; `fp16`: float weights stored as float16,
    OpenVINO's default), atomically: another process saving the same folder at the same time wins or loses whole."""
    import openvino as ov

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        ov.save_model(model, staging / "model.xml", compress_to_fp16=fp16)
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / "model.xml").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / "model.xml"


def _quantized(converted: Path, tokenizer: Any) -> Path:
    """The converted model with int8 weights and activations (NNCF's post-training quantization, calibrated on
    the bundled seed set's sentences, which ship with the package), made at first use beside it. Its speed
    depends on the CPU: about 3x float32's on one AVX2 host, 0.86x on another with the same label. Not the
    default: on 127 RealTimeQA 2025 questions over 1,000 articles its hybrid hit@5 was 0.024 under float32's,
    outside the 0.01 the archive issue allows; in dense ranking on 113 questions of 2022-2023 it was within
    it (bench/README.md)."""
    import json

    import openvino as ov

    target = converted.parent / "int8" / "model.xml"
    if target.exists() and target.with_suffix(".bin").exists():
        return target
    try:
        import nncf
    except ImportError:
        from assistant.errors import ConfigError

        raise ConfigError("embed_precision int8 needs the nncf package (pip install nncf)") from None
    from assistant.bundled import bundled

    lines = bundled("tests/eval/seed.jsonl", "seed.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    # windows of the quotes about a chunk's length (~70 words), as the index embeds, and the questions as asked
    words = " ".join(q for c in cases for q in c.get("quotes", [])).split()
    texts = [" ".join(words[i : i + 70]) for i in range(0, len(words), 35)] + [c["question"] for c in cases]
    model = ov.Core().read_model(converted)
    names = {i.get_any_name() for i in model.inputs}

    def feed(text: str) -> dict[str, np.ndarray]:
        ids = np.array([tokenizer.encode(text, add_special_tokens=True).ids], dtype=np.int64)
        both = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        return {k: v for k, v in both.items() if k in names}

    quantized = nncf.quantize(
        model,
        nncf.Dataset(texts, feed),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(texts),
    )
    return _saved(quantized, target.parent, fp16=True)  # as it was measured (bench/README.md)
