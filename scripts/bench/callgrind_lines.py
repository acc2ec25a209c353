#!/usr/bin/env python3
"""The code an echo runs for every message: from a callgrind dump made with
--dump-instr=yes, the instructions executed at least THRESHOLD times per message, and the
distinct 64-byte cache lines and 4 KiB pages they lie in, per object file. With one message
per wake-up (1 × 20 B) a server's user CPU follows this footprint more closely than its
instruction count: after each syscall the code it runs is fetched again.

    python3 scripts/bench/callgrind_lines.py DUMP MSGS [THRESHOLD] [--functions]

THRESHOLD (0.9) is in executions per message; --functions adds the hot lines per function.
echo_callgrind.sh runs this itself with LINES=1.
"""

import re
import sys
from collections import Counter, defaultdict

LINE = 64
PAGE = 4096

# "ob=(3) /lib/libc.so.6" names object 3 (later just "ob=(3)"); "cob=", "cfn=" name the
# callee of the "calls=" line that follows, and are not where costs go.
NAME = re.compile(r"^(ob|cob|fn|cfn|fl|fi|fe|cfi|cfl)=(?:\((\d+)\))? ?(.*)$")


def subposition(text, last):
    """One position column: absolute (hex or decimal), +/- relative to the last, or "*"."""
    if text == "*":
        return last
    if text[0] in "+-":
        step = int(text[1:], 0)
        return last + step if text[0] == "+" else last - step
    return int(text, 0)


def instruction_counts(lines):
    """{(object, function, address): executions} from a dump's lines (positions: instr ...,
    first event Ir). The cost line after "calls=" is the call's inclusive cost: skipped, but
    it still moves the position the next relative one is taken from."""
    names = {"ob": {}, "fn": {}}
    obj = fn = None
    last = 0
    after_call = False
    counts = Counter()
    for line in lines:
        line = line.rstrip("\n")
        if not line or line[0] == "#":
            continue
        m = NAME.match(line)
        if m:
            kind, ident, name = m.groups()
            table = names.get(kind.lstrip("c"))
            if table is None:
                continue
            if ident is not None and name:
                table[ident] = name
            value = table.get(ident, name) if ident is not None else name
            if kind == "ob":
                obj = value
            elif kind == "fn":
                fn = value
            continue
        if line.startswith("calls="):
            after_call = True
            continue
        if line.startswith("positions:") and line.split()[1:2] != ["instr"]:
            raise ValueError("the dump has no instruction positions: run with --dump-instr=yes")
        if line[0] not in "0123456789+-*":
            continue
        cols = line.split()
        last = subposition(cols[0], last)
        if after_call:
            after_call = False
            continue
        # The columns after the positions are the events; Ir is the first.
        if len(cols) >= 3:
            counts[(obj, fn, last)] += int(cols[2])
    return counts


def footprint(counts, msgs, threshold=0.9):
    """Per object: (hot instructions, distinct lines, distinct pages), and per function its
    distinct lines, for instructions run at least `threshold` times per message."""
    instrs = Counter()
    lines = defaultdict(set)
    pages = defaultdict(set)
    by_fn = defaultdict(set)
    for (obj, fn, addr), n in counts.items():
        if n < threshold * msgs:
            continue
        instrs[obj] += 1
        lines[obj].add(addr // LINE)
        pages[obj].add(addr // PAGE)
        by_fn[(obj, fn)].add(addr // LINE)
    objects = {obj: (instrs[obj], len(lines[obj]), len(pages[obj])) for obj in instrs}
    return objects, {key: len(ls) for key, ls in by_fn.items()}


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    path, msgs = args[0], int(args[1])
    threshold = float(args[2]) if len(args) > 2 else 0.9
    with open(path) as f:
        objects, by_fn = footprint(instruction_counts(f), msgs, threshold)
    for obj, (n, ls, ps) in sorted(objects.items(), key=lambda kv: -kv[1][1]):
        print(f"{ls:6d} lines {ps:4d} pages {n:6d} instructions  {obj}")
    total = [sum(v[i] for v in objects.values()) for i in range(3)]
    print(f"hot_instructions={total[0]} hot_lines={total[1]} hot_pages={total[2]}")
    if "--functions" in argv:
        for (obj, fn), ls in sorted(by_fn.items(), key=lambda kv: -kv[1]):
            print(f"{ls:6d} lines  {fn}")


if __name__ == "__main__":
    main(sys.argv[1:])
