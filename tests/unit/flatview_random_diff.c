// SPDX-License-Identifier: MIT
/*
 * Randomized differential test of the flat-view renderer. Thousands of random
 * topologies and edit sequences (containers, ram, rom, romd, io, aliases of
 * anything including aliases and containers, equal and unequal priorities,
 * disabled and readonly regions, overlapping placements, 2^64-sized roots)
 * are built through the control language, and after every edit the model's
 * flat view of each address space is compared with a second, deliberately
 * naive implementation written here: for every elementary interval between
 * region boundaries, walk the tree as QEMU's render_memory_region would and
 * take the first region that claims the address (a terminating region only
 * after its own children), then merge neighbours as flatview_simplify does.
 * Failed edits must leave the model unchanged (its dumped script is compared).
 *
 * Every model runs in VMM_RENDER_CHECK mode, so each commit that can be
 * incremental is (only the windows its edits touched are re-rendered) and is
 * also compared with a full render inside the model; a shadow listener
 * applies the region_del/region_add it hears and must end up with exactly the
 * new flat view, which checks that the incremental listener diff misses
 * nothing. A second phase runs long edit sequences on topologies of hundreds
 * of regions spread over a wide address range.
 *
 * Seeded and deterministic: MTREE_SEED=N picks the seed, MTREE_CASES=N the
 * number of topologies; the seed is printed so a failure can be replayed.
 */
#include <inttypes.h>

#include <vmm/ctl.h>
#include <vmm/flatview.h>
#include <vmm/memory.h>

#include "tap.h"

typedef __int128 s128;

#define TWO64 ((s128)1 << 64)
#define MAX_REGIONS 14
#define MAX_POINTS 4096

/* ---- deterministic random numbers (xorshift64*) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* Multi-line text as TAP comments. */
static void diag_lines(const char *title, const char *text)
{
	diag("%s", title);
	while (text && *text) {
		int n = (int)strcspn(text, "\n");

		diag("  %.*s", n, text);
		text += n + (text[n] ? 1 : 0);
	}
}

/* ---- the naive reference ---- */

struct hit {
	const struct vmm_mr *mr;
	s128 off;
	bool ro, nv, romd;
	uint8_t dirty;
};

static s128 smax(s128 a, s128 b) { return a > b ? a : b; }
static s128 smin(s128 a, s128 b) { return a < b ? a : b; }

/* Who owns address @p? First rendered wins; a terminating region fills last. */
static bool who(const struct vmm_mr *mr, s128 base, s128 lo, s128 hi, bool ro, bool nv,
		s128 p, struct hit *h)
{
	if (!mr->enabled)
		return false;
	base += mr->addr;
	ro |= mr->readonly;
	nv |= mr->nonvolatile;
	lo = smax(lo, base);
	hi = smin(hi, base + (s128)mr->size);
	if (p < lo || p >= hi)
		return false;
	if (mr->alias)
		return who(mr->alias, base - mr->alias->addr - mr->alias_offset, lo, hi, ro, nv,
			   p, h);
	for (const struct vmm_mr *c = mr->subregions; c; c = c->sib_next)
		if (who(c, base, lo, hi, ro, nv, p, h))
			return true;
	if (mr->type == VMM_MR_CONTAINER)
		return false;
	*h = (struct hit){ mr, p - base, ro, nv, mr->romd_mode, mr->dirty_log_mask };
	return true;
}

static s128 points[MAX_POINTS];
static size_t npoints;

static void add_point(s128 p)
{
	if (npoints < MAX_POINTS)
		points[npoints++] = p;
}

/* Every boundary a rendering could produce: clipped starts and ends along every path. */
static void collect(const struct vmm_mr *mr, s128 base, s128 lo, s128 hi)
{
	if (!mr->enabled)
		return;
	base += mr->addr;
	lo = smax(lo, base);
	hi = smin(hi, base + (s128)mr->size);
	if (lo >= hi)
		return;
	add_point(lo);
	add_point(hi);
	if (mr->alias) {
		collect(mr->alias, base - mr->alias->addr - mr->alias_offset, lo, hi);
		return;
	}
	for (const struct vmm_mr *c = mr->subregions; c; c = c->sib_next)
		collect(c, base, lo, hi);
}

