#!/usr/bin/env python3
"""Code size and worst-case stack of a 32-bit little-endian ARM ELF, with no dependencies.

    elfsize.py size ELF                 .text + .rodata (bytes), as `size -A` reports them
    elfsize.py top ELF [BASE] [-n N]    largest symbols, and bytes per crate; with BASE
                                        (the empty program) symbols also in BASE are left out
    elfsize.py stack ELF [-v]           worst-case stack from the entry point
    elfsize.py files ELF [BASE]         .text bytes per source file, inlined code included
                                        (needs debug info: build with debug = 2)

`stack` takes each function's frame from the `.stack_sizes` section (present when built with
`-Z emit-stack-sizes`), else from its prologue (push / vpush / sub sp), and walks the call
graph read from `llvm-objdump -d` (set OBJDUMP to choose the binary): `bl`/`blx` add the
callee's depth to the caller's frame, a branch to another function's start is a tail call
(the caller's frame is already popped), and `blx rN` may reach any function whose address
is stored somewhere in the image. Recursion is reported (the figure is then a lower bound).
"""

import os
import re
import struct
import subprocess
import sys
from collections import defaultdict


# ---------------------------------------------------------------------------------------- ELF


class Elf:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 1 or d[5] != 1:
            sys.exit(f"{path}: not a 32-bit little-endian ELF")
        (self.entry,) = struct.unpack_from("<I", d, 24)
        shoff, = struct.unpack_from("<I", d, 32)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 46)
        raw = [struct.unpack_from("<IIIIIIIIII", d, shoff + i * shentsize) for i in range(shnum)]
        strtab = raw[shstrndx]
        self.sections = []
        for (name, typ, flags, addr, off, size, link, info, align, entsize) in raw:
            self.sections.append(dict(name=self._str(strtab[4] + name), type=typ, flags=flags,
                                      addr=addr, offset=off, size=size, link=link))
        self.symbols = []
        for s in self.sections:
            if s["type"] != 2:  # SHT_SYMTAB
                continue
            strs = self.sections[s["link"]]["offset"]
            for i in range(s["size"] // 16):
                name, value, size, info, other, shndx = struct.unpack_from(
                    "<IIIBBH", d, s["offset"] + i * 16)
                self.symbols.append(dict(name=self._str(strs + name), value=value, size=size,
                                         type=info & 0xF, bind=info >> 4, shndx=shndx))
        demangle_all(s["name"] for s in self.symbols)

    def word_at(self, addr):
        """The 32-bit word the loaded image holds at `addr`, or None."""
        for s in self.sections:
            if s["flags"] & 2 and s["type"] != 8 and s["addr"] <= addr < s["addr"] + s["size"] - 3:
                return struct.unpack_from("<I", self.data, s["offset"] + addr - s["addr"])[0]
        return None

    def _str(self, off):
        end = self.data.index(b"\0", off)
        return self.data[off:end].decode("utf-8", "replace")

    def section(self, name):
        for s in self.sections:
            if s["name"] == name:
                return s
        return None

    def section_bytes(self, s):
        return self.data[s["offset"]:s["offset"] + s["size"]] if s["type"] != 8 else b""

    def functions(self):
        """Function symbols: start address (thumb bit cleared) -> (name, size)."""
        out = {}
        for s in self.symbols:
            if s["type"] == 2 and s["shndx"] != 0:  # STT_FUNC
                out.setdefault(s["value"] & ~1, (s["name"], s["size"]))
        return out


# ------------------------------------------------------------------------------- demangling

_ESCAPES = {"$LT$": "<", "$GT$": ">", "$u20$": " ", "$RF$": "&", "$BP$": "*", "$LP$": "(",
            "$RP$": ")", "$C$": ",", "$u5b$": "[", "$u5d$": "]", "$u7b$": "{", "$u7d$": "}",
            "$u3b$": ";", "$u27$": "'", "$u7e$": "~", "$u21$": "!", "$u2b$": "+", "$SP$": "@"}


_CACHE = {}


def find_tool(name):
    """An LLVM tool: $NAME in the environment, on PATH, or in the rustup llvm-tools."""
    env = os.environ.get(name.upper().replace("-", "_"))
    if env:
        return env
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True,
                             text=True).stdout.strip()
    for root, _, files in os.walk(os.path.join(sysroot, "lib", "rustlib")):
        if name in files:
            return os.path.join(root, name)
    return None


