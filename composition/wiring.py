"""Build the whole object graph from settings, once; the API lifespan and the CLI both call this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from catalog.facts import CatalogFacts
from catalog.matching import ProductIndex
from catalog.resolve import Matching, Resolver
from catalog.service import Catalog
from composition.llm import build_chat_model
from composition.settings import Settings
from composition.shops import Shop, Shops
from core.shop_ids import collection_name
from drafting.answerability import Answerability, load_answerability
from drafting.authority import load_authority
from drafting.calendar import ShopCalendar, load_calendar
from drafting.escalation import Escalator, load_escalation_rules
from drafting.intent import IntentClassifier, load_intent_rules
from drafting.labeling import EntryLabeler
from drafting.llm import CircuitBreaker
from drafting.macros import Macros, load_macros
from drafting.playbooks import PlaybookMatcher, load_playbooks
from drafting.policy import PolicyChecker, load_rules
from drafting.presale import PresaleDesk
from drafting.presale_kinds import KindFinder
from drafting.presale_rules import load_presale_rules
from drafting.question_types import QuestionTypes, load_question_types
from drafting.service import DraftService
from drafting.situations import load_situations
from drafting.writers import ModelWriter, TemplateWriter, Writer
from drafting.written import WrittenReplies
from knowledge.announcements import Announcements
from knowledge.chroma import open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.embedders import Embedder, LazyEmbedder, embedder_model_id, load_embedder
from knowledge.embedders.cache import CachedEmbedder
from knowledge.indexing import Indexer
from knowledge.kbversion import KbVersion
from knowledge.retrieval import Retriever
from knowledge.service import KnowledgeBase
from knowledge.versions import KnowledgeVersions
from records.audit import AuditLog
from records.history import DraftLog, open_engine
from records.keys import KeyStore
from records.sessions import ConsoleSessions
from records.version_audit import VersionAudit


@dataclass
class Components:
    settings: Settings
    embedder: Embedder
    shops: Shops
    clock: Callable[[], datetime]
    calendar: ShopCalendar
    macros: Macros
    history: DraftLog
    keys: KeyStore
    audit: AuditLog
    sessions: ConsoleSessions

    def close(self) -> None:
        """The database connections (drafts, keys and audit share one engine)."""
        self.history.close()


def _now() -> datetime:
    return datetime.now(UTC)


def build_components(
    settings: Settings, embedder: Embedder | None = None, *, clock: Callable[[], datetime] | None = None,
    warm: bool = False,
) -> Components:
    """`embedder` may be passed in (tests, or a process that already loaded one); otherwise the model loads when
    something is first embedded, so that a command that only lists or deletes never loads it. `clock` tells every
    part what time it is (tests move it to check what expires). `warm` (the API) loads the model at once and reads
    each shop's record metadata into memory as the shop opens, so that drafts read none from chroma
    (`ChromaStore.warm`; ~1.5 s for 10,000 entries)."""
    clock = clock or _now
    chat = build_chat_model(settings)  # fail on bad LLM config before loading anything heavy
    if chat is not None:  # a down model then costs one fast failure per draft, not a timeout and retries
        chat = CircuitBreaker(chat, failures=settings.llm_breaker_failures, reset_s=settings.llm_breaker_reset_s)
    intent_rules = load_intent_rules()  # and on a bad rules file
    authority = load_authority(settings.authority_rules)
    policy = PolicyChecker(load_rules(settings.compliance_rules), authority)
    escalator = Escalator(load_escalation_rules(settings.escalation_rules), authority)
    situations = load_situations(settings.situation_rules)
    type_rules = load_question_types(settings.question_type_rules)
    types = QuestionTypes(type_rules)
    answerability = Answerability(load_answerability(settings.answerability_rules), types)
    playbooks = PlaybookMatcher(load_playbooks(settings.playbook_rules), authority)
    presale_rules = load_presale_rules(settings.presale_rules)
    matching = Matching(presale_rules.match.floor, presale_rules.match.margin, presale_rules.match.ask_at_most)
    calendar = ShopCalendar(load_calendar(settings.calendar))
    macros = Macros(load_macros(intent_rules=intent_rules), timezone=calendar.timezone)
    embedder = CachedEmbedder(embedder or LazyEmbedder(
        lambda: load_embedder(settings.embedder, settings.model_cache_dir),
        model_id=embedder_model_id(settings.embedder)))
    client = open_chroma_client(
        data_dir=None if settings.chroma_host else settings.chroma_dir,
        host=settings.chroma_host, port=settings.chroma_port,
    )
    engine = open_engine(settings.database)
    retention = timedelta(days=settings.audit_retention_days) if settings.audit_retention_days else None
    audit = AuditLog(engine, clock, retention)  # each shop's knowledge changes are audited as they are recorded
    facts = CatalogFacts(engine, clock)  # every worker reads the same catalog
    intents = IntentClassifier(embedder, intent_rules)
    kinds = KindFinder(embedder, presale_rules)  # one for every shop: the examples embed once
    labeler = EntryLabeler(intents, intent_rules, type_rules, embedder.model_id)
    writer: Writer = TemplateWriter() if chat is None else \
        ModelWriter(chat, policy, authority, shop_name=settings.shop_name)
    if warm:
        intents.prepare()  # loads the model now: a server is ready to draft, or does not start

    def build_shop(name: str) -> Shop:
        collection = collection_name(settings.collection, name)
        store = ChromaStore(client, collection, embedder.model_id, records=settings.remembered_records,
                            exact=settings.chroma_host is None)  # a server's other workers write to it too
        if warm:
            store.warm()
        retriever = Retriever(embedder, store, thresholds=settings.thresholds, top_k=settings.top_k)
        indexer = Indexer(embedder, store, labeler=labeler)
        versions = KnowledgeVersions(store, indexer, settings.data_dir / "kb_versions" / collection,
                                     audit=VersionAudit(audit, name))
        versions.recover()  # a change a crash cut short is finished before the shop serves anything
        announcements = Announcements(store, indexer, intents=intent_rules.intents.keys(), versions=versions)
        catalog = Catalog(facts, ProductIndex(client, f"{collection}.catalog", embedder), name)
        presale = PresaleDesk(presale_rules, catalog, Resolver(catalog, embedder, matching), kinds, calendar.local)
        drafts = DraftService(
            retriever, writer=writer, clock=clock, intents=intents, policy=policy, authority=authority,
            escalator=escalator, situations=situations, notices=announcements, calendar=calendar, macros=macros,
            answerability=answerability, playbooks=playbooks, types=types, presale=presale,
        )
        knowledge = KnowledgeBase(store, indexer, versions, max_rows=settings.max_upload_rows)
        written = WrittenReplies(policy, intents, timezone=calendar.timezone)
        return Shop(name, store, knowledge, announcements, versions, drafts, KbVersion(versions, store), written,
                    catalog)

    shops = Shops(build_shop)
    shops.get()  # the default shop opens now: a store that cannot be opened fails the start, not a request
    keys = KeyStore(engine, clock)
    return Components(settings, embedder, shops, clock, calendar, macros, DraftLog(engine, clock), keys,
                      audit, ConsoleSessions(engine, keys, clock))
