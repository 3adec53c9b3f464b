/* SPDX-License-Identifier: MIT */
/*
 * The guest firmware: 64 KiB that sit at the top of pc.bios (0xffff0000-
 * 0xffffffff). From the reset vector it leaves real mode for 32-bit protected
 * mode, builds identity page tables for the first 4 GiB in RAM, enters 64-bit
 * long mode, greets on the debug console with one string PIO, and then loops:
 * bump the heartbeat, poll the probe mailbox, serve a request with one real
 * load or store, or halt until the host wakes it. See README for the layout.
 */
#include <vmm/machine.h>

#define FW_BASE		0xffff0000	/* where the first byte of this image lands */
#define LIN(x)		(FW_BASE + ((x) - fw_start))

/* Guest RAM used by the firmware, all inside [VMM_FW_RAM_START, VMM_FW_RAM_END). */
#define STACK_TOP	VMM_HEARTBEAT_GPA	/* stack grows down from the heartbeat */
#define PML4		0x8000
#define PDPT		0x9000
#define PD0		0xa000			/* four PDs: 0-4 GiB in 2 MiB pages */
#define PD_WIN		0xe000			/* window PD, virtual 4 GiB + */
#define PT_END		0xf000
#define WIN_VIRT	0x100000000

#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

#define PORT(r)		(VMM_PROBE_PORT + VMM_PROBE_##r)

	.section .text, "ax"
	.globl fw_start
fw_start:

/* ---- 16-bit real mode: CS base 0xffff0000, entered from the reset vector ---- */
	.code16
real_entry:
	cli
	cld
	lgdtl	%cs:(gdt_desc - fw_start)
	movl	%cr0, %eax
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $LIN(pm32)

/* ---- 32-bit protected mode, flat segments ---- */
	.code32
pm32:
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$1, %eax			/* only the BSP (APIC ID 0) goes on: an AP */
	cpuid					/* rebuilding the page tables would pull */
	shrl	$24, %ebx			/* them from under the BSP's feet */
	testl	%ebx, %ebx
	jnz	ap_park
	movl	$STACK_TOP, %esp

	movl	$PML4, %edi			/* clear all page tables */
	xorl	%eax, %eax
	movl	$(PT_END - PML4) / 4, %ecx
	rep stosl

	movl	$PDPT | 3, PML4
	movl	$PD0 | 3, PDPT
	movl	$(PD0 + 0x1000) | 3, PDPT + 8
	movl	$(PD0 + 0x2000) | 3, PDPT + 16
	movl	$(PD0 + 0x3000) | 3, PDPT + 24
	movl	$PD_WIN | 3, PDPT + 32

	movl	$PD0, %edi			/* 2048 2 MiB pages: identity 0-4 GiB */
	movl	$0x83, %eax			/* present, writable, 2 MiB */
	movl	$2048, %ecx
1:	movl	%eax, (%edi)
	addl	$8, %edi
	addl	$0x200000, %eax
	loop	1b

	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$PML4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000000, %eax		/* PG */
	movl	%eax, %cr0
	ljmpl	$SEL_CODE64, $LIN(lm64)

ap_park:					/* APs: halted for good, touching nothing */
	hlt
	jmp	ap_park

/* ---- 64-bit long mode ---- */
	.code64
lm64:
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movq	$STACK_TOP, %rsp

	movq	$0, VMM_HEARTBEAT_GPA
	leaq	greeting(%rip), %rsi		/* one string PIO: rep outsb */
	movl	$greeting_end - greeting, %ecx
	movw	$VMM_DEBUGCON_PORT, %dx
	rep outsb
	movw	$PORT(READY), %dx
	movl	$VMM_PROBE_MAGIC, %eax
	outl	%eax, %dx

main_loop:
	incq	VMM_HEARTBEAT_GPA
	movw	$PORT(CMD), %dx
	inl	%dx, %eax
	testl	%eax, %eax
	jz	idle
	call	serve
	jmp	main_loop
idle:
	hlt					/* the host resumes us after a tick or a post */
	jmp	main_loop