/* QEMU's memory_region_get_flatview_root, restated. */
static const struct vmm_mr *naive_root(const struct vmm_mr *mr)
{
	while (mr && mr->enabled) {
		if (mr->alias) {
			if (mr->alias_offset == 0 && mr->size >= mr->alias->size) {
				mr = mr->alias;
				continue;
			}
		} else if (mr->type == VMM_MR_CONTAINER) {
			const struct vmm_mr *next = NULL;
			unsigned found = 0;

			for (const struct vmm_mr *c = mr->subregions; c; c = c->sib_next) {
				if (!c->enabled)
					continue;
				if (++found > 1) {
					next = NULL;
					break;
				}
				if (c->addr == 0 && mr->size >= c->size)
					next = c;
			}
			if (!found)
				return NULL;
			if (next) {
				mr = next;
				continue;
			}
		}
		return mr;
	}
	return NULL;
}

static int cmp_s128(const void *a, const void *b)
{
	s128 x = *(const s128 *)a, y = *(const s128 *)b;

	return x < y ? -1 : x > y;
}

struct nrange {
	s128 start, size;
	struct hit h;
};

static struct nrange nranges[MAX_POINTS];

static bool same_attrs(const struct hit *a, const struct hit *b)
{
	return a->mr == b->mr && a->ro == b->ro && a->nv == b->nv && a->romd == b->romd &&
	       a->dirty == b->dirty;
}

/* The naive flat view of @root into nranges; returns the range count. */
static size_t naive_render(const struct vmm_mr *root)
{
	size_t n = 0, u = 0;

	npoints = 0;
	if (!root)
		return 0;
	add_point(0);
	add_point(TWO64);
	collect(root, 0, 0, TWO64);
	qsort(points, npoints, sizeof(points[0]), cmp_s128);
	for (size_t i = 0; i < npoints; i++)
		if (!u || points[u - 1] != points[i])
			points[u++] = points[i];
	for (size_t i = 0; i + 1 < u; i++) {
		struct hit h;
		struct nrange *prev = n ? &nranges[n - 1] : NULL;

		if (!who(root, 0, 0, TWO64, false, false, points[i], &h))
			continue;
		if (prev && same_attrs(&prev->h, &h) && prev->start + prev->size == points[i] &&
		    prev->h.off + prev->size == h.off) {
			prev->size += points[i + 1] - points[i];
			continue;
		}
		nranges[n++] = (struct nrange){ points[i], points[i + 1] - points[i], h };
	}
	return n;
}

/* ---- comparison ---- */

static unsigned long checks, mismatches, failed_total, ranges_total;
static bool show;	/* MTREE_SHOW=1: print every case's script */

static void show_views(const struct vmm_flatview *fv, size_t n)
{
	for (size_t i = 0; i < fv->nr; i++)
		diag("  model %2zu: %016" PRIx64 "+%" PRIx64 " %s @%" PRIx64 " ro=%d nv=%d", i,
		     (uint64_t)vmm_flatview_range(fv, i)->start, (uint64_t)vmm_flatview_range(fv, i)->size,
		     vmm_flatview_range(fv, i)->mr->id, (uint64_t)vmm_flatview_range(fv, i)->offset_in_region,
		     vmm_flatview_range(fv, i)->readonly, vmm_flatview_range(fv, i)->nonvolatile);
	for (size_t i = 0; i < n; i++)
		diag("  naive %2zu: %016" PRIx64 "+%" PRIx64 " %s @%" PRIx64 " ro=%d nv=%d", i,
		     (uint64_t)nranges[i].start, (uint64_t)nranges[i].size, nranges[i].h.mr->id,
		     (uint64_t)nranges[i].h.off, nranges[i].h.ro, nranges[i].h.nv);
}

