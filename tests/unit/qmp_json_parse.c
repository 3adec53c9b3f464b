/* SPDX-License-Identifier: MIT */
/*
 * The JSON reader under the QMP client: a real QMP reply reads back member by
 * member; strings decode every escape, \uXXXX to UTF-8 with surrogate pairs
 * joined, and keep embedded NULs; integers keep all 64 bits; malformed
 * documents (truncated, trailing text, lone surrogates, bad literals, control
 * characters, too deep) are refused with -EINVAL/-E2BIG and a reason naming
 * the byte offset; vmm_json_quote output parses back to the same bytes.
 */
#include <errno.h>

#include <vmm/qmp.h>

#include "tap.h"

static int parse(const char *s, struct vmm_json **j, struct vmm_err *err)
{
	vmm_err_clear(err);
	return vmm_json_parse(s, strlen(s), j, err);
}

static void rejects(const char *s, int code, const char *why)
{
	struct vmm_err err = { 0 };
	struct vmm_json *j = (struct vmm_json *)1;
	int r = parse(s, &j, &err);

	is(r, code, "rejects %s", why);
	ok(j == NULL && err.msg[0], "  and says why: %s", err.msg);
}

static void reply(void)
{
	const char *text = "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, "
			   "\"running\": false}, \"id\": 18446744073709551615}\r\n";
	struct vmm_err err = { 0 };
	struct vmm_json *j, *ret;
	uint64_t id = 0;
	bool b = true;
	int64_t i;

	is(parse(text, &j, &err), 0, "a QMP reply parses");
	is(vmm_json_type(j), VMM_JSON_OBJECT, "it is an object");
	is(vmm_json_count(j), 2, "with two members");
	is_str(vmm_json_key_at(j, 1), "id", "keys keep their order");
	ok(!vmm_json_uint(vmm_json_get(j, "id"), &id) && id == UINT64_MAX, "a 2^64-1 id is exact");
	is(vmm_json_int(vmm_json_get(j, "id"), &i), -ERANGE, "and does not fit an int64");
	is_str(vmm_json_str(vmm_json_get(vmm_json_get(j, "return"), "status"), NULL), "prelaunch",
	       "nested lookup");
	ok(!vmm_json_bool(vmm_json_get(vmm_json_get(j, "return"), "running"), &b) && !b,
	   "booleans");
	ok(vmm_json_get(j, "nothing") == NULL && vmm_json_get(NULL, "x") == NULL,
	   "missing keys and NULL objects give NULL");
	ret = vmm_json_take(j, "return");
	ok(ret && vmm_json_count(j) == 1 && !vmm_json_get(j, "return"), "take detaches a member");
	vmm_json_free(ret);
	vmm_json_free(j);
}

static void strings(void)
{
	struct vmm_err err = { 0 };
	struct vmm_json *j;
	const char *s;
	size_t n = 0;

	is(parse("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"",
		 &j, &err), 0, "a string with every escape parses");
	s = vmm_json_str(j, &n);
	ok(s && n == 21 && !memcmp(s, "a\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z",
				    21), "escapes decode to UTF-8, the pair to U+1F600, NUL kept");
	vmm_json_free(j);
	is(parse("\"caf\xc3\xa9\"", &j, &err), 0, "raw UTF-8 passes through");
	is_str(vmm_json_str(j, NULL), "caf\xc3\xa9", "  unchanged");
	vmm_json_free(j);
}

static void numbers(void)
{
	struct vmm_err err = { 0 };
	struct vmm_json *j;
	double d = 0;
	int64_t i = 0;
	uint64_t u;

	is(parse("[-9223372036854775808, 0, -0, 1.5e3, 18446744073709551616, 3.0]", &j, &err), 0,
	   "an array of numbers parses");
	ok(!vmm_json_int(vmm_json_at(j, 0), &i) && i == INT64_MIN, "INT64_MIN is exact");
	is(vmm_json_uint(vmm_json_at(j, 0), &u), -ERANGE, "and not a uint64");
	ok(!vmm_json_int(vmm_json_at(j, 2), &i) && i == 0, "-0 is 0");
	ok(!vmm_json_double(vmm_json_at(j, 3), &d) && d == 1500.0, "1.5e3 is 1500.0");
	is(vmm_json_int(vmm_json_at(j, 3), &i), -EINVAL, "but not an integer");
	is(vmm_json_uint(vmm_json_at(j, 4), &u), -ERANGE, "2^64 does not fit");
	is(vmm_json_int(vmm_json_at(j, 5), &i), -EINVAL, "3.0 is no integer");
	ok(vmm_json_at(j, 6) == NULL, "index past the end is NULL");
	vmm_json_free(j);
}

static void depth(void)
{
	char deep[2 * VMM_JSON_MAX_DEPTH + 8];
	struct vmm_err err = { 0 };
	struct vmm_json *j;
	int k;

	for (k = 0; k < VMM_JSON_MAX_DEPTH; k++)
		deep[k] = '[';
	for (; k < 2 * VMM_JSON_MAX_DEPTH; k++)
		deep[k] = ']';
	deep[k] = '\0';
	is(parse(deep, &j, &err), 0, "nesting of exactly the limit parses");
	vmm_json_free(j);
	memmove(deep + 1, deep, strlen(deep) + 1);
	deep[0] = '[';
	strcat(deep, "]");
	rejects(deep, -E2BIG, "one level deeper");
}

static void quote(void)
{
	static const char raw[] = "a\"b\\c\n\x01\x7f\xc3\xa9\0end";
	struct vmm_err err = { 0 };
	struct vmm_json *j;
	struct vmm_buf b;
	size_t n = 0;
	const char *s;

	vmm_buf_init(&b);
	vmm_json_quote(&b, raw, sizeof(raw) - 1);
	is(vmm_json_parse(b.data, b.len, &j, &err), 0, "quoted text parses: %s", b.data);
	s = vmm_json_str(j, &n);
	ok(s && n == sizeof(raw) - 1 && !memcmp(s, raw, n), "  back to the same bytes");
	vmm_json_free(j);
	vmm_buf_free(&b);
}

int main(void)
{
	reply();
	strings();
	numbers();
	depth();
	quote();
	rejects("", -EINVAL, "empty input");
	rejects("{\"a\": 1", -EINVAL, "a truncated object");
	rejects("{\"a\": 1}}", -EINVAL, "text after the document");
	rejects("{\"a\" 1}", -EINVAL, "a missing colon");
	rejects("{a: 1}", -EINVAL, "an unquoted key");
	rejects("[1, 2,]", -EINVAL, "a trailing comma");
	rejects("[tru]", -EINVAL, "a bad literal");
	rejects("[01]", -EINVAL, "a leading zero");
	rejects("[1.]", -EINVAL, "a bare decimal point");
	rejects("[-]", -EINVAL, "a bare minus");
	rejects("[1e]", -EINVAL, "an empty exponent");
	rejects("\"\\ud83d\"", -EINVAL, "a lone high surrogate");
	rejects("\"\\ude00\"", -EINVAL, "a lone low surrogate");
	rejects("\"\\ud83d\\u0041\"", -EINVAL, "a high surrogate before a non-surrogate");
	rejects("\"\\u12g4\"", -EINVAL, "a bad hex digit");
	rejects("\"\\x\"", -EINVAL, "an unknown escape");
	rejects("\"a\nb\"", -EINVAL, "a raw newline in a string");
	rejects("\"abc", -EINVAL, "an unterminated string");
	rejects("\"abc\\", -EINVAL, "a string ending in a backslash");
	rejects("{\"QMP\": {\"version\": ", -EINVAL, "a greeting cut short");
	return done_testing();
}
