/* SPDX-License-Identifier: MIT */
/*
 * Private to vmm/machine: the models an attached machine replaced
 * (attach.c), freed when the machine is destroyed (machine.c).
 */
#ifndef VMM_MACHINE_ATTACH_PRIV_H
#define VMM_MACHINE_ATTACH_PRIV_H

#include <vmm/machine.h>

void machine_retired_free(struct vmm_machine *mc);

#endif
