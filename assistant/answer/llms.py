"""Answer backends that stream text: the local llama.cpp model and any OpenAI-compatible server.

Both take chat messages and yield text pieces. `LLMUnavailable` means the backend could not answer
at all (not installed, unreachable): the assistant then falls back to the extractive answer.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cached_property, lru_cache
from typing import Any, Protocol, cast

from assistant.answer.model_file import ModelFileError
from assistant.errors import AssistantError
from assistant.settings import Settings

Message = dict[str, str]


class LLMUnavailable(AssistantError):
    """The configured LLM cannot be used right now."""


class Busy(AssistantError):
    """The local model is answering others and the queue for it is full, or the wait was too long (HTTP
    503); `retry_after` in seconds."""

    def __init__(self, retry_after: float, why: str) -> None:
        self.retry_after = max(1, round(retry_after + 0.5))
        super().__init__(f"the model is busy ({why}): retry in {self.retry_after} s")


class LLM(Protocol):
    name: str

    def session(self) -> AbstractContextManager[None]:
        """Held around everything one answer asks of the model (condensing, the answerable check, the answer,
        the claim check), so that each answer reads its sources once; may raise `Busy`."""
        ...

    def busy(self) -> None:
        """Raise `Busy` when a question asked now would be turned away (checked before a response starts)."""
        ...

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]: ...

    def count_tokens(self, messages: list[Message]) -> int | None: ...

    def judge(self, messages: list[Message]) -> float | None:
        """The model's probability of replying "yes" to the last message (None: it cannot tell)."""
        ...


