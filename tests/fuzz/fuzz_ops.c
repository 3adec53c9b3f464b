// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: bytes decoded as a sequence of topology operations
 * through the memory.h API (create, map, unmap, set prio/addr/enabled/
 * readonly/romd/log-dirty/nonvolatile/size/alias offset/alias target, delete,
 * address spaces, begin/commit/abort) on a model with the soft memslot table
 * (only 8 slots, so exhaustion is reachable) and the KVM listener. After every
 * operation: flat views sorted and disjoint, memslots exactly what the KVM
 * rules derive from the "memory" flat view, no alias cycle. A rejected
 * operation must say why and leave the whole text snapshot byte-identical; a
 * failed outermost commit and an abort must give back the snapshot taken at
 * the matching begin. Build: make fuzz; run: build-fuzz/tests/fuzz/fuzz_ops.
 */
#include <limits.h>

#include "fuzz_util.h"

#define NREG		12
#define MAX_DEPTH	8
#define MAX_OPS		96
#define NSLOTS		8

static const char *const ids[NREG] = {
	"system", "iospace", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11",
};
static const char *const as_names[] = { "memory", "I/O", "dma" };

static const vmm_u128 sizes[] = {
	0, 1, 0x800, 0x1000, 0x1800, 0x2000, 0x3000, 0x10000, 0x100000,
	(vmm_u128)1 << 32, (vmm_u128)1 << 63, VMM_U64_LIMIT - 0x1000, VMM_U64_LIMIT,
	VMM_U64_LIMIT + 1,
};
static const vmm_u128 ram_sizes[] = { 0x1000, 0x1800, 0x2000, 0x3000, 0x800, 0x10000 };
static const uint64_t special_addrs[] = {
	0xfffff000, 1ull << 32, (1ull << 40) - 0x1000, (1ull << 52) - 0x1000, 1ull << 52,
	1ull << 63, UINT64_MAX - 0xfff, UINT64_MAX, 0x7ff, 0x800, 0xfff, 0x1001,
	0x100000, 0x1f000, 0x8000, 0xc000,
};

/**
 * struct ops_input - the bytes being decoded; reads past the end give 0
 */
struct ops_input {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct ops_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t pick_addr(struct ops_input *in)
{
	uint8_t b = next(in);

	if (b >= 0xf0)
		return special_addrs[b - 0xf0];
	return (uint64_t)b * 0x800;
}

static int pick_prio(struct ops_input *in)
{
	uint8_t b = next(in);

	if (b == 0xff)
		return INT_MAX;
	if (b == 0xfe)
		return INT_MIN;
	return (int)(b % 5) - 2;
}

static vmm_u128 pick_size(struct ops_input *in)
{
	return sizes[next(in) % (sizeof(sizes) / sizeof(sizes[0]))];
}

static const char *pick_id(struct ops_input *in)
{
	return ids[next(in) % NREG];
}

/* An existing region picked by the input, or NULL. */
static struct vmm_mr *pick_mr(struct fuzz_env *e, struct ops_input *in)
{
	return vmm_mr_find(e->mem, pick_id(in));
}

static int op_create(struct fuzz_env *e, struct ops_input *in, unsigned kind,
		     struct vmm_err *err)
{
	static const enum vmm_mr_type ram_types[] = { VMM_MR_RAM, VMM_MR_ROM, VMM_MR_ROMD };
	const char *id = pick_id(in);
	struct vmm_ram_opts o = { 0 };
	struct vmm_mr *mr, *target;
	uint8_t b;

