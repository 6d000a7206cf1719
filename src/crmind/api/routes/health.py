"""Liveness: no key needed, no data returned."""

from fastapi import APIRouter

from crmind import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """The server is up. Example: `curl http://127.0.0.1:8000/health`"""
    return {"status": "ok", "version": __version__}
