#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# mtree plot of real QEMU topologies: each golden dump (QEMU 7.2's own
# `info mtree -D` and `-f`, tests/golden/*) is imported with
# `mtree import-qemu DIR` and plotted; the non-hole bands must be QEMU's flat
# ranges of the "memory" address space exactly (start, end, region name,
# offset in region), readonly ranges coloured as rom, and the pc.ram bands
# must name the ram-below-4g / ram-above-4g alias QEMU maps them through.
import os, re, shutil, subprocess, sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
n = failed = 0
TOP = os.environ.get("MTREEFS_TOP") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
DUMPS = ["pc-nodefaults-512M", "pc-nodefaults-6G", "q35-default-1G", "pc-dimm"]


def ok(cond, what, *diag):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond:
        failed += 1
        for d in diag:
            print("#   " + str(d).replace("\n", "\n#   "))


def golden_memory(path):
    """QEMU's ranges of AS "memory": [(start, end, kind, region, offset)]."""
    out, cur = [], False
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\r\n")
        m = re.match(r' AS "(.*)", root:', line)
        if m:
            cur = cur or m.group(1) == "memory"
        elif line.startswith("FlatView #"):
            cur = False
        else:
            m = re.match(r"  ([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, ([^)]*)\): (.*?)(?: @([0-9a-f]{16}))?(?: KVM)?$", line)
            if cur and m:
                out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4),
                            int(m.group(5) or "0", 16)))
    return out


def main():
    exe = os.path.join(TOP, os.environ.get("BUILD", "build"), "mtree")
    if not os.access(exe, os.X_OK):
        print("1..1\nnot ok 1 - mtree binary not built (run make)")
        return 1
    for name in DUMPS:
        d = os.path.join(TOP, "tests/golden", name)
        imp = subprocess.run([exe, "import-qemu", d], capture_output=True, text=True)
        ok(imp.returncode == 0, "%s: import-qemu" % name, imp.stderr)
        p = subprocess.run([exe, "plot", "-"], input=imp.stdout, capture_output=True, text=True)
        ok(p.returncode == 0, "%s: plot" % name, p.stderr)
        try:
            root = ET.fromstring(p.stdout)
        except ET.ParseError as e:
            ok(False, "%s: well-formed SVG" % name, e)
            continue
        bands = [g for g in root.iter(SVG + "g") if "band" in (g.get("class") or "").split()]
        got = sorted((int(g.get("data-start"), 16), int(g.get("data-end"), 16),
                      g.get("class").split()[1], g.get("data-region"),
                      int(g.get("data-offset") or "0", 16), g.get("data-alias")) for g in bands)
        want = golden_memory(os.path.join(d, "mtree-f"))
        real = [b for b in got if b[2] != "hole"]
        ok([b[:2] + b[3:5] for b in real] == [w[:2] + w[3:] for w in want],
           "%s: bands are QEMU's flat ranges of 'memory'" % name,
           *["got  %x-%x %s %s @%x %s" % b for b in real], *["want %x-%x %s %s @%x" % w for w in want])
        kinds = {w[:2]: w[2] for w in want}
        bad = [b for b in real if (kinds.get(b[:2]) == "rom") != (b[2] == "rom")]
        ok(not bad, "%s: exactly QEMU's rom ranges are drawn as rom" % name, *bad)
        ram = [b for b in real if b[3] == "pc.ram"]
        ok(ram and all(b[5] in ("ram-below-4g", "ram-above-4g", "pam-ram") for b in ram),
           "%s: pc.ram bands name the alias that maps them" % name, *ram)
        if name == "pc-nodefaults-6G":
            ok(any(b[5] == "ram-above-4g" and b[0] == 0x100000000 for b in ram),
               "%s: RAM above 4G comes through ram-above-4g" % name, *ram)
    print("1..%d" % n)
    return 1 if failed else 0


sys.exit(main())
