"""The editors' login for the web app: /login takes the editor token and sets a session cookie (HttpOnly,
SameSite=Strict, so no other site's page can use it); /logout drops it. The API takes the token as a header."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assistant.serve.access import EDITOR_COOKIE, client_address

if TYPE_CHECKING:
    from assistant.serve.access import Access

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Editor login</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#292524}}
input{{font:inherit;width:100%;padding:.5rem;margin:.5rem 0;box-sizing:border-box}}
button{{font:inherit;padding:.5rem 1.2rem;background:#b4232a;color:#fff;border:0;border-radius:6px}}
.notice{{color:#9c1d23}}</style></head><body>
<h1>Editor login</h1><p>{message}</p>
<form method="post" action="/login"><label for="token">Editor token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button></form><p><a href="/">Back to the chat</a></p></body></html>"""


def router(access: Access) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/login")
    def form(request: Request) -> HTMLResponse:
        if access.open_to_editors:
            message = "No editor token is set: everyone on this machine is an editor."
        elif access.is_editor(request.headers, request.cookies):
            message = "You are logged in as an editor. <a href='/'>Go to the chat</a>."
        else:
            message = "Uploading, removing articles and running evaluations need the editor token."
        return HTMLResponse(PAGE.format(message=message))

    @pages.post("/login")
    def submit(request: Request, token: str = Form("")) -> Response:
        if not access.login(token, client_address(request)):
            return HTMLResponse(PAGE.format(message='<span class="notice">That is not the editor token.</span>'), 401)
        done = RedirectResponse("/", status_code=303)
        done.set_cookie(
            EDITOR_COOKIE,
            access.session(),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=12 * 3600,
        )
        return done

    @pages.post("/logout")
    def logout() -> Response:
        done = RedirectResponse("/", status_code=303)
        done.delete_cookie(EDITOR_COOKIE)
        return done

    return pages
