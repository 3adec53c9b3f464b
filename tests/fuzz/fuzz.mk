# SPDX-License-Identifier: MIT
#
# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang and
# -fsanitize=fuzzer,address,undefined against their own instrumented copy of
# the vmm sources in $(FUZZ_BUILD) (the firmware blob is plain data and comes
# from the normal build). Included at the end of the top Makefile.
#
#   make fuzz                    build every harness
#   make fuzz-long [FUZZ_TIME=S] run each harness S seconds (default 300) on
#                                a working corpus seeded from tests/fuzz/corpus,
#                                niced, one job (libFuzzer's fork mode, so a
#                                finding does not end the run); crash, leak
#                                and timeout inputs land in $(FUZZ_BUILD)/artifacts
#   tests/fuzz/fuzz_short.t      (part of make check) a short run of each

FUZZ_CC		?= clang
FUZZ_BUILD	?= build-fuzz
FUZZ_TIME	?= 300
FUZZ_TARGETS	:= $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS	:= $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/%)
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		   -fno-omit-frame-pointer
# Others' files are not held to clang's extra warnings here; the harnesses are.
FUZZ_CFLAGS	:= $(CPPFLAGS) $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral -O1 -g $(FUZZ_SAN) \
		   -fsanitize=fuzzer-no-link -pthread
FUZZ_VMM_OBJS	:= $(VMM_SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB	:= $(FUZZ_BUILD)/libvmm.a

.PHONY: fuzz fuzz-long fuzz-check
fuzz: fuzz-check $(FUZZ_BINS)

fuzz-check:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
	  echo "error: $(FUZZ_CC) not found; run: apt-get install -y clang" >&2; exit 1; }
	@echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n); \
	  int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
	  $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null || { \
	  echo "error: $(FUZZ_CC) has no libFuzzer runtime; run: apt-get install -y" \
	       "libclang-rt-dev (Debian 12: libclang-rt-14-dev)" >&2; exit 1; }

$(FUZZ_BUILD)/vmm/%.o: vmm/%.c
	$(quiet) FUZZCC $@
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_VMM_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/tests/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(FW_OBJS) | fuzz-check
	$(quiet) FUZZLD $@
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) \
		$(FW_OBJS) $(LDLIBS) -lm

# Each harness in turn on a working copy of its seeds (the committed corpus is
# never written); new crash inputs go to $(FUZZ_BUILD)/artifacts/TARGET/.
fuzz-long: fuzz
	$(Q)fail=; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  echo "== $$t, $(FUZZ_TIME) s"; \
	  n=$$(ls $(FUZZ_BUILD)/artifacts/$$t | wc -l); \
	  nice -n 10 $(FUZZ_BUILD)/tests/fuzz/$$t -max_total_time=$(FUZZ_TIME) \
	    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
	    -max_len=8192 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	    $$( [ -f tests/fuzz/$$t.dict ] && echo -dict=tests/fuzz/$$t.dict ) \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t && \
	  [ "$$(ls $(FUZZ_BUILD)/artifacts/$$t | wc -l)" = "$$n" ] || fail="$$fail $$t"; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz-long: findings in:$$fail" >&2; exit 1; fi

-include $(wildcard $(FUZZ_BUILD)/vmm/*/*.d $(FUZZ_BUILD)/tests/fuzz/*.d)
