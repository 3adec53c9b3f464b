// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as QEMU's `info mtree -D` text, and the
 * part after the first form feed (if any) as `info mtree -f`, through
 * vmm_qemu_import(). A refusal must name a reason; an accepted dump gives a
 * script that must run in a fresh model without crashing or leaking (it may
 * fail with an error, and then must leave the model empty), after which the
 * usual invariants hold. Seeds are real QEMU 7.2 dumps from tests/golden.
 * Build: make fuzz; run: build-fuzz/tests/fuzz/fuzz_import.
 */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *flat = NULL;
	const char *ff = memchr(data, '\f', size);
	size_t tree_len = size, flat_len = 0;
	struct vmm_err err = { 0 };
	struct vmm_buf script;
	struct fuzz_env e;
	char *before, *after;
	int r;

	if (ff) {
		tree_len = (size_t)(ff - text);
		flat = ff + 1;
		flat_len = size - tree_len - 1;
	}
	vmm_buf_init(&script);
	r = vmm_qemu_import(text, tree_len, flat, flat_len, &script, &err);
	if (r) {
		FUZZ_CHECK(r < 0 && err.msg[0], "import failed (%d) without a reason", r);
		vmm_buf_free(&script);
		return 0;
	}
	FUZZ_CHECK(!script.oom, "import: out of memory");
	if (fuzz_unsafe_text((const uint8_t *)script.data, script.len)) {
		vmm_buf_free(&script);
		return 0;
	}
	fuzz_env_init(&e, 0);
	before = fuzz_snapshot(&e);
	r = fuzz_exec(&e, script.data ? script.data : "", script.len, &err);
	fuzz_check_all(&e);
	FUZZ_CHECK(!vmm_memory_depth(e.mem), "an imported script left a transaction open");
	if (r) {
		after = fuzz_snapshot(&e);
		FUZZ_CHECK(err.code == r && err.msg[0], "script failed (%d) without a reason", r);
		FUZZ_CHECK(!strcmp(before, after), "failed script (%s) changed the model", err.msg);
		free(after);
	}
	free(before);
	fuzz_env_free(&e);
	vmm_buf_free(&script);
	return 0;
}
