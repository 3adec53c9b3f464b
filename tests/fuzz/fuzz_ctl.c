// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as a control-language write (one
 * vmm_ctl_exec call) against a small pc-like machine with the soft memslot
 * table and KVM listener attached. After every input the flat views are
 * sorted and disjoint, the memslots are what the KVM rules derive, no alias
 * cycle exists; a failed exec must name a reason and leave info mtree -D/-f,
 * info ramblock, the memslots and the dumped script byte-identical; a
 * successful one must dump a script that rebuilds the same mtree and flat
 * views in a fresh model. One documented exception (vmm/ctl/ctl_txn.c): a begin the
 * write leaves open settles the lines before it, so a failure after that
 * begin must leave exactly the model those earlier lines build. Build: make fuzz; run: build-fuzz/tests/fuzz/fuzz_ctl.
 */
#include "fuzz_util.h"

/* A pc-like machine: RAM split by an alias, PCI hole at -1, BIOS and its alias, PAM, io. */
static const char pc_script[] =
	"container system 16E\n"
	"address-space memory system\n"
	"ram pc.ram 8M\n"
	"alias ram-below-4g pc.ram 0 6M in system at 0\n"
	"alias ram-above-4g pc.ram 6M 2M in system at 4G\n"
	"container pci 16E in system at 0 prio -1\n"
	"rom pc.rom 128K in pci at 0xc0000 prio 1\n"
	"rom pc.bios 256K in pci at 0xfffc0000\n"
	"alias isa-bios pc.bios 0x20000 128K in pci at 0xe0000 prio 1\n"
	"set isa-bios readonly on\n"
	"alias pam-pci-f0000 pci 0xf0000 64K name=pam-pci in system at 0xf0000 prio 1\n"
	"alias pam-ram-f0000 pc.ram 0xf0000 64K name=pam-ram in system at 0xf0000 prio 1\n"
	"set pam-ram-f0000 enabled off\n"
	"romd flash 64K in system at 0xffe00000 prio 2\n"
	"io ioapic 4K in system at 0xfec00000\n"
	"io hpet 1K device=zero in system at 0xfed00000\n"
	"ram vga.vram 64K name=\"vga vram\" backend=memfd\n"
	"alias vga-lowmem vga.vram 0 64K in pci at 0xa0000 prio 1\n"
	"container io 64K name=io\n"
	"address-space I/O io\n"
	"io port80 1 name=\"i/o port\" in io at 0x80\n";

/* Executing the dumped script in a fresh model gives the same tree and views. */
static void check_round_trip(struct fuzz_env *e)
{
	struct vmm_buf a, b, script;
	struct vmm_err err = { 0 };
	struct fuzz_env f;
	int r;

	vmm_buf_init(&a);
	vmm_buf_init(&b);
	vmm_buf_init(&script);
	vmm_ctl_dump_script(e->mem, &script);
	fuzz_env_init(&f, 0);
	r = fuzz_exec(&f, script.data ? script.data : "", script.len, &err);
	FUZZ_CHECK(!r, "dumped script does not run: %s\n%s", err.msg, script.data);
	vmm_print_mtree(e->mem, VMM_PRINT_DISABLED, &a);
	vmm_print_flatview(e->mem, e->accel, &a);
	vmm_print_mtree(f.mem, VMM_PRINT_DISABLED, &b);
	vmm_print_flatview(f.mem, f.accel, &b);
	FUZZ_CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len),
		   "dumped script rebuilds a different model:\n%s\n--- rebuilt:\n%s\n--- script:\n%s",
		   a.data, b.data, script.data);
	fuzz_env_free(&f);
	vmm_buf_free(&a);
	vmm_buf_free(&b);
	vmm_buf_free(&script);
}

