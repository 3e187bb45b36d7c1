"""Keep every library off the network: called once at the edge (CLI, app, tests) before heavy imports."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def stay_offline() -> None:
    """Set the switches that stop hidden downloads and telemetry (see shared OFFLINE notes)."""
    for name, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "OMP_WAIT_POLICY": "PASSIVE",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(name, value)
    # OpenVINO's converter (imported when the embedding model loads) sends a telemetry event at import unless
    # ~/intel/openvino_telemetry says no: it forks a process to post it, and a fork of the multi-threaded app
    # could hang on a lock forever, outliving the app. Without the package it uses its own stub.
    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        # llama-index ships tiktoken's encodings but points tiktoken at them only inside its own helper
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
        if spec and spec.origin:
            os.environ["TIKTOKEN_CACHE_DIR"] = str(Path(spec.origin).parent / "_static" / "tiktoken_cache")
