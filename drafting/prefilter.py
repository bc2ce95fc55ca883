"""Which of a rule's patterns can match a text, told without running them.

Every match of most patterns contains one of a few literal strings: `微\\s*信` contains 微 and 信, and
`(给|送)(您|你)` one of 给您, 给你, 送您, 送你. Looking those up with `in` costs a fraction of a regex scan,
and most drafts break most rules nowhere. Patterns without such strings are joined into one alternation and
scanned once. The screen is exact: a pattern it rules out matches nowhere in the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

_MAX_EXACT = 64  # strings a part may expand to (`(a|b)(c|d)` is 4) before it counts as unknown
_Info = tuple[frozenset[str] | None, frozenset[str] | None]  # (every string it matches, one of them is in any match)


class Screen:
    """Built from pattern sources and flags (as `re.compile` takes them), for texts already casefolded."""

    def __init__(self, sources: Sequence[str], flags: int = 0) -> None:
        self.patterns = tuple(re.compile(s, flags) for s in sources)
        literals = [required_literals(s, flags) for s in sources]
        self._literals = tuple(None if lits is None else tuple(sorted({x.lower() for x in lits})) for lits in literals)
        self._rest = alternation([s for s, lits in zip(sources, literals, strict=True) if lits is None], flags)
        chars = {c for lits in literals if lits for lit in lits for c in lit}
        odd = _case_odd(frozenset(chars)) if flags & re.IGNORECASE else frozenset()
        self._odd = re.compile("[" + "".join(re.escape(c) for c in sorted(odd)) + "]") if odd else None

    def candidates(self, text: str) -> list[re.Pattern[str]]:
        """The patterns that may match in `text`; the others match nowhere in it."""
        if self._odd is not None and self._odd.search(text):  # a character `in` would not equate: scan them all
            return list(self.patterns)
        rest = self._rest is None or self._rest.search(text) is not None  # None: they could not be joined, run each
        return [
            pattern for pattern, lits in zip(self.patterns, self._literals, strict=True)
            if (rest if lits is None else any(map(text.__contains__, lits)))
        ]


def alternation(sources: Sequence[str], flags: int = 0) -> re.Pattern[str] | None:
    """One pattern that matches somewhere exactly when one of `sources` does; None where joining them could change
    what they mean (a numbered or named back-reference) or is not allowed (inline global flags)."""
    if not sources or any(re.search(r"\\[1-9]|\(\?P=", s) for s in sources):
        return None
    try:
        return re.compile("|".join(f"(?:{s})" for s in sources), flags)
    except re.error:
        return None


def required_literals(source: str, flags: int = 0) -> frozenset[str] | None:
    """Strings one of which every match of the pattern contains, as the pattern spells them (with `re.I`, in any
    case it allows); None when no such strings are known (a match may be any text, or the pattern is unusual)."""
    try:
        from re import _parser  # type: ignore[attr-defined]  # the stdlib's parser: the tree re.compile builds

        parsed = _parser.parse(source, flags)
        if parsed.state.flags & re.IGNORECASE and not flags & re.IGNORECASE:  # `(?i)` inside: the screen would not know
            return None
        _, required = _sequence(parsed)
    except Exception:  # a pattern or a Python version this reading does not know: no shortcut, never a wrong one
        return None
    return required if required and "" not in required else None


def _sequence(items: Iterable[tuple[Any, Any]]) -> _Info:
    """Consecutive parts with known strings combine (`微` `信` → 微信); of the rest, the longest requirement wins."""
    candidates: list[frozenset[str]] = []
    run: frozenset[str] | None = frozenset({""})
    whole: frozenset[str] | None = frozenset({""})
    for op, arg in items:
        exact, required = _item(str(op), arg)
        if whole is not None:
            whole = _product(whole, exact)
        if exact is not None and run is not None and (grown := _product(run, exact)) is not None:
            run = grown
            continue
        if run is not None:
            candidates.append(run)
        run = exact
        if required is not None:
            candidates.append(required)
    if run is not None:
        candidates.append(run)
    usable = [c for c in candidates if c and "" not in c]
    best = max(usable, key=lambda c: (min(map(len, c)), -len(c)), default=None)
    return whole, best


def _item(op: str, arg: Any) -> _Info:
    if op == "LITERAL":
        return frozenset({chr(arg)}), None
    if op in ("AT", "ASSERT", "ASSERT_NOT"):  # anchors, \b and lookarounds: they consume nothing
        return frozenset({""}), None
    if op == "IN":
        if len(arg) <= 8 and all(str(kind) == "LITERAL" for kind, _ in arg):  # [威薇]: a few characters
            return frozenset(chr(c) for _, c in arg), None
        return None, None
    if op == "SUBPATTERN":
        _group, add_flags, del_flags, sub = arg
        return _sequence(sub) if not (add_flags or del_flags) else (None, None)
    if op == "ATOMIC_GROUP":
        return _sequence(arg)
    if op == "BRANCH":
        infos = [_sequence(alt) for alt in arg[1]]
        exacts = [e for e, _ in infos]
        exact = frozenset(chain.from_iterable(e for e in exacts if e is not None)) \
            if all(e is not None for e in exacts) else None
        reqs = [e if e is not None and "" not in e else r for e, r in infos]
        required = frozenset(chain.from_iterable(r for r in reqs if r)) if all(r for r in reqs) else None
        return (exact if exact is not None and len(exact) <= _MAX_EXACT else None), required
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = arg
        exact, required = _sequence(sub)
        if low == high == 1:
            return exact, required
        if low == 0 and high == 1 and exact is not None:
            return exact | {""}, None
        if low >= 1:
            return None, exact if exact is not None and "" not in exact else required
        return None, None
    return None, None  # any character, a class, a back-reference: unknown


def _product(left: frozenset[str] | None, right: frozenset[str] | None) -> frozenset[str] | None:
    if left is None or right is None or len(left) * len(right) > _MAX_EXACT:
        return None
    return frozenset(a + b for a in left for b in right)


def _case_odd(chars: frozenset[str]) -> frozenset[str]:
    """Characters that `re.I` equates with one of `chars` other than its lower case (ı with i, K with k, upper
    case): a text holding one may match where a lower-case `in` finds nothing. Uncased characters (Chinese, digits)
    match only themselves."""
    return frozenset(x for c in chars if c.lower() != c.upper() for x in _case_class(c) if x != c.lower())


@functools.cache
def _case_class(char: str) -> tuple[str, ...]:
    """What `re.I` itself equates with a cased character, not a table of our own."""
    return tuple(re.findall(re.escape(char), _cased(), re.IGNORECASE))


@functools.cache
def _cased() -> str:
    """Every character with another case: only these can be equated with a cased character."""
    return "".join(c for c in map(chr, range(0x110000)) if c.lower() != c or c.upper() != c)