	switch (kind) {
	case 0:
		return vmm_mr_new_container(e->mem, id, NULL, pick_size(in), &mr, err);
	case 1: case 2: case 3:
		b = next(in);
		o.backend = b & 1 ? "memfd" : "anon";
		o.max_size = b & 2 ? 0x10000 : 0;
		return vmm_mr_new_ram(e->mem, ram_types[kind - 1], id, b & 4 ? "shared name" : NULL,
				      ram_sizes[(b >> 3) % 6], &o, &mr, err);
	case 4:
		return vmm_mr_new_io(e->mem, id, NULL, pick_size(in), next(in) & 1 ? "zero" : NULL,
				     &mr, err);
	default:
		target = pick_mr(e, in);
		if (!target)
			return 1;
		return vmm_mr_new_alias(e->mem, id, NULL, target, pick_addr(in), pick_size(in),
					&mr, err);
	}
}

static int op_as(struct fuzz_env *e, struct ops_input *in, bool create, struct vmm_err *err)
{
	const char *name = as_names[next(in) % 3];
	struct vmm_as *as;
	struct vmm_mr *root;

	if (create) {
		root = pick_mr(e, in);
		return root ? vmm_as_new(e->mem, name, root, &as, err) : 1;
	}
	as = vmm_as_find(e->mem, name);
	return as ? vmm_as_delete(as, err) : 1;
}

/* One edit of an existing region; 1 when the input names no region. */
static int op_edit(struct fuzz_env *e, struct ops_input *in, unsigned op, struct vmm_err *err)
{
	struct vmm_mr *mr = pick_mr(e, in), *other;
	bool on = next(in) & 1;

	if (!mr)
		return 1;
	switch (op) {
	case 0:
		other = pick_mr(e, in);
		if (!other)
			return 1;
		return vmm_mr_map(mr, other, pick_addr(in), pick_prio(in), err);
	case 1: return vmm_mr_unmap(mr, err);
	case 2: return vmm_mr_set_priority(mr, pick_prio(in), err);
	case 3: return vmm_mr_set_addr(mr, pick_addr(in), err);
	case 4: return vmm_mr_set_enabled(mr, on, err);
	case 5: return vmm_mr_set_readonly(mr, on, err);
	case 6: return vmm_mr_set_alias_offset(mr, pick_addr(in), err);
	case 7: return vmm_mr_delete(mr, err);
	case 8: return vmm_mr_set_romd(mr, on, err);
	case 9: return vmm_mr_set_log_dirty(mr, on, err);
	case 10: return vmm_mr_set_nonvolatile(mr, on, err);
	case 11: return vmm_mr_set_size(mr, next(in) & 1 ? pick_size(in) :
					ram_sizes[next(in) % 6], err);
	default:
		other = pick_mr(e, in);
		return other ? vmm_mr_set_alias_target(mr, other, err) : 1;
	}
}

/**
 * struct ops_state - the model, its transaction depth and the snapshots
 * @at_begin: snapshot taken just before each open begin (index = depth before it)
 */
struct ops_state {
	struct fuzz_env e;
	bool trace;
	unsigned depth;
	char *at_begin[MAX_DEPTH];
};

static void expect_same(const char *want, const char *got, const char *what,
			const struct vmm_err *err)
{
	FUZZ_CHECK(!strcmp(want, got), "%s (%s) changed the model:\n%s\n--- after:\n%s", what,
		   err->msg, want, got);
}

/* begin, commit or abort, checked against the snapshots of the begins. */
static void op_txn(struct ops_state *st, unsigned op)
{
	struct vmm_err err = { 0 };
	char *now;
	int r;

	if (st->trace)
		fprintf(stderr, "txn %s at depth %u\n", op == 0 ? "begin" : op == 1 ? "commit" :
			"abort", st->depth);
	if (op == 0) {
		if (st->depth == MAX_DEPTH)
			return;
		st->at_begin[st->depth++] = fuzz_snapshot(&st->e);
		vmm_memory_begin(st->e.mem);
		return;
	}
	if (!st->depth) {
		if (op == 1) {
			now = fuzz_snapshot(&st->e);
			r = vmm_memory_commit(st->e.mem, &err);
			FUZZ_CHECK(r == -EINVAL && err.msg[0], "commit without begin gave %d", r);
			free(now);
		}
		return;
	}
	st->depth--;
	if (op == 1) {
		r = vmm_memory_commit(st->e.mem, &err);
		FUZZ_CHECK(!r || (!st->depth && r < 0 && err.msg[0]),
			   "commit failed (%d) without a reason or inside a nest", r);
	} else {
		vmm_memory_abort(st->e.mem);
		r = 1;
	}
	FUZZ_CHECK(vmm_memory_depth(st->e.mem) == st->depth, "depth %u, want %u",
		   vmm_memory_depth(st->e.mem), st->depth);
	if (r) {
		now = fuzz_snapshot(&st->e);
		expect_same(st->at_begin[st->depth], now, op == 1 ? "failed commit" : "abort",
			    &err);
		free(now);
	}
	free(st->at_begin[st->depth]);
	st->at_begin[st->depth] = NULL;
}

/* One mutator: a rejection must say why and change nothing. */
static void op_mutate(struct ops_state *st, struct ops_input *in, unsigned op)
{
	struct vmm_err err = { 0 };
	char *before = fuzz_snapshot(&st->e), *after;
	int r;

	if (op < 6)
		r = op_create(&st->e, in, op, &err);
	else if (op < 8)
		r = op_as(&st->e, in, op == 6, &err);
	else
		r = op_edit(&st->e, in, op - 8, &err);
	if (st->trace)
		fprintf(stderr, "op %u -> %d %s\n", op, r, r < 0 ? err.msg : "");
	if (r) {
		after = fuzz_snapshot(&st->e);
		FUZZ_CHECK(r == 1 || (r < 0 && err.msg[0]), "op %u failed (%d) without a reason",
			   op, r);
		expect_same(before, after, "rejected operation", &err);
		free(after);
	}
	free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char setup[] =
		"container system 16E\naddress-space memory system\n"
		"container iospace 64K name=io\naddress-space I/O iospace\n";
	struct ops_input in = { data, size };
	struct vmm_err err = { 0 };
	struct ops_state st = { .depth = 0 };
	unsigned n = 0;

	st.trace = getenv("FUZZ_OPS_TRACE") != NULL;	/* which ops an input decodes to */
	fuzz_env_init(&st.e, NSLOTS);
	FUZZ_CHECK(!fuzz_exec(&st.e, setup, sizeof(setup) - 1, &err), "setup: %s", err.msg);
	while (in.n && n++ < MAX_OPS) {
		unsigned op = next(&in) % 24;

		if (op >= 21)
			op_txn(&st, op - 21);
		else
			op_mutate(&st, &in, op);
		if (st.trace) {
			char *t = fuzz_snapshot(&st.e);

			fprintf(stderr, "%s", t);
			free(t);
		}
		fuzz_check_all(&st.e);
	}
	while (st.depth)
		op_txn(&st, 2);
	fuzz_check_all(&st.e);
	fuzz_env_free(&st.e);
	return 0;
}
