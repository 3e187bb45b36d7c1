"""Start the web app on the configured index, building it from the bundled articles if it is missing."""

from __future__ import annotations

import sys

from assistant.offline import stay_offline


def main() -> None:
    stay_offline()
    from assistant.cli import load_settings
    from assistant.embedding import Embedder
    from assistant.errors import AssistantError, IndexMissingError
    from assistant.indexer import Indexer
    from assistant.search import Searcher
    from assistant.store import Store
    from assistant.web import CSS, build

    try:
        settings = load_settings()
        embedder = Embedder(settings.embed_model, settings.embed_batch_size)
        try:
            store = Store(settings)
            if store.count()[0] == 0:
                raise IndexMissingError()
        except IndexMissingError:
            print(f"building the index from {settings.articles_dir}/ ...", file=sys.stderr)
            store = Store(settings, create=True)
            report = Indexer(settings, store, embedder).run([settings.articles_dir])
            print(f"indexed {report.added} articles, {report.chunks_embedded} chunks", file=sys.stderr)
        app = build(Searcher(store, embedder), store.count()[0])
    except AssistantError as exc:
        sys.exit(f"error: {exc}")
    print(f"serving on http://{settings.host}:{settings.port}/", file=sys.stderr)
    app.launch(server_name=settings.host, server_port=settings.port, css=CSS, show_error=True)


if __name__ == "__main__":
    main()