def demangle_all(names):
    """Fills the cache with llvm-cxxfilt's reading of `names` (Rust v0 and legacy)."""
    todo = [n for n in set(names) if n not in _CACHE]
    tool = find_tool("llvm-cxxfilt")
    if not todo or not tool:
        return
    out = subprocess.run([tool], input="\n".join(todo), capture_output=True, text=True).stdout
    for n, d in zip(todo, out.splitlines()):
        d = re.sub(r"::h[0-9a-f]{16}$", "", d)
        if "$" in d:
            for k, v in _ESCAPES.items():
                d = d.replace(k, v)
            d = d.replace("..", "::")
            d = d[1:] if d.startswith("_<") else d
        _CACHE[n] = d


def demangle(name):
    """A readable name: llvm-cxxfilt's, else legacy mangling undone here, hash dropped."""
    if name in _CACHE:
        return _CACHE[name]
    if not name.startswith("_ZN") or not name.endswith("E"):
        return name
    parts, i, body = [], 0, name[3:-1]
    while i < len(body) and body[i].isdigit():
        j = i
        while body[j].isdigit():
            j += 1
        n = int(body[i:j])
        parts.append(body[j:j + n])
        i = j + n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    text = "::".join(parts)
    for k, v in _ESCAPES.items():
        text = text.replace(k, v)
    text = text.replace("..", "::")
    return text[1:] if text.startswith("_<") else text


CRATES = ["sansws", "httparse", "sha1", "digest", "block_buffer", "base64", "harness",
          "client", "server", "empty", "compiler_builtins", "core"]


def crate_of(name):
    """The crate a symbol's code comes from, judged from its demangled path."""
    if name.startswith("__aeabi") or name in ("memcpy", "memmove", "memset", "memcmp", "bcmp"):
        return "compiler_builtins"
    if name.startswith("OUTLINED_FUNCTION"):
        return "(outlined, shared)"
    d = demangle(name)
    # `<T as Trait>::f`: the implementing type decides when it is ours or a dependency's.
    found = [(d.find(c + "::"), c) for c in CRATES if c + "::" in d]
    if found:
        prefer = [c for _, c in found if c not in ("core",)]
        return prefer[0] if prefer else "core"
    return "(other)"


# ---------------------------------------------------------------------------------- commands


def text_rodata(elf):
    return sum(s["size"] for s in elf.sections if s["name"] in (".text", ".rodata"))


def cmd_size(path):
    print(text_rodata(Elf(path)))


def cmd_top(path, base=None, n=25):
    elf = Elf(path)
    code = {".text", ".rodata"}
    names = {i: s["name"] for i, s in enumerate(elf.sections)}
    skip = set()
    if base:
        skip = {demangle(s["name"]) for s in Elf(base).symbols if s["size"]}
    syms, seen = [], set()
    for s in elf.symbols:
        if not s["size"] or names.get(s["shndx"]) not in code:
            continue
        key = (s["value"] & ~1, s["size"])
        if key in seen:
            continue
        seen.add(key)
        if demangle(s["name"]) in skip:
            continue
        syms.append((s["size"], names[s["shndx"]], s["name"]))
    syms.sort(reverse=True)
    total = text_rodata(elf)
    named = sum(size for size, _, _ in syms)
    per_crate = defaultdict(int)
    for size, _, name in syms:
        per_crate[crate_of(name)] += size
    print(f"{path}: .text + .rodata = {total} bytes")
    print("by crate (symbols with a size" + (", less those of the baseline" if base else "") + "):")
    for crate, size in sorted(per_crate.items(), key=lambda kv: -kv[1]):
        print(f"  {size:6d}  {crate}")
    print(f"  {total - named - (text_rodata(Elf(base)) if base else 0):6d}  (no symbol: string"
          " literals, jump tables, padding" + (", baseline's unnamed bytes removed" if base else "")
          + ")")
    print(f"largest {n} symbols:")
    for size, sec, name in syms[:n]:
        print(f"  {size:6d}  {sec:8s} {demangle(name)[:110]}")


