"""The circuit breaker around a chat model: closed, open (fail fast), half-open (one trial), on a fake clock."""

from __future__ import annotations

import pytest

from drafting.llm import CircuitBreaker, UpstreamError
from tests.fakes import ScriptedChatModel


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(*script: str | Exception, failures: int = 3, reset_s: float = 30.0) -> tuple[CircuitBreaker, Clock,
                                                                                         ScriptedChatModel]:
    clock = Clock()
    model = ScriptedChatModel(*script)
    return CircuitBreaker(model, failures=failures, reset_s=reset_s, clock=clock), clock, model


def fail(chat: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(UpstreamError):
            chat.complete("s", "u")


def test_closed_passes_calls_and_the_name_through() -> None:
    chat, _, model = breaker("one", "two")

    assert (chat.complete("s", "u"), chat.complete("s", "u")) == ("one", "two")
    assert chat.name == "scripted:test" and chat.state == "closed" and len(model.prompts) == 2


def test_opens_after_consecutive_failures_and_then_fails_fast() -> None:
    chat, _, model = breaker(*[UpstreamError("boom")] * 3, "never reached")

    fail(chat, 2)
    assert chat.state == "closed"
    fail(chat, 1)
    assert chat.state == "open"

    with pytest.raises(UpstreamError, match=r"circuit open for scripted:test after 3 consecutive failures"):
        chat.complete("s", "u")
    assert len(model.prompts) == 3  # the open circuit did not call the model


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    chat, _, _ = breaker(UpstreamError("a"), UpstreamError("b"), "ok", UpstreamError("c"), UpstreamError("d"), "ok")

    fail(chat, 2)
    assert chat.complete("s", "u") == "ok"
    fail(chat, 2)
    assert chat.state == "closed"


def test_half_open_after_the_reset_time_one_successful_trial_closes_it() -> None:
    chat, clock, model = breaker(*[UpstreamError("down")] * 3, "back", "again")
    fail(chat, 3)

    clock.now += 29.9
    assert chat.state == "open"
    fail(chat, 1)
    assert len(model.prompts) == 3
    clock.now += 0.1
    assert chat.state == "half_open"

    assert chat.complete("s", "u") == "back"
    assert chat.state == "closed"
    assert chat.complete("s", "u") == "again"


def test_a_failed_trial_opens_it_again_for_another_reset_time() -> None:
    chat, clock, model = breaker(*[UpstreamError("down")] * 4, "back")
    fail(chat, 3)
    clock.now += 30

    fail(chat, 1)  # the trial
    assert chat.state == "open" and len(model.prompts) == 4
    clock.now += 15
    fail(chat, 1)
    assert len(model.prompts) == 4  # still failing fast
    clock.now += 15
    assert chat.complete("s", "u") == "back"


def test_only_one_trial_at_a_time_while_half_open() -> None:
    chat, clock, _ = breaker(*[UpstreamError("down")] * 3, failures=3)
    fail(chat, 3)
    clock.now += 30

    assert chat._admit() is True  # the trial is under way (admitted, not yet finished)
    with pytest.raises(UpstreamError, match="circuit open"):
        chat.complete("s", "u")


def test_errors_that_are_not_the_models_fault_do_not_count() -> None:
    chat, _, _ = breaker(*[RuntimeError("bug in a callback")] * 3)

    for _ in range(3):
        with pytest.raises(RuntimeError):
            chat.complete("s", "u")
    assert chat.state == "closed"


def test_failures_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CircuitBreaker(ScriptedChatModel(), failures=0)
