// SPDX-License-Identifier: MIT
/*
 * Name limits: region IDs are 1..VMM_ID_MAX-1 bytes of letters, digits and
 * "._-:@", never "." or ".."; anything else ('/', spaces, control characters,
 * bytes >= 0x80 such as broken UTF-8) is refused with EINVAL and a reason,
 * through the control language and the C API alike, and nothing is created.
 * Display names, address-space names and RAM block idstrs follow QEMU: '/',
 * '..', spaces and non-UTF-8 bytes are kept byte for byte (and printed so)
 * up to VMM_NAME_MAX-1 bytes; one byte more is EINVAL. Lines are at most
 * VMM_CTL_LINE_MAX bytes and VMM_CTL_MAX_TOKENS words, and carry no control
 * characters.
 */
#include <errno.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include <vmm/ramblock.h>

#include "tap.h"

static struct vmm_err err;

static int run(struct vmm_memory *m, const char *text)
{
	struct vmm_ctl_ctx ctx = { .mem = m };

	return vmm_ctl_exec(&ctx, text, strlen(text), &err);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static char *mtree_text(struct vmm_memory *m)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	vmm_print_mtree(m, VMM_PRINT_DISABLED, &b);
	vmm_print_ramblock(m, &b);
	vmm_buf_printf(&b, "%zu regions\n", vmm_memory_region_count(m));
	return vmm_buf_steal(&b, NULL);
}

/* @id is refused by the ctl "container" command and by the C API. */
static void id_refused(struct vmm_memory *m, const char *id, const char *what)
{
	char *before = mtree_text(m), *after, line[512];
	struct vmm_mr *mr = NULL;
	int r;

	snprintf(line, sizeof(line), "container \"%s\" 4K\n", id);
	r = run(m, line);
	is(r, -EINVAL, "ctl refuses an ID %s (%s)", what, err.msg);
	ok(strstr(err.msg, "ID") || strstr(err.msg, "control character"),
	   "  the reason says the ID (or its byte) is bad");
	r = vmm_mr_new_container(m, id, NULL, 4096, &mr, &err);
	is(r, -EINVAL, "  the C API refuses it too (%s)", err.msg);
	ok(!vmm_mr_find(m, id) && !mr, "  and nothing is created");
	after = mtree_text(m);
	is_str(after, before, "  the model is unchanged");
	free(before);
	free(after);
}

static void ids(struct vmm_memory *m)
{
	char *longest = repeat('a', VMM_ID_MAX - 1), *too_long = repeat('b', VMM_ID_MAX);
	char line[512];

	snprintf(line, sizeof(line), "container %s 4K\n", longest);
	is(run(m, line), 0, "an ID of %d bytes is accepted (%s)", VMM_ID_MAX - 1, err.msg);
	ok(vmm_mr_find(m, longest) != NULL, "  and found by it");
	id_refused(m, too_long, "of VMM_ID_MAX bytes");
	id_refused(m, "a/b", "with '/'");
	id_refused(m, "..", "'..'");
	id_refused(m, ".", "'.'");
	id_refused(m, "", "that is empty");
	id_refused(m, "has space", "with a space");
	id_refused(m, "tab\there", "with a tab");
	id_refused(m, "caf\xc3\xa9", "in valid UTF-8 outside ASCII");
	id_refused(m, "bad\xc3(", "with broken UTF-8");
	id_refused(m, "\xff\xfe", "of bytes that are never UTF-8");
	id_refused(m, "x\x7f", "with DEL");
	is(run(m, "container ..a 4K\ncontainer a..b 4K\ncontainer .hidden 4K\n"), 0,
	   "dots inside or before other characters are fine (%s)", err.msg);
	free(longest);
	free(too_long);
}

/* A display name created through ctl comes back byte for byte. */
static void name_kept(struct vmm_memory *m, const char *id, const char *quoted,
		      const char *want, const char *what)
{
	char line[1024];
	struct vmm_buf q;
	struct vmm_mr *mr;
	char *text;

	snprintf(line, sizeof(line), "container %s 4K name=%s\n", id, quoted);
	is(run(m, line), 0, "display name %s is accepted (%s)", what, err.msg);
	mr = vmm_mr_find(m, id);
	is_str(mr ? mr->name : NULL, want, "  kept exactly");
	run(m, "container names-root 16E\n");
	vmm_buf_init(&q);
	vmm_ctl_quote(&q, want);
	snprintf(line, sizeof(line), "map %s in names-root at 0\naddress-space %s names-root\n",
		 id, q.data);
	vmm_buf_free(&q);
	is(run(m, line), 0, "  usable as an address-space name too (%s)", err.msg);
	text = mtree_text(m);
	ok(strstr(text, want) != NULL, "  and printed unchanged by info mtree");
	snprintf(line, sizeof(line), "unmap %s\n", id);
	run(m, line);
	free(text);
	/* drop the address space again so the next name gets its own */
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next) {
		if (!strcmp(as->name, want)) {
			vmm_as_delete(as, &err);
			break;
		}
	}
}

