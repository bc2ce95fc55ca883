"""Indexing figures: draftdesk's Indexer on the generated KB (then again, unchanged) and LangChain's `add_texts`
on the same entries. Run as `python -m bench.indexing OUT.json` so the model's memory leaves with the process."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import kb
from knowledge.chroma import open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.embedders import DEFAULT_EMBEDDER, Embedder, load_embedder
from knowledge.embedders.e5_folder import ensure_e5_folder
from knowledge.indexing import Indexer
from knowledge.models import Entry

COLLECTION = "draftdesk-kb"  # composition.settings.Settings().collection: the servers open what is indexed here


def index_draftdesk(entries: list[Entry], data_dir: Path, embedder: Embedder) -> dict[str, Any]:
    store = ChromaStore(open_chroma_client(data_dir / "chroma"), COLLECTION, embedder.model_id)
    indexer = Indexer(embedder, store)
    embedder.embed_passages(["warm-up"])  # a runtime loaded on first use loads before the clock, as naive's does
    started = time.perf_counter()
    first = indexer.index(entries)
    took = time.perf_counter() - started
    started = time.perf_counter()
    again = indexer.index(entries)
    return {
        "kb_size": len(entries), "index_s": round(took, 2), "index_rate_per_s": round(len(entries) / took, 1),
        "index_embedded": first.embedded, "index_added": first.added,
        "reindex_unchanged_s": round(time.perf_counter() - started, 3),
        "reindex_unchanged_embedded": again.embedded, "reindex_unchanged_count": again.unchanged,
    }


def index_naive(entries: list[Entry], persist_dir: Path, embeddings: Any) -> dict[str, Any]:
    from bench.naive_app import open_store

    store = open_store("", str(persist_dir), embeddings)
    texts, metas, ids = kb.naive_documents(entries)
    started = time.perf_counter()
    for n in range(0, len(texts), 5000):  # chroma caps one write at ~5,461 records
        store.add_texts(texts[n:n + 5000], metadatas=metas[n:n + 5000], ids=ids[n:n + 5000])
    took = time.perf_counter() - started
    return {"naive_index_s": round(took, 2), "naive_index_rate_per_s": round(len(entries) / took, 1),
            "naive_index_embedded": len(texts)}


def main(out: Path, work: Path, model_cache: Path, size: int) -> None:
    from bench.naive_app import E5Embeddings

    entries = kb.generate_kb(size)
    embedder = load_embedder(DEFAULT_EMBEDDER, model_cache)
    figures = index_draftdesk(entries, work / "ours", embedder)
    del embedder
    figures |= index_naive(entries, work / "naive", E5Embeddings(str(ensure_e5_folder(model_cache))))
    out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
