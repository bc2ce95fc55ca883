"""Where draftdesk's time goes: py-spy's raw (collapsed) stacks from the c8 run, as inclusive shares per function."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def summarize(raw: Path, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = {f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0] + ")" for f in stack.split(";") if f}
        for frame in frames:
            inclusive[frame] += n
    busy = total - sum(n for f, n in inclusive.items() if f.startswith(("_worker", "wait (", "select (")))
    lines = [f"# py-spy, draftdesk (template provider) during the c8 run: {total} samples", "",
             "| inclusive % of samples | function (file) |", "|---:|---|"]
    lines += [f"| {100 * n / max(total, 1):.1f} | `{f}` |" for f, n in inclusive.most_common(top)]
    return "\n".join(lines) + f"\n\n(non-idle samples, roughly: {busy})\n"


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