# ------------------------------------------------------------------------------------- stack


def uleb(data, i):
    value = shift = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def stack_sizes_section(elf):
    s = elf.section(".stack_sizes")
    out = {}
    if not s:
        return out
    data, i = elf.section_bytes(s), 0
    while i + 4 <= len(data):
        (addr,) = struct.unpack_from("<I", data, i)
        size, i = uleb(data, i + 4)
        if addr:
            out[addr & ~1] = size
    return out


def find_objdump():
    tool = find_tool("llvm-objdump")
    if not tool:
        sys.exit("no llvm-objdump: install LLVM or `rustup component add llvm-tools`")
    return tool


INSN = re.compile(r"^\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )*\s*([a-z][a-z0-9.]*)\s*(.*)$")
HEAD = re.compile(r"^([0-9a-f]+) <(.*)>:$")
REGS = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
        "sb", "sl", "fp", "ip", "lr"}
CONDS = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt",
         "gt", "le", "al")


def reg_count(operands):
    m = re.search(r"\{([^}]*)\}", operands)
    if not m:
        return 0
    n = 0
    for part in m.group(1).split(","):
        part = part.strip()
        r = re.fullmatch(r"([rd])(\d+)-[rd](\d+)", part)
        n += int(r.group(3)) - int(r.group(2)) + 1 if r else 1
    return n


def prologue_frame(insns):
    """Bytes a function's prologue takes from sp: push, vpush, sub sp (before any branch)."""
    frame = 0
    for _, mnem, ops in insns[:16]:
        base = mnem.split(".")[0]
        if base == "push" or (base == "stmdb" and ops.startswith("sp!")):
            frame += 4 * reg_count(ops)
        elif base == "vpush":
            frame += (8 if re.search(r"\{\s*d", ops) else 4) * reg_count(ops)
        elif base in ("sub", "subw") and re.match(r"sp,\s*(sp,\s*)?#", ops):
            frame += int(re.search(r"#(-?(?:0x)?[0-9a-f]+)", ops).group(1), 0)
        elif base == "str" and re.search(r"\[sp,\s*#-(\d+)\]!", ops):
            frame += int(re.search(r"\[sp,\s*#-(\d+)\]!", ops).group(1))
        elif base in ("b", "bx", "pop", "ldm", "ldmia") or (base == "ldr" and "pc," in ops):
            break  # unconditional end of the straight-line prologue
    return frame


def branch_target(mnem, ops):
    """(kind, target) for a branch: kind is 'call', 'tail' or 'indirect'; else None."""
    base = mnem.split(".")[0]
    m = re.match(r"(?:0x)?([0-9a-f]+)\b", ops)
    if base in ("bl",) or (base == "blx" and m):
        return ("call", int(m.group(1), 16)) if m else None
    if base == "blx":
        return ("indirect", None)
    if base == "b" or (base.startswith("b") and base[1:] in CONDS):
        return ("tail", int(m.group(1), 16)) if m else None
    if base in ("bx",) and ops.strip() not in ("lr",) or base.startswith("bx") and \
            base[2:] in CONDS and ops.strip() != "lr":
        return ("indirect-tail", None)
    return None


