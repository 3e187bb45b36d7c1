"""The embedding backends: OpenVINO's compiled copy of the packaged model against sentence-transformers itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ConfigError
from assistant.store import embedding
from assistant.store.embedding import Embedder, model_path

TEXTS = [
    "North Korea's leader Kim Jong-un met Russia's President Vladimir Putin at the Vostochny cosmodrome.",
    "   padded with spaces   ",
    "word " * 600,  # past the model's 256 tokens: truncated the same way
    "Ünïcode — “quotes”, 日本語 and an emoji 🚀",
    "x",
]


@pytest.mark.slow
def test_openvino_gives_the_vectors_of_sentence_transformers(tmp_path: Path) -> None:
    compiled = Embedder("all-MiniLM-L6-v2", precision="float32", backend="openvino", cache_dir=tmp_path)
    reference = Embedder("all-MiniLM-L6-v2", precision="float32", backend="torch")
    got, want = compiled.encode(TEXTS), reference.encode(TEXTS)
    assert got.shape == want.shape == (len(TEXTS), 384)
    assert got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * want).sum(axis=1).min() > 0.99999
    assert compiled.dimension == 384 and compiled.max_tokens == reference.max_tokens == 256
    # each text's vector is its own whatever it is batched with (the batches are sorted by length)
    alone = np.vstack([compiled.encode([t]) for t in TEXTS])
    assert np.abs(alone - got).max() < 1e-4
    assert compiled.encode([]).shape == (0, 384)
    # the copy compiled for archives (throughput) gives the vectors of the one for questions (latency)
    assert np.abs(compiled.encode(TEXTS, bulk=True) - got).max() < 1e-5


def test_bfloat16_stays_within_the_float32_vectors(tmp_path: Path) -> None:
    fast = Embedder("all-MiniLM-L6-v2", precision="bfloat16", backend="openvino", cache_dir=tmp_path)
    exact = Embedder("all-MiniLM-L6-v2", precision="float32", backend="torch")
    assert (fast.encode(TEXTS) * exact.encode(TEXTS)).sum(axis=1).min() > 0.999


@pytest.mark.slow
def test_int8_is_a_quantized_copy_made_once_that_keeps_the_ranking(tmp_path: Path) -> None:
    quick = Embedder("all-MiniLM-L6-v2", precision="int8", backend="openvino", cache_dir=tmp_path)
    exact = Embedder("all-MiniLM-L6-v2", precision="float32", backend="openvino", cache_dir=tmp_path)
    got, want = quick.encode(TEXTS), exact.encode(TEXTS)
    cosine = (got * want).sum(axis=1)
    # close, not equal: a quantized model. Calibrated on sentences and chunk-long windows: 256 tokens of one
    # repeated word (TEXTS[2]) is far outside them (0.85)
    assert np.delete(cosine, 2).min() > 0.97 and cosine[2] > 0.8
    assert np.abs(got - want).max() > 1e-4
    assert list((tmp_path / "openvino").glob("*/int8/model.xml"))  # kept beside the converted model
    # the sentence that answers a question is still the first one it finds
    question = quick.encode(["Where did Putin and Kim meet?"])[0]
    ranked = np.argsort(-(quick.encode(TEXTS) @ question))
    assert ranked[0] == 0
    with pytest.raises(ConfigError, match="OpenVINO only"):
        Embedder("all-MiniLM-L6-v2", precision="int8", backend="torch")


def test_the_converted_model_is_kept_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Embedder("all-MiniLM-L6-v2", precision="float32", backend="openvino", cache_dir=tmp_path)
    vectors = first.encode(TEXTS[:2])
    kept = list((tmp_path / "openvino").glob("*/model.xml"))
    assert len(kept) == 1 and kept[0].with_suffix(".bin").stat().st_size > 80_000_000  # float32 weights, not fp16
    assert not [p for p in (tmp_path / "openvino").iterdir() if p.name.startswith(".")]  # no staging left behind

    import openvino

    def no_conversion(*args: object, **kwargs: object) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(openvino, "convert_model", no_conversion)
    embedding._compile.cache_clear()  # as a new process would
    again = Embedder("all-MiniLM-L6-v2", precision="float32", backend="openvino", cache_dir=tmp_path)
    assert np.abs(again.encode(TEXTS[:2]) - vectors).max() < 1e-6


def test_encoding_from_several_threads_at_once(tmp_path: Path) -> None:
    e = Embedder("all-MiniLM-L6-v2", precision="float32", backend="openvino", cache_dir=tmp_path)
    want = e.encode(TEXTS)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: e.encode(TEXTS), range(8)))
    assert all(np.abs(r - want).max() < 1e-5 for r in results)


def test_a_model_openvino_cannot_reproduce_runs_on_torch(tmp_path: Path) -> None:
    folder = tmp_path / "max-pooled"
    shutil.copytree(model_path("all-MiniLM-L6-v2"), folder)
    config = folder / "1_Pooling" / "config.json"
    settings = json.loads(config.read_text())
    settings.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    config.write_text(json.dumps(settings))
    assert Embedder(str(folder)).backend == "torch"
    with pytest.raises(ConfigError, match="embed_backend"):
        Embedder(str(folder), backend="openvino")
    assert Embedder("all-MiniLM-L6-v2").backend == "openvino"
    assert Embedder("all-MiniLM-L6-v2", backend="torch").backend == "torch"


@pytest.mark.slow
def test_a_used_encoder_can_be_dropped_again_and_again(tmp_path: Path) -> None:
    # in a process of its own: the failure this guards against aborts or deadlocks the whole process
    probe = f"""
