"""Passages -> a cited answer: evidence sentences chosen and numbered (`evidence`), follow-ups made
standalone (`condense`, which may ask the model), the prompt (`prompts`, `messages`), the model
(`llms`, `model_file`) and the pipeline that runs the steps in order (`pipeline`).

In: a question, the conversation so far, filters. Out: an `Answer` (text, checked citations, passages)."""
