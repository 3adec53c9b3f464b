// SPDX-License-Identifier: MIT
/*
 * RAM block host mappings: aligned like qemu_ram_mmap() with one PROT_NONE
 * guard page after the block (checked in /proc/self/maps) and THP advised
 * (the VMA's "hg" flag in /proc/self/smaps), the anon, memfd
 * and file backends (the file keeps its contents when the block is created
 * again), and the last reference unmapping the block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vmm/ramblock.h>

#include "tap.h"

#define K (1ull << 10)
#define M (1ull << 20)

/* Permissions of the VMA holding @addr ("rw-p", "---p"), or "" when unmapped. */
static const char *vma_perms(uintptr_t addr, char out[8])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char line[512], perms[8];

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) {
			snprintf(out, 8, "%s", perms);
			break;
		}
	}
	if (f)
		fclose(f);
	return out;
}

/* Does the VMA holding @addr carry VmFlag @flag (/proc/self/smaps)? */
static bool vma_has_flag(uintptr_t addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi;
	bool in = false, found = false;
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = addr >= lo && addr < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			char pat[8];

			snprintf(pat, sizeof(pat), " %s ", flag);
			line[strcspn(line, "\n")] = ' ';
			found = strstr(line, pat) != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static bool page_mapped(uintptr_t addr)
{
	unsigned char v;

	return mincore((void *)addr, 4096, &v) == 0 || errno != ENOMEM;
}

static void test_layout(struct vmm_ramlist *rl, const char *backend, const char *id)
{
	struct vmm_ramblock *rb = NULL;
	struct vmm_err err = { 0 };
	char p[8];
	uintptr_t h;
	int r = vmm_ramblock_new(rl, id, 3 * M + 4 * K, 0, backend, &rb, &err);

	if (!ok(r == 0, "%s: create", backend)) {
		diag("  %d %s", r, err.msg);
		return;
	}
	h = (uintptr_t)rb->host;
	is(h % (2 * M), 0, "%s: host mapping is 2 MiB aligned", backend);
	is_str(vma_perms(h, p), rb->fd >= 0 ? "rw-s" : "rw-p", "%s: block is mapped rw", backend);
	is_str(vma_perms(h + rb->max_length - 1, p), rb->fd >= 0 ? "rw-s" : "rw-p",
	       "%s: up to its last byte", backend);
	is_str(vma_perms(h + rb->max_length, p), "---p", "%s: guard page after it", backend);
	is(rb->reserved_len, rb->max_length + 4 * K, "%s: reservation is block + guard", backend);
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0)
		ok(vma_has_flag(h, "hg"), "%s: advised MADV_HUGEPAGE, as QEMU's ram_block_add", backend);
	memset(rb->host, 0x5a, rb->used_length);
	is(((unsigned char *)rb->host)[rb->used_length - 1], 0x5a, "%s: writable", backend);
	is(rb->fd >= 0, strcmp(backend, "anon") != 0, "%s: fd only for shared backends", backend);
	is(!!(rb->flags & VMM_RB_SHARED), strcmp(backend, "anon") != 0, "%s: shared flag", backend);
}

static void test_memfd_fd(struct vmm_ramlist *rl)
{
	struct vmm_ramblock *rb = vmm_ramlist_find(rl, "mfd");
	char buf[6] = "";

	if (!rb)
		return;
	memcpy((char *)rb->host + 8192, "memfd", 6);
	is(pread(rb->fd, buf, 6, 8192), 6, "memfd: fd readable");
	is_str(buf, "memfd", "memfd: fd shows what the mapping holds");
}

static void test_file_persists(const char *dir)
{
	char path[256], buf[16] = "";
	struct vmm_ramlist *rl = vmm_ramlist_new();
	struct vmm_ramblock *rb = NULL;
	char be[300];

	snprintf(path, sizeof(path), "%s/guest.ram", dir);
	snprintf(be, sizeof(be), "file:%s", path);
	is(vmm_ramblock_new(rl, "f", 64 * K, 0, be, &rb, NULL), 0, "file: create new file");
	if (rb)
		memcpy((char *)rb->host + 100, "persist", 8);
	vmm_ramlist_free(rl);
	is(access(path, F_OK), 0, "file: survives the block");
	rl = vmm_ramlist_new();
	rb = NULL;
	is(vmm_ramblock_new(rl, "f", 64 * K, 0, be, &rb, NULL), 0, "file: re-open");
	if (rb)
		memcpy(buf, (char *)rb->host + 100, 8);
	is_str(buf, "persist", "file: contents kept across re-open");
	is(vmm_ramblock_new(rl, "g", 128 * K, 0, be, NULL, NULL), -EINVAL,
	   "file: a file smaller than the block is refused");
	is(vmm_ramblock_new(rl, "d", 64 * K, 0, (snprintf(be, sizeof(be), "file:%s", dir), be),
			    &rb, NULL), 0, "file: a directory gets an unlinked temp file");
	vmm_ramlist_free(rl);
	unlink(path);
}

static void test_refs(void)
{
	struct vmm_ramlist *rl = vmm_ramlist_new();
	struct vmm_ramblock *rb = NULL;
	uintptr_t h;

	if (vmm_ramblock_new(rl, "r", 64 * K, 0, "memfd", &rb, NULL) || !rb) {
		ok(0, "refs: create");
		vmm_ramlist_free(rl);
		return;
	}
	h = (uintptr_t)rb->host;
	vmm_ramblock_ref(rb);
	vmm_ramblock_remove(rl, rb);
	is(vmm_ramlist_count(rl), 0, "refs: removed from the list");
	ok(page_mapped(h), "refs: still mapped while a reader holds it");
	vmm_ramblock_unref(rb);
	ok(!page_mapped(h) && !page_mapped(h + 64 * K), "refs: last unref unmaps block and guard");
	vmm_ramlist_free(rl);
}

int main(void)
{
	struct vmm_ramlist *rl = vmm_ramlist_new();
	char dir[] = "/tmp/ramblock_mapping.XXXXXX";

	test_layout(rl, "anon", "anon");
	test_layout(rl, "memfd", "mfd");
	test_memfd_fd(rl);
	vmm_ramlist_free(rl);
	if (mkdtemp(dir)) {
		test_file_persists(dir);
		rmdir(dir);
	} else {
		ok(0, "mkdtemp");
	}
	test_refs();
	return done_testing();
}
