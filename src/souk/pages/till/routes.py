"""The till's files. Everything it does goes through the API with the POS key the associate
signs in with; the service worker, served from /pos/, may control the whole of /pos/."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount

from souk.pages.assets import PageFiles

STATIC = Path(__file__).with_name("static")

mount = Mount("/pos", app=PageFiles(STATIC, **{"Service-Worker-Allowed": "/pos/"}), name="pos")
