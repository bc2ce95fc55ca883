"""Route dependencies run on the event loop: FastAPI sends a plain function dependency to its thread pool, a hop
per dependency per request that cost the promotion surge a third of its throughput (docs/benchmarks-log.md)."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from composition.shops import Shops


def _calls(dependant: Any) -> set[Any]:
    found: set[Any] = set()
    for sub in dependant.dependencies:
        found |= {sub.call} | _calls(sub)
    return found


def _routes(routes: list[Any]) -> list[APIRoute]:
    """The app's API routes, those of included routers too (FastAPI keeps an included router as one route)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _routes(route.original_router.routes)
    return found


def test_every_route_dependency_is_a_coroutine(client: TestClient) -> None:
    routes = _routes(client.app.routes)  # type: ignore[attr-defined]
    calls = {call for route in routes for call in _calls(route.dependant)}
    assert len(routes) > 20 and len(calls) > 5
    blocking = sorted(c.__qualname__ for c in calls if not inspect.iscoroutinefunction(c))
    assert blocking == []


def test_a_shops_first_use_is_built_once_and_then_only_looked_up() -> None:
    built: list[str] = []
    lock = threading.Lock()

    def build(name: str) -> Any:
        with lock:
            built.append(name)
        return object()

    shops = Shops(build)
    assert shops.built("north") is None  # looking does not build
    threads = [threading.Thread(target=shops.get, args=("north",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == ["north"]
    assert shops.built("north") is shops.get("north")
    assert shops.built("south") is None and built == ["north"]


def test_the_draft_route_is_a_coroutine(client: TestClient) -> None:
    """A plain route would cost two pool trips a draft: the route, then FastAPI's check of its response."""
    (route,) = [r for r in _routes(client.app.routes) if r.path == "/v1/drafts"]  # type: ignore[attr-defined]
    assert inspect.iscoroutinefunction(route.endpoint)