import gc
from assistant.store import embedding
for _ in range(8):
    e = embedding.Embedder("all-MiniLM-L6-v2", precision="float32", backend="openvino", cache_dir={str(tmp_path)!r})
    e.encode(["one sentence", "another one", "a third"] * 20)
    del e
    embedding._compile.cache_clear()  # the encoder's last reference goes
    gc.collect()
print("dropped")
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "dropped", done.stderr[-2000:]


def test_the_tokenizer_read_alone_is_the_one_transformers_builds() -> None:
    """`fast_tokenizer` reads tokenizer.json without transformers (which imports torch): the same ids and offsets."""
    from transformers import AutoTokenizer

    path = model_path("all-MiniLM-L6-v2")
    fast = embedding.fast_tokenizer(path)
    assert fast is not None
    alone, pad_id = fast
    wrapper = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    assert pad_id == wrapper.pad_token_id
    texts = [*TEXTS, "[CLS] inside [SEP] a text", "Don't split U.S. e-mail’s naïve café, 1,234.5 km²", ""]
    want = embedding._backend_copy(wrapper)  # transformers' own, without the folder's truncation and padding
    for text in texts:
        got = alone.encode(text, add_special_tokens=True)
        ref = want.encode(text, add_special_tokens=True)
        assert got.ids == ref.ids and got.offsets == ref.offsets
        assert got.ids == wrapper(text, truncation=False)["input_ids"]


def test_indexing_with_openvino_never_imports_torch(tmp_path: Path) -> None:
    """torch and transformers are ~600 MB of an indexing process's memory that OpenVINO never uses; once the model
    is converted (which needs them), a new process indexes without them."""
    Embedder("all-MiniLM-L6-v2", backend="openvino", cache_dir=tmp_path).encode(["converted"], bulk=True)
    probe = f"""
import sys
from pathlib import Path
from assistant.store.embedding import Embedder
from assistant.ingest.indexer import Indexer
from assistant.settings import Settings
from assistant.store.chroma import Store
settings = Settings(index_dir={str(tmp_path / "index")!r}, model_cache_dir={str(tmp_path)!r})
embedder = Embedder.from_settings(settings)
assert embedder.backend == "openvino"
report = Indexer(settings, Store(settings, create=True), embedder).run([Path("articles")])
assert report.chunks_embedded > 0, report
Embedder.from_settings(settings).encode(["a question"])
print(sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules))
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_loading_the_model_sends_no_telemetry() -> None:
    """OpenVINO's converter posts a telemetry event from a forked process when it is imported (a fork of the
    app that could hang and outlive it); after `stay_offline` nothing of its telemetry package is loaded."""
    import subprocess
    import sys

    code = (
        "from assistant.offline import stay_offline; stay_offline()\n"
        "import sys, multiprocessing\n"
        "from assistant.settings import Settings\n"
        "from assistant.store.embedding import Embedder\n"
        "Embedder.from_settings(Settings()).encode(['a sentence'])\n"
        "print([m for m in sys.modules if m.startswith('openvino_telemetry') and sys.modules[m] is not None],"
        " len(multiprocessing.active_children()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["[]", "0"], done.stdout
