// SPDX-License-Identifier: MIT
/*
 * A terminating region with children: the children render first and win, the
 * region fills only the gaps they leave. Expected values are the worked
 * example of QEMU's docs/devel/memory.rst (container A, C at prio 1, B at
 * prio 2 holding D and E), once with B a pure container and once with B an
 * MMIO region; plus a child of lower priority than nothing still beating its
 * own parent.
 */
#include "mem_util.h"

static void build(struct vmm_memory *m, bool b_is_io, struct vmm_mr **root)
{
	struct vmm_mr *a = mk_container(m, "A", SZ(0x8000));
	struct vmm_mr *b = b_is_io ? mk_io(m, "B", SZ(0x4000)) : mk_container(m, "B", SZ(0x4000));
	struct vmm_mr *c = mk_io(m, "C", SZ(0x6000));

	do_map(c, a, 0, 1);
	do_map(b, a, 0x2000, 2);
	do_map(mk_io(m, "D", SZ(0x1000)), b, 0, 0);
	do_map(mk_io(m, "E", SZ(0x1000)), b, 0x2000, 0);
	*root = a;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_mr *root, *ram, *kid;
	char *s;

	build(m, false, &root);
	is_str(s = render_text(root),
	       "0-1fff C\n2000-2fff D\n3000-3fff C @3000\n4000-4fff E\n5000-5fff C @5000\n",
	       "pure container B: C shows through B's holes"); free(s);
	vmm_memory_free(m);

	m = vmm_memory_new();
	build(m, true, &root);
	is_str(s = render_text(root),
	       "0-1fff C\n2000-2fff D\n3000-3fff B @1000\n4000-4fff E\n5000-5fff B @3000\n",
	       "MMIO B: B fills its own holes, C only outside B"); free(s);
	vmm_memory_free(m);

	m = vmm_memory_new();
	root = mk_container(m, "sys", SZ(0x10000));
	ram = mk_io(m, "dev", SZ(0x4000));
	kid = mk_io(m, "kid", SZ(0x100));
	do_map(ram, root, 0x1000, 0);
	do_map(kid, ram, 0x200, -100);
	is_str(s = render_text(root), "1000-11ff dev\n1200-12ff kid\n1300-4fff dev @300\n",
	       "a child beats its terminating parent whatever its priority"); free(s);
	do_map(mk_io(m, "edge", SZ(0x1000)), ram, 0x3800, 0);
	is_str(s = render_text(root),
	       "1000-11ff dev\n1200-12ff kid\n1300-47ff dev @300\n4800-4fff edge\n",
	       "a child sticking out of its parent is clipped to it"); free(s);
	vmm_memory_free(m);
	return done_testing();
}