static bool range_equal(const struct vmm_flat_range *r, const struct nrange *q)
{
	return (s128)r->start == q->start && (s128)r->size == q->size && r->mr == q->h.mr &&
	       (s128)r->offset_in_region == q->h.off && r->readonly == q->h.ro &&
	       r->nonvolatile == q->h.nv && r->romd_mode == q->h.romd &&
	       r->dirty_log_mask == q->h.dirty;
}

/* Compare every address space; returns false (after printing why) on a difference. */
static bool compare_all(struct vmm_memory *m, const char *script)
{
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next) {
		const struct vmm_mr *root = naive_root(as->root);
		struct vmm_flatview *fv = vmm_as_get_flatview(as);
		size_t n = naive_render(root);
		bool same = fv && fv->root == root && fv->nr == n;

		for (size_t i = 0; same && i < n; i++)
			same = range_equal(vmm_flatview_range(fv, i), &nranges[i]);
		checks++;
		ranges_total += n;
		if (!same) {
			mismatches++;
			diag("flat view of '%s' differs (root model %s, naive %s)", as->name,
			     fv && fv->root ? fv->root->id : "(none)", root ? root->id : "(none)");
			if (fv)
				show_views(fv, n);
			diag_lines("script:", script);
		}
		if (fv)
			vmm_flatview_unref(fv);
		if (!same)
			return false;
	}
	return true;
}

/* ---- dump round trip ---- */

static unsigned long roundtrip_failures;

/* The flat views of every address space, by region ID, as text. */
static void views_text(struct vmm_memory *m, struct vmm_buf *b)
{
	for (struct vmm_as *as = vmm_memory_first_as(m); as; as = as->next) {
		struct vmm_flatview *fv = vmm_as_get_flatview(as);

		vmm_buf_printf(b, "%s:%s\n", as->name, fv && fv->root ? fv->root->id : "-");
		for (size_t i = 0; fv && i < fv->nr; i++) {
			const struct vmm_flat_range *r = vmm_flatview_range(fv, i);

			vmm_buf_printf(b, " %" PRIx64 "+%" PRIx64 " %s@%" PRIx64 " %d%d%d%d\n",
				       (uint64_t)r->start, (uint64_t)r->size, r->mr->id,
				       (uint64_t)r->offset_in_region, r->readonly, r->nonvolatile,
				       r->romd_mode, r->dirty_log_mask);
		}
		if (fv)
			vmm_flatview_unref(fv);
	}
}

/* dump | exec on a fresh model: the same script and the same flat views. */
static bool dump_roundtrip(struct vmm_memory *m)
{
	struct vmm_memory *copy = vmm_memory_new();
	struct vmm_ctl_ctx ctx = { .mem = copy };
	struct vmm_buf s1, s2, v1, v2;
	struct vmm_err err;
	bool same;

	vmm_buf_init(&s1);
	vmm_buf_init(&s2);
	vmm_buf_init(&v1);
	vmm_buf_init(&v2);
	vmm_ctl_dump_script(m, &s1);
	same = copy && vmm_ctl_exec(&ctx, s1.data, s1.len, &err) == 0;
	if (same) {
		vmm_ctl_dump_script(copy, &s2);
		views_text(m, &v1);
		views_text(copy, &v2);
		same = !strcmp(s1.data, s2.data) && !strcmp(v1.data, v2.data);
	} else {
		diag("dumped script fails: %s", err.msg);
	}
	if (!same) {
		roundtrip_failures++;
		diag_lines("dump round trip differs for:", s1.data);
		if (s2.data)
			tap_show_diff(s2.data, s1.data);
		if (v1.data && v2.data)
			tap_show_diff(v2.data, v1.data);
	}
	vmm_buf_free(&s1);
	vmm_buf_free(&s2);
	vmm_buf_free(&v1);
	vmm_buf_free(&v2);
	if (copy)
		vmm_memory_free(copy);
	return same;
}

/* ---- random topologies ---- */

/* ---- shadow listener: replays del/add and must match the published view ---- */

#define SHADOW_MAX 8192

