"""The benchmark's pieces on a tiny scale: KB and queries, percentiles, indexing figures, the catalog import, a load
run, the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from bench import kb
from bench.catalog import generate_products, generate_promotions, with_new_facts
from bench.catalog import measure as measure_catalog
from bench.indexing import index_draftdesk, index_naive
from bench.load import Server, free_port, percentile, run_load
from bench.report import REQUIRED, derive, markdown
from bench.run import cpu_info
from tests.fakes import HashingEmbedder


@pytest.fixture(scope="module")
def bases() -> list[kb.Entry]:
    return kb.base_entries()


@pytest.fixture(scope="module")
def catalog_figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """30 products and 5 promotions imported, again unchanged, and again with 3 products' price and stock changed."""
    products = generate_products(30)
    embedder = HashingEmbedder()
    figures = measure_catalog(products, generate_promotions(5, [p.sku for p in products]),
                              tmp_path_factory.mktemp("catalog"), embedder)
    assert embedder.embedded == 1 + 30  # the warm-up, then each product once: the re-imports embedded nothing
    return figures


def test_kb_and_queries_are_deterministic(bases: list[kb.Entry]) -> None:
    first = kb.generate_kb(60, bases=bases)
    assert first == kb.generate_kb(60, bases=bases)
    assert len({e.key for e in first}) == 60
    assert {e.locale for e in first} == {"zh", "en"}
    distinct = kb.distinct_queries(30, bases=bases)
    assert len({q.message for q in distinct}) == 30
    surge = kb.surge_queries(200, bases=bases)
    assert surge == kb.surge_queries(200, bases=bases)
    seeds = {q.message for q in kb.distinct_queries(10, seed=14, bases=bases)}  # surge_queries(seed=13) uses these
    near = sum(any(s in q.message for s in seeds) for q in surge)
    assert near >= 160  # mostly near-duplicates of a few questions


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_failed_requests_are_counted_by_kind(bases: list[kb.Entry]) -> None:
    queries = kb.distinct_queries(3, bases=bases)
    with Server("bench.fake_llm:create_app", {"BENCH_LLM_DELAY_MS": "0"}) as fake:
        missing = run_load(f"{fake.base}/no-such-route", queries, 2).summary()
    refused = run_load(f"http://127.0.0.1:{free_port()}/v1/drafts", queries[:2], 2).summary()

    assert (missing["errors"], missing["requests"], missing["error_kinds"]) == (3, 3, "404 x3")
    assert (refused["errors"], refused["error_kinds"]) == (2, "ClientConnectorError x2")


def test_the_catalog_is_deterministic_and_valid() -> None:
    products = generate_products(30)
    assert products == generate_products(30)
    skus = {p.sku for p in products}
    assert len(skus) == len({p.title for p in products}) == len({p.title_en for p in products}) == 30
    assert sum(bool(p.bulk_tiers) for p in products) == 10
    assert any(p.size_chart for p in products) and any("材质" in p.attributes for p in products)
    assert all(set(p.alternatives) <= skus - {p.sku} for p in products)
    promotions = generate_promotions(5, sorted(skus))
    assert promotions == generate_promotions(5, sorted(skus))
    assert {p.mechanics.type for p in promotions} == {"threshold", "percent_off", "presale", "gift"}
    assert all(p.skus == "all" or set(p.skus) <= skus for p in promotions)
    changed = with_new_facts(products)
    assert sum(a != b for a, b in zip(products, changed, strict=True)) == 3
    assert all(a.title == b.title and a.attributes == b.attributes for a, b in zip(products, changed, strict=True))


def test_the_catalog_import_embeds_only_new_words(catalog_figures: dict[str, object]) -> None:
    assert catalog_figures["catalog_products"] == catalog_figures["catalog_import_embedded"] == 30
    assert catalog_figures["catalog_import_added"] == catalog_figures["catalog_reimport_unchanged_count"] == 30
    assert catalog_figures["catalog_reimport_unchanged_embedded"] == 0
    assert catalog_figures["catalog_reimport_facts_updated"] == 3  # facts changed, so SQL rewrote them ...
    assert catalog_figures["catalog_reimport_facts_embedded"] == 0  # ... but their words did not: nothing embedded


def test_the_catalog_target_is_checked() -> None:
    figures = {"kb_size": 10, "template_c1_p50_ms": 1.0, "template_c8_p95_ms": 1.0, "index_rate_per_s": 1.0,
               "reindex_unchanged_s": 0.1, "reindex_unchanged_embedded": 0, "catalog_import_s": 9.0,
               "catalog_import_embedded": 100, "catalog_reimport_facts_embedded": 0}
    assert derive(figures | {"catalog_reimport_unchanged_s": 0.9, "catalog_reimport_unchanged_embedded": 0}
                  )["catalog_unchanged_target_met"] is True
    slow = derive(figures | {"catalog_reimport_unchanged_s": 1.2, "catalog_reimport_unchanged_embedded": 0})
    assert slow["catalog_unchanged_target_met"] is False
    assert "**FAIL**" in markdown(slow | {"environment": {}})
    assert derive(figures | {"catalog_reimport_unchanged_s": 0.2, "catalog_reimport_unchanged_embedded": 1}
                  )["catalog_unchanged_target_met"] is False


