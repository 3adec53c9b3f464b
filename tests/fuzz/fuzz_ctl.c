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
 * begin must leave exactly the model those earlier lines build. Then the
 * same input is written through ctl sessions (struct vmm_ctl_session) the
 * way the kernel delivers it: its lines dealt to up to three open files,
 * each file's bytes cut at random points and the pieces interleaved. That
 * must give exactly what feeding each piece's complete lines gives (the cut
 * never matters), a refused piece must leave the model unchanged, and without
 * transaction lines it must also equal plain vmm_ctl_exec() calls of those
 * lines. Build: make fuzz; run: build-fuzz/tests/fuzz/fuzz_ctl.
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

/* ---- sessions: the same text written through open ctl files ---- */

#define NR_FILES 3

/* xorshift64*, seeded from the input so a run replays exactly */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/**
 * struct side - one way of writing the files: a model, a session per file
 * @pending: (the reference) the bytes after each file's last newline
 * @plain:   run complete lines with vmm_ctl_exec() instead of a session
 */
struct side {
	struct fuzz_env e;
	struct vmm_ctl_session *s[NR_FILES];
	struct vmm_buf pending[NR_FILES];
	bool plain;
};

static void side_init(struct side *sd, bool plain)
{
	struct vmm_err err = { 0 };

	memset(sd, 0, sizeof(*sd));
	sd->plain = plain;
	fuzz_env_init(&sd->e, 0);
	FUZZ_CHECK(!fuzz_exec(&sd->e, pc_script, sizeof(pc_script) - 1, &err), "pc: %s", err.msg);
	for (int f = 0; f < NR_FILES; f++) {
		sd->s[f] = vmm_ctl_session_new();
		FUZZ_CHECK(sd->s[f], "session: out of memory");
		vmm_buf_init(&sd->pending[f]);
	}
}

static void side_free(struct side *sd)
{
	for (int f = 0; f < NR_FILES; f++) {
		vmm_ctl_session_free(sd->s[f]);
		vmm_buf_free(&sd->pending[f]);
	}
	fuzz_env_free(&sd->e);
}

/* The piece as the kernel cut it: straight into the session. */
static int feed_cut(struct side *sd, int f, const char *p, size_t n, struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = sd->e.mem };

	return vmm_ctl_session_feed(sd->s[f], &ctx, p, n, err);
}

/*
 * The reference: only the complete lines the piece finishes, as one piece
 * (or one vmm_ctl_exec() call); an unfinished line past the limit is refused
 * as the session refuses it. A refused piece leaves the pending bytes alone.
 */
static int feed_whole(struct side *sd, int f, const char *p, size_t n, struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = sd->e.mem };
	struct vmm_buf t;
	const char *nl;
	size_t end;
	int r = 0;

	vmm_buf_init(&t);
	if (sd->pending[f].len)
		vmm_buf_put(&t, sd->pending[f].data, sd->pending[f].len);
	if (n)
		vmm_buf_put(&t, p, n);
	nl = t.len ? memrchr(t.data, '\n', t.len) : NULL;
	end = nl ? (size_t)(nl - t.data) + 1 : 0;
	if (t.len - end > VMM_CTL_LINE_MAX)
		r = -EINVAL;
	else if (end && sd->plain)
		r = vmm_ctl_exec(&ctx, t.data, end, err);
	else if (end)
		r = vmm_ctl_session_feed(sd->s[f], &ctx, t.data, end, err);
	if (!r) {
		vmm_buf_reset(&sd->pending[f]);
		if (t.len > end)
			vmm_buf_put(&sd->pending[f], t.data + end, t.len - end);
	}
	vmm_buf_free(&t);
	return r;
}

/* The file is closed: its unfinished line runs, its transaction ends. */
static int close_cut(struct side *sd, int f, struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = sd->e.mem };

	return vmm_ctl_session_close(sd->s[f], &ctx, err);
}

static int close_whole(struct side *sd, int f, struct vmm_err *err)
{
	struct vmm_ctl_ctx ctx = { .mem = sd->e.mem };
	int r = 0, c;

	if (sd->pending[f].len) {
		vmm_buf_put(&sd->pending[f], "\n", 1);
		r = feed_whole(sd, f, "", 0, err);
	}
	if (sd->plain)
		return r;
	c = vmm_ctl_session_close(sd->s[f], &ctx, r ? NULL : err);
	return r ? r : c;
}

/* The model's script and RAM blocks: what a refused piece must leave as it was. */
static char *quick_snapshot(struct fuzz_env *e)
{
	struct vmm_buf b;
	char *s;

	vmm_buf_init(&b);
	vmm_ctl_dump_script(e->mem, &b);
	vmm_print_ramblock(e->mem, &b);
	s = vmm_buf_steal(&b, NULL);
	return s ? s : strdup("");
}