struct shadow {
	struct vmm_listener l;
	struct vmm_section v[SHADOW_MAX];
	size_t n;
	bool broken;
};

static bool sec_same(const struct vmm_section *a, const struct vmm_section *b)
{
	return a->mr == b->mr && a->offset_within_as == b->offset_within_as &&
	       a->size == b->size && a->offset_within_region == b->offset_within_region &&
	       a->readonly == b->readonly && a->nonvolatile == b->nonvolatile &&
	       a->romd_mode == b->romd_mode;
}

static int sh_add(struct vmm_listener *l, const struct vmm_section *s)
{
	struct shadow *sh = (struct shadow *)l;

	if (sh->n == SHADOW_MAX)
		sh->broken = true;
	else
		sh->v[sh->n++] = *s;
	return 0;
}

static int sh_del(struct vmm_listener *l, const struct vmm_section *s)
{
	struct shadow *sh = (struct shadow *)l;

	for (size_t i = 0; i < sh->n; i++) {
		if (sec_same(&sh->v[i], s)) {
			sh->v[i] = sh->v[--sh->n];
			return 0;
		}
	}
	sh->broken = true;	/* deleting a range it was never told about */
	return 0;
}

static int sh_log(struct vmm_listener *l, const struct vmm_section *s, unsigned o, unsigned n)
{
	struct shadow *sh = (struct shadow *)l;

	for (size_t i = 0; i < sh->n; i++)
		if (sec_same(&sh->v[i], s))
			sh->v[i].dirty_log_mask = (uint8_t)n;
	return 0;
}

static unsigned long shadow_failures;

/* The shadow must hold exactly the ranges of the "memory" view. */
static bool shadow_matches(struct shadow *sh, struct vmm_memory *m)
{
	struct vmm_as *as = vmm_as_find(m, "memory");
	struct vmm_flatview *fv;
	bool same;

	if (!as)
		return true;
	fv = vmm_as_get_flatview(as);
	same = !sh->broken && fv->nr == sh->n;
	for (size_t i = 0; same && i < fv->nr; i++) {
		const struct vmm_flat_range *r = vmm_flatview_range(fv, i);
		struct vmm_section s = { .mr = r->mr, .offset_within_as = r->start, .size = r->size,
					 .offset_within_region = r->offset_in_region,
					 .readonly = r->readonly, .nonvolatile = r->nonvolatile,
					 .romd_mode = r->romd_mode };
		size_t k;

		for (k = 0; k < sh->n && !sec_same(&sh->v[k], &s); k++)
			;
		same = k < sh->n && sh->v[k].dirty_log_mask == r->dirty_log_mask;
	}
	vmm_flatview_unref(fv);
	if (!same) {
		shadow_failures++;
		diag("listener shadow (%zu ranges%s) differs from the view", sh->n,
		     sh->broken ? ", broken" : "");
	}
	return same;
}

static struct vmm_render_stats stats_total;

static void add_stats(struct vmm_memory *m)
{
	struct vmm_render_stats s;

	vmm_memory_render_stats(m, &s);
	stats_total.full += s.full;
	stats_total.incremental += s.incremental;
	stats_total.kept += s.kept;
	stats_total.mismatches += s.mismatches;
	stats_total.windows += s.windows;
}

struct gen {
	struct vmm_memory *m;
	struct vmm_buf script;	/* everything executed, for replay */
	unsigned nr;
	bool big;		/* the root is 2^64 bytes */
	unsigned spread;	/* addresses: this many pages */
	unsigned long runs;
	struct shadow *sh;
	unsigned long failed_edits, unchanged_violations;
};

static uint64_t rand_size(void)
{
	static const uint64_t odd[] = { 0x800, 0x1800, 0x10, 0x1 };

	if (!pick(12))
		return odd[pick(4)];
	return (uint64_t)(1 + pick(16)) * 0x1000;
}

static uint64_t rand_addr(const struct gen *g)
{
	uint64_t a = (uint64_t)pick(g->spread) * 0x1000 + (pick(8) ? 0 : 0x800);

	if (g->big && !pick(4))
		return UINT64_MAX - 0x20000 + 1 + a;	/* near the top of 2^64 */
	return a;
}

