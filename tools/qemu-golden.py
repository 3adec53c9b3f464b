#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Regenerates the golden outputs under tests/golden/ from a real QEMU: for
# each configuration it starts qemu-system-x86_64 with a private QMP unix
# socket (no display, no network, nothing outside loopback), optionally lets
# the guest firmware run for a moment so that SeaBIOS programs the PCI BARs,
# stops it, and stores `info mtree -D`, `info mtree -f`, `info mtree` and
# `info ramblock` (\r stripped), the exact command line (with the QMP steps,
# e.g. a hot-added pc-dimm, as comment lines) and QEMU's version in
# tests/golden/NAME/. It is a maintainer tool, not part of the product: the
# tests only read what it wrote. Usage: tools/qemu-golden.py [--list] [NAME...]

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TOP, "tests", "golden")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")

# name -> (arguments, seconds to run before `stop`; 0 keeps -S, QMP steps)
CONFIGS = {}


def cfg(name, args, run=0.0, qmp=()):
    """qmp: (command, arguments) pairs sent once QMP is up, before the run."""
    CONFIGS[name] = (args, run, list(qmp))


# The pc machine with nothing plugged in, for the pc-machine engineer.
for size in ("128M", "512M", "3584M", "4G", "6G"):
    cfg("pc-nodefaults-" + size,
        ["-machine", "pc,accel=kvm", "-m", size, "-S", "-nodefaults"])

# Richer configurations for the importer. pc splits RAM at 3.5G (0xe0000000),
# q35 at 2.75G (0xb0000000: above it only 2G stay below 4G).
cfg("pc-default-512M", ["-machine", "pc,accel=kvm", "-m", "512M"], run=2)
cfg("pc-3583M-run", ["-machine", "pc,accel=kvm", "-m", "3583M", "-nodefaults"], run=2)
cfg("pc-3585M", ["-machine", "pc,accel=kvm", "-m", "3585M", "-S", "-nodefaults"])
cfg("q35-nodefaults-128M", ["-machine", "q35,accel=kvm", "-m", "128M", "-S", "-nodefaults"])
cfg("q35-2815M", ["-machine", "q35,accel=kvm", "-m", "2815M", "-S", "-nodefaults"])
cfg("q35-2G", ["-machine", "q35,accel=kvm", "-m", "2G", "-S", "-nodefaults"])
cfg("q35-2816M-run", ["-machine", "q35,accel=kvm", "-m", "2816M", "-nodefaults"], run=2)
cfg("q35-3G", ["-machine", "q35,accel=kvm", "-m", "3G", "-S", "-nodefaults"])
cfg("q35-4G", ["-machine", "q35,accel=kvm", "-m", "4G", "-S", "-nodefaults"])
cfg("q35-default-1G", ["-machine", "q35,accel=kvm", "-m", "1G"], run=2)
cfg("pc-numa-ram-memfd",
    ["-machine", "pc,accel=kvm", "-m", "1G", "-nodefaults",
     "-object", "memory-backend-ram,id=n0,size=512M",
     "-object", "memory-backend-memfd,id=n1,size=512M",
     "-numa", "node,nodeid=0,memdev=n0", "-numa", "node,nodeid=1,memdev=n1"], run=2)
cfg("q35-membackend-file",
    ["-machine", "q35,accel=kvm,memory-backend=mf", "-m", "256M", "-nodefaults",
     "-object", "memory-backend-file,id=mf,size=256M,mem-path=@TMP@/guest-ram,share=on"],
    run=2)
cfg("pc-dimm",
    ["-machine", "pc,accel=kvm", "-m", "1G,slots=2,maxmem=4G", "-nodefaults",
     "-object", "memory-backend-ram,id=m1,size=512M",
     "-device", "pc-dimm,memdev=m1,id=dimm1"], run=2)
cfg("pc-devices-run",
    ["-machine", "pc,accel=kvm", "-m", "512M", "-nodefaults",
     "-device", "VGA", "-netdev", "user,id=u0,restrict=on",
     "-device", "e1000,netdev=u0",
     "-drive", "if=none,id=d0,format=raw,file=@TMP@/disk.img",
     "-device", "virtio-blk-pci,drive=d0"], run=2)
