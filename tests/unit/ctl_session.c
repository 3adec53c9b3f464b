// SPDX-License-Identifier: MIT
/*
 * A ctl file's session (struct vmm_ctl_session): lines are assembled across
 * the pieces the kernel cuts a write into, so what applies never depends on
 * the cut; a refused piece changes nothing; begin belongs to the session that
 * wrote it (others neither see nor close it), commit runs its queue as one
 * transaction, closing the file aborts it; delete-address-space; a cancelled
 * call stops with -EINTR and nothing applied. Before sessions, a line cut in
 * two by the kernel ran as two broken lines and begin was the whole model's.
 */
#include <stdlib.h>

#include "ctl_helpers.h"

static const char base[] =
	"container system 16E\nram low 64K in system at 0\naddress-space memory system\n";

static struct vmm_memory *fresh(void)
{
	struct vmm_memory *m = vmm_memory_new();

	if (!m || exec(m, base))
		abort();
	return m;
}

static int feed(struct vmm_ctl_session *s, struct vmm_memory *m, const char *text, size_t len)
{
	struct vmm_ctl_ctx ctx = { .mem = m };

	return vmm_ctl_session_feed(s, &ctx, text, len, &last_err);
}

static int feeds(struct vmm_ctl_session *s, struct vmm_memory *m, const char *text)
{
	return feed(s, m, text, strlen(text));
}

static int flush(struct vmm_ctl_session *s, struct vmm_memory *m)
{
	struct vmm_ctl_ctx ctx = { .mem = m };

	return vmm_ctl_session_flush(s, &ctx, &last_err);
}

/* The script split in two at every byte gives what the whole script gives. */
static void every_cut(void)
{
	static const char script[] =
		"container cutx 4096 in system at 0x100000\n"
		"ram r1 64K name=\"a b\" in cutx at 0\n"
		"set r1 prio 3\n";
	struct vmm_memory *whole = fresh();
	char *want, *got;
	unsigned bad = 0;

	is(exec(whole, script), 0, "the whole script runs");
	want = snapshot(whole);
	for (size_t cut = 0; cut <= strlen(script); cut++) {
		struct vmm_memory *m = fresh();
		struct vmm_ctl_session *s = vmm_ctl_session_new();
		int r1 = feed(s, m, script, cut);
		int r2 = feed(s, m, script + cut, strlen(script) - cut);

		got = snapshot(m);
		if (r1 || r2 || strcmp(got, want)) {
			if (!bad++)
				diag("cut at %zu: %d %d %s", cut, r1, r2, last_err.msg);
		}
		free(got);
		vmm_ctl_session_free(s);
		vmm_memory_free(m);
	}
	is(bad, 0, "a cut at any of %zu places changes nothing", strlen(script) + 1);
	free(want);
	vmm_memory_free(whole);
}

static void partial_line_waits(void)
{
	struct vmm_memory *m = fresh();
	struct vmm_ctl_session *s = vmm_ctl_session_new();
	char *before, *after;

	is(feeds(s, m, "container cutx 40"), 0, "half a line is taken");
	ok(!vmm_mr_find(m, "cutx"), "and not run");
	is(feeds(s, m, "96\nram late 4K"), 0, "its rest, and a final line without newline");
	ok(vmm_mr_find(m, "cutx") && vmm_mr_find(m, "cutx")->size == 4096,
	   "the line ran whole once its newline came");
	ok(!vmm_mr_find(m, "late"), "a line without newline waits");
	is(flush(s, m), 0, "flush");
	ok(vmm_mr_find(m, "late") != NULL, "the final line ran at flush");
	is(flush(s, m), 0, "a second flush has nothing to do");

	before = snapshot(m);
	is(feeds(s, m, "ram p1 4K\nram p2"), 0, "a piece ending mid-line");
	free(before);
	before = snapshot(m);
	is(feeds(s, m, " 4K\nfrobnicate\nram p3 4K\n"), -EINVAL, "a piece with a bad line fails");
	after = snapshot(m);
	is_str(after, before, "the failed piece changed nothing");
	ok(strstr(last_err.msg, "line 5: unknown command 'frobnicate'") != NULL,
	   "the reason counts the session's lines (%s)", last_err.msg);
	free(after);
	free(before);
	is(feeds(s, m, " 4K\n"), 0, "the partial line is still there after the failure");
	ok(vmm_mr_find(m, "p2") != NULL, "and completes");
	is(feeds(s, m, "\x01\n"), -EINVAL, "a control character");

	{
		char big[VMM_CTL_LINE_MAX + 2];

		memset(big, 'x', sizeof(big));
		is(feed(s, m, big, sizeof(big)), -EINVAL, "an unfinished line past the limit");
		is(feeds(s, m, "ram p4 4K\n"), 0, "and it was not kept");
	}
	vmm_ctl_session_free(s);
	vmm_memory_free(m);
}

