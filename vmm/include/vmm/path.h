/* SPDX-License-Identifier: MIT */
/*
 * Paths the process must never open: a FUSE daemon that serves a mount from
 * this process deadlocks when one of its request threads opens a file on
 * that mount while holding a lock the reply needs (a RAM block backed by a
 * file on it, say). The daemon names its mount's device once it is mounted;
 * vmm checks a path against it before opening it, without touching the mount.
 */
#ifndef VMM_PATH_H
#define VMM_PATH_H

#include <sys/types.h>

#include <vmm/base.h>

void vmm_path_forbid_dev(dev_t dev);
int vmm_path_check(const char *path, struct vmm_err *err);

#endif
