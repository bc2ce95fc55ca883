"""The naive baseline, built as LangChain's RAG tutorials build it: one langchain-chroma vector store opened at
start-up with the same embedding model, and a retriever | prompt | LLM chain invoked per request behind a plain
FastAPI endpoint. No caching, batching, thresholds, intents or compliance checks.

Run: `python -m uvicorn --factory bench.naive_app:create_app` with BENCH_NAIVE_DIR (a store `bench.indexing`
filled), BENCH_MODEL_FOLDER, and BENCH_NAIVE_LLM=template (format the top document) or the base URL of an
OpenAI-compatible server (ChatOpenAI, as in the tutorials).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from pydantic import BaseModel, SecretStr

COLLECTION = "naive-kb"
PROMPT = ChatPromptTemplate.from_messages([
    ("system", "You are a customer-service agent. Answer the buyer using only this context:\n\n{context}"),
    ("human", "{question}"),
])


class E5Embeddings(Embeddings):
    """A LangChain `Embeddings` over the sentence-transformers folder draftdesk builds (same model, same prompts)."""

    def __init__(self, folder: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(folder, device="cpu", local_files_only=True)
        self._batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, "passage")

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], "query")[0]

    def _encode(self, texts: Sequence[str], prompt: str) -> list[list[float]]:
        vectors = self._model.encode(list(texts), prompt_name=prompt, batch_size=self._batch_size,
                                     normalize_embeddings=True, show_progress_bar=False)
        return [v.tolist() for v in vectors]


def open_store(folder: str, persist_dir: str, embeddings: Embeddings | None = None) -> Any:
    from langchain_chroma import Chroma

    return Chroma(collection_name=COLLECTION, embedding_function=embeddings or E5Embeddings(folder),
                  persist_directory=persist_dir, collection_metadata={"hnsw:space": "cosine"})


def _format_docs(docs: list[Document]) -> str:
    return "\n\n".join(d.page_content for d in docs)


def _top_doc_reply(prompt_value: Any) -> str:
    """The offline 'LLM': the first context document, as a template drafter would quote it."""
    system = prompt_value.to_messages()[0].content
    context = system.split("\n\n", 1)[1] if "\n\n" in system else system
    return "Dear customer, " + context.split("\n\n", 1)[0]


def build_chain(store: Any, llm: str) -> Runnable[Any, str]:
    retriever = store.as_retriever(search_kwargs={"k": 4})
    if llm == "template":
        model: Runnable[Any, Any] = RunnableLambda(_top_doc_reply)
    else:
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(model="fake", base_url=llm, api_key=SecretStr("not-needed"), timeout=20,
                           max_retries=2)
    return {"context": retriever | _format_docs, "question": RunnablePassthrough()} | PROMPT | model | StrOutputParser()


class Ask(BaseModel):
    message: str
    platform: str = "taobao"


def create_app() -> FastAPI:
    store = open_store(os.environ["BENCH_MODEL_FOLDER"], os.environ["BENCH_NAIVE_DIR"])  # once, at start-up
    chain = build_chain(store, os.environ.get("BENCH_NAIVE_LLM", "template"))
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/drafts")
    def draft(body: Ask) -> dict[str, str]:
        return {"draft": chain.invoke(body.message)}

    return app
