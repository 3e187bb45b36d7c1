"""Question -> passages: dense and keyword rankings fused (`hybrid`), with filters and the dates a
question names (`recency`) applied inside the store, and questions that join several split in parts
(`questions`). `llama_retriever` offers the same as a llama-index retriever.

In: a standalone question and filters. Out: `Passage`s (chunk text, offsets, article fields, score)."""
