"""`make bench`: index, import a catalog, serve, load and compare; writes bench/results.json and bench/results.md from
one run.

Sizes come from the environment (defaults in brackets): BENCH_KB_SIZE [10000] entries; BENCH_CATALOG_SIZE [10000]
products and BENCH_PROMOTIONS [500] promotions imported; BENCH_REQUESTS [480]
requests per level with the template provider (half at concurrency 1); BENCH_LLM_REQUESTS [40] at concurrency 1
with the mocked LLM (x2 at 8, x4 at 32); BENCH_LLM_DELAY_MS [300]; BENCH_SURGE [5000] surge messages at
BENCH_SURGE_CONCURRENCY [32]; BENCH_WARMUP [16] requests before each level; BENCH_PROFILE [1] samples draftdesk
with py-spy during its c8 run; BENCH_OUT [bench] where the results go; BENCH_WORK [a temp dir] the stores.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import kb
from bench.load import ROOT, LoadResult, Server, rss_mb, run_load
from bench.report import derive, markdown
from knowledge.embedders.e5_folder import FOLDER_NAME
from knowledge.embedders.openvino_e5 import bf16_flags

CONCURRENCY = (1, 8, 32)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def environment() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for pkg in ("torch", "sentence-transformers", "openvino", "chromadb", "langchain-core", "langchain-chroma",
                "fastapi", "uvicorn"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {**cpu_info(), "cpu_count": os.cpu_count(), "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
            "python": platform.python_version(), "platform": platform.platform(),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **versions}


def cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    """The CPU's name and its bfloat16 flags as Linux reports them: the runtimes' speeds differ a lot between CPUs
    (an AMD EPYC with AVX512-BF16 and an Intel Xeon with AMX too gave other ratios)."""
    try:
        lines = cpuinfo.read_text().splitlines()
    except OSError:
        lines = []
    name = next((x.partition(":")[2].strip() for x in lines if x.startswith("model name")), "")
    return {"cpu": name or platform.processor() or "?", "cpu_bf16": " ".join(bf16_flags(cpuinfo)) or "none"}


def _profile(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy on the server while its c8 load runs; None when py-spy is missing or may not attach."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return None
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50",
                             "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def scenario(servers: dict[str, Server], sizes: dict[int, int], distinct: list[kb.Query], warmup: int,
             surge: list[kb.Query] | None, profile_to: Path | None, path: str = "/v1/drafts") -> dict[str, Any]:
    """The servers run side by side and take turns at each level (one idles while the other is loaded), so a ratio
    compares measurements a minute apart, not ten: this machine's speed drifts by 10-15 % over a run. The first
    server is draftdesk, the one py-spy samples at c8."""
    figures: dict[str, Any] = {}
    peaks = dict.fromkeys(servers, 0.0)

    def measure(name: str, level: str, queries: list[kb.Query], concurrency: int,
                warmup: list[kb.Query] | None = None) -> None:
        result: LoadResult = run_load(f"{servers[name].base}{path}", queries, concurrency, warmup=warmup or (),
                                      pid=servers[name].pid)
        peaks[name] = max(peaks[name], result.rss_peak_mb)
        summary = result.summary()
        figures.update({f"{name}_{level}_{key}": value for key, value in summary.items()})
        print(f"  {name} {level}: {summary}", flush=True)

    with contextlib.ExitStack() as stack:
        for server in servers.values():
            stack.enter_context(server)
        time.sleep(1)
        for name, server in servers.items():
            figures[f"{name}_rss_rest_mb"] = round(rss_mb(server.pid), 1)
        first = next(iter(servers))
        offset = 0
        for c in CONCURRENCY:  # each level sends messages no earlier level sent; every server the same ones
            for name, server in servers.items():
                spy = _profile(server.pid, 25, profile_to) if profile_to and c == 8 and name == first else None
                measure(name, f"c{c}", distinct[offset:offset + sizes[c]], c, distinct[-warmup:])
                if spy:
                    spy.wait()
            offset += sizes[c]
        for name in servers if surge else ():
            measure(name, "surge", surge or [], _int("BENCH_SURGE_CONCURRENCY", 32))
    for name, peak in peaks.items():
        figures[f"{name}_rss_load_mb"] = round(peak, 1)
    return figures


def main() -> None:
    started = time.perf_counter()
    out = Path(os.environ.get("BENCH_OUT", ROOT / "bench"))
    work = Path(os.environ.get("BENCH_WORK") or tempfile.mkdtemp(prefix="draftdesk-bench-"))
    cache = Path(os.environ.get("DRAFTDESK_MODEL_CACHE_DIR", Path.home() / ".cache" / "draftdesk" / "models"))
    size, requests, llm_requests = _int("BENCH_KB_SIZE", 10_000), _int("BENCH_REQUESTS", 480), \
        _int("BENCH_LLM_REQUESTS", 40)
    warmup = _int("BENCH_WARMUP", 16)
    template_sizes = {1: max(1, requests // 2), 8: requests, 32: requests}
    llm_sizes = {1: llm_requests, 8: 2 * llm_requests, 32: 4 * llm_requests}
    distinct = kb.distinct_queries(max(sum(template_sizes.values()), sum(llm_sizes.values())) + warmup)
    surge = kb.surge_queries(_int("BENCH_SURGE", 5_000))
    figures: dict[str, Any] = {"loadavg_1m_at_start": round(os.getloadavg()[0], 2), "kb_size": size,
                               "requests_per_level": requests, "llm_requests_c1": llm_requests,
                               "llm_delay_ms": _int("BENCH_LLM_DELAY_MS", 300), "surge_messages": len(surge),
                               "surge_distinct_messages": len({q.message for q in surge})}

    print(f"indexing {size} entries (work dir {work})", flush=True)
    subprocess.run([sys.executable, "-m", "bench.indexing", str(work / "indexing.json"), str(work), str(cache),
                    str(size)], cwd=ROOT, check=True)
    figures |= json.loads((work / "indexing.json").read_text())
    print(f"  {json.dumps(figures)}", flush=True)

    products, promotions = _int("BENCH_CATALOG_SIZE", 10_000), _int("BENCH_PROMOTIONS", 500)
    print(f"importing a catalog of {products} products and {promotions} promotions", flush=True)
    subprocess.run([sys.executable, "-m", "bench.catalog", str(work / "catalog.json"), str(work), str(cache),
                    str(products), str(promotions)], cwd=ROOT, check=True)
    catalog = json.loads((work / "catalog.json").read_text())
    figures |= catalog
    print(f"  {json.dumps(catalog)}", flush=True)

    ours_env = {"DRAFTDESK_DATA_DIR": str(work / "ours"), "DRAFTDESK_MODEL_CACHE_DIR": str(cache),
                "DRAFTDESK_LLM": "template",
                "DRAFTDESK_AUTH": "off"}  # the naive app checks no keys either; loopback only
    naive_env = {"BENCH_MODEL_FOLDER": str(cache / FOLDER_NAME), "BENCH_NAIVE_DIR": str(work / "naive"),
                 "BENCH_NAIVE_LLM": "template"}
    profile = work / "profile_c8.txt" if os.environ.get("BENCH_PROFILE", "1") == "1" else None
    with Server("bench.fake_llm:create_app", log=work / "fake_llm.log") as fake:
        llm_url = f"{fake.base}/v1"
        pairs = [
            ({"template": Server("api:create_app", ours_env, work / "ours.log"),
              "naive_template": Server("bench.naive_app:create_app", naive_env, work / "naive.log")},
             template_sizes, surge, profile),
            ({"llm": Server("api:create_app", ours_env | {"DRAFTDESK_LLM": "openai", "DRAFTDESK_LLM_API_KEY": "x",
                                                          "DRAFTDESK_LLM_BASE_URL": llm_url}, work / "ours-llm.log"),
              "naive_llm": Server("bench.naive_app:create_app", naive_env | {"BENCH_NAIVE_LLM": llm_url},
                                  work / "naive-llm.log")},
             llm_sizes, None, None),
        ]
        for servers, sizes, surge_set, profile_to in pairs:
            print(f"serving {' and '.join(servers)}, taking turns", flush=True)
            figures |= scenario(servers, sizes, distinct, warmup, surge_set, profile_to)
    figures["bench_wall_s"] = round(time.perf_counter() - started, 1)
    results = derive(figures) | {"environment": environment()}
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results), encoding="utf-8")
    if profile and profile.exists():
        from bench.profile import summarize

        (out / "profile_c8.md").write_text(summarize(profile), encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