cfg("q35-devices-run",
    ["-machine", "q35,accel=kvm", "-m", "512M", "-nodefaults",
     "-device", "virtio-vga", "-netdev", "user,id=u0,restrict=on",
     "-device", "virtio-net-pci,netdev=u0",
     "-drive", "if=none,id=d0,format=raw,file=@TMP@/disk.img",
     "-device", "nvme,drive=d0,serial=golden"], run=2)
cfg("pc-ivshmem-run",
    ["-machine", "pc,accel=kvm", "-m", "256M", "-nodefaults",
     "-object", "memory-backend-memfd,id=shm0,size=1M,share=on",
     "-device", "ivshmem-plain,memdev=shm0"], run=2)
# Long enough for SeaBIOS to give up booting: it write-protects the shadowed
# BIOS first, so the readonly pam-rom aliases are enabled.
cfg("pc-bios-readonly-run", ["-machine", "pc,accel=kvm", "-m", "128M", "-nodefaults"], run=6)
cfg("q35-bios-readonly-run", ["-machine", "q35,accel=kvm", "-m", "128M", "-nodefaults"], run=6)
cfg("q35-devices-stopped",
    ["-machine", "q35,accel=kvm", "-m", "512M", "-nodefaults", "-S",
     "-device", "e1000,netdev=u0", "-netdev", "user,id=u0,restrict=on",
     "-device", "VGA"])

# The machines mtreefs builds itself (--machine pc|q35 -m M -smp N), for the
# comparison of their whole info files with QEMU's (tests/unit/machine_own_golden.c).
for machine in ("pc", "q35"):
    for size in ("128M", "2816M", "3584M", "4G", "6G"):
        for cpus in ("1", "4"):
            cfg("own-%s-%s-s%s" % (machine, size, cpus),
                ["-machine", machine + ",accel=kvm", "-m", size, "-smp", cpus,
                 "-S", "-nodefaults"])
# Importer configurations for repeated address-space names, other machine
# types, expander bridges, a hot-added DIMM and NUMA with several CPUs.
# e1000e (PCIe) gives every device an address space of the same name;
# intel-iommu gives one "vtd-root" per PCI function behind it.
cfg("q35-e1000e-x3",
    ["-machine", "q35,accel=kvm", "-m", "256M", "-nodefaults", "-S",
     "-device", "e1000e,id=n1", "-device", "e1000e,id=n2", "-device", "e1000e,id=n3"])
cfg("q35-e1000e-x3-run",
    ["-machine", "q35,accel=kvm", "-m", "256M", "-nodefaults",
     "-device", "e1000e,id=n1", "-device", "e1000e,id=n2", "-device", "e1000e,id=n3"], run=2)
cfg("pc-e1000-x3-run",
    ["-machine", "pc,accel=kvm", "-m", "256M", "-nodefaults",
     "-device", "e1000,id=n1", "-device", "e1000,id=n2", "-device", "e1000,id=n3"], run=2)
cfg("q35-intel-iommu",
    ["-machine", "q35,accel=kvm,kernel-irqchip=split", "-m", "512M", "-nodefaults", "-S",
     "-device", "intel-iommu", "-device", "e1000e,id=n1", "-device", "e1000e,id=n2"])
cfg("q35-intel-iommu-run",
    ["-machine", "q35,accel=kvm,kernel-irqchip=split", "-m", "512M", "-nodefaults",
     "-device", "intel-iommu,intremap=on", "-device", "VGA",
     "-device", "e1000e,id=n1"], run=2)
cfg("microvm", ["-machine", "microvm,accel=kvm", "-m", "256M", "-nodefaults", "-S"])
cfg("microvm-run", ["-machine", "microvm,accel=kvm", "-m", "256M", "-nodefaults"], run=2)
cfg("isapc", ["-machine", "isapc,accel=kvm", "-m", "64M", "-nodefaults", "-S"])
cfg("isapc-run", ["-machine", "isapc,accel=kvm", "-m", "64M", "-nodefaults",
                  "-device", "isa-vga"], run=2)