def cmd_stack(path, verbose=False):
    elf = Elf(path)
    funcs = elf.functions()
    starts = set(funcs)
    measured = stack_sizes_section(elf)
    dump = subprocess.run([find_objdump(), "-d", "--no-show-raw-insn", path],
                          capture_output=True, text=True, check=True).stdout
    body = defaultdict(list)
    current = None
    in_data = False
    for line in dump.splitlines():
        h = HEAD.match(line)
        if h:
            addr, label = int(h.group(1), 16), h.group(2)
            if label.startswith("$d"):
                in_data = True
            elif label.startswith("$t") or label.startswith("$a"):
                in_data = False
            elif addr in starts:
                current, in_data = addr, False
            continue
        m = INSN.match(line)
        if m and current is not None and not in_data:
            body[current].append((int(m.group(1), 16), m.group(2), m.group(3)))

    # Functions whose address is stored in the image: what an indirect call may reach.
    taken = set()
    for s in elf.sections:
        if s["flags"] & 2 and s["type"] != 8:  # SHF_ALLOC, not NOBITS
            data = elf.section_bytes(s)
            for i in range(0, len(data) - 3, 2):
                (w,) = struct.unpack_from("<I", data, i)
                if w & 1 and (w & ~1) in starts:
                    taken.add(w & ~1)

    frame, calls, tails, notes = {}, defaultdict(set), defaultdict(set), defaultdict(set)
    disagree = []
    for f in funcs:
        insns = body.get(f, [])
        parsed = prologue_frame(insns)
        if f in measured:
            frame[f] = measured[f]
            if parsed != measured[f]:
                disagree.append((f, measured[f], parsed))
        else:
            frame[f] = parsed
        regs = {}  # register -> function address it was loaded with (ldr literal, movw/movt)
        for _, mnem, ops in insns:
            base = mnem.split(".")[0]
            dest = ops.split(",")[0].strip()
            lit = re.search(r"\[pc, #-?\d+\]\s+@ 0x([0-9a-f]+)", ops)
            if base == "ldr" and lit:
                regs[dest] = elf.word_at(int(lit.group(1), 16))
            elif base == "movw":
                regs[dest] = int(ops.split("#")[1], 0)
            elif base == "movt" and regs.get(dest) is not None:
                regs[dest] = (regs[dest] & 0xFFFF) | (int(ops.split("#")[1], 0) << 16)
            elif base == "mov" and ops.split(",")[-1].strip() in regs:
                regs[dest] = regs[ops.split(",")[-1].strip()]
            elif not base.startswith(("str", "cmp", "cmn", "tst", "teq", "push", "vpush", "b",
                                      "cb", "it", "vst", "stm", "pld")):
                regs.pop(dest, None)
            b = branch_target(mnem, ops)
            if b and b[0] in ("indirect", "indirect-tail"):
                value = regs.get(ops.strip())
                if value is not None and (value & ~1) in starts:
                    b = ("call" if b[0] == "indirect" else "tail", value & ~1)
            if base in ("bl", "blx"):
                for r in ("r0", "r1", "r2", "r3", "r12", "ip", "lr"):
                    regs.pop(r, None)
            if not b:
                continue
            kind, target = b
            if kind == "call" and target in starts:
                calls[f].add(target)
            elif kind == "tail" and target in starts and target != f:
                tails[f].add(target)
            elif kind == "indirect":
                calls[f] |= taken
                notes[f].add("indirect call")
            elif kind == "indirect-tail":
                tails[f] |= taken
                notes[f].add("indirect branch")

    depth, via, on_path, recursive = {}, {}, set(), set()

    def walk(f):
        if f in depth:
            return depth[f]
        if f in on_path:
            recursive.add(f)
            return 0
        on_path.add(f)
        best, best_via = frame[f], None
        for c in calls[f]:
            d = frame[f] + walk(c)
            if d > best:
                best, best_via = d, ("call", c)
        for t in tails[f]:
            d = walk(t)
            if d > best:
                best, best_via = d, ("tail", t)
        on_path.discard(f)
        depth[f], via[f] = best, best_via
        return best

    sys.setrecursionlimit(10000)
    entry = elf.entry & ~1
    total = walk(entry)
    name = lambda f: demangle(funcs[f][0])
    src = lambda f: "stack_sizes" if f in measured else "prologue"
    print(f"{path}: worst-case stack from {name(entry)} = {total} bytes")
    f, path_lines = entry, []
    while f is not None:
        v = via.get(f)
        own = frame[f] if not v or v[0] == "call" else 0
        path_lines.append(f"  {own:5d}  {name(f)[:100]}"
                          + ("  (tail call, frame popped)" if v and v[0] == "tail" else "")
                          + f"  [{src(f)}]")
        f = v[1] if v else None
    phases = sorted(calls[entry] | tails[entry], key=lambda c: -depth.get(c, 0))
    print("from the entry through each function it calls: " + ", ".join(
        f"{name(c)} {frame[entry] + depth[c] if c in calls[entry] else depth[c]}"
        for c in phases if depth.get(c, 0) > 64))
    print("deepest path (own frame bytes, outermost first):")
    print("\n".join(path_lines))
    ind = [f for f in depth if notes[f]]
    if ind:
        print("indirect calls in: " + ", ".join(sorted(name(f)[:60] for f in ind))
              + f"; taken to reach any of {len(taken)} address-taken function(s): "
              + ", ".join(sorted(name(t)[:40] for t in taken)))
    if recursive:
        print("RECURSION through: " + ", ".join(name(f) for f in recursive)
              + " (figure is a lower bound)")
    print(f"frames: {sum(1 for f in depth if f in measured)} from .stack_sizes, "
          f"{sum(1 for f in depth if f not in measured)} from prologues"
          + (f"; prologue parse differs from .stack_sizes for {len(disagree)}" if disagree else ""))
    if verbose:
        for f, m, p in disagree:
            print(f"    {name(f)[:80]}: stack_sizes {m}, prologue {p}")
        for f in sorted(depth, key=lambda f: -frame[f])[:15]:
            print(f"    frame {frame[f]:5d} depth {depth[f]:5d}  {name(f)[:90]}")


