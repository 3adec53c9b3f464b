#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# mtree plot on a pc-like topology: the SVG is well-formed standalone XML in
# the SVG namespace, its bands are exactly the flat view that `mtree render -f`
# prints for the address space plus the holes between them (covering 0..2^64
# with nothing missing or overlapping), and the labels carry what QEMU users
# look for: pc.ram seen through ram-below-4g, the BIOS through PCI, sizes in
# binary units. Also --as, -o, stdin and the error for an unknown space.
import os, re, shutil, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
n = 0
failed = 0


def ok(cond, what, *diag):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond:
        failed += 1
        for d in diag:
            print("#   " + str(d).replace("\n", "\n#   "))
    return cond


SCRIPT = """\
# pc -m 512M, reset state: PAM routes 0xc0000-0xfffff to PCI
container system 16E
address-space memory system
ram pc.ram 512M
alias ram-below-4g pc.ram 0 512M in system at 0
container pci 16E in system at 0 prio -1
rom pc.rom 128K in pci at 0xc0000 prio 1
rom pc.bios 256K in pci at 0xfffc0000
alias isa-bios pc.bios 0x20000 128K in pci at 0xe0000 prio 1
set isa-bios readonly on
alias smram-region pci 0xa0000 128K in system at 0xa0000 prio 1
alias pam-pci-c0000 pci 0xc0000 256K name=pam-pci in system at 0xc0000 prio 1
io ioapic 4K in system at 0xfec00000
io hpet 1K in system at 0xfed00000
io apic-msi 1M in system at 0xfee00000 prio 4096
io io 64K
address-space I/O io
io pic 2 in io at 0x20
io pit 4 in io at 0x40
"""

# QEMU 7.2's flat view of that layout (tests/golden/pc-nodefaults-512M: pc,
# -m 512M, before the BIOS runs). smram-region sends 0xa0000-0xbffff to an
# empty part of PCI, which renders nothing, so pc.ram shows through there.
# (start, end, region, alias it was mapped through, kind)
EXPECT = [
    (0x0, 0xbffff, "pc.ram", "ram-below-4g", "ram-alias"),
    (0xc0000, 0xdffff, "pc.rom", "pam-pci", "rom"),
    (0xe0000, 0xfffff, "pc.bios", "pam-pci", "rom"),
    (0x100000, 0x1fffffff, "pc.ram", "ram-below-4g", "ram-alias"),
    (0x20000000, 0xfebfffff, None, None, "hole"),
    (0xfec00000, 0xfec00fff, "ioapic", None, "io"),
    (0xfec01000, 0xfecfffff, None, None, "hole"),
    (0xfed00000, 0xfed003ff, "hpet", None, "io"),
    (0xfed00400, 0xfedfffff, None, None, "hole"),
    (0xfee00000, 0xfeefffff, "apic-msi", None, "io"),
    (0xfef00000, 0xfffbffff, None, None, "hole"),
    (0xfffc0000, 0xffffffff, "pc.bios", None, "rom"),
    (0x100000000, 0xffffffffffffffff, None, None, "hole"),
]


def mtree():
    top = os.environ.get("MTREEFS_TOP") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
    exe = os.path.join(top, os.environ.get("BUILD", "build"), "mtree")
    return exe if os.access(exe, os.X_OK) else shutil.which("mtree")


def well_formed(path):
    """xmllint when installed, xml.etree otherwise: (ok, message)."""
    if shutil.which("xmllint"):
        r = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
        return r.returncode == 0, r.stderr
    try:
        ET.parse(path)
        return True, ""
    except ET.ParseError as e:
        return False, str(e)


def bands(root):
    out = []
    for g in root.iter(SVG + "g"):
        cls = (g.get("class") or "").split()
        if "band" not in cls:
            continue
        out.append((int(g.get("data-start"), 16), int(g.get("data-end"), 16),
                    g.get("data-region"), g.get("data-alias"), cls[1]))
    return sorted(out)


def flat_ranges(text, space):
    """Ranges of one address space from `info mtree -f` text: (start, end, region)."""
    out, cur = [], False
    for line in text.splitlines():
        m = re.match(r' AS "(.*)", root:', line)
        if m:
            cur = cur or m.group(1) == space
            continue
        if line.startswith("FlatView #"):
            cur = False
            continue
        m = re.match(r"  ([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, [^)]*\): (.*?)(?: @[0-9a-f]{16})?(?: KVM)?$", line)
        if cur and m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return out


