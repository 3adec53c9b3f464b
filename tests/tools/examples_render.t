#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Every contrib/examples/*.mtree builds and prints: `mtree render -f` and
# `mtree render -D` exit 0 with output, and `mtree plot` gives well-formed
# SVG. Then each example is held to the QEMU behaviour its comments promise,
# checked on the rendered flat view of the "memory" address space.
import glob, os, re, shutil, subprocess, sys
import xml.etree.ElementTree as ET

n = failed = 0


def ok(cond, what, *diag):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond:
        failed += 1
        for d in diag:
            print("#   " + str(d).replace("\n", "\n#   "))
    return cond


TOP = os.environ.get("MTREEFS_TOP") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")


def mtree():
    exe = os.path.join(TOP, os.environ.get("BUILD", "build"), "mtree")
    return exe if os.access(exe, os.X_OK) else shutil.which("mtree")


def flat(text, space="memory"):
    """{start: (end, type, region, offset)} for one address space of `info mtree -f`."""
    out, cur = {}, False
    for line in text.splitlines():
        m = re.match(r' AS "(.*)", root:', line)
        if m:
            cur = cur or m.group(1) == space
        elif line.startswith("FlatView #"):
            cur = False
        else:
            m = re.match(r"  ([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, ([^)]*)\): (.*?)(?: @([0-9a-f]{16}))?(?: KVM)?$", line)
            if cur and m:
                out[int(m.group(1), 16)] = (int(m.group(2), 16), m.group(3), m.group(4),
                                            int(m.group(5) or "0", 16))
    return out


# What each example promises (start -> (end, type, region, offset)), from
# QEMU 7.2's behaviour as described in the scripts' comments.
PROMISES = {
    "q35.mtree": [
        ("RAM shows through the empty VGA window", 0x0, (0xbffff, "ram", "pc.ram", 0)),
        ("isa-bios through PAM in PCI mode", 0xe0000, (0xfffff, "rom", "pc.bios", 0x20000)),
        ("MMCONFIG window", 0xb0000000, (0xbfffffff, "i/o", "pcie-mmcfg-mmio", 0)),
        ("BIOS at the top of 4G", 0xfffc0000, (0xffffffff, "rom", "pc.bios", 0)),
    ],
    "pam-shadow.mtree": [
        ("0xf0000 shadowed: read-only RAM", 0xf0000, (0xfffff, "rom", "pc.ram", 0xf0000)),
        ("0xe0000 still in PCI mode: the BIOS ROM", 0xe0000, (0xeffff, "rom", "pc.bios", 0x20000)),
    ],
    "pci-bar-remap.mtree": [
        ("e1000 BAR0 moved", 0xfeb00000, (0xfeb1ffff, "i/o", "e1000-mmio", 0)),
        ("framebuffer moved", 0xe0000000, (0xe0ffffff, "ram", "vga.vram", 0)),
        ("virtio BAR re-mapped", 0xfe800000, (0xfe800fff, "i/o", "virtio-pci-common-virtio-blk", 0)),
        ("registers inside the VGA BAR", 0xfebf0400, (0xfebf041f, "i/o", "vga ioports remapped", 0)),
    ],
    "dimm-hotplug.mtree": [
        ("the DIMM at the start of device-memory", 0x100000000, (0x11fffffff, "ram", "m1", 0)),
        ("1G of pc.ram below 4G in one range (PAM in RAM mode)", 0x0, (0x3fffffff, "ram", "pc.ram", 0)),
    ],
}
GONE = {
    "pci-bar-remap.mtree": [("old e1000 address is free", 0xfebc0000),
                            ("old framebuffer address is free", 0xfd000000)],
    "dimm-hotplug.mtree": [("device-memory past the DIMM is a hole", 0x120000000)],
}


def main():
    exe = mtree()
    examples = sorted(glob.glob(os.path.join(TOP, "contrib/examples/*.mtree")))
    if not exe:
        print("1..1\nnot ok 1 - mtree binary not built (run make)")
        return 1
    ok(len(examples) >= 4, "there are example scripts", examples)
    for path in examples:
        name = os.path.basename(path)
        r = subprocess.run([exe, "render", "-f", path], capture_output=True, text=True)
        ok(r.returncode == 0 and "FlatView #" in r.stdout and r.stderr == "",
           "%s: mtree render -f" % name, r.stderr)
        view = flat(r.stdout)
        d = subprocess.run([exe, "render", "-D", path], capture_output=True, text=True)
        ok(d.returncode == 0 and "address-space: memory" in d.stdout, "%s: mtree render -D" % name, d.stderr)
        p = subprocess.run([exe, "plot", path], capture_output=True)
        try:
            ET.fromstring(p.stdout)
            parsed = True
        except ET.ParseError as e:
            parsed = e
        ok(p.returncode == 0 and parsed is True, "%s: mtree plot gives well-formed SVG" % name,
           parsed, p.stderr.decode(errors="replace"))
        for what, start, want in PROMISES.get(name, []):
            ok(view.get(start) == want, "%s: %s" % (name, what),
               "got  %s" % (view.get(start),), "want %s" % (want,))
        for what, addr in GONE.get(name, []):
            hit = [s for s, v in view.items() if s <= addr <= v[0]]
            ok(not hit, "%s: %s" % (name, what), hit)
    print("1..%d" % n)
    return 1 if failed else 0


sys.exit(main())
