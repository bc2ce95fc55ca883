"""The load generator (aiohttp, N requests at a fixed concurrency), percentiles, and a server's memory."""

from __future__ import annotations

import asyncio
import math
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from api.app import KEEP_ALIVE_S
from bench.kb import Query

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p50 of [1, 2, 3, 4] is 2); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    concurrency: int
    latencies_ms: list[float]
    wall_s: float
    error_kinds: dict[str, int]  # failed requests: HTTP status or aiohttp error name -> count
    rss_peak_mb: float = 0.0

    @property
    def errors(self) -> int:
        return sum(self.error_kinds.values())

    def summary(self) -> dict[str, float | str]:
        lat = self.latencies_ms
        figures: dict[str, float | str] = {
            "requests": len(lat) + self.errors, "errors": self.errors,
            "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "rps": round(len(lat) / self.wall_s, 2) if self.wall_s else 0.0,
            "rss_peak_mb": round(self.rss_peak_mb, 1)}
        if self.error_kinds:  # what went wrong, so a run's errors can be told apart afterwards
            figures["error_kinds"] = ", ".join(f"{k} x{n}" for k, n in sorted(self.error_kinds.items()))
        return figures


async def _drive(url: str, queries: Sequence[Query], concurrency: int) -> tuple[list[float], float, dict[str, int]]:
    """aiohttp, not httpx: on this 2-core machine an httpx client at 32 connections took ~0.9 of a core for ~170
    requests/s, a core the server under test then lacked; aiohttp takes ~0.1 for twice that."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    pending = iter(queries)

    async def worker(session: aiohttp.ClientSession) -> None:
        for query in pending:  # the workers share one iterator: each request goes out once
            started = time.perf_counter()
            try:
                async with session.post(url, json=query.body()) as response:
                    await response.read()
                    kind = "" if response.status == 200 else str(response.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                kind = type(exc).__name__
            if not kind:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors[kind] = errors.get(kind, 0) + 1

    # the client lets an idle connection go before the server would close it
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=KEEP_ALIVE_S - 15)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return latencies, time.perf_counter() - started, errors


def run_load(url: str, queries: Sequence[Query], concurrency: int, *, warmup: Sequence[Query] = (),
             pid: int | None = None) -> LoadResult:
    """Warm-up requests first (not counted), then every query once at `concurrency`, sampling the server's RSS."""
    if warmup:
        asyncio.run(_drive(url, warmup, min(concurrency, len(warmup))))
    sampler = MemorySampler(pid) if pid else None
    if sampler:
        sampler.start()
    latencies, wall, errors = asyncio.run(_drive(url, queries, concurrency))
    peak = sampler.stop() if sampler else 0.0
    return LoadResult(concurrency, latencies, wall, errors, peak)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    try:
        import psutil

        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class MemorySampler:
    """The peak RSS of a process while a load runs, sampled every 100 ms."""

    def __init__(self, pid: int) -> None:
        self._pid, self._peak, self._done = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._done.wait(0.1):
            self._peak = max(self._peak, rss_mb(self._pid))

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return max(self._peak, rss_mb(self._pid))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A uvicorn app factory in its own process on a free loopback port."""

    factory: str
    env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.factory} has not been started")
        return self.proc.pid

    def start(self, timeout_s: float = 300) -> Server:
        out: Any = open(self.log, "wb") if self.log else subprocess.DEVNULL  # noqa: SIM115  # closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", self.factory, "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log",
             "--timeout-keep-alive", str(KEEP_ALIVE_S)],  # as `draftdesk serve`: every server in the run
            cwd=ROOT, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.factory} exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.factory} did not start within {timeout_s} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
