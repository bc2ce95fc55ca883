"""Servers the tests start themselves on loopback, once per session: a Chroma server and a throwaway PostgreSQL.

Both follow ../shared/ENVIRONMENT.md: `chroma run` from the venv, Debian's PostgreSQL 15 run as `postgres` when
the tests run as root (initdb refuses root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Read at import: the autouse `_offline` fixture removes DRAFTDESK_* variables while each test runs.
REQUIRE_SERVICES = bool(os.environ.get("DRAFTDESK_REQUIRE_SERVICES"))
PG_BIN = Path(os.environ.get("DRAFTDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))
LOOPBACK = "127.0.0.1"


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be started here, or None."""
    if not ((PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()):
        return f"{PG_BIN} has no initdb/pg_ctl (apt-get install -y postgresql, or run .ci/run)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Poll `url` until it answers 2xx; fail early if `proc` exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before {url} answered") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def chroma_server(path: Path) -> Iterator[int]:
    """`chroma run` on a free loopback port; yields the port."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if chroma is None:
        raise RuntimeError("the chroma command comes with the chromadb package; reinstall the venv")
    port = free_port()
    log = (path.parent / f"{path.name}.log").open("wb")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", LOOPBACK, "--port", str(port)],
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"}, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://{LOOPBACK}:{port}/api/v2/heartbeat", proc, timeout_s=30)
        yield port
    finally:
        stop(proc)
        log.close()


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(base: Path) -> Iterator[str]:
    """A PostgreSQL cluster under `base` on a free loopback port; yields its server URL (no database name)."""
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    subprocess.run(_as_postgres([str(initdb), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                 "--locale=C", "--no-sync"]), check=True, capture_output=True)
    options = (f"-c listen_addresses={LOOPBACK} -p {port} -k {base} -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off")
    subprocess.run(_as_postgres([str(pg_ctl), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "30",
                                 "-o", options, "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@{LOOPBACK}:{port}"
    finally:
        subprocess.run(_as_postgres([str(pg_ctl), "-D", str(data), "-m", "fast", "-w", "stop"]), check=False,
                       capture_output=True)


def create_database(server_url: str) -> str:
    """A fresh, empty schema in the server's `postgres` database, as the default for the URL's connections (a
    schema takes a millisecond; CREATE DATABASE about 0.4 s); returns its SQLAlchemy URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url.replace("postgresql+psycopg", "postgresql") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return f"{server_url}/postgres?options=-csearch_path%3D{name}"
