#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Region and address-space names are QEMU's, so they may hold anything the
# control language can quote: spaces, '/', '&', '<', '>', quotes, non-ASCII.
# mtree plot must still write well-formed XML whose parsed text gives back
# the exact names, and cut over-long labels visibly ("...") while keeping the
# full name in the tooltip (<title>) and the data-region attribute.
import os, shutil, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
n = failed = 0


def ok(cond, what, *diag):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond:
        failed += 1
        for d in diag:
            print("#   " + str(d).replace("\n", "\n#   "))


def mtree():
    top = os.environ.get("MTREEFS_TOP") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
    exe = os.path.join(top, os.environ.get("BUILD", "build"), "mtree")
    return exe if os.access(exe, os.X_OK) else shutil.which("mtree")


NASTY = "a<b> & \"c\" 'd' /rom@etc/\u00e9"
LONG = "bus master container " * 5
SCRIPT = """\
container sys 16E name="bus & <root>"
address-space "my <space> & 'co'" sys
ram r 64K name="%s" in sys at 0x10000
alias al r 0 4K name="alias \\"quoted\\"" in sys at 0x100000
io long 4K name="%s" in sys at 0x200000
""" % (NASTY.replace('"', '\\"'), LONG.strip())


def main():
    exe = mtree()
    if not exe:
        print("1..1\nnot ok 1 - mtree binary not built (run make)")
        return 1
    tmp = tempfile.mkdtemp(prefix="plot_esc.")
    try:
        script = os.path.join(tmp, "esc.mtree")
        with open(script, "w", encoding="utf-8") as f:
            f.write(SCRIPT)
        r = subprocess.run([exe, "plot", script], capture_output=True)
        ok(r.returncode == 0, "plot a topology with XML specials in its names", r.stderr.decode(errors="replace"))
        svg = os.path.join(tmp, "esc.svg")
        with open(svg, "wb") as f:
            f.write(r.stdout)
        if shutil.which("xmllint"):
            x = subprocess.run(["xmllint", "--noout", svg], capture_output=True, text=True)
            ok(x.returncode == 0, "xmllint accepts it", x.stderr)
        try:
            root = ET.fromstring(r.stdout)
        except ET.ParseError as e:
            ok(False, "xml.etree parses it", e)
            root = ET.Element("none")
        else:
            ok(True, "xml.etree parses it")
        bands = [g for g in root.iter(SVG + "g") if "band" in (g.get("class") or "")]
        regions = [g.get("data-region") for g in bands if g.get("data-region")]
        ok(NASTY in regions, "data-region gives back the exact name", regions)
        ok("alias \"quoted\"" in [g.get("data-alias") for g in bands],
           "the alias name with quotes survives in data-alias", [g.get("data-alias") for g in bands])
        title = root.find(SVG + "title")
        ok(title is not None and "my <space> & 'co'" in (title.text or ""),
           "the address-space name is escaped in the document title", title is not None and title.text)
        texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
        ok(any(t.startswith(NASTY) for t in texts), "the band label shows the name verbatim", texts)
        cut = [t for t in texts if t.startswith("bus master container")]
        ok(len(cut) == 1 and cut[0].endswith("...") and len(cut[0]) < len(LONG.strip()),
           "an over-long label is cut with '...'", cut)
        tips = [g.find(SVG + "title").text for g in bands]
        ok(any(LONG.strip() in (t or "") for t in tips), "the tooltip keeps the full long name", tips)
        hdr = [t for t in texts if "Root memory region" in t]
        ok(hdr and "bus & <root>" in hdr[0], "the flat-view root's display name is escaped", hdr)
    finally:
        shutil.rmtree(tmp)
    print("1..%d" % n)
    return 1 if failed else 0


sys.exit(main())
