"""Where the archive lives: the Chroma collections (`chroma`), the embedding model that fills them
(`embedding`, compiled by OpenVINO in `compiled`) and the keyword index beside them (`lexical`).

In: chunks with their article's fields, and vectors. Out: the committed articles and chunks, their vectors,
BM25 postings."""
