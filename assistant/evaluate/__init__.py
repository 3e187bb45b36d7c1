"""Test sets through the pipeline, scored: cases (`testset`, `realtimeqa`, labelled claim pairs in
`claims`), runs (`runs`), metrics (`metrics`), a run against a baseline (`comparison`) and the HTML
report (`report`, `charts`).

In: a test set file and an `Assistant`. Out: a `Run` (per-case results and a summary), JSON and HTML."""
