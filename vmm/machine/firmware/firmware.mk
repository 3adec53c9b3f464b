# SPDX-License-Identifier: MIT
#
# The guest firmware, built from source: fw.S is assembled by $(CC) (GNU as),
# its .text turned into a flat 64 KiB image with objcopy, and blob.S embeds
# that image with .incbin into an object that goes into libvmm.a.
# Included by the top Makefile before its first target, hence the goal line.

.DEFAULT_GOAL := all
OBJCOPY	?= objcopy
FW_OUT	:= $(BUILD)/vmm/machine/firmware
FW_OBJS	+= $(FW_OUT)/blob.o

$(FW_OUT)/fw.elf: vmm/machine/firmware/fw.S
	$(quiet) AS $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) -Ivmm/include -MMD -MP -c -o $@ $<

$(FW_OUT)/fw.bin: $(FW_OUT)/fw.elf
	$(quiet) OBJCOPY $@
	$(Q)$(OBJCOPY) -O binary -j .text $< $@
	$(Q)test $$(stat -c %s $@) -eq 65536 || { echo "$@: not 64 KiB" >&2; rm -f $@; exit 1; }

$(FW_OUT)/blob.o: vmm/machine/firmware/blob.S $(FW_OUT)/fw.bin
	$(quiet) AS $@
	$(Q)$(CC) -DFW_BIN='"$(FW_OUT)/fw.bin"' -c -o $@ $<