class LocalLLM:
    """Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) in-process through llama-cpp-python, greedy decoding.

    One model per process, used by one request at a time. llama.cpp keeps the evaluated tokens, so a
    prompt that starts like the previous one (same system prompt, same earlier turns) only pays for
    its new tail.
    """

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def session(self) -> AbstractContextManager[None]:
        return _GATE.hold(self.settings.llm_queue, self.settings.llm_wait)

    def busy(self) -> None:
        _GATE.admits(self.settings.llm_queue)

    @cached_property
    def model(self) -> Any:
        """The loaded model; the first use checks the model file (and joins it from its parts once)."""
        from assistant.answer.model_file import local_model, own_model
        from assistant.cpu_features import llama_build_problem

        problem = llama_build_problem()  # before the import: a build for another CPU kills this process
        if problem:
            raise LLMUnavailable(problem)
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise LLMUnavailable(
                "llama-cpp-python is not installed (`make setup` builds it; or pip install llama-cpp-python==0.3.36)"
            ) from None
        chosen = self.settings.model_file
        path = own_model(chosen) if chosen else local_model(self.settings.model_cache_dir)
        return _load_llama(str(path), self.settings.llm_context, self.settings.llm_threads or os.cpu_count() or 2)

    @cached_property
    def _formatter(self) -> tuple[Any, str]:
        """The model's own chat template, compiled once, and its end-of-sequence text."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.model.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelFileError(
                f"{self.model.model_path} has no chat template (tokenizer.chat_template): "
                "choose an instruction-tuned model"
            )
        eos = self.model._model.token_get_text(self.model.token_eos())
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=""), eos

    def _format(self, messages: list[Message]) -> tuple[str, list[str]]:
        formatter, eos = self._formatter
        response = formatter(messages=cast(Any, messages))
        stop = response.stop if isinstance(response.stop, list) else [response.stop] if response.stop else []
        return response.prompt, [*stop, eos]

    def count_tokens(self, messages: list[Message]) -> int:
        prompt, _ = self._format(messages)
        return len(self.model.tokenize(prompt.encode(), add_bos=False, special=True))

    def judge(self, messages: list[Message]) -> float:
        """P(yes) from the logits of the first reply token, in one forward pass of the prompt's new tail.

        The prompt shares its start with the answer prompt that follows (system, earlier turns, the
        sources and question), so llama.cpp reads the sources once for both."""
        import llama_cpp
        import numpy as np

        prompt, _ = self._format(messages)
        model = self.model
        with _LOCK:
            tokens = model.tokenize(prompt.encode(), add_bos=False, special=True)
            cached = model.input_ids[: model.n_tokens].tolist()
            same = next(
                (i for i, (a, b) in enumerate(zip(cached, tokens, strict=False)) if a != b),
                min(len(cached), len(tokens)),
            )
            model.n_tokens = min(same, len(tokens) - 1)  # keep the shared prefix; eval drops the rest from the cache
            model.eval(tokens[model.n_tokens :])
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(model.ctx, -1), shape=(model.n_vocab(),))
            yes = max(float(logits[t]) for t in self._answer_tokens[0])
            no = max(float(logits[t]) for t in self._answer_tokens[1])
        return 1.0 / (1.0 + math.exp(no - yes))

    @cached_property
    def _answer_tokens(self) -> tuple[list[int], list[int]]:
        """First tokens of "yes" and "no", in the spellings a reply starts with."""

        def first(words: tuple[str, ...]) -> list[int]:
            return [self.model.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words]

        return first(("yes", "Yes")), first(("no", "No"))

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        prompt, stop = self._format(messages)
        model = self.model
        with _LOCK:
            for piece in model.create_completion(
                prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, stop=stop, stream=True
            ):
                text = piece["choices"][0]["text"]
                if text:
                    yield text


_LOCK = threading.Lock()


class _Gate:
    """One answer at a time on the model, at most `queue` more waiting for it (each at most `wait` seconds);
    one more is told to come back instead of piling up. A plain lock, not a thread's: a streamed answer is
    read by whichever worker thread the web server gives each step, and is closed by another when its
    client goes, which releases it."""

    def __init__(self) -> None:
        self._model = threading.Lock()
        self._count = threading.Lock()
        self.inside = 0  # holding or waiting
        self.held_s = 20.0  # a running mean of how long an answer holds the model, for Retry-After

    def admits(self, queue: int) -> None:
        if self.inside > queue:
            raise Busy(self.held_s * self.inside, f"{self.inside - 1} questions are waiting for it")

    @contextmanager
    def hold(self, queue: int, wait: float) -> Iterator[None]:
        with self._count:
            self.admits(queue)
            self.inside += 1
        try:
            if not self._model.acquire(timeout=wait):
                raise Busy(self.held_s, f"waited {wait:.0f} s for it")
            start = time.monotonic()
            try:
                yield
            finally:
                self.held_s = 0.8 * self.held_s + 0.2 * (time.monotonic() - start)  # by the one holder
                self._model.release()
        finally:
            with self._count:
                self.inside -= 1


_GATE = _Gate()


def model_queue() -> int:
    """Answers holding or waiting for the local model in this process (for /api/health)."""
    return _GATE.inside


@lru_cache(maxsize=1)
def _load_llama(path: str, n_ctx: int, n_threads: int) -> Any:
    from llama_cpp import Llama

    return Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_batch=256, verbose=False)


class OpenAILLM:
    """Any OpenAI-compatible chat server (hosted APIs, vLLM, Ollama, llama.cpp's server), via llama-index."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        from llama_index.llms.openai_like import OpenAILike

        self.settings = settings
        self.client = OpenAILike(
            model=settings.openai_model,
            api_base=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value(),
            is_chat_model=True,
            context_window=settings.llm_context,
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0.0,
        )

    def session(self) -> AbstractContextManager[None]:
        return nullcontext()  # the server queues its own requests

    def busy(self) -> None:
        pass

    def count_tokens(self, messages: list[Message]) -> int | None:
        return None  # the server's tokenizer is not known here

    def judge(self, messages: list[Message]) -> float | None:
        """1.0 for a reply starting "yes", 0.0 for "no" (servers need not give log-probabilities)."""
        reply = "".join(self.stream(messages, 2)).strip().lower()
        return 1.0 if reply.startswith("yes") else 0.0 if reply.startswith("no") else None

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        started = False
        try:
            for response in self.client.stream_chat(chat, max_tokens=max_tokens):
                started = True
                if response.delta:
                    yield response.delta
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            import httpx
            import openai

            timeout = isinstance(exc, openai.APITimeoutError | httpx.TimeoutException)
            if started:
                what = f"stopped answering mid-answer ({exc.__class__.__name__})"
            elif timeout:
                what = "did not answer"
            else:
                what = f"is unreachable ({exc.__class__.__name__})"
            if timeout:
                what += f" within {self.settings.llm_timeout:g} s (ASSISTANT_LLM_TIMEOUT)"
            raise LLMUnavailable(f"the LLM server at {self.settings.openai_base_url} {what}") from exc


def _is_connection_error(exc: BaseException) -> bool:
    import httpx
    import openai

    # a timeout or a dropped connection, before the reply or while it streams (httpx's own errors, unwrapped)
    return isinstance(exc, openai.APIConnectionError | openai.APITimeoutError | httpx.TransportError | ConnectionError)


def make_llm(settings: Settings, name: str) -> LLM:
    if name == "local":
        return LocalLLM(settings)
    if name == "openai":
        return OpenAILLM(settings)
    raise ValueError(name)
