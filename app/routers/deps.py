"""Router dependencies: the in-memory directory of the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.services.snapshot import Directory


def get_directory(request: Request) -> Directory:
    directory: Directory = request.app.state.directory_cache.get()
    return directory


DirectoryDep = Annotated[Directory, Depends(get_directory)]
