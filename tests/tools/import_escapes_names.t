#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# A QEMU dump is text from elsewhere: its names may hold ESC, BEL, CR, C1
# controls (U+0085, U+009B) and U+2028/U+2029. mtree import-qemu used to copy
# them raw into the script it prints (a terminal ran the escape sequences,
# and the control language then refused the line). They come out with the
# printing rule of mtree(1), \xNN per byte, so the script is plain text that
# mtree render accepts, its output splits into the same lines as its
# newlines say, and mtree diff prints such names the same way.
import os, shutil, subprocess, sys, tempfile

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


def run(*args):
    return subprocess.run([mtree(), *args], capture_output=True)


def clean(b):
    """No control character, C1 control or line separator anywhere but '\\n'."""
    t = b.decode("utf-8", "surrogateescape")
    bad = [c for c in t if c != "\n" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
                                          or c in "\u2028\u2029")]
    return not bad and len(t.splitlines()) == t.count("\n") + (0 if t.endswith("\n") or not t else 1)


NAME = b"sys\x1b[31m\x07\x0d\xc2\x85x\xc2\x9by\xe2\x80\xa8z\xe2\x80\xa9"
WANT = b"sys\\x1b[31m\\x07\\x0d\\xc2\\x85x\\xc2\\x9by\\xe2\\x80\\xa8z\\xe2\\x80\\xa9"
d = tempfile.mkdtemp(prefix="mtree-import-esc.")
try:
    dump = os.path.join(d, "mtree-D")
    with open(dump, "wb") as f:
        f.write(b"address-space: memory\n"
                b"  0000000000000000-ffffffffffffffff (prio 0, i/o): " + NAME + b"\n"
                b"    0000000000000000-0000000000000fff (prio 0, ram): r\xc2\x85am\n\n")
    r = run("import-qemu", dump)
    ok(r.returncode == 0, "import-qemu accepts the dump", r.stderr)
    ok(clean(r.stdout), "the script has no raw control character or separator", r.stdout)
    ok(WANT.replace(b"\\", b"\\\\") in r.stdout, "the name is written \\xNN per byte", r.stdout)
    script = os.path.join(d, "s.mtree")
    with open(script, "wb") as f:
        f.write(r.stdout)
    r = run("render", script)
    ok(r.returncode == 0, "mtree render runs the imported script", r.stderr)
    ok(clean(r.stdout), "the rendering has no forged line", r.stdout)
    ok(b"): " + WANT + b"\n" in r.stdout, "and shows the name escaped once", r.stdout)
    flat = os.path.join(d, "f1")
    with open(flat, "wb") as f:
        f.write(b"FlatView #0\n AS \"memory\", root: " + NAME + b"\n Root memory region: " + NAME +
                b"\n  0000000000000000-0000000000000fff (prio 0, ram): r\xc2\x85am\n\n")
    flat2 = os.path.join(d, "f2")
    with open(flat2, "wb") as f:
        f.write(b"FlatView #0\n AS \"memory\", root: x\n Root memory region: x\n"
                b"  0000000000000000-0000000000000fff (prio 0, ram): x\n\n")
    r = run("diff", flat, flat2)
    ok(r.returncode in (0, 1) and r.stdout, "mtree diff compares them", r.returncode, r.stderr)
    ok(clean(r.stdout), "the diff has no forged line", r.stdout)
    ok(b"r\\xc2\\x85am" in r.stdout, "and shows names escaped", r.stdout)
finally:
    shutil.rmtree(d)
print("1..%d" % n)
sys.exit(1 if failed else 0)
