"""The storefront's pages: one shell per screen, in the shopper's language, that the
browser fills from the public API (X-Publishable-Key and the customer's token)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from souk.pages.assets import PAGE_HEADERS, PageFiles
from souk.pages.shop.config import ShopKeys, shop_config
from souk.pages.shop.messages import LANGUAGES, MESSAGES, language_name, negotiate

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)
SCREENS = {"catalog": "catalog", "product": "catalog", "cart": "cart", "checkout": "checkout",
           "account": "account"}  # fmt: skip
NO_CHANNEL = (
    "<!doctype html><html lang=en><title>Souk shop</title><main><h1>No web channel yet</h1>"
    "<p>Create one, or run <code>souk demo load</code>.</p></main></html>"
)


def _json_block(data: object) -> str:
    # Inside <script type="application/json">, "</" would end the block early.
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


async def shell(request: Request, screen: str) -> Response:
    asked = request.query_params.get("lang")
    lang = negotiate(
        asked, request.cookies.get("shop_lang"), request.headers.get("accept-language")
    )
    t = MESSAGES[lang]
    state = request.app.state
    if not hasattr(state, "shop_keys"):
        state.shop_keys = ShopKeys()  # one per application: each has its own database
    config = await run_in_threadpool(
        shop_config, db=state.db, settings=state.settings, keys=state.shop_keys
    )
    if config is None:
        return HTMLResponse(NO_CHANNEL, status_code=503, headers=PAGE_HEADERS)
    data = {
        **asdict(config),
        "lang": lang,
        "screen": screen,
        "handle": request.path_params.get("handle"),
        "messages": t,
    }
    html = templates.get_template("shell.html").render(
        lang=lang,
        t=t,
        title=t[SCREENS[screen]],
        shop_name=config.name,
        screen=screen,
        currencies=config.currencies,
        languages=[(code, language_name(code)) for code in LANGUAGES],
        config_json=Markup(_json_block(data)),
    )
    response = HTMLResponse(html, headers=PAGE_HEADERS)
    if asked in MESSAGES:
        response.set_cookie("shop_lang", asked, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _screen(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await shell(request, name)

    return endpoint


async def _to_shop(request: Request) -> Response:
    return RedirectResponse("/shop/", status_code=308)


routes: list[BaseRoute] = [
    Route("/shop", _to_shop),
    Route("/shop/", _screen("catalog")),
    Route("/shop/products/{handle:str}", _screen("product")),
    Route("/shop/cart", _screen("cart")),
    Route("/shop/checkout", _screen("checkout")),
    Route("/shop/account", _screen("account")),
    Mount("/shop/assets", app=PageFiles(HERE / "static"), name="shop-assets"),
]
