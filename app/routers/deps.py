"""Router dependencies: the in-memory directory of the running app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.core.caching import Rendered
from app.services.snapshot import Directory, DirectoryCache


async def get_directory(request: Request) -> Directory:
    """On the event loop when no database check is due (the common case: a thread hop costs
    more than the lookup); in the threadpool when the check would block on the database."""
    cache: DirectoryCache = request.app.state.directory_cache
    directory = cache.current_if_fresh()
    if directory is not None:
        return directory
    return await run_in_threadpool(cache.get)


DirectoryDep = Annotated[Directory, Depends(get_directory)]


async def from_memory(render: Callable[[bool], Rendered | None]) -> Rendered:
    """A list of the in-memory directory: on the event loop when its page is already rendered
    (`render(True)` finds it: microseconds), otherwise rendered in a worker thread, so that a
    first search over 100k contact points never holds up the other requests. Bad filters raise
    their 422 from either call."""
    found = render(True)
    if found is None:
        found = await run_in_threadpool(render, False)
    assert found is not None
    return found
