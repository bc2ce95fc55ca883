"""How E5 runtimes cut a sorted batch into passes: the least padding plus per-call cost, never over the batch size."""

from __future__ import annotations

import itertools
import random

from knowledge.embedders.e5_tokens import groups


def _cost(lengths: list[int], bounds: list[tuple[int, int]], call: int) -> int:
    return sum(call + (end - start) * lengths[end - 1] for start, end in bounds)


def _partitions(n: int) -> list[list[tuple[int, int]]]:
    found = []
    for cuts in itertools.product((False, True), repeat=n - 1):
        edges = [0, *(i + 1 for i, cut in enumerate(cuts) if cut), n]
        found.append(list(itertools.pairwise(edges)))
    return found


def test_the_cuts_cover_every_text_once_in_order_and_cost_least() -> None:
    rng = random.Random(5)
    for _ in range(200):
        lengths = sorted(rng.randint(5, 80) for _ in range(rng.randint(1, 9)))
        batch, call = rng.randint(1, 6), rng.choice((0, 13, 64))
        bounds = groups(lengths, batch, call)
        assert [i for start, end in bounds for i in range(start, end)] == list(range(len(lengths)))
        assert all(0 < end - start <= batch for start, end in bounds)
        cheapest = min(_cost(lengths, p, call) for p in _partitions(len(lengths))
                       if all(end - start <= batch for start, end in p))
        assert _cost(lengths, bounds, call) == cheapest


def test_a_long_message_among_short_ones_gets_a_pass_of_its_own() -> None:
    assert groups([9, 10, 12, 13, 15, 16, 17, 64], 32)[-1] == (7, 8)
    assert groups([14, 15, 15, 16, 16, 17, 17, 64], 32) == [(0, 7), (7, 8)]
    assert groups([15] * 8, 32) == [(0, 8)]  # nothing to pad: one pass
    assert groups([], 32) == []


def test_equal_lengths_fill_passes_up_to_the_batch() -> None:
    bounds = groups([20] * 100, 32)
    assert len(bounds) == 4 and all(end - start <= 32 for start, end in bounds)


def test_a_token_budget_puts_fewer_long_texts_in_a_pass_but_never_none() -> None:
    lengths = [16] * 100 + [256] * 20 + [512] * 3
    bounds = groups(lengths, 64, tokens=2048)
    assert all(end - start <= max(1, 2048 // lengths[end - 1]) for start, end in bounds)
    assert [i for start, end in bounds for i in range(start, end)] == list(range(len(lengths)))
    assert groups([600], 64, tokens=512) == [(0, 1)]  # longer than the budget: a pass of one
    assert groups([16] * 100, 64, tokens=2048) == groups([16] * 100, 64)  # short texts: the batch size decides
