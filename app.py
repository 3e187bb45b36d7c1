"""The web app: chat at /, widget at /widget.js, API at /api (docs at /api/docs). Same as `assistant serve`.

The page is served at once; the index (built from the bundled articles when missing) and the models
load in the background while the page shows what it is doing.
"""

from __future__ import annotations

import sys

from assistant.offline import stay_offline


def main() -> None:
    stay_offline()
    from assistant.errors import AssistantError
    from assistant.serve.server import serve
    from assistant.settings import load_settings

    try:
        serve(load_settings())
    except AssistantError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
