"""Generated text -> checked citations: markers parsed, each answer sentence checked against the
spans it cites (`check`, with the contradiction signs of `contradictions`), refusals recognised (`refusals`).

In: the model's text and the numbered evidence it was shown. Out: `Sentence`s with their citations and
whether the cited spans support them."""