static void names(struct vmm_memory *m)
{
	char *longest = repeat('n', VMM_NAME_MAX - 1), *too_long = repeat('o', VMM_NAME_MAX);
	char *line = xmalloc(VMM_NAME_MAX + 64);
	struct vmm_mr *mr = NULL;

	name_kept(m, "n1", "\"I/O\"", "I/O", "with '/'");
	name_kept(m, "n2", "\"/rom@etc/acpi/tables\"", "/rom@etc/acpi/tables", "a path");
	name_kept(m, "n3", "..", "..", "'..'");
	name_kept(m, "n4", "\"bus master container\"", "bus master container", "with spaces");
	name_kept(m, "n5", "caf\xc3\xa9", "caf\xc3\xa9", "in UTF-8");
	name_kept(m, "n6", "bad\xc3(\xff", "bad\xc3(\xff", "in broken UTF-8");
	name_kept(m, "n7", "\"q\\\"uote\\\\\"", "q\"uote\\", "with a quote and a backslash");

	snprintf(line, VMM_NAME_MAX + 64, "container n8 4K name=%s\n", longest);
	is(run(m, line), 0, "a display name of %d bytes is accepted", VMM_NAME_MAX - 1);
	snprintf(line, VMM_NAME_MAX + 64, "container n9 4K name=%s\n", too_long);
	is(run(m, line), -EINVAL, "one of %d bytes is refused (%s)", VMM_NAME_MAX, err.msg);
	ok(!vmm_mr_find(m, "n9"), "  and nothing is created");
	is(vmm_mr_new_container(m, "n9", too_long, 4096, &mr, &err), -EINVAL,
	   "  the C API refuses it too (%s)", err.msg);
	snprintf(line, VMM_NAME_MAX + 64, "ram n10 4K idstr=%s\n", too_long);
	is(run(m, line), -EINVAL, "an idstr of %d bytes is refused (%s)", VMM_NAME_MAX, err.msg);
	snprintf(line, VMM_NAME_MAX + 64, "address-space %s n8\n", too_long);
	is(run(m, line), -EINVAL, "so is an address-space name (%s)", err.msg);
	is(vmm_mr_new_container(m, "n11", "two\nlines", 4096, &mr, &err), -EINVAL,
	   "a display name with a newline is refused by the C API (%s)", err.msg);
	is(run(m, "ram n12 4K idstr=\"pc.ram/../x y\"\n"), 0,
	   "an idstr with '/', '..' and a space is accepted (%s)", err.msg);
	ok(vmm_ramlist_find(vmm_memory_ramlist(m), "pc.ram/../x y") != NULL, "  and kept exactly");
	free(longest);
	free(too_long);
	free(line);
}

static void lines(struct vmm_memory *m)
{
	char *line = xmalloc(VMM_CTL_LINE_MAX + 16), *before, *after;
	size_t n;

	/* a comment pads the line to exactly the limit */
	n = (size_t)snprintf(line, 32, "container l1 4K #");
	memset(line + n, 'x', VMM_CTL_LINE_MAX - n);
	strcpy(line + VMM_CTL_LINE_MAX, "\n");
	is(run(m, line), 0, "a line of %d bytes is accepted (%s)", VMM_CTL_LINE_MAX, err.msg);
	before = mtree_text(m);
	line[0] = 'c';
	memcpy(line, "container l2 4K #", 17);
	strcpy(line + VMM_CTL_LINE_MAX, "x\n");
	is(run(m, line), -EINVAL, "one byte more is refused (%s)", err.msg);
	ok(strstr(err.msg, "longer") != NULL, "  the reason says the line is too long");
	is(run(m, "container l3 4K name=a\x01 b\n"), -EINVAL,
	   "a control character is refused (%s)", err.msg);
	ok(strstr(err.msg, "control") != NULL, "  the reason says so");
	is(run(m, "container l4 4K name=\"a\x1b[31m\"\n"), -EINVAL,
	   "even inside quotes (%s)", err.msg);
	strcpy(line, "container l5 4K");
	for (int i = 0; i < VMM_CTL_MAX_TOKENS; i++)
		strcat(line, " w");
	strcat(line, "\n");
	is(run(m, line), -EINVAL, "more than %d words is refused (%s)", VMM_CTL_MAX_TOKENS,
	   err.msg);
	is(run(m, "container l6 4K\ncontainer l7 4K name=\"open\n"), -EINVAL,
	   "an unterminated quote on line 2 is refused (%s)", err.msg);
	ok(!vmm_mr_find(m, "l6"), "  and line 1 is not applied");
	after = mtree_text(m);
	is_str(after, before, "the refused lines changed nothing");
	free(before);
	free(after);
	free(line);
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();

	if (!m)
		return ok(0, "model"), done_testing();
	ids(m);
	names(m);
	lines(m);
	vmm_memory_free(m);
	return done_testing();
}