static struct vmm_mr *region(struct gen *g, unsigned i)
{
	char id[16];

	snprintf(id, sizeof(id), "r%u", i);
	return vmm_mr_find(g->m, id);
}

static struct vmm_mr *rand_region(struct gen *g)
{
	for (int tries = 0; tries < 8; tries++) {
		struct vmm_mr *mr = region(g, pick(g->nr));

		if (mr)
			return mr;
	}
	return region(g, 0);
}

/* A random region for which @want holds, if one turns up quickly (else any). */
static struct vmm_mr *rand_such(struct gen *g, bool (*want)(const struct vmm_mr *))
{
	for (int tries = 0; tries < 16; tries++) {
		struct vmm_mr *mr = rand_region(g);

		if (want(mr))
			return mr;
	}
	return rand_region(g);
}

static bool is_alias(const struct vmm_mr *mr) { return mr->type == VMM_MR_ALIAS; }
static bool is_mapped(const struct vmm_mr *mr) { return mr->container != NULL; }
static bool is_unmapped(const struct vmm_mr *mr) { return !mr->container && strcmp(mr->id, "r0"); }
static bool not_root(const struct vmm_mr *mr) { return strcmp(mr->id, "r0") != 0; }

/* Run one command text; on failure the model must be exactly as before. */
static int run(struct gen *g, const char *text)
{
	struct vmm_ctl_ctx ctx = { .mem = g->m };
	struct vmm_err err;
	struct vmm_buf before, after;
	int r;

	vmm_buf_init(&before);
	vmm_buf_init(&after);
	vmm_ctl_dump_script(g->m, &before);
	r = vmm_ctl_exec(&ctx, text, strlen(text), &err);
	vmm_buf_puts(&g->script, text);
	if (g->sh && (g->nr <= MAX_REGIONS || ++g->runs % 32 == 0) &&
	    !shadow_matches(g->sh, g->m))
		g->unchanged_violations++;
	if (r) {
		g->failed_edits++;
		vmm_ctl_dump_script(g->m, &after);
		if (strcmp(before.data, after.data)) {
			g->unchanged_violations++;
			diag("failed command changed the model: %s -> %s", text, err.msg);
		}
		vmm_buf_printf(&g->script, "#   -> %s\n", err.msg);
	}
	vmm_buf_free(&before);
	vmm_buf_free(&after);
	return r;
}

__attribute__((format(printf, 2, 3)))
static int runf(struct gen *g, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return run(g, line);
}

static const char *rand_prio(void)
{
	static const char *const p[] = { "", "", " prio 0", " prio 1", " prio 1", " prio -1",
					  " prio 2" };

	return p[pick(7)];
}

/* A parent that can hold subregions: a container or a terminating region. */
static struct vmm_mr *rand_parent(struct gen *g)
{
	if (pick(2))
		return region(g, 0);
	for (int tries = 0; tries < 8; tries++) {
		struct vmm_mr *p = rand_region(g);

		if (p && p->type != VMM_MR_ALIAS && (p->type == VMM_MR_CONTAINER || pick(4) == 0))
			return p;
	}
	return region(g, 0);
}

