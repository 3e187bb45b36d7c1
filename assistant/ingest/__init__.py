"""Files -> committed articles: read (`loaders`), clean (`cleaning`), find copies (`dedup`), cut into
offset-exact chunks (`chunking`), then embed and store them one whole article at a time (`indexer`).

In: paths of .txt, .md, .html and JSON/JSONL files. Out: articles and chunks in the store, a report of
what was added, replaced, skipped and why."""