static bool has_txn_verbs(const uint8_t *data, size_t size)
{
	char verb[16];
	size_t pos = 0;

	while (pos < size) {
		const char *line = (const char *)data + pos;
		const char *eol = memchr(line, '\n', size - pos);
		size_t n = eol ? (size_t)(eol - line) : size - pos;

		line_verb(line, n, verb, sizeof(verb));
		if (!strcmp(verb, "begin") || !strcmp(verb, "commit") || !strcmp(verb, "abort"))
			return true;
		pos += n + 1;
	}
	return false;
}

static void check_sessions(const uint8_t *data, size_t size)
{
	struct vmm_buf file[NR_FILES];
	size_t done[NR_FILES] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct side cut, whole, plain;
	bool use_plain = !has_txn_verbs(data, size);
	char *a, *b;
	int r1, r2, r3;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ull;
	seed |= 1;
	/* deal the lines (with their newlines) to the files */
	for (int f = 0; f < NR_FILES; f++)
		vmm_buf_init(&file[f]);
	for (size_t pos = 0; pos < size;) {
		const char *eol = memchr(data + pos, '\n', size - pos);
		size_t n = eol ? (size_t)(eol - (const char *)data - pos) + 1 : size - pos;

		vmm_buf_put(&file[rnd_next(&seed) % NR_FILES], data + pos, n);
		pos += n;
	}
	side_init(&cut, false);
	side_init(&whole, false);
	if (use_plain)
		side_init(&plain, true);
	for (;;) {
		struct vmm_err e1 = { 0 }, e2 = { 0 }, e3 = { 0 };
		int f = (int)(rnd_next(&seed) % NR_FILES), k;
		size_t left, n;
		char *before = NULL, *after;

		for (k = 0; k < NR_FILES && done[f] == file[f].len; k++)
			f = (f + 1) % NR_FILES;
		if (k == NR_FILES)
			break;
		left = file[f].len - done[f];
		n = 1 + rnd_next(&seed) % (rnd_next(&seed) % 4 ? 48 : 5000);
		n = n < left ? n : left;
		if (memchr(file[f].data + done[f], '\n', n))
			before = quick_snapshot(&cut.e);
		r1 = feed_cut(&cut, f, file[f].data + done[f], n, &e1);
		r2 = feed_whole(&whole, f, file[f].data + done[f], n, &e2);
		FUZZ_CHECK(r1 == r2 && (!r1 || !e2.msg[0] || !strcmp(e1.msg, e2.msg)),
			   "file %d, piece of %zu at %zu: cut %d (%s), whole lines %d (%s)",
			   f, n, done[f], r1, e1.msg, r2, e2.msg);
		if (r1 && before) {
			after = quick_snapshot(&cut.e);
			FUZZ_CHECK(!strcmp(before, after), "a refused piece (%s) changed the model",
				   e1.msg);
			free(after);
		}
		free(before);
		if (use_plain) {
			r3 = feed_whole(&plain, f, file[f].data + done[f], n, &e3);
			FUZZ_CHECK(r3 == r2, "session %d (%s), plain exec %d (%s)", r2, e2.msg, r3,
				   e3.msg);
		}
		done[f] += n;
	}
	for (int f = 0; f < NR_FILES; f++) {
		struct vmm_err e1 = { 0 }, e2 = { 0 }, e3 = { 0 };

		r1 = close_cut(&cut, f, &e1);
		r2 = close_whole(&whole, f, &e2);
		FUZZ_CHECK(r1 == r2, "close of file %d: cut %d (%s), whole lines %d (%s)", f, r1,
			   e1.msg, r2, e2.msg);
		if (use_plain) {
			r3 = close_whole(&plain, f, &e3);
			FUZZ_CHECK(r3 == r2, "close: session %d (%s), plain %d (%s)", r2, e2.msg, r3,
				   e3.msg);
		}
	}
	fuzz_check_all(&cut.e);
	a = fuzz_snapshot_opt(&cut.e, false);
	b = fuzz_snapshot_opt(&whole.e, false);
	FUZZ_CHECK(!strcmp(a, b), "cut pieces built another model than whole lines:\n%s\n---\n%s",
		   a, b);
	free(b);
	if (use_plain) {
		b = fuzz_snapshot_opt(&plain.e, false);
		FUZZ_CHECK(!strcmp(a, b), "sessions built another model than exec:\n%s\n---\n%s",
			   a, b);
		free(b);
		side_free(&plain);
	}
	free(a);
	for (int f = 0; f < NR_FILES; f++)
		vmm_buf_free(&file[f]);
	side_free(&cut);
	side_free(&whole);
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
	check_sessions(data, size);
	return 0;
}
