"""Settings from the environment (DRAFTDESK_*), flags and tests; one object, passed to whoever needs it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.embedders import DEFAULT_EMBEDDER
from knowledge.store import RECORDS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRAFTDESK_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("draftdesk")))
    model_cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("draftdesk")) / "models")
    embedder: str = DEFAULT_EMBEDDER
    collection: str = "draftdesk-kb"
    chroma_host: str | None = None  # set to use a Chroma server instead of the embedded store
    chroma_port: int = 8000
    database_url: str | None = None  # the draft log; default sqlite:///<data_dir>/draftdesk.db
    gap_similarity: float = Field(default=0.9, ge=-1.0, le=1.0)  # cosine at which unanswered questions group
    remembered_records: int = Field(default=RECORDS, ge=0)  # per shop: records whose metadata the API keeps in memory

    shop_name: str = "晴川家居 Qingchuan Home"
    compliance_rules: Path | None = None  # a team's own compliance.yaml instead of drafting/rules/compliance.yaml
    authority_rules: Path | None = None  # ... authority.yaml: what each agent role may give
    escalation_rules: Path | None = None  # ... escalation.yaml: when a colleague must take over
    situation_rules: Path | None = None  # ... situations.yaml: which answer each order state calls for
    calendar: Path | None = None  # ... calendar.yaml: service hours, closures, carrier stops
    question_type_rules: Path | None = None  # ... question_types.yaml: finer question types than intents
    answerability_rules: Path | None = None  # ... answerability.yaml: when an entry may answer a message
    playbook_rules: Path | None = None  # ... playbooks.yaml: scripted answers no FAQ gives
    presale_rules: Path | None = None  # ... presale.yaml: pre-sale questions the catalog answers
    runs_dir: Path = Path("runs")  # eval runs (`draftdesk eval run --out runs/<name>`) the web console's QA view lists
    top_k: int = Field(default=8, ge=1, le=20)  # candidates answerability may choose among
    threshold_zh: float = Field(default=0.91, ge=-1.0, le=1.0)
    threshold_en: float = Field(default=0.88, ge=-1.0, le=1.0)

    rate_limit_per_minute: int = Field(default=600, ge=0)  # per API key; 0: no limit
    max_body_bytes: int = Field(default=12 * 1024 * 1024, ge=1024)  # any request (uploads are capped at 10 MiB)
    max_upload_rows: int = Field(default=50_000, ge=1)  # entries in one upload or JSON index request
    auth: Literal["on", "off"] = "on"  # off: no API keys checked; the app then refuses a non-loopback `host`
    host: str = "127.0.0.1"  # the interface the server binds (`draftdesk serve --host`)
    trust_proxy: bool = False  # believe X-Forwarded-Proto/-For (one proxy in front): Secure cookie, client address
    audit_retention_days: int = Field(default=90, ge=0)  # audit rows older than this are dropped; 0: kept for ever
    audit_refusal_window_s: int = Field(default=60, ge=1)  # refusals without a valid key: one row per source per window
    first_key_file: Path | None = None  # `draftdesk serve` writes the first admin key here (0600), not to stderr
    llm: str = "template"  # template | openai | deepseek | qwen | vllm | ollama
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout_s: float = Field(default=20.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=5)
    llm_temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    llm_deadline_s: float = Field(default=30.0, gt=0)  # one whole completion, retries and streaming included
    llm_breaker_failures: int = Field(default=5, ge=1)  # consecutive failures that open the circuit breaker
    llm_breaker_reset_s: float = Field(default=30.0, gt=0)  # how long it stays open before one trial call
    log_format: Literal["json", "text"] = "json"  # how `draftdesk serve` writes its logs

    @property
    def thresholds(self) -> dict[str, float]:
        return {"zh": self.threshold_zh, "en": self.threshold_en}

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'draftdesk.db'}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
