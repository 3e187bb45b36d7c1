"""The local model's queue: one answer at a time, a bounded number waiting, the rest told to retry; a
streamed answer whose client leaves lets the model go."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from conftest import RunningApp

from assistant.answer.llms import Busy, _Gate


def test_one_holds_the_queue_waits_and_one_more_is_told_to_retry() -> None:
    gate = _Gate()
    held, release = threading.Event(), threading.Event()
    served: list[str] = []

    def answer(name: str) -> None:
        with gate.hold(queue=1, wait=30):
            served.append(name)
            held.set()
            release.wait(30)

    first = threading.Thread(target=answer, args=("first",))
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=answer, args=("second",))
    second.start()
    while gate.inside < 2:  # the second is waiting
        time.sleep(0.01)
    with pytest.raises(Busy, match="1 questions are waiting") as busy, gate.hold(queue=1, wait=30):
        pass
    assert busy.value.retry_after >= 1
    release.set()
    first.join(10), second.join(10)
    assert served == ["first", "second"] and gate.inside == 0


def test_a_wait_past_its_bound_is_told_so_and_leaves_the_queue() -> None:
    gate = _Gate()
    with gate.hold(queue=4, wait=30):
        with pytest.raises(Busy, match="waited 0 s"), gate.hold(queue=4, wait=0.05):
            pass
        assert gate.inside == 1
    assert gate.inside == 0


def test_a_generator_closed_from_another_thread_lets_the_model_go() -> None:
    """A web server reads a streamed answer step by step on whichever worker thread is free and closes it
    from another when the client leaves: the gate is no thread's lock."""
    gate = _Gate()

    def answer() -> object:
        with gate.hold(queue=0, wait=1):
            yield from range(100)

    stream = answer()
    reader = threading.Thread(target=lambda: next(stream))
    reader.start(), reader.join()
    assert gate.inside == 1
    with pytest.raises(Busy):
        next(answer())  # no queue: a second answer is turned away at once
    closer = threading.Thread(target=stream.close)  # type: ignore[attr-defined]
    closer.start(), closer.join()
    assert gate.inside == 0
    assert next(answer()) == 0


@pytest.mark.server
def test_a_client_that_leaves_mid_stream_lets_the_model_go_at_once(app_server: RunningApp) -> None:
    """The real app and the real local model: a streamed answer is left after its first token; the model is
    free well before the rest of that answer would have been written (up to 200 tokens, about 10 a second
    here), and the next question is answered."""
    body = {
        "question": "What do the articles say about weapons, satellites and the war in Ukraine?",
        "llm": "local",
    }
    with httpx.stream("POST", f"{app_server.url}/api/ask/stream", json=body, timeout=300) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("event: token"):
                break  # the model is writing: leave
    left = time.monotonic()
    while httpx.get(f"{app_server.url}/api/health").json()["model_queue"] and time.monotonic() - left < 30:
        time.sleep(0.1)
    freed = time.monotonic() - left
    assert freed < 3, f"the model was held {freed:.1f} s after its client left"
    answer = httpx.post(f"{app_server.url}/api/ask", json={**body, "question": "Where did they meet?"}, timeout=300)
    assert answer.status_code == 200 and answer.json()["llm"] == "local"