def main():
    exe = mtree()
    if not exe:
        print("1..1\nnot ok 1 - mtree binary not built (run make)")
        return 1
    tmp = tempfile.mkdtemp(prefix="plot_pc.")
    try:
        script = os.path.join(tmp, "pc.mtree")
        svg = os.path.join(tmp, "pc.svg")
        with open(script, "w") as f:
            f.write(SCRIPT)
        r = subprocess.run([exe, "plot", "-o", svg, script], capture_output=True, text=True)
        ok(r.returncode == 0 and os.path.getsize(svg) > 0, "mtree plot -o writes the map", r.stderr)
        good, msg = well_formed(svg)
        ok(good, "the SVG is well-formed XML", msg)
        root = ET.parse(svg).getroot()
        ok(root.tag == SVG + "svg", "root element is <svg> in the SVG namespace", root.tag)
        ok(root.get("width") and root.get("height") and root.get("viewBox"),
           "standalone size: width, height and viewBox")
        got = bands(root)
        ok(got == EXPECT, "bands are QEMU's flat view of pc -m 512M plus its holes",
           *["got  %x-%x %s %s %s" % b for b in got], *["want %x-%x %s %s %s" % b for b in EXPECT])
        cover = all(a[1] + 1 == b[0] for a, b in zip(got, got[1:]))
        ok(got and got[0][0] == 0 and got[-1][1] == 2**64 - 1 and cover,
           "bands tile 0..2^64-1 without gaps or overlaps")

        r = subprocess.run([exe, "render", "-f", script], capture_output=True, text=True)
        ranges = flat_ranges(r.stdout, "memory")
        ok(r.returncode == 0 and ranges, "mtree render -f prints the memory flat view", r.stderr)
        ok(ranges == [(s, e, reg) for s, e, reg, _, k in got if k != "hole"],
           "non-hole bands match mtree render -f range for range", *ranges)

        text = " ".join("".join(t.itertext()) for t in root.iter(SVG + "text"))
        titles = " | ".join(t.text or "" for t in root.iter(SVG + "title"))
        ok("pc.ram via ram-below-4g @0x100000" in text, "label names the alias and the offset", text)
        ok("511 MiB" in text and "768 KiB" in text and "1 KiB" in text and "256 KiB" in text,
           "sizes in binary units (511 MiB, 768 KiB, 1 KiB, 256 KiB)", text)
        ok("0000000000100000-000000001fffffff" in text, "start-end printed as info mtree does")
        ok("pam-pci-c0000" not in titles and "(id pam-pci-c0000)" not in titles,
           "display names, not IDs, for leaves reached through the alias")
        legend = [t.text for g in root.iter(SVG + "g") if g.get("class") == "legend"
                  for t in g.iter(SVG + "text")]
        ok(all(any(k in (t or "") for t in legend) for k in ("ram", "alias", "rom", "romd", "io", "hole")),
           "legend lists every kind", legend)

        r = subprocess.run([exe, "plot", "--as", "I/O", "-"], input=SCRIPT, capture_output=True, text=True)
        ok(r.returncode == 0, "--as I/O with the script on stdin", r.stderr)
        io = bands(ET.fromstring(r.stdout)) if r.returncode == 0 else []
        ok([b for b in io if b[2] == "pic"] == [(0x20, 0x21, "pic", None, "io")]
           and io and io[-1][1] == 0xffff and io[0][2] == "io",
           "I/O space: pic at 0x20-0x21, the io root fills up to 0xffff", *io)

        r = subprocess.run([exe, "plot", "--as", "no-such-space", script], capture_output=True, text=True)
        ok(r.returncode == 1 and "no-such-space" in r.stderr and r.stdout == "",
           "unknown address space: exit 1 and a reason", r.returncode, r.stderr)
        r = subprocess.run([exe, "plot"], capture_output=True, text=True)
        ok(r.returncode == 2 and "usage" in r.stderr, "no script: usage, exit 2")
    finally:
        shutil.rmtree(tmp)
    print("1..%d" % n)
    return 1 if failed else 0


sys.exit(main())