def source_group(path):
    """A short name for the source a frame comes from."""
    m = re.search(r"/registry/src/[^/]+/([A-Za-z0-9_-]+?)-\d[^/]*/(.*)", path)
    if m:
        return m.group(1)
    m = re.search(r"/core/src/(.*)", path)
    if m and "/rustc/" not in path and "/library/" not in path:
        return "sansws " + m.group(1)
    m = re.search(r"/embedded/size/src/(.*)", path)
    if m:
        return "program " + m.group(1)
    if "compiler_builtins" in path or "compiler-builtins" in path:
        return "compiler_builtins"
    if "/library/" in path or "/rustc/" in path:
        return "core (std library)"
    return "(unknown)" if path in ("", "??") else path


def text_by_file(path):
    """.text bytes per source group: each instruction (and literal pool word) goes to the
    innermost frame of its inlining chain that is not the standard library."""
    dump = subprocess.run([find_objdump(), "-d", "--no-show-raw-insn", path],
                          capture_output=True, text=True, check=True).stdout
    addrs = []
    for line in dump.splitlines():
        m = re.match(r"^\s+([0-9a-f]+):", line)
        if m:
            addrs.append(int(m.group(1), 16))
    text = Elf(path).section(".text")
    end = text["addr"] + text["size"]
    addrs = sorted(set(a for a in addrs if text["addr"] <= a < end)) + [end]
    tool = find_tool("llvm-symbolizer")
    if not tool:
        sys.exit("no llvm-symbolizer")
    out = subprocess.run([tool, "--inlining", "--functions=none", "--obj=" + path],
                         input="\n".join(hex(a) for a in addrs[:-1]),
                         capture_output=True, text=True).stdout
    chains = [block.split("\n") for block in out.strip("\n").split("\n\n")]
    groups = defaultdict(int)
    for a, nxt, chain in zip(addrs, addrs[1:], chains):
        files = [re.sub(r":\d+:\d+$", "", f).strip() for f in chain if f.strip()]
        named = [source_group(f) for f in files]
        pick = next((g for g in named if g != "core (std library)"), named[0] if named else "?")
        groups[pick] += nxt - a
    return groups


def cmd_files(path, base=None):
    groups = text_by_file(path)
    if base:
        for g, n in text_by_file(base).items():
            groups[g] -= n
    print(f"{path}: .text by source (inlined code counted where it was written)"
          + (", less the baseline" if base else ""))
    for g, n in sorted(groups.items(), key=lambda kv: -kv[1]):
        if n:
            print(f"  {n:6d}  {g}")


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, path, rest = argv[1], argv[2], argv[3:]
    if cmd == "size":
        cmd_size(path)
    elif cmd == "top":
        n = 25
        if "-n" in rest:
            n = int(rest[rest.index("-n") + 1])
            del rest[rest.index("-n"):rest.index("-n") + 2]
        cmd_top(path, rest[0] if rest else None, n)
    elif cmd == "files":
        cmd_files(path, rest[0] if rest else None)
    elif cmd == "stack":
        cmd_stack(path, "-v" in rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
