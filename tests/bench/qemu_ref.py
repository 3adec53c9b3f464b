#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# QEMU peer references for `make bench`: starts qemu-system-x86_64 stopped
# (-S) with KVM and -m SIZE (memory pre-allocated, as the mtreefs RAM block is
# pre-faulted), talks QMP over a unix socket and times pmemsave of the whole
# RAM into a tmpfs file, `xp /1gx ADDR` at random addresses through
# human-monitor-command, and `info mtree -f`. Prints key=value lines for
# tests/bench/run.sh. Usage: qemu_ref.py WORKDIR SIZE_BYTES XP_COUNT
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time


class Qmp:
    """A minimal QMP client: one command at a time, events skipped."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(200):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("QMP socket did not come up")
        self.rd = self.sock.makefile("r")
        json.loads(self.rd.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = json.loads(self.rd.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError("%s: %s" % (name, reply["error"]))
            return reply["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})


def main():
    work, size, xp_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sock = os.path.join(work, "qmp.sock")
    out = os.path.join("/dev/shm", "mtreefs-bench-pmemsave.%d" % os.getpid())
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-machine", "pc,accel=kvm", "-m", str(size // (1 << 20)),
         "-mem-prealloc", "-S", "-nodefaults", "-display", "none",
         "-qmp", "unix:%s,server=on,wait=off" % sock],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        q = Qmp(sock)
        best = None
        for _ in range(3):
            t0 = time.monotonic()
            q.cmd("pmemsave", val=0, size=size, filename=out)
            t = time.monotonic() - t0
            os.unlink(out)
            best = t if best is None or t < best else best
        print("pmemsave_s=%.4f pmemsave_gib_s=%.3f" % (best, size / best / (1 << 30)))

        rng = random.Random(1)
        lat = []
        for _ in range(xp_count):
            addr = rng.randrange(0x100000, size, 8)
            t0 = time.monotonic()
            q.hmp("xp /1gx 0x%x" % addr)
            lat.append(time.monotonic() - t0)
        lat.sort()
        print("xp_median_us=%.2f xp_p99_us=%.2f" %
              (statistics.median(lat) * 1e6, lat[int(len(lat) * 0.99)] * 1e6))

        lat = []
        for _ in range(20):
            t0 = time.monotonic()
            text = q.hmp("info mtree -f")
            lat.append(time.monotonic() - t0)
        ranges = sum(1 for ln in text.splitlines() if ln.startswith("  0"))
        print("mtree_f_median_ms=%.3f mtree_f_ranges=%d" %
              (statistics.median(lat) * 1e3, ranges))
        q.cmd("quit")
    finally:
        try:
            qemu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()
        if os.path.exists(out):
            os.unlink(out)


if __name__ == "__main__":
    main()
