// SPDX-License-Identifier: MIT
/*
 * The control language's tokenizer and quoting: double quotes group words
 * with spaces (also in the middle of a word, as in name="I/O port"), \" and
 * \\ escape inside quotes, `#` at the start of a word begins a comment,
 * unterminated quotes and too many words are refused, and vmm_ctl_quote()
 * output always tokenizes back to the original string.
 */
#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>

#include "tap.h"

/* Tokenize @line and join the tokens with '|' for easy comparison. */
static const char *joined(const char *line, int *count)
{
	static char out[8192];
	char scratch[8192];
	char *tok[VMM_CTL_MAX_TOKENS];
	int n = vmm_ctl_tokenize(line, scratch, tok, VMM_CTL_MAX_TOKENS);

	*count = n;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, tok[i]);
	}
	return out;
}

static void check(const char *line, int want_n, const char *want)
{
	int n;
	const char *got = joined(line, &n);

	is(n, want_n, "token count of [%s]", line);
	if (want_n >= 0)
		is_str(got, want, "tokens of [%s]", line);
}

static void roundtrip(const char *s)
{
	struct vmm_buf b;
	char scratch[1024];
	char *tok[4];
	int n;

	vmm_buf_init(&b);
	vmm_buf_puts(&b, "x name=");
	vmm_ctl_quote(&b, s);
	vmm_buf_puts(&b, " y");
	n = vmm_ctl_tokenize(b.data, scratch, tok, 4);
	is(n, 3, "quoted [%s] stays one word: %s", s, b.data);
	if (n == 3) {
		is_str(tok[1] + 5, s, "quoted [%s] comes back unchanged", s);
		is_str(tok[2], "y", "word after quoted [%s] intact", s);
	}
	vmm_buf_free(&b);
}

int main(void)
{
	char many[512] = "";
	int n;

	check("", 0, "");
	check("   \t  ", 0, "");
	check("# just a comment", 0, "");
	check("   # indented comment", 0, "");
	check("ram pc.ram 512M", 3, "ram|pc.ram|512M");
	check("  ram\tpc.ram   512M  ", 3, "ram|pc.ram|512M");
	check("ram x 1M # trailing comment", 3, "ram|x|1M");
	check("ram x 1M name=a#b", 4, "ram|x|1M|name=a#b");
	check("container io 64K name=\"I/O\"", 4, "container|io|64K|name=I/O");
	check("container bm 16E name=\"bus master container\" in pci at 0",
	      8, "container|bm|16E|name=bus master container|in|pci|at|0");
	check("address-space \"cpu-memory 0\" system", 3, "address-space|cpu-memory 0|system");
	check("x \"\" y", 3, "x||y");
	check("x \"a\\\"b\" y", 3, "x|a\"b|y");
	check("x \"a\\\\b\" y", 3, "x|a\\b|y");
	check("x \"a\\nb\"", 2, "x|a\\nb");
	check("x \"# not a comment\" y", 3, "x|# not a comment|y");
	check("x a\"b c\"d", 2, "x|ab cd");
	check("x a\\b", 2, "x|a\\b");
	check("ram x 1M\r", 3, "ram|x|1M");
	check("x \"unterminated", -EINVAL, NULL);
	check("x \"a\\\"", -EINVAL, NULL);

	for (int i = 0; i < VMM_CTL_MAX_TOKENS; i++)
		strcat(many, "w ");
	joined(many, &n);
	is(n, VMM_CTL_MAX_TOKENS, "exactly %d words fit", VMM_CTL_MAX_TOKENS);
	strcat(many, "w");
	joined(many, &n);
	is(n, -EINVAL, "%d words are refused", VMM_CTL_MAX_TOKENS + 1);

	roundtrip("I/O");
	roundtrip("bus master container");
	roundtrip("/rom@etc/acpi/tables");
	roundtrip("");
	roundtrip("say \"hi\"");
	roundtrip("back\\slash");
	roundtrip("#hash");
	roundtrip("tab\there");

	ok(vmm_ctl_valid_id("pc.ram"), "pc.ram is a valid ID");
	ok(vmm_ctl_valid_id("a-b_c:d@e.f9"), "all allowed punctuation");
	ok(!vmm_ctl_valid_id(""), "empty ID refused");
	ok(!vmm_ctl_valid_id("."), "'.' refused");
	ok(!vmm_ctl_valid_id(".."), "'..' refused");
	ok(vmm_ctl_valid_id("..."), "'...' is fine");
	ok(!vmm_ctl_valid_id("a/b"), "'/' refused");
	ok(!vmm_ctl_valid_id("a b"), "space refused");
	ok(!vmm_ctl_valid_id("a%b"), "'%%' refused");
	memset(many, 'a', VMM_ID_MAX - 1);
	many[VMM_ID_MAX - 1] = '\0';
	ok(vmm_ctl_valid_id(many), "ID of %d bytes accepted", VMM_ID_MAX - 1);
	strcat(many, "a");
	ok(!vmm_ctl_valid_id(many), "ID of %d bytes refused", VMM_ID_MAX);
	return done_testing();
}
