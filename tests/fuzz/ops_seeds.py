#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Writes the seed corpus of fuzz_ops (tests/fuzz/corpus/fuzz_ops/): small
# operation sequences in the byte encoding fuzz_ops.c decodes, each aimed at
# one interesting path (PAM-style aliases, transactions with failed commits,
# slot exhaustion, dirty logging, romd mode, resizeable RAM, address spaces).
# Run from the top of the tree: python3 tests/fuzz/ops_seeds.py
import os

SYSTEM, IOSPACE = 0, 1
BEGIN, COMMIT, ABORT = [21], [22], [23]


def container(i, size): return [0, i, size]
def ram(i, b=0): return [1, i, b]          # b: 1 memfd, 2 resizeable, 4 shared name, >>3 size
def rom(i, b=0): return [2, i, b]
def romd(i, b=0): return [3, i, b]
def io(i, size, dev=0): return [4, i, size, dev]
def alias(i, target, addr, size): return [5, i, target, addr, size]
def as_new(name, root): return [6, name, root]
def as_del(name): return [7, name]
def map_(i, parent, addr, prio=2): return [8, i, 0, parent, addr, prio]   # prio byte 2 -> 0
def unmap(i): return [9, i, 0]
def prio(i, p): return [10, i, 0, p]
def addr(i, a): return [11, i, 0, a]
def enabled(i, on): return [12, i, on]
def readonly(i, on): return [13, i, on]
def alias_off(i, a): return [14, i, 0, a]
def delete(i): return [15, i, 0]
def romd_mode(i, on): return [16, i, on]
def log(i, on): return [17, i, on]
def nv(i, on): return [18, i, on]
def size(i, s): return [19, i, 1, s]
def retarget(i, t): return [20, i, 0, t]


SEEDS = {
    "pam-shadow": ram(2, 5 << 3) + map_(2, SYSTEM, 0) + container(3, 12) +
    map_(3, SYSTEM, 0, 1) + rom(4) + map_(4, 3, 0x1e) + alias(5, 3, 0x1e, 3) +
    map_(5, SYSTEM, 0x1e, 3) + alias(6, 2, 0x1e, 3) + map_(6, SYSTEM, 0x1e, 3) +
    enabled(6, 0) + BEGIN + enabled(5, 0) + enabled(6, 1) + readonly(6, 1) + COMMIT,
    "txn-abort": ram(2) + BEGIN + map_(2, SYSTEM, 0x20) + BEGIN + addr(2, 0x40) + ABORT +
    COMMIT + BEGIN + unmap(2) + delete(2) + ABORT,
    "slot-exhaustion": sum((ram(i) + map_(i, SYSTEM, 4 * i) for i in range(2, 12)), []),
    "commit-fails": ram(2) + BEGIN + map_(2, SYSTEM, 0x10) + map_(2, SYSTEM, 0xf4) +
    COMMIT + BEGIN + addr(2, 0xf3) + COMMIT,
    "log-romd": romd(2) + map_(2, SYSTEM, 0x3) + romd_mode(2, 0) + romd_mode(2, 1) +
    ram(3) + map_(3, SYSTEM, 0x40) + log(3, 1) + nv(3, 1) + log(3, 0),
    "alias-cycle": container(2, 7) + alias(3, 2, 0, 3) + map_(3, 2, 0) + map_(2, SYSTEM, 0) +
    alias(4, SYSTEM, 0, 3) + map_(4, 2, 4) + retarget(3, 3),
    "resize": ram(2, 2) + map_(2, SYSTEM, 0) + size(2, 7) + size(2, 8) + io(3, 7, 1) +
    map_(3, SYSTEM, 0x20) + size(3, 12) + size(3, 3),
    "address-spaces": container(2, 7) + ram(3) + map_(3, 2, 0) + as_new(2, 2) +
    as_new(0, 2) + as_del(0) + as_new(0, 3) + delete(2) + unmap(3) + delete(3),
    "unaligned": ram(2, 2 << 3) + map_(2, SYSTEM, 0x1) + alias(3, 2, 0x1, 2) +
    map_(3, SYSTEM, 0x11) + alias_off(3, 0x0) + prio(3, 4) + prio(3, 0xff),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_ops")
os.makedirs(out, exist_ok=True)
for name, ops in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes(ops))