cfg("q35-pxb-pcie-run",
    ["-machine", "q35,accel=kvm", "-m", "512M", "-nodefaults",
     "-device", "pxb-pcie,id=pxb1,bus_nr=128,bus=pcie.0",
     "-device", "pcie-root-port,id=rp1,bus=pxb1,chassis=1",
     "-device", "e1000e,bus=rp1,id=n1"], run=2)
cfg("pc-pxb-run",
    ["-machine", "pc,accel=kvm", "-m", "512M", "-nodefaults",
     "-device", "pxb,id=pxb1,bus_nr=4",
     "-device", "pci-bridge,id=br1,bus=pxb1,chassis_nr=1,addr=3",
     "-device", "e1000,bus=br1,addr=1,id=n1", "-device", "VGA,bus=pci.0"], run=2)
cfg("pc-dimm-hotplug-qmp",
    ["-machine", "pc,accel=kvm", "-m", "1G,slots=2,maxmem=4G", "-nodefaults"], run=2,
    qmp=[("object-add", {"qom-type": "memory-backend-ram", "id": "m1", "size": 512 << 20}),
         ("device_add", {"driver": "pc-dimm", "id": "dimm1", "memdev": "m1"})])
cfg("q35-smp4-numa-run",
    ["-machine", "q35,accel=kvm", "-m", "2G", "-smp", "4", "-nodefaults",
     "-object", "memory-backend-ram,id=n0,size=1G",
     "-object", "memory-backend-ram,id=n1,size=1G",
     "-numa", "node,nodeid=0,cpus=0-1,memdev=n0",
     "-numa", "node,nodeid=1,cpus=2-3,memdev=n1"], run=2)


class Qmp:
    """Just enough QMP: greeting, capabilities, commands, skipping events."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("rwb")
        self.recv()
        self.cmd("qmp_capabilities")

    def recv(self):
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.file.flush()
        msg = self.recv()
        if "error" in msg:
            raise RuntimeError("%s: %s" % (name, msg["error"]))
        return msg["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line}).replace("\r", "")


def generate(name, args, run, qmp_steps, tmp):
    sock = os.path.join(tmp, "qmp.sock")
    args = [a.replace("@TMP@", tmp) for a in args]
    argv = [QEMU] + args + ["-display", "none", "-monitor", "none", "-serial", "none",
                            "-qmp", "unix:%s,server=on,wait=off" % sock]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        qmp = Qmp(sock, time.time() + 20)
        for command, cargs in qmp_steps:
            qmp.cmd(command, **cargs)
        if run:
            time.sleep(run)
            qmp.cmd("stop")
        outs = {
            "mtree-D": qmp.hmp("info mtree -D"),
            "mtree-f": qmp.hmp("info mtree -f"),
            "mtree": qmp.hmp("info mtree"),
            "ramblock": qmp.hmp("info ramblock"),
            "version": qmp.hmp("info version"),
        }
        qmp.cmd("quit")
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for fname, text in outs.items():
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)
    # The command line with the temporary directory named neutrally.
    shown = [a.replace(tmp, "/tmp/golden") for a in argv]
    with open(os.path.join(d, "cmdline"), "w") as f:
        f.write(shlex.join(shown) + "\n")
        for command, cargs in qmp_steps:
            f.write("# qmp: %s %s\n" % (command, json.dumps(cargs, sort_keys=True)))


def main():
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    if "--list" in sys.argv:
        print("\n".join(CONFIGS))
        return 0
    for n in names:
        if n not in CONFIGS:
            print("unknown config %s" % n, file=sys.stderr)
            return 2
    for name in names or list(CONFIGS):
        args, run, qmp_steps = CONFIGS[name]
        tmp = tempfile.mkdtemp(prefix="qemu-golden.")
        try:
            with open(os.path.join(tmp, "disk.img"), "wb") as f:
                f.truncate(1 << 20)
            generate(name, args, run, qmp_steps, tmp)
            print("  GOLDEN  %s" % name)
        finally:
            shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
