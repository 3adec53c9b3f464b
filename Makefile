# SPDX-License-Identifier: MIT
#
# mtreefs: plain GNU make. `make` builds libvmm.a, the mtreefs daemon and the
# mtree tool into $(BUILD); `make check` runs the suite with prove; `make run`
# mounts the default machine; `make bench` runs the benchmarks; `make sanitize`
# runs the suite under ASan+UBSan and the stress test under TSan; `make image`
# builds the container image localhost/mtreefs.
# V=1 shows commands, WERROR=0 drops -Werror, SANITIZE=address,undefined or
# SANITIZE=thread builds instrumented binaries into their own build directory.

CC	?= cc
PREFIX	?= /usr/local
DESTDIR	?=
WERROR	?= 1
SANITIZE ?=
O	?= 2

ifeq ($(SANITIZE),)
BUILD	?= build
else
BUILD	?= build-$(subst $(comma),-,$(SANITIZE))
endif
comma	:= ,

ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

PKG_CONFIG ?= pkg-config
# libfuse: the system's when it has FUSE passthrough (3.17 or newer), else the
# 3.17 that tools/libfuse.sh builds into a cache outside the tree (make deps,
# as root), else the system's older one, without passthrough (fs/passthrough.c
# says which in machine/daemon/passthrough). LIBFUSE=system forces the system's.
LIBFUSE     ?= auto
LIBFUSE_DIR ?= $(shell sh tools/libfuse.sh dir)
ifeq ($(LIBFUSE)$(shell $(PKG_CONFIG) --atleast-version=3.17 fuse3 2>/dev/null || echo old),autoold)
ifneq ($(wildcard $(LIBFUSE_DIR)/lib/pkgconfig/fuse3.pc),)
FUSE_PC     := PKG_CONFIG_PATH=$(LIBFUSE_DIR)/lib/pkgconfig $(PKG_CONFIG) --static
endif
endif
FUSE_PC     ?= $(PKG_CONFIG)
FUSE_CFLAGS := $(shell $(FUSE_PC) --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell $(FUSE_PC) --libs fuse3 2>/dev/null)
FUSE_VERSION := $(shell $(FUSE_PC) --modversion fuse3 2>/dev/null)

WARN	:= -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	   -Wvla -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
CFLAGS	?= -O$(O) -g
CPPFLAGS := -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -MMD -MP -Ivmm/include
ALL_CFLAGS = $(CPPFLAGS) $(WARN) $(CFLAGS) -pthread
LDLIBS	:= -pthread
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif

VMM_SRCS   := $(sort $(wildcard vmm/*/*.c))
FS_SRCS    := $(sort $(wildcard fs/*.c))
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
UNIT_SRCS  := $(sort $(wildcard tests/unit/*.c))
FW_OBJS    :=
# The guest firmware adds its assembled blob to FW_OBJS.
-include vmm/machine/firmware/firmware.mk

VMM_OBJS   := $(VMM_SRCS:%.c=$(BUILD)/%.o) $(FW_OBJS)
FS_OBJS    := $(FS_SRCS:%.c=$(BUILD)/%.o)
TOOL_OBJS  := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
LIBVMM     := $(BUILD)/libvmm.a
MTREEFS    := $(BUILD)/mtreefs
MTREE      := $(BUILD)/mtree
EXTRA_BINS :=

.PHONY: all check run stop bench install uninstall clean sanitize asan tsan fuzz deps help image
all: $(LIBVMM) $(MTREE) $(MTREEFS) $(UNIT_BINS) $(EXTRA_BINS)

$(BUILD)/%.o: %.c
	$(quiet) CC $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(FUSE_CFLAGS) -c -o $@ $<

$(LIBVMM): $(VMM_OBJS)
	$(quiet) AR $@
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(MTREE): $(TOOL_OBJS) $(LIBVMM)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(LIBVMM) $(LDLIBS)

$(MTREEFS): $(FS_OBJS) $(LIBVMM) | fuse-check
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(FS_OBJS) $(LIBVMM) $(FUSE_LIBS) $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBVMM)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBVMM) $(LDLIBS) -lm

.PHONY: fuse-check
fuse-check:
	@$(FUSE_PC) --exists fuse3 || { \
	  echo "error: libfuse3 development files not found (pkg-config fuse3)." >&2; \
	  echo "       run: apt-get install -y libfuse3-dev fuse3 pkg-config" >&2; \
	  echo "       or 'make deps' as root" >&2; exit 1; }

# The daemon's objects are rebuilt when the libfuse they compile against changes.
$(FS_OBJS): $(BUILD)/fuse.flags
$(BUILD)/fuse.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(FUSE_VERSION) $(FUSE_CFLAGS) $(FUSE_LIBS)' | cmp -s - $@ || \
	  echo '$(FUSE_VERSION) $(FUSE_CFLAGS) $(FUSE_LIBS)' > $@
.PHONY: FORCE
FORCE:

# Install the Debian packages the build, the tests and `make run` need.
deps:
	@sh tools/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh tests/run.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh tools/run.sh start

stop:
	$(Q)BUILD=$(BUILD) sh tools/run.sh stop

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh tests/bench/run.sh

# The container image localhost/mtreefs, from the built programs
# (contrib/container/README.md).
image: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh tools/image.sh

# The suite under ASan+UBSan, then the stress tests under TSan.
sanitize: asan tsan
asan:
	$(Q)$(MAKE) --no-print-directory SANITIZE=address,undefined O=1 check
tsan:
	$(Q)$(MAKE) --no-print-directory SANITIZE=thread O=1 all
	$(Q)BUILD=build-thread TESTS_ONLY=stress sh tests/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(MTREEFS) $(MTREE) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 doc/mtreefs.1 doc/mtree.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 contrib/completion/mtreefs contrib/completion/mtree \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -d $(DESTDIR)$(PREFIX)/share/doc/mtreefs/examples
	install -m 644 README.md LICENSE $(DESTDIR)$(PREFIX)/share/doc/mtreefs/
	install -m 644 contrib/examples/*.mtree $(DESTDIR)$(PREFIX)/share/doc/mtreefs/examples/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mtreefs $(DESTDIR)$(PREFIX)/bin/mtree \
	      $(DESTDIR)$(PREFIX)/share/man/man1/mtreefs.1 $(DESTDIR)$(PREFIX)/share/man/man1/mtree.1 \
	      $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mtreefs \
	      $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mtree
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/mtreefs

clean:
	rm -rf build build-*

help:
	@sed -n 's/^# \{0,1\}//p' Makefile | sed -n 2,9p

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Fuzz targets (libFuzzer, clang): tests/fuzz/fuzz.mk defines `fuzz` and the
# short runs that are part of the suite.
-include tests/fuzz/fuzz.mk
