"""The smallest FastAPI application worth measuring: the ceiling a uvicorn worker sets on
this machine, next to which Souk's figures are read (`uvicorn benchmarks.minimal_app:app`).

The endpoint is a plain `def`, like Souk's, so it runs in the same thread pool."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}