static void create_one(struct gen *g, unsigned i)
{
	static const char *const kinds[] = { "container", "container", "ram", "ram", "rom",
					     "romd", "io", "io", "alias", "alias", "alias" };
	const char *kind = kinds[pick(sizeof(kinds) / sizeof(kinds[0]))];
	uint64_t size = rand_size();

	if (!strcmp(kind, "alias")) {
		struct vmm_mr *t = pick(5) ? rand_such(g, not_root) : region(g, 0);
		uint64_t tsize = t->size >= TWO64 ? 0x40000 : (uint64_t)t->size;
		uint64_t off = pick(3) ? 0 : (uint64_t)pick((unsigned)(tsize / 0x1000 + 1)) * 0x1000;

		if (off > tsize)
			off = 0;
		size = pick(3) ? tsize - off : (uint64_t)pick((unsigned)((tsize - off) / 0x800 + 1)) * 0x800;
		runf(g, "alias r%u %s 0x%" PRIx64 " 0x%" PRIx64 "\n", i, t->id, off, size);
	} else {
		runf(g, "%s r%u 0x%" PRIx64 "\n", kind, i, size);
	}
	if (pick(10))
		runf(g, "map r%u in %s at 0x%" PRIx64 "%s\n", i, rand_parent(g)->id, rand_addr(g),
		     rand_prio());
	if (!pick(8))
		runf(g, "set r%u enabled off\n", i);
	if (!pick(8))
		runf(g, "set r%u readonly on\n", i);
	if (!pick(16))
		runf(g, "set r%u nonvolatile on\n", i);
	if (!pick(16))
		runf(g, "set r%u log-dirty on\n", i);
	if (!strcmp(kind, "romd") && pick(2))
		runf(g, "set r%u romd off\n", i);
}

static void edit_one(struct gen *g)
{
	struct vmm_mr *mr = rand_region(g), *mapped = rand_such(g, is_mapped);

	switch (pick(12)) {
	case 0: runf(g, "set %s prio %d\n", mapped->id, (int)pick(4) - 1); break;
	case 1: runf(g, "set %s addr 0x%" PRIx64 "\n", mapped->id, rand_addr(g)); break;
	case 2: runf(g, "set %s enabled %s\n", mr->id, pick(2) ? "on" : "off"); break;
	case 3: runf(g, "set %s readonly %s\n", mr->id, pick(2) ? "on" : "off"); break;
	case 4: runf(g, "unmap %s\n", mapped->id); break;
	case 5:
		runf(g, "map %s in %s at 0x%" PRIx64 "%s\n", rand_such(g, is_unmapped)->id,
		     rand_parent(g)->id, rand_addr(g), rand_prio());
		break;
	case 6:
		runf(g, "set %s alias-offset 0x%x\n", rand_such(g, is_alias)->id, pick(4) * 0x800);
		break;
	case 7: runf(g, "set %s size 0x%" PRIx64 "\n", mr->id, rand_size()); break;
	case 8: runf(g, "delete %s\n", mr->id); break;
	case 9:
		runf(g, "begin\nset %s prio %d\nset %s addr 0x%" PRIx64 "\ncommit\n", mapped->id,
		     (int)pick(3), rand_such(g, is_mapped)->id, rand_addr(g));
		break;
	case 10:
		runf(g, "begin\nunmap %s\nset %s enabled off\nabort\n", mapped->id,
		     rand_region(g)->id);
		break;
	default:
		/* one write, two edits, the second one may fail and take the first with it */
		runf(g, "set %s nonvolatile %s\nmap %s in %s at 0x%" PRIx64 "\n", mr->id,
		     pick(2) ? "on" : "off", rand_such(g, is_unmapped)->id, rand_parent(g)->id,
		     rand_addr(g));
		break;
	}
}

static struct shadow shadow_listener = {
	.l = { .as_name = "memory", .region_add = sh_add, .region_del = sh_del,
	       .log_start = sh_log, .log_stop = sh_log },
};

static void address_spaces(struct gen *g)
{
	struct vmm_err err;

	runf(g, "address-space memory r0\n");
	if (!vmm_memory_listener_register(g->m, &shadow_listener.l, &err))
		g->sh = &shadow_listener;
	switch (pick(4)) {
	case 0:
		runf(g, "alias whole r0 0 %s\naddress-space via-alias whole\n",
		     g->big ? "16E" : "0x40000");
		break;
	case 1:
		runf(g, "address-space second %s\n", rand_region(g)->id);
		break;
	case 2:
		runf(g, "container wrap %s\nmap %s in wrap at 0\naddress-space wrapped wrap\n",
		     g->big ? "16E" : "0x40000", rand_region(g)->id);
		break;
	default:
		break;
	}
}