static void owned_transactions(void)
{
	struct vmm_memory *m = fresh();
	struct vmm_ctl_session *a = vmm_ctl_session_new(), *b = vmm_ctl_session_new();
	struct vmm_ctl_session_info info;
	char *before, *after;
	struct vmm_ctl_ctx ctx = { .mem = m };

	is(feeds(a, m, "begin\nram ta 4K in system at 0x200000\nunmap low\n"), 0, "A opens a batch");
	ok(vmm_ctl_session_in_txn(a, &info) && info.commands == 2 && info.begin_line == 1,
	   "A's batch is shown: %zu commands from line %u", info.commands, info.begin_line);
	ok(!vmm_ctl_session_in_txn(b, NULL), "B has none");
	ok(!vmm_mr_find(m, "ta") && vmm_mr_find(m, "low")->container, "A's commands are not applied");
	is(vmm_memory_depth(m), 0, "the model holds no transaction open");
	is(feeds(b, m, "ram tb 4K in system at 0x300000\n"), 0, "B's edits apply at once");
	ok(vmm_mr_find(m, "tb") != NULL, "B's region exists");
	before = snapshot(m);
	is(feeds(b, m, "commit\n"), -EINVAL, "B cannot commit A's batch");
	is(feeds(b, m, "abort\n"), -EINVAL, "nor abort it");
	after = snapshot(m);
	is_str(after, before, "nothing changed");
	free(after);
	is(feeds(a, m, "frob x\n"), -EINVAL, "a bad verb inside the batch is refused at once");
	ok(vmm_ctl_session_in_txn(a, &info) && info.commands == 2, "and not queued");
	is(feeds(a, m, "ram ta2 4K\ncom"), 0, "more, and half a commit");
	is(feeds(a, m, "mit\n"), 0, "commit");
	ok(vmm_mr_find(m, "ta") && vmm_mr_find(m, "ta2") && !vmm_mr_find(m, "low")->container,
	   "A's batch applied at commit");
	ok(!vmm_ctl_session_in_txn(a, NULL), "A's batch is closed");
	free(before);

	/* a failing command near the end of a big batch: nothing of it applies */
	before = snapshot(m);
	is(feeds(a, m, "begin\n"), 0, "a big batch");
	for (int i = 0; i < 2000; i++) {
		char line[96];

		snprintf(line, sizeof(line), "ram big%d 4K in system at 0x%x\n", i, 0x10000000 + i * 0x1000);
		if (feeds(a, m, line))
			break;
	}
	is(feeds(a, m, "map nosuch in system at 0\ncommit\n"), -ENOENT, "commit runs it and fails");
	after = snapshot(m);
	is_str(after, before, "the failed commit left the model unchanged");
	ok(strstr(last_err.msg, "unknown region") != NULL, "the reason (%s)", last_err.msg);
	free(after);
	ok(vmm_ctl_session_in_txn(a, &info) && info.commands == 2000,
	   "a refused commit changed nothing: the batch is still open");
	is(feeds(a, m, "abort\n"), 0, "abort drops it");
	is(feeds(a, m, "commit\n"), -EINVAL, "so a commit now has no begin");

	/* nested pairs inside a batch run inside it */
	is(feeds(a, m, "begin\nbegin\nram n1 4K\nabort\nram n2 4K\n"), 0, "nested pair");
	ok(vmm_ctl_session_in_txn(a, NULL), "the outer batch is still open");
	is(feeds(a, m, "commit\n"), 0, "outer commit");
	ok(!vmm_mr_find(m, "n1") && vmm_mr_find(m, "n2"), "the inner abort dropped only its lines");

	/* closing the file aborts */
	is(feeds(a, m, "begin\nram gone 4K\n"), 0, "a batch left open");
	is(vmm_ctl_session_close(a, &ctx, &last_err), -ECANCELED, "close aborts it");
	ok(strstr(last_err.msg, "transaction aborted") != NULL, "and says so (%s)", last_err.msg);
	ok(!vmm_mr_find(m, "gone"), "its command never applied");
	free(before);
	vmm_ctl_session_free(a);
	vmm_ctl_session_free(b);
	vmm_memory_free(m);
}

static void delete_address_space(void)
{
	struct vmm_memory *m = fresh();
	struct vmm_as *pin;
	struct vmm_ctl_ctx ctx = { .mem = m };
	struct vmm_buf dump;
	struct vmm_memory *again;
	char *a, *b;

	is(exec(m, "container other 64K\naddress-space side other\n"), 0, "a second space");
	rejects(m, "delete-address-space nosuch\n", -ENOENT, "unknown space");
	rejects(m, "delete-address-space\n", -EINVAL, "no name");
	pin = vmm_as_find(m, "memory");
	ctx.pinned = &pin;
	ctx.nr_pinned = 1;
	is(vmm_ctl_exec(&ctx, "delete-address-space memory\n", 28, &last_err), -EBUSY,
	   "a pinned space is refused (%s)", last_err.msg);
	is(exec(m, "delete-address-space side\ndelete other\n"), 0, "delete it, then its root");
	ok(!vmm_as_find(m, "side") && !vmm_mr_find(m, "other"), "both are gone");
	vmm_buf_init(&dump);
	vmm_ctl_dump_script(m, &dump);
	again = vmm_memory_new();
	is(exec(again, dump.data), 0, "the dump runs");
	a = snapshot(m);
	b = snapshot(again);
	is_str(b, a, "and rebuilds the model");
	free(a);
	free(b);
	vmm_buf_free(&dump);
	vmm_memory_free(again);
	vmm_memory_free(m);
}

static unsigned polls;
static bool stop_after_50(void *arg)
{
	return ++polls > 50;
}

static void cancelled(void)
{
	struct vmm_memory *m = fresh();
	struct vmm_ctl_ctx ctx = { .mem = m, .cancelled = stop_after_50 };
	struct vmm_buf text;
	char *before = snapshot(m), *after;

	vmm_buf_init(&text);
	for (int i = 0; i < 200; i++)
		vmm_buf_printf(&text, "ram c%d 4K in system at 0x%x\n", i, 0x10000000 + i * 0x1000);
	is(vmm_ctl_exec(&ctx, text.data, text.len, &last_err), -EINTR, "a cancelled call stops");
	is(ctx.line, 51, "before line 51");
	after = snapshot(m);
	is_str(after, before, "and applied nothing");
	free(before);
	free(after);
	vmm_buf_free(&text);
	vmm_memory_free(m);
}

int main(void)
{
	every_cut();
	partial_line_waits();
	owned_transactions();
	delete_address_space();
	cancelled();
	return done_testing();
}