def test_mini_run_reports_every_required_key(tmp_path: Path, bases: list[kb.Entry],
                                             catalog_figures: dict[str, object]) -> None:
    entries = kb.generate_kb(50, bases=bases)
    figures = index_draftdesk(entries, tmp_path / "ours", HashingEmbedder()) | catalog_figures
    assert figures["reindex_unchanged_embedded"] == 0
    assert figures["index_embedded"] > 0
    figures |= index_naive(entries, tmp_path / "naive", DeterministicFakeEmbedding(size=32))
    with Server("bench.fake_llm:create_app", {"BENCH_LLM_DELAY_MS": "20"}) as fake:
        result = run_load(f"{fake.base}/v1/chat/completions", kb.distinct_queries(12, bases=bases), 4,
                          pid=fake.pid)
    summary = result.summary()
    assert summary["errors"] == 0 and summary["requests"] == 12
    assert summary["p50_ms"] >= 20 and summary["rss_peak_mb"] > 0
    for name in ("template", "naive_template"):  # the fake server stands in for both apps here
        for level in ("c1", "c8", "c32", "surge"):
            figures |= {f"{name}_{level}_{k}": v for k, v in summary.items()}
    results = derive(figures) | {"environment": {"cpu_count": 2}}
    assert set(REQUIRED) <= set(results)
    assert results["c1_p50_ratio_vs_naive"] == 1.0
    assert results["catalog_unchanged_target_met"] is True  # 30 products re-import in well under a second
    report = markdown(results)
    assert "| draftdesk, template provider | 8 |" in report
    assert "## Catalog import" in report
    assert "| again, unchanged | " in report and "embeds 0 in ≤ 1 s: **pass**" in report
    assert "| again, price and stock of 3 products changed | " in report


def test_servers_take_turns_at_each_level(monkeypatch: pytest.MonkeyPatch, bases: list[kb.Entry]) -> None:
    from bench import run

    sent: list[tuple[str, int, tuple[str, ...]]] = []
    real = run.run_load

    def recording(url: str, queries: list[kb.Query], concurrency: int, **kwargs: object) -> object:
        sent.append((url, concurrency, tuple(q.message for q in queries)))
        return real(url, queries, concurrency, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "run_load", recording)
    monkeypatch.setenv("BENCH_SURGE_CONCURRENCY", "2")
    servers = {name: Server("bench.fake_llm:create_app", {"BENCH_LLM_DELAY_MS": "0"}) for name in ("ours", "naive")}
    distinct = kb.distinct_queries(12, bases=bases)
    surge = kb.surge_queries(6, bases=bases)
    figures = run.scenario(servers, {1: 2, 8: 3, 32: 3}, distinct, 2, surge, None, path="/v1/chat/completions")

    bases_by_url = {servers["ours"].base: "ours", servers["naive"].base: "naive"}
    order = [(bases_by_url[url.removesuffix("/v1/chat/completions")], c) for url, c, _ in sent]
    assert order == [("ours", 1), ("naive", 1), ("ours", 8), ("naive", 8), ("ours", 32), ("naive", 32),
                     ("ours", 2), ("naive", 2)]
    for ours, naive in zip(sent[::2], sent[1::2], strict=True):
        assert ours[2] == naive[2]  # the same messages at each level
    assert len({m for _, _, msgs in sent[:6] for m in msgs}) == 8  # no level repeats an earlier level's messages
    for name in servers:
        assert figures[f"{name}_c8_requests"] == 3 and figures[f"{name}_c8_errors"] == 0
        assert figures[f"{name}_surge_requests"] == 6
        assert figures[f"{name}_rss_rest_mb"] > 0 and figures[f"{name}_rss_load_mb"] > 0
    assert all(s.proc is not None and s.proc.poll() is not None for s in servers.values())  # both stopped


def test_the_environment_names_the_cpu_and_its_bfloat16(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu avx512_bf16 amx_bf16\n")
    assert cpu_info(info) == {"cpu": "Intel(R) Xeon(R) Processor", "cpu_bf16": "avx512_bf16 amx_bf16"}
    info.write_text("model name\t: AMD EPYC\nflags\t\t: fpu avx2\n")
    assert cpu_info(info) == {"cpu": "AMD EPYC", "cpu_bf16": "none"}


def test_the_throughput_ratio_is_the_targets_eight_clients() -> None:
    figures = {"template_c1_rps": 60.0, "template_c8_rps": 120.0, "template_c32_rps": 180.0,
               "naive_template_c1_rps": 30.0, "naive_template_c8_rps": 40.0, "naive_template_c32_rps": 30.0,
               "kb_size": 10, "template_c1_p50_ms": 1.0, "template_c8_p95_ms": 1.0, "index_rate_per_s": 1.0,
               "reindex_unchanged_s": 0.1, "reindex_unchanged_embedded": 0, "catalog_import_s": 1.0,
               "catalog_import_embedded": 1, "catalog_reimport_unchanged_s": 0.1,
               "catalog_reimport_unchanged_embedded": 0, "catalog_reimport_facts_embedded": 0}
    results = derive(figures)
    assert results["throughput_ratio_vs_naive"] == results["c8_rps_ratio_vs_naive"] == 3.0
    assert results["c32_rps_ratio_vs_naive"] == 6.0
    assert "| throughput, c8 | 3 |" in markdown(results | {"environment": {}})