/*
 * One topology and its edits; returns false on the first difference. Big
 * cases (@nr regions, @edits edits) compare with the naive renderer only at
 * the start and the end; in between the model's own check mode compares each
 * incremental commit with a full render.
 */
static bool one_case(unsigned long idx, unsigned nr, unsigned edits)
{
	struct gen g = { .m = vmm_memory_new(), .spread = nr ? 4 * nr : 24 };
	bool good = true;

	if (!g.m)
		return false;
	vmm_memory_set_render_mode(g.m, VMM_RENDER_CHECK);
	shadow_listener.n = 0;
	shadow_listener.broken = false;
	vmm_buf_init(&g.script);
	g.big = pick(2);
	g.nr = nr ? nr : 2 + pick(MAX_REGIONS - 2);
	runf(&g, "container r0 %s\n", g.big ? "16E" : nr ? "0x40000000" : "0x40000");
	for (unsigned i = 1; i < g.nr; i++)
		create_one(&g, i);
	address_spaces(&g);
	good = compare_all(g.m, g.script.data);
	for (unsigned e = 0; good && e < edits; e++) {
		edit_one(&g);
		if (!nr || e + 1 == edits)
			good = compare_all(g.m, g.script.data);
	}
	if (good && g.sh && !shadow_matches(g.sh, g.m))
		good = false;
	if (good && !dump_roundtrip(g.m))
		good = false;
	if (g.unchanged_violations) {
		diag("case %lu: %lu failed commands changed the model", idx, g.unchanged_violations);
		good = false;
	}
	failed_total += g.failed_edits;
	if (show)
		diag_lines("case:", g.script.data);
	add_stats(g.m);
	if (g.sh)
		vmm_memory_listener_unregister(g.m, &g.sh->l);
	vmm_buf_free(&g.script);
	vmm_memory_free(g.m);
	return good;
}

int main(void)
{
	const char *s = getenv("MTREE_SEED"), *c = getenv("MTREE_CASES");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0x6d74726565ull;
	unsigned long cases = c ? strtoul(c, NULL, 0) : 4000, bad = 0, i;

	show = getenv("MTREE_SHOW") != NULL;
	diag("seed %" PRIu64 " (MTREE_SEED=%" PRIu64 " to replay), %lu cases", seed, seed, cases);
	for (i = 0; i < cases && bad < 3; i++) {
		rng_state = seed * 0x9E3779B97F4A7C15ull + i + 1;
		if (!one_case(i, 0, 12)) {
			diag("case %lu failed (MTREE_SEED=%" PRIu64 ")", i, seed);
			bad++;
		}
	}
	for (unsigned long b = 0; b < 8 && bad < 3; b++) {
		rng_state = seed * 0x9E3779B97F4A7C15ull + cases + b + 1;
		if (!one_case(cases + b, 300 + 100 * (unsigned)b, 400)) {
			diag("big case %lu failed (MTREE_SEED=%" PRIu64 ")", b, seed);
			bad++;
		}
	}
	ok(bad == 0, "%lu random topologies: model flat views equal the naive renderer", i);
	ok(mismatches == 0, "%lu flat-view comparisons of %lu ranges, %lu mismatches", checks,
	   ranges_total, mismatches);
	ok(roundtrip_failures == 0, "dump | exec reproduces every final topology (%lu failures)",
	   roundtrip_failures);
	ok(shadow_failures == 0, "listener del/add replay equals every new view (%lu failures)",
	   shadow_failures);
	ok(stats_total.mismatches == 0 && stats_total.incremental > stats_total.full,
	   "incremental commits (%llu, %llu windows, %llu kept) equal full renders (%llu "
	   "mismatches; %llu full renders)", (unsigned long long)stats_total.incremental,
	   (unsigned long long)stats_total.windows, (unsigned long long)stats_total.kept,
	   (unsigned long long)stats_total.mismatches, (unsigned long long)stats_total.full);
	ok(failed_total > 0 && failed_total < checks,
	   "the edits include rejected ones (%lu) and accepted ones", failed_total);
	return done_testing();
}
