// SPDX-License-Identifier: MIT
/*
 * The pc map we build for a RAM size renders exactly as QEMU 7.2's own
 * `pc,accel=kvm -nodefaults`: the `AS "memory"` block of `info mtree -f`
 * (with KVM marks, from the KVM listener on the soft memslot table) and the
 * `address-space: memory` group of `info mtree -D` are compared with the
 * golden files in tests/golden/pc-nodefaults-SIZE, which a real QEMU wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/kvm.h>
#include <vmm/machine.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include "tap.h"

static char *slurp(const char *path)
{
	struct vmm_buf b;

	vmm_buf_init(&b);
	if (vmm_buf_read_file(&b, path)) {
		vmm_buf_free(&b);
		return NULL;
	}
	return vmm_buf_steal(&b, NULL);
}

/*
 * The blank-line-terminated block of @text that contains the line @marker,
 * without a leading "FlatView #N" line (QEMU numbers views in hash order).
 */
static char *block_with(const char *text, const char *marker)
{
	const char *m = text ? strstr(text, marker) : NULL, *start, *end;

	if (!m)
		return strdup("(missing)");
	start = m;
	while (start > text && !(start[-1] == '\n' && (start - 1 == text || start[-2] == '\n')))
		start--;
	if (!strncmp(start, "FlatView #", 10))
		start = strchr(start, '\n') + 1;
	end = strstr(m, "\n\n");
	end = end ? end + 1 : m + strlen(m);
	return strndup(start, (size_t)(end - start));
}

static void check_size(const char *tag, uint64_t ram)
{
	struct vmm_memory *mem = vmm_memory_new();
	struct vmm_accel *acc = vmm_accel_new_soft(0);
	struct vmm_listener *l = vmm_kvm_listener_new(acc);
	struct vmm_err err = { 0 };
	struct vmm_buf flat, tree;
	char path[256], *gf, *gd, *a, *b;
	int r;

	vmm_memory_set_device_factory(mem, vmm_devices_create, NULL);
	r = vmm_memory_listener_register(mem, l, &err);
	if (!r)
		r = vmm_machine_build_pc(mem, ram, "anon", &err);
	is(r, 0, "%s: pc map builds (%s)", tag, err.msg);
	vmm_buf_init(&flat);
	vmm_buf_init(&tree);
	vmm_print_flatview(mem, acc, &flat);
	vmm_print_mtree(mem, VMM_PRINT_DISABLED, &tree);

	snprintf(path, sizeof(path), "tests/golden/pc-nodefaults-%s/mtree-f", tag);
	gf = slurp(path);
	snprintf(path, sizeof(path), "tests/golden/pc-nodefaults-%s/mtree-D", tag);
	gd = slurp(path);
	ok(gf && gd, "%s: golden files present", tag);
	a = block_with(flat.data, " AS \"memory\"");
	b = block_with(gf, " AS \"memory\"");
	is_str(a, b, "%s: info mtree -f, AS memory block equals QEMU's", tag);
	free(a);
	free(b);
	a = block_with(tree.data, "address-space: memory\n");
	b = block_with(gd, "address-space: memory\n");
	is_str(a, b, "%s: info mtree -D, memory group equals QEMU's", tag);
	free(a);
	free(b);
	free(gf);
	free(gd);
	vmm_buf_free(&flat);
	vmm_buf_free(&tree);
	vmm_memory_listener_unregister(mem, l);
	vmm_kvm_listener_free(l);
	vmm_memory_free(mem);
	vmm_accel_free(acc);
}

int main(void)
{
	static const struct { const char *tag; uint64_t ram; } sizes[] = {
		{ "128M", 128ull << 20 }, { "512M", 512ull << 20 }, { "3584M", 3584ull << 20 },
		{ "4G", 4ull << 30 }, { "6G", 6ull << 30 },
	};
	struct vmm_err err = { 0 };
	struct vmm_memory *mem = vmm_memory_new();

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_size(sizes[i].tag, sizes[i].ram);
	vmm_memory_set_device_factory(mem, vmm_devices_create, NULL);
	is(vmm_machine_build_pc(mem, 12345, NULL, &err), -EINVAL, "odd RAM size rejected");
	ok(vmm_memory_first_region(mem) == NULL, "a rejected build leaves nothing behind");
	vmm_memory_free(mem);
	return done_testing();
}
