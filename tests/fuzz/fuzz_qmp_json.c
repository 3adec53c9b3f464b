// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes through vmm_json_parse(), the reader the
 * QMP client applies to everything QEMU sends. A refusal must carry its code
 * and a reason; an accepted document is walked completely (every lookup and
 * accessor) and written back out as JSON, which must parse again and write
 * out the same (strings through vmm_json_quote, integers exactly, other
 * numbers with 17 digits). Seeds are real QEMU 7.2 QMP messages (greeting,
 * replies, events, errors, `info mtree -f` through human-monitor-command)
 * and a few escapes. Build: make fuzz; run: build-fuzz/tests/fuzz/fuzz_qmp_json.
 */
#include <math.h>

#include <vmm/qmp.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write @j back out; false when a number has no JSON spelling (inf). */
static bool emit(const struct vmm_json *j, struct vmm_buf *b)
{
	const char *s;
	uint64_t u;
	int64_t i;
	double d;
	size_t n;
	bool v;

	switch (vmm_json_type(j)) {
	case VMM_JSON_NULL:
		vmm_buf_puts(b, "null");
		return true;
	case VMM_JSON_BOOL:
		FUZZ_CHECK(!vmm_json_bool(j, &v), "a boolean without a value");
		vmm_buf_puts(b, v ? "true" : "false");
		return true;
	case VMM_JSON_NUMBER:
		FUZZ_CHECK(!vmm_json_double(j, &d), "a number without a double");
		if (!vmm_json_int(j, &i)) {
			vmm_buf_printf(b, "%lld", (long long)i);
		} else if (!vmm_json_uint(j, &u)) {
			vmm_buf_printf(b, "%llu", (unsigned long long)u);
		} else {
			if (!isfinite(d))
				return false;
			/* -0.0 would read back as the integer 0 */
			vmm_buf_printf(b, "%.17g", d == 0 ? 0.0 : d);
		}
		return true;
	case VMM_JSON_STRING:
		s = vmm_json_str(j, &n);
		FUZZ_CHECK(s && strlen(s) <= n && s[n] == '\0', "string not terminated");
		vmm_json_quote(b, s, n);
		return true;
	case VMM_JSON_ARRAY:
	case VMM_JSON_OBJECT:
		break;
	}
	vmm_buf_puts(b, vmm_json_type(j) == VMM_JSON_ARRAY ? "[" : "{");
	n = vmm_json_count(j);
	for (size_t k = 0; k < n; k++) {
		const char *key = vmm_json_key_at(j, k);

		FUZZ_CHECK(vmm_json_at(j, k), "member %zu of %zu missing", k, n);
		if (k)
			vmm_buf_puts(b, ",");
		if (vmm_json_type(j) == VMM_JSON_OBJECT) {
			FUZZ_CHECK(key && vmm_json_get(j, key), "key %zu not found by lookup", k);
			vmm_json_quote(b, key, strlen(key));
			vmm_buf_puts(b, ":");
		} else {
			FUZZ_CHECK(!key, "an array element with a key");
		}
		if (!emit(vmm_json_at(j, k), b))
			return false;
	}
	FUZZ_CHECK(!vmm_json_at(j, n), "an element past the end");
	vmm_buf_puts(b, vmm_json_type(j) == VMM_JSON_ARRAY ? "]" : "}");
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_err err = { 0 };
	struct vmm_json *j, *j2;
	struct vmm_buf a, b;
	bool spelled;
	int r;

	r = vmm_json_parse((const char *)data, size, &j, &err);
	if (r) {
		FUZZ_CHECK(r < 0 && err.code == r && err.msg[0] && !j,
			   "refused (%d) without a reason or with a tree", r);
		return 0;
	}
	vmm_buf_init(&a);
	vmm_buf_init(&b);
	spelled = emit(j, &a);
	FUZZ_CHECK(!a.oom, "out of memory");
	if (spelled) {
		r = vmm_json_parse(a.data, a.len, &j2, &err);
		FUZZ_CHECK(!r, "our own output does not parse: %s", err.msg);
		FUZZ_CHECK(emit(j2, &b) && a.len == b.len && !memcmp(a.data, b.data, a.len),
			   "writing out is not stable");
		vmm_json_free(j2);
	}
	/* take a member out and put the tree away: no double free, no leak */
	if (vmm_json_type(j) == VMM_JSON_OBJECT && vmm_json_count(j))
		vmm_json_free(vmm_json_take(j, vmm_json_key_at(j, 0)));
	vmm_json_free(j);
	vmm_buf_free(&a);
	vmm_buf_free(&b);
	return 0;
}
