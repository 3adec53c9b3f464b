/* SPDX-License-Identifier: MIT */
/*
 * Inside struct vmm_accel, for accel.c, the front end behind the public
 * vmm_accel_* API: the memslot table (memslot_priv.h) both accelerators keep
 * and, on KVM, the VM of the back end (kvm_priv.h). Calls run one way: accel.c
 * uses both; neither calls back.
 */
#ifndef VMM_ACCEL_PRIV_H
#define VMM_ACCEL_PRIV_H

#include "kvm_priv.h"
#include "memslot_priv.h"

struct vmm_accel {
	enum vmm_accel_kind kind;
	struct vmm_kvm_caps caps;
	struct memslot_table t;
	struct vmm_accel_stats stats;
	unsigned fault_countdown;
	int fault_errno;	/* negative: what the armed set_memslot call returns */
	struct kvm_vm vm;
};

#endif
