/* SPDX-License-Identifier: MIT */
/*
 * Embeds the flat firmware image (fw.bin, assembled and objcopy'd at build
 * time from fw.S) into libvmm as vmm_firmware_start..vmm_firmware_end.
 */
	.section .rodata, "a"
	.globl	vmm_firmware_start
	.globl	vmm_firmware_end
	.p2align 12
vmm_firmware_start:
	.incbin	FW_BIN
vmm_firmware_end:
	.section .note.GNU-stack, "", @progbits
