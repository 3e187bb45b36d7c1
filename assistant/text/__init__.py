"""Text helpers every stage shares: content words and stems (`terms`), sentence spans (`sentences`),
publication dates (`dates`).

In: plain strings. Out: words, spans and ISO dates. Imports nothing of the stages above it."""
