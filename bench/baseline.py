"""The smallest FastAPI app that answers a GET and parses a JSON body: the baseline of
`make bench`, served by the same uvicorn with the same flags as madoguchi, so that a ratio
against it is what madoguchi's own work costs (its middleware, logging, metrics and matcher).

    uvicorn bench.baseline:app
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class Consultation(BaseModel):
    """The shape of a POST /v1/match body."""

    text: str = Field(min_length=1, max_length=2000)
    municipality: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=5, ge=1, le=50)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/match")
async def match(body: Consultation) -> dict[str, object]:
    return {"text_length": len(body.text), "municipality": body.municipality, "limit": body.limit}
