"""The app on the network: one shared `Service` (`service`), the HTTP API (`api`, typed by `schemas`),
the Gradio web chat and the widget's chat (`web`, HTML from `render`, files in `static/`), who may do what
(`access`, `login`, `guards`) and the FastAPI app joining them (`server`).

In: HTTP requests. Out: answers as JSON, Server-Sent Events and HTML."""