/*
 * serve: %eax = op. Loads SIZE, GPA and VAL, performs the access, answers.
 * Registers: r8 op, r9 size, rdi address, r11 value, rax result, ebx status.
 */
serve:
	movl	%eax, %r8d
	movw	$PORT(SIZE), %dx
	inl	%dx, %eax
	movl	%eax, %r9d
	movw	$PORT(GPA_HI), %dx
	inl	%dx, %eax
	shlq	$32, %rax
	movw	$PORT(GPA_LO), %dx
	inl	%dx, %eax			/* zero-extends: reload the high half */
	movq	%rax, %rdi
	movw	$PORT(GPA_HI), %dx
	inl	%dx, %eax
	shlq	$32, %rax
	orq	%rax, %rdi
	movw	$PORT(VAL_LO), %dx
	inl	%dx, %eax
	movl	%eax, %r11d
	movw	$PORT(VAL_HI), %dx
	inl	%dx, %eax
	shlq	$32, %rax
	orq	%rax, %r11

	movq	$WIN_VIRT, %rax
	cmpq	%rax, %rdi
	jb	1f
	call	map_window
1:	xorl	%ebx, %ebx
	xorl	%eax, %eax
	cmpl	$VMM_PROBE_OP_READ, %r8d
	jne	do_write

do_read:
	cmpl	$1, %r9d
	je	r1
	cmpl	$2, %r9d
	je	r2
	cmpl	$4, %r9d
	je	r4
	cmpl	$8, %r9d
	je	r8
	jmp	bad_size
r1:	movzbl	(%rdi), %eax
	jmp	answer
r2:	movzwl	(%rdi), %eax
	jmp	answer
r4:	movl	(%rdi), %eax
	jmp	answer
r8:	movq	(%rdi), %rax
	jmp	answer

do_write:
	cmpl	$1, %r9d
	je	w1
	cmpl	$2, %r9d
	je	w2
	cmpl	$4, %r9d
	je	w4
	cmpl	$8, %r9d
	je	w8
	jmp	bad_size
w1:	movb	%r11b, (%rdi)
	jmp	answer
w2:	movw	%r11w, (%rdi)
	jmp	answer
w4:	movl	%r11d, (%rdi)
	jmp	answer
w8:	movq	%r11, (%rdi)
	jmp	answer

bad_size:
	movl	$1, %ebx
answer:
	movq	%rax, %rcx
	movw	$PORT(RES_LO), %dx
	outl	%eax, %dx
	shrq	$32, %rcx
	movl	%ecx, %eax
	movw	$PORT(RES_HI), %dx
	outl	%eax, %dx
	movl	%ebx, %eax
	movw	$PORT(DONE), %dx
	outl	%eax, %dx
	ret

/*
 * map_window: point the two window PDEs at the 2 MiB frame of %rdi and the
 * next one (an access may straddle them), then turn %rdi into the virtual
 * address inside the window.
 */
map_window:
	movq	%rdi, %rax
	andq	$-0x200000, %rax
	orq	$0x83, %rax
	movq	%rax, PD_WIN
	addq	$0x200000, %rax
	movq	%rax, PD_WIN + 8
	andq	$0x1fffff, %rdi
	movq	$WIN_VIRT, %rax
	addq	%rax, %rdi
	invlpg	(%rdi)
	leaq	0x200000(%rdi), %rax
	invlpg	(%rax)
	ret

greeting:
	.ascii	"mtreefs firmware: hello from the reset vector\n"
greeting_end:

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff		/* 0x08 code32, base 0, 4 GiB */
	.quad	0x00cf93000000ffff		/* 0x10 data, base 0, 4 GiB */
	.quad	0x00af9b000000ffff		/* 0x18 code64 */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	LIN(gdt)

/* ---- the reset vector: 0xfffffff0, 16 bytes below the end ---- */
	.org	0xfff0
	.code16
	.byte	0xe9				/* jmp rel16: IP wraps from 0xfff3 to real_entry */
	.word	((real_entry - fw_start) - 0xfff3) & 0xffff
	.org	0xffff, 0xf4
	.byte	0xf4