/* First word of a line, or "" (blank, comment, syntax error, overlong). */
static void line_verb(const char *line, size_t n, char *verb, size_t cap)
{
	static char buf[VMM_CTL_LINE_MAX + 1], scratch[VMM_CTL_LINE_MAX + 1];
	char *tok[VMM_CTL_MAX_TOKENS];

	verb[0] = '\0';
	if (n > VMM_CTL_LINE_MAX)
		return;
	memcpy(buf, line, n);
	buf[n] = '\0';
	if (vmm_ctl_tokenize(buf, scratch, tok, VMM_CTL_MAX_TOKENS) > 0)
		snprintf(verb, cap, "%s", tok[0]);
}

/*
 * The begin the text leaves open, as the line number and the byte offset of
 * that line (0 when every begin is closed): a depth-0 begin not closed later.
 */
static unsigned lasting_begin(const char *text, size_t len, size_t *at)
{
	unsigned line = 0, depth = 0, bottom = 0;
	size_t pos = 0;
	char verb[16];

	while (pos < len) {
		const char *eol = memchr(text + pos, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - (text + pos)) : len - pos;

		line++;
		line_verb(text + pos, n, verb, sizeof(verb));
		if (!strcmp(verb, "begin") && depth++ == 0) {
			bottom = line;
			*at = pos;
		} else if ((!strcmp(verb, "commit") || !strcmp(verb, "abort")) && depth) {
			depth--;
		}
		pos += n + (eol ? 1 : 0);
	}
	return depth ? bottom : 0;
}

/* The model the lines before a lasting begin build, from scratch (caller frees). */
static char *settled_model(const char *text, size_t at)
{
	struct vmm_err err = { 0 };
	struct fuzz_env f;
	char *s;
	int r;

	fuzz_env_init(&f, 0);
	r = fuzz_exec(&f, pc_script, sizeof(pc_script) - 1, &err);
	FUZZ_CHECK(!r, "pc script: %s", err.msg);
	r = fuzz_exec(&f, text, at, &err);
	if (r) {
		s = strdup(err.msg);	/* the lines before failed: cannot have settled */
	} else {
		s = fuzz_snapshot_opt(&f, false);
	}
	fuzz_env_free(&f);
	return s;
}

/* A failed exec: it says why and leaves the model as the contract says. */
static void check_failure(struct fuzz_env *e, const uint8_t *data, size_t size,
			  const char *before, int r, const struct vmm_err *err, unsigned line)
{
	size_t at = 0;
	unsigned lb = lasting_begin((const char *)data, size, &at);
	char *after, *want;

	FUZZ_CHECK(r < 0 && err->code == r && err->msg[0], "failure %d without a reason", r);
	if (lb && line > lb) {
		after = fuzz_snapshot_opt(e, false);
		want = settled_model((const char *)data, at);
		FUZZ_CHECK(!strcmp(want, after), "failed exec (%s) after the lasting begin of "
			   "line %u: model is not what lines 1-%u build:\n%s\n--- after:\n%s",
			   err->msg, lb, lb - 1, want, after);
		free(want);
	} else {
		after = fuzz_snapshot(e);
		FUZZ_CHECK(!strcmp(before, after), "failed exec (%s) changed the model:\n%s\n"
			   "--- after:\n%s", err->msg, before, after);
	}
	free(after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_err err = { 0 };
	struct vmm_ctl_ctx ctx = { 0 };
	struct fuzz_env e;
	char *before;
	int r;

	if (fuzz_unsafe_text(data, size))
		return -1;	/* keep it out of the corpus */
	fuzz_env_init(&e, 0);
	r = fuzz_exec(&e, pc_script, sizeof(pc_script) - 1, &err);
	FUZZ_CHECK(!r, "pc script: %s", err.msg);
	before = fuzz_snapshot(&e);
	ctx.mem = e.mem;
	r = vmm_ctl_exec(&ctx, (const char *)data, size, &err);
	fuzz_check_all(&e);
	if (r)
		check_failure(&e, data, size, before, r, &err, ctx.line);
	else if (!vmm_memory_depth(e.mem)) {
		check_round_trip(&e);
	}
	free(before);
	fuzz_env_free(&e);
	return 0;
}
